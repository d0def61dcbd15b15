import AMQP
import Foundation
import LinuxIO
import ServiceTestSupport
import Testing

/// Messages a hostile or careless publisher can send: each fails alone, nothing stops the
/// consumer or skews a count.
extension BrokerTests {
@Suite("consumer: hostile messages fail alone")
struct ConsumerHostileInputTests {
    /// Ids of one test run: the dedupe marks of earlier runs stay in the shared Redis.
    static func unique(_ name: String) -> [UInt8] { Array(TestServices.uniqueName(name).utf8) }

    static func hello(id: [UInt8]?, replyTo: String? = nil) -> AMQPProperties {
        var properties = AMQPProperties(headers: AMQPTable([("type", .text("hello"))]), deliveryMode: 2, replyTo: replyTo, type: "hello")
        properties.messageIDBytes = id
        return properties
    }

    @Test func idsTooLongForReplyDashAreAnsweredUnderAHash() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        for index in 0..<3 {
            try broker.publish(to: consumer.queue, properties: Self.hello(id: Self.unique("long") + Array(String(repeating: "\(index)", count: 240).utf8)), body: [])
        }
        try broker.publishHellos(to: consumer.queue, count: 200)
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 203 })
        #expect(try redis.count(consumer.receivedKey) == 203)
        #expect(try broker.depth(consumer.queue) == 0)
        let replies = try broker.take(300, from: consumer.replyQueue, seconds: 3)
        #expect(replies.count == 203, "no reply twice")
        #expect(replies.filter { $0.properties.messageID?.hasPrefix("reply-sha256:") == true }.count == 3)
        #expect(consumer.isRunning)
    }

    @Test func aReplyToTheBrokerClosesTheChannelOnIsDeadLetteredAlone() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        try broker.publishHellos(to: consumer.queue, count: 100)
        // RabbitMQ 3.10 drops the whole publishing connection (541 INTERNAL_ERROR) over this
        // name; a name it cannot parse at all is merely unroutable.
        try broker.publish(to: consumer.queue, properties: Self.hello(id: Array("bogus-direct".utf8) + Self.unique(""), replyTo: "amq.rabbitmq.reply-to.g2gDZA.x"), body: [])
        try broker.publish(to: consumer.queue, properties: Self.hello(id: Self.unique("bogus-plain"), replyTo: "amq.rabbitmq.reply-to.bogus"), body: [])
        try broker.publishHellos(to: consumer.queue, count: 100)
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 200 && broker.depth(consumer.queue) == 0 })
        #expect(try redis.count(consumer.receivedKey) == 202)
        let dead = try broker.take(2, from: consumer.queue + ".dead", seconds: 3)
        #expect(dead.count == 1)
        #expect(dead.first?.properties.messageID?.hasPrefix("bogus-direct") == true)
        #expect(dead.first?.properties.headers?["x-biggoal-reason"] == .text("reply_closed_channel"))
        #expect(consumer.isRunning)
    }

    @Test func anEmptyMessageIDIsNoID() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        try broker.publish(to: consumer.queue, properties: Self.hello(id: []), body: [], count: 5)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 5 })
        #expect(try redis.count(consumer.receivedKey) == 5)
        #expect(try broker.take(10, from: consumer.replyQueue, seconds: 1).count == 5)
    }

    @Test func idsThatAreNotUTF8DoNotCollide() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        let run = Self.unique("")
        try broker.publish(to: consumer.queue, properties: Self.hello(id: [0xFF, 0xFE] + run), body: [])
        try broker.publish(to: consumer.queue, properties: Self.hello(id: [0xFD, 0xFC] + run), body: [])
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 2 })
        #expect(try redis.count(consumer.receivedKey) == 2)
        let replies = try broker.take(3, from: consumer.replyQueue, seconds: 1)
        #expect(Set(replies.compactMap(\.properties.messageIDBytes)).count == 2)
        #expect(Set(replies.compactMap(\.properties.correlationIDBytes)) == [[0xFF, 0xFE] + run, [0xFD, 0xFC] + run])
    }

    @Test func aReplyToNamingTheInboundQueueIsNotFollowed() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        try broker.publish(to: consumer.queue, properties: Self.hello(id: Self.unique("loop"), replyTo: consumer.queue), body: [])
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 1 })
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try redis.count(consumer.receivedKey) == 1)
        #expect(try redis.count(consumer.sentKey) == 1)
        #expect(try broker.take(2, from: consumer.replyQueue, seconds: 1).count == 1)
    }

    @Test func duplicatesInOneBatchGetOneReply() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        // One channel: the copies then share a batch (over two, the broker would deal them out
        // to both, and each would answer, with the same reply id).
        let consumer = try ConsumerProcess(arguments: ["--amqp-prefetch", "50", "--amqp-channels", "1"])
        try broker.publish(to: consumer.queue, properties: Self.hello(id: Self.unique("twice")), body: [], count: 3)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 1 && broker.depth(consumer.queue) == 0 })
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try redis.count(consumer.receivedKey) == 1)
        #expect(try broker.take(4, from: consumer.replyQueue, seconds: 1).count == 1)
    }

    @Test func aRequesterQueueThatRefusesRepliesDoesNotSlowTheRest() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let port = try freePort()
        let consumer = try ConsumerProcess(metricsPort: port, arguments: ["--amqp-max-attempts", "3"])
        let requester = TestServices.uniqueName("full")
        try broker.declareQueue(requester, durable: false)
        _ = try rabbitmqctl("set_policy", "refuse-\(requester)", "'^\(requester)$'", "'{\"max-length\":0,\"overflow\":\"reject-publish\"}'",
                            "--apply-to", "queues")
        defer { _ = try? rabbitmqctl("clear_policy", "refuse-\(requester)") }
        Thread.sleep(forTimeInterval: 0.5)
        try broker.publish(to: consumer.queue, properties: Self.hello(id: Self.unique("to-full"), replyTo: requester), body: [])
        let started = Date()
        try broker.publishHellos(to: consumer.queue, count: 2000)
        #expect(try AMQPTestClient.waitUntil(seconds: 30) { try redis.count(consumer.sentKey) == 2000 })
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 10, "2000 hellos took \(elapsed) s beside one refused reply")
        let health = try HTTPTestClient(port: port).request("GET", "/health")
        #expect(health.status == 200)
        #expect(health.body.contains("degraded"), "\(health.body)")
        // Three failed attempts (0.25 s, 0.5 s apart), then the dead-letter queue.
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try broker.depth(consumer.queue + ".dead") == 1 })
        let dead = try broker.take(1, from: consumer.queue + ".dead", seconds: 2)
        #expect(dead.first?.properties.headers?["x-biggoal-reason"] == .text("reply_refused"))
        #expect(dead.first?.properties.headers?["x-biggoal-attempts"] == .int64(3))
        #expect(try redis.count(consumer.receivedKey) == 2001)
        #expect(try broker.depth(consumer.queue) == 0)
        try broker.deleteQueue(requester)
    }

    @Test func aThousandIdleSocketsDoNotLockOutHealth() throws {
        _ = try TestServices.redis()
        _ = ProcessLimits.raiseOpenFilesLimit()
        let port = try freePort()
        let consumer = try ConsumerProcess(metricsPort: port)
        try waitForPort(port, seconds: 10)
        var idle: [HTTPTestClient] = []
        for _ in 0..<1000 { idle.append(try HTTPTestClient(port: port)) }
        let health = try HTTPTestClient(port: port).request("GET", "/health")
        #expect(health.status == 200)
        #expect(idle.count == 1000)
        _ = consumer
    }

    @Test func aSteadyFaultLogsAFewLinesNotOnePerMessage() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        try broker.publishHellos(to: consumer.queue, count: 2000, replyTo: TestServices.uniqueName("gone"))
        #expect(try AMQPTestClient.waitUntil(seconds: 30) { try redis.count(consumer.receivedKey) == 2000 && broker.depth(consumer.queue) == 0 })
        #expect(consumer.terminate() == 0)
        let log = consumer.standardError()
        let dropped = log.split(separator: "\n").filter { $0.contains("requester's queue is gone") }
        #expect(dropped.count >= 1 && dropped.count <= 3, "\(dropped.count) lines")
    }

    @Test func aCounterHoldingANonNumberHoldsDeliveriesUntilRepaired() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let port = try freePort()
        let consumer = try ConsumerProcess(metricsPort: port, arguments: ["--amqp-channels", "2"])
        try redis.run("SET", consumer.receivedKey, "not a number")
        try broker.publishHellos(to: consumer.queue, count: 5)
        Thread.sleep(forTimeInterval: 2)
        #expect(try redis.run("GET", consumer.receivedKey) == .bulk(Array("not a number".utf8)), "nothing written")
        #expect(try redis.count(consumer.sentKey) == 0)
        #expect(try broker.take(1, from: consumer.replyQueue, seconds: 0.5).isEmpty, "no reply before the count")
        let health = try HTTPTestClient(port: port).request("GET", "/health")
        #expect(health.status == 503)
        #expect(health.body.contains("\(consumer.receivedKey) holds a non-integer value"), "\(health.body)")

        try redis.delete(consumer.receivedKey)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 5 })
        #expect(try redis.count(consumer.receivedKey) == 5)
        #expect(try broker.depth(consumer.queue) == 0)
        #expect(consumer.terminate() == 0)
        let held = consumer.standardError().split(separator: "\n").filter { $0.contains("holds a non-integer value") }
        #expect(held.count == 2, "logged once by each of the two channels, with the key: \(held)")
        #expect(held.contains { $0.contains("1 of 2") } && held.contains { $0.contains("2 of 2") })
    }

    @Test func aRefusedRedisPasswordIsProbedWithBackOffAndLoggedOnce() throws {
        let redis = try RedisServerProcess()
        let broker = try AMQPTestClient()
        let port = try freePort()
        // The test Redis has no password, so any AUTH is refused.
        let consumer = try ConsumerProcess(redisURL: "redis://:wrong-password@127.0.0.1:\(redis.port)/0", metricsPort: port)
        try broker.publishHellos(to: consumer.queue, count: 3)
        Thread.sleep(forTimeInterval: 3)
        let health = try HTTPTestClient(port: port).request("GET", "/health")
        #expect(health.status == 503)
        #expect(health.body.contains("refused"), "\(health.body)")
        #expect(consumer.terminate() == 0)
        let log = consumer.standardError()
        let lines = log.split(separator: "\n").filter { $0.contains("Redis") && !$0.contains("starting") }
        #expect(lines.count <= 2, "\(lines.count) lines:\n\(lines.joined(separator: "\n"))")
        #expect(!log.contains("wrong-password"))
        #expect(try AMQPTestClient.waitUntil(seconds: 5) { try broker.depth(consumer.queue) == 3 }, "nothing acknowledged")
    }
}
}
