import Foundation
import ServiceTestSupport
import Testing

extension BrokerTests {
/// The settings a cluster needs, on the single test broker: several node URLs, quorum queues.
@Suite("consumer: several nodes and quorum queues")
struct ConsumerClusterSettingsTests {
    @Test func aDeadNodeInTheListIsPassedOverAtOnce() throws {
        let redis = try TestServices.redis()
        let metricsPort = try freePort()
        let deadNode = "amqp://guest:guest@127.0.0.1:\(try freePort())/%2F"
        let consumer = try ConsumerProcess(amqpURL: deadNode, metricsPort: metricsPort, arguments: [
            "--amqp-urls", "\(deadNode),\(TestServices.amqpURL)", "--amqp-url-order", "ordered",
        ])
        let started = Date()
        try AMQPTestClient().publishHellos(to: consumer.queue, count: 50)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 50 })
        #expect(Date().timeIntervalSince(started) < 5, "no back-off before the live node")

        let samples = try parsePrometheus(try HTTPTestClient(port: metricsPort).request("GET", "/metrics").body)
        let liveNode = "127.0.0.1:\(URLComponents(string: TestServices.amqpURL)!.port!)"
        #expect(samples.value("biggoal_consumer_broker_node", ["node": liveNode]) == 1)
        #expect(consumer.terminate() == 0)
        let log = consumer.standardError()
        #expect(log.contains("broker node lost; trying the next"), "\(log)")
        #expect(log.contains("node=\(liveNode)"), "\(log)")
    }

    @Test func quorumQueuesAreDeclaredAlikeByConsumerAndPublish() throws {
        let redis = try TestServices.redis()
        let queue = TestServices.uniqueName("quorum-in")
        // publish first: it creates the inbound queue as the consumer will declare it.
        let published = try runPublish(["--queue", queue, "--count", "100", "--amqp-queue-type", "quorum"])
        #expect(published.status == 0, "\(published.output)")
        let consumer = try ConsumerProcess(queue: queue, arguments: ["--amqp-queue-type", "quorum"])
        #expect(try AMQPTestClient.waitUntil(seconds: 15) { try redis.count(consumer.sentKey) == 100 })
        #expect(try redis.count(consumer.receivedKey) == 100)

        let listing = try rabbitmqctl("list_queues", "-q", "name", "type", "arguments")
        func line(_ name: String) -> String { listing.split(separator: "\n").first { $0.hasPrefix(name + "\t") }.map(String.init) ?? "" }
        #expect(line(queue).contains("quorum") && line(queue).contains("x-delivery-limit"), "\(listing)")
        #expect(line(queue).contains("\(queue).dead"), "the broker dead-letters past its limit into the consumer's queue: \(listing)")
        #expect(line(consumer.replyQueue).contains("quorum"), "\(listing)")
        #expect(line("\(queue).dead").contains("quorum"), "\(listing)")
        #expect(consumer.terminate() == 0)
        let broker = try AMQPTestClient()
        for name in [queue, consumer.replyQueue, "\(queue).dead"] { try? broker.deleteQueue(name) }
    }

    @Test func aQueueOfTheOtherTypeStopsTheConsumerWithAWayOut() throws {
        _ = try TestServices.redis()
        let queue = TestServices.uniqueName("classic-in")
        try AMQPTestClient().declareQueue(queue)
        defer { try? AMQPTestClient().deleteQueue(queue) }
        let consumer = try ConsumerProcess(queue: queue, arguments: ["--amqp-queue-type", "quorum"], waitForSubscription: false)
        #expect(consumer.waitForExit(timeout: 15) == 2)
        let log = consumer.standardError()
        #expect(log.contains("PRECONDITION_FAILED") && log.contains("queue's type and arguments cannot change"), "\(log)")
    }
}
}
