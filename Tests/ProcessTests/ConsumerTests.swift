import AMQP
import Foundation
import Glibc
import ServiceTestSupport
import Testing

/// Everything that talks to the shared test broker, one test at a time: the fault tests
/// restart it.
@Suite("consumer and broker", .serialized)
struct BrokerTests {}

/// The built `consumer` against the test RabbitMQ and Redis.
extension BrokerTests {
@Suite("consumer: counting and answering hellos")
struct ConsumerTests {
    @Test func helloIsCountedAndAnsweredOnce() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        let id = TestServices.uniqueName("hello")
        let hello = AMQPProperties(headers: AMQPTable([("type", .text("hello"))]), deliveryMode: 2,
                                   correlationID: nil, messageID: id, type: "hello")
        try broker.publish(to: consumer.queue, properties: hello, body: Array("hi".utf8))
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 1 })
        #expect(try redis.count(consumer.receivedKey) == 1)
        let replies = try broker.take(2, from: consumer.replyQueue, seconds: 2)
        try #require(replies.count == 1)
        let reply = replies[0]
        #expect(reply.body == Array("И тебе привет!".utf8))
        #expect(reply.exchange == consumer.replyExchange)
        #expect(reply.routingKey == "meow1")
        #expect(reply.properties.contentType == "text/plain; charset=utf-8")
        #expect(reply.properties.type == "hello")
        #expect(reply.properties.headers?["type"] == .text("hello"))
        #expect(reply.properties.deliveryMode == 2)
        #expect(reply.properties.appID == "biggoal-consumer")
        #expect(reply.properties.correlationID == id)
        #expect(reply.properties.messageID == "reply-\(id)")
        #expect(abs(Int(reply.properties.timestamp ?? 0) - Int(Date().timeIntervalSince1970)) < 60)
        #expect(try broker.depth(consumer.queue) == 0)
    }

    @Test func connectionNameHeartbeatAndPrefetchAreWhatWasAskedFor() throws {
        _ = try TestServices.redis()
        let consumer = try ConsumerProcess(arguments: ["--service-name", "consumer-under-test", "--amqp-heartbeat-seconds", "17", "--amqp-prefetch", "37",
                                                       "--amqp-channels", "2"])
        let connections = try rabbitmqctl("list_connections", "-q", "client_properties", "timeout")
        let ours = try #require(connections.split(separator: "\n").first { $0.contains("consumer-under-test\"") && !$0.contains("(publisher)") })
        #expect(ours.hasSuffix("\t17"), "\(ours)")
        // The prefetch is the consumer's as a whole, shared out between its two channels.
        let channels = try rabbitmqctl("list_channels", "-q", "prefetch_count", "consumer_count").split(separator: "\n")
        #expect(channels.contains { $0 == "19\t1" } && channels.contains { $0 == "18\t1" }, "\(channels)")
        // The threads that consume, one per channel, are named for ps and top.
        #expect(threads(of: consumer.pid, named: "consumer", atLeast: 2) == 2)
    }

    @Test func replyToIsAnswered() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        let requester = TestServices.uniqueName("requester")
        try broker.declareQueue(requester, durable: false)
        try broker.publishHellos(to: consumer.queue, count: 3, replyTo: requester)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 3 })
        #expect(try broker.take(3, from: requester).count == 3)
        #expect(try broker.depth(consumer.replyQueue) == 0)
        try broker.deleteQueue(requester)
    }

    @Test func replyToAGoneRequesterIsDroppedNotRetried() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        try broker.publishHellos(to: consumer.queue, count: 2, replyTo: TestServices.uniqueName("gone"))
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.receivedKey) == 2 && broker.depth(consumer.queue) == 0 })
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try redis.count(consumer.sentKey) == 0)
        #expect(try redis.count(consumer.receivedKey) == 2)
    }

    @Test func otherMessagesAreAcknowledgedAndNotCounted() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        try broker.publish(to: consumer.queue, properties: AMQPProperties(type: "goodbye"), body: Array("bye".utf8), count: 20)
        try broker.publish(to: consumer.queue, properties: AMQPProperties(headers: AMQPTable([("type", .text("other"))])), body: [], count: 5)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try broker.depth(consumer.queue) == 0 })
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try redis.count(consumer.receivedKey) == 0)
        #expect(try redis.count(consumer.sentKey) == 0)
        #expect(try broker.depth(consumer.replyQueue) == 0)
    }

    @Test func tenThousandHellosAreCountedExactly() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        let (status, output) = try runPublish(["--count", "10000", "--queue", consumer.queue])
        #expect(status == 0, "\(output)")
        #expect(output.contains("published 10000 of 10000"))
        #expect(try AMQPTestClient.waitUntil(seconds: 60) { try redis.count(consumer.sentKey) == 10_000 })
        #expect(try redis.count(consumer.receivedKey) == 10_000)
        #expect(try AMQPTestClient.waitUntil(seconds: 5) { try broker.depth(consumer.replyQueue) == 10_000 })
        #expect(try broker.depth(consumer.queue) == 0)
    }

    @Test func badMessagesNeverCrashIt() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        let hello = AMQPTable([("type", .text("hello"))])
        let everyKind = AMQPTable([
            ("type", .int32(7)), ("b", .bool(true)), ("i8", .int8(-1)), ("i64", .int64(.min)), ("f", .double(-1.5)), ("f32", .float(2.5)), ("s", .int16(-2)), ("u", .uint16(2)), ("u8", .uint8(1)), ("u32", .uint32(3)),
            ("d", .decimal(scale: 3, value: 1)), ("x", .bytes([0, 0xFF])), ("t", .timestamp(0)), ("v", .void),
            ("nested", .table(AMQPTable([("a", .array([.table(AMQPTable([("deep", .array([.void]))]))]))]))),
        ])
        let cases: [(AMQPProperties, [UInt8])] = [
            (AMQPProperties(headers: hello), []),
            (AMQPProperties(headers: hello), [UInt8](repeating: 0xAB, count: 10 * 1024 * 1024)),
            (AMQPProperties(headers: hello), [0xFF, 0xFE, 0x00, 0xC3, 0x28]),
            (AMQPProperties(headers: everyKind), Array("not a hello: type is a number".utf8)),
            (AMQPProperties(headers: AMQPTable([("type", .bytes(Array("hello".utf8)))])), Array("bytes hello".utf8)),
            (AMQPProperties(headers: AMQPTable([("type", .table(AMQPTable()))]), type: "hello"), Array("property hello".utf8)),
            (AMQPProperties(contentType: "application/octet-stream"), (0..<256).map { UInt8($0) }),
        ]
        for (index, (properties, body)) in cases.enumerated() {
            do {
                try AMQPTestClient().publish(to: consumer.queue, properties: properties, body: body)
            } catch {
                Issue.record("case \(index): \(error)")
            }
        }
        // Five of the seven are hellos; the 10 MiB one is past amqp.maxMessageBytes and goes
        // to the dead-letter queue unread.
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 4 })
        #expect(try AMQPTestClient.waitUntil(seconds: 5) { try broker.depth(consumer.queue) == 0 })
        #expect(try redis.count(consumer.receivedKey) == 4)
        let dead = try broker.take(2, from: consumer.queue + ".dead", seconds: 2)
        #expect(dead.count == 1)
        #expect(dead.first?.properties.headers?["x-biggoal-reason"] == .text("too_large"))
        #expect(dead.first?.properties.headers?["x-biggoal-body-bytes"] == .int64(10 * 1024 * 1024))
        #expect(consumer.isRunning)
    }

    @Test func sigtermMidStreamLosesNothing() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        try broker.publishHellos(to: consumer.queue, count: 5000)
        _ = AMQPTestClient.waitUntil(seconds: 10) { (try? redis.count(consumer.receivedKey)) ?? 0 > 500 }
        let started = Date()
        #expect(consumer.terminate() == 0)
        #expect(Date().timeIntervalSince(started) < 5)
        let received = try redis.count(consumer.receivedKey)
        let sent = try redis.count(consumer.sentKey)
        let left = try broker.depth(consumer.queue)
        // Every hello is either counted, answered and acknowledged, or still in the queue.
        #expect(received == sent)
        #expect(received + left == 5000, "received \(received) + left \(left)")
        #expect(try broker.depth(consumer.replyQueue) == sent)
    }

    @Test func sighupReloadsInsteadOfEndingTheProcess() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        kill(consumer.pid, SIGHUP)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(consumer.isRunning, "SIGHUP's default action would have ended it")
        try broker.publishHellos(to: consumer.queue, count: 10)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 10 })
        #expect(consumer.terminate() == 0)
        #expect(consumer.standardError().contains("SIGHUP: reloading"))
    }

    @Test func endToEndPublishThenTheAPIReports() throws {
        let redis = try TestServices.redis()
        let consumer = try ConsumerProcess()
        let api = try APIProcess(receivedKey: consumer.receivedKey, sentKey: consumer.sentKey)
        let (status, output) = try runPublish(["--count", "250", "--queue", consumer.queue])
        #expect(status == 0, "\(output)")
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 250 })
        let client = try api.connect()
        #expect(try client.request("GET", "/api/v1/receive/messages/hello").body == #"{"count":250}"#)
        #expect(try client.request("GET", "/api/v1/sent/messages/hello").body == #"{"count":250}"#)
    }
}

}

/// Faults: the broker and Redis going away under a running consumer, and refusals that
/// retrying cannot fix.
