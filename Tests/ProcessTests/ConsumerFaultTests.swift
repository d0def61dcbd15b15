import AMQP
import Foundation
import ServiceTestSupport
import Testing

extension BrokerTests {
@Suite("consumer: faults")
struct ConsumerFaultTests {
    @Test func survivesABrokerRestart() throws {
        let redis = try TestServices.redis()
        let consumer = try ConsumerProcess()
        try AMQPTestClient().publishHellos(to: consumer.queue, count: 100)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 100 })

        _ = try rabbitmqctl("stop_app")
        Thread.sleep(forTimeInterval: 1)
        _ = try rabbitmqctl("start_app")
        let broker = try #require(AMQPTestClient.waitUntil(seconds: 30) { (try? AMQPTestClient()) != nil } ? AMQPTestClient() : nil)
        try broker.publishHellos(to: consumer.queue, count: 100)
        #expect(try AMQPTestClient.waitUntil(seconds: 40) { try redis.count(consumer.sentKey) == 200 })
        #expect(try redis.count(consumer.receivedKey) == 200)
        #expect(consumer.isRunning)
    }

    @Test func survivesClosedConnections() throws {
        let redis = try TestServices.redis()
        let consumer = try ConsumerProcess()
        let broker = try AMQPTestClient()
        try broker.publishHellos(to: consumer.queue, count: 50)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 50 })
        _ = try rabbitmqctl("close_all_connections", "'test'")
        let again = try #require(AMQPTestClient.waitUntil(seconds: 10) { (try? AMQPTestClient()) != nil } ? AMQPTestClient() : nil)
        try again.publishHellos(to: consumer.queue, count: 50)
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 100 })
        #expect(consumer.isRunning)
    }

    @Test func survivesARedisRestart() throws {
        let redisServer = try RedisServerProcess()
        let consumer = try ConsumerProcess(redisURL: redisServer.url)
        let broker = try AMQPTestClient()
        let redis = try RedisTestClient(host: "127.0.0.1", port: redisServer.port)
        try broker.publishHellos(to: consumer.queue, count: 100)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 100 })

        redisServer.kill()
        try broker.publishHellos(to: consumer.queue, count: 100)
        Thread.sleep(forTimeInterval: 1)
        // Nothing is acknowledged while Redis is down: all 100 are still in the queue, ready
        // or held unacknowledged by the paused consumer.
        let listing = try rabbitmqctl("list_queues", "-q", "name", "messages_ready", "messages_unacknowledged")
        let row = try #require(listing.split(separator: "\n").first { $0.hasPrefix(consumer.queue + "\t") })
        let numbers = row.split(separator: "\t").dropFirst().compactMap { Int($0) }
        #expect(numbers.reduce(0, +) == 100, "\(row)")
        try redisServer.start()
        let fresh = try RedisTestClient(host: "127.0.0.1", port: redisServer.port)
        #expect(try AMQPTestClient.waitUntil(seconds: 30) { try fresh.count(consumer.sentKey) >= 200 })
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try broker.depth(consumer.queue) == 0 })
        #expect(consumer.isRunning)
    }

    @Test func badCredentialsExitTwoWithTheReason() throws {
        let components = URLComponents(string: TestServices.amqpURL)!
        let url = "amqp://guest:wrong@\(components.host!):\(components.port!)/%2F"
        let consumer = try ConsumerProcess(amqpURL: url, waitForSubscription: false)
        #expect(consumer.waitForExit(timeout: 15) == 2)
        let output = consumer.standardError()
        #expect(output.contains("403"), "\(output)")
        #expect(output.contains("login"))
    }

    @Test func mismatchedQueueExitsTwoNamingIt() throws {
        let broker = try AMQPTestClient()
        let queue = TestServices.uniqueName("transient")
        try broker.declareQueue(queue, durable: false)
        let consumer = try ConsumerProcess(queue: queue, waitForSubscription: false)
        #expect(consumer.waitForExit(timeout: 15) == 2)
        let output = consumer.standardError()
        #expect(output.contains(queue), "\(output)")
        #expect(output.contains("406"))
        try? AMQPTestClient().deleteQueue(queue)
    }

    @Test func badConfigurationExitsTwo() throws {
        let consumer = try ConsumerProcess(arguments: ["--amqp-prefetch", "0"], waitForSubscription: false)
        #expect(consumer.waitForExit(timeout: 10) == 2)
        #expect(consumer.standardError().contains("amqp.prefetch"))
    }
}
}

extension BrokerTests.ConsumerFaultTests {
    @Test func aBrokerAlarmIsWaitedOutNotMistakenForADeadLink() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let queue = TestServices.uniqueName("alarm")
        try broker.declareQueue(queue)
        try broker.publishHellos(to: queue, count: 50)
        // A memory alarm: the broker stops reading from every connection that publishes.
        _ = try rabbitmqctl("set_vm_memory_high_watermark", "0.000001")
        defer { _ = try? rabbitmqctl("set_vm_memory_high_watermark", "0.4") }
        let port = try freePort()
        let consumer = try ConsumerProcess(queue: queue, metricsPort: port)
        #expect(try AMQPTestClient.waitUntil(seconds: 15) {
            try HTTPTestClient(port: port).request("GET", "/health").body.contains("blocked")
        })
        Thread.sleep(forTimeInterval: 6)  // longer than the confirm deadline
        #expect(try redis.count(consumer.sentKey) == 0)
        _ = try rabbitmqctl("set_vm_memory_high_watermark", "0.4")
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 50 })
        #expect(try redis.count(consumer.receivedKey) == 50)
        let samples = try parsePrometheus(try HTTPTestClient(port: port).request("GET", "/metrics").body)
        // Waited out on the same connection: no reconnect.
        #expect(samples.value("biggoal_consumer_reconnects_total") == 0)
        #expect(try HTTPTestClient(port: port).request("GET", "/health").status == 200)
    }
}
