import AMQP
import Foundation
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
        let consumer = try ConsumerProcess(arguments: ["--service-name", "consumer-under-test", "--amqp-heartbeat-seconds", "17", "--amqp-prefetch", "37"])
        let connections = try rabbitmqctl("list_connections", "-q", "client_properties", "timeout")
        let ours = try #require(connections.split(separator: "\n").first { $0.contains("consumer-under-test\"") && !$0.contains("(publisher)") })
        #expect(ours.hasSuffix("\t17"), "\(ours)")
        let channels = try rabbitmqctl("list_channels", "-q", "prefetch_count", "consumer_count")
        #expect(channels.split(separator: "\n").contains { $0 == "37\t1" }, "\(channels)")
        _ = consumer
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

extension BrokerTests {
@Suite("consumer: exactly once")
struct ConsumerExactlyOnceTests {
    @Test func publisherSideDuplicatesCountOnce() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess()
        let prefix = TestServices.uniqueName("dup")
        try broker.publishHellos(to: consumer.queue, count: 300, prefix: prefix)
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 300 })
        // The same ids again, as a publisher retrying would send them.
        try broker.publishHellos(to: consumer.queue, count: 100, prefix: prefix)
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try broker.depth(consumer.queue) == 0 })
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try redis.count(consumer.receivedKey) == 300)
        #expect(try redis.count(consumer.sentKey) == 300)
        let replies = try broker.take(400, from: consumer.replyQueue, seconds: 3)
        #expect(replies.count == 300)
        #expect(Set(replies.compactMap(\.properties.messageID)).count == 300)
        #expect(replies.first?.properties.messageID?.hasPrefix("reply-\(prefix)-") == true)
    }

    @Test func killedMidStreamStillCountsExactly() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let queue = TestServices.uniqueName("kill")
        let received = TestServices.uniqueName("received")
        let sent = TestServices.uniqueName("sent")
        let replyExchange = TestServices.uniqueName("Meow")
        let replyQueue = TestServices.uniqueName("sent-queue")
        func start() throws -> ConsumerProcess {
            try ConsumerProcess(queue: queue, receivedKey: received, sentKey: sent, replyExchange: replyExchange, replyQueue: replyQueue)
        }
        var consumer = try start()
        try broker.publishHellos(to: queue, count: 3000)
        for _ in 0..<3 {
            _ = AMQPTestClient.waitUntil(seconds: 10) { ((try? redis.count(received)) ?? 0) > 0 }
            Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.1))
            kill(consumer.pid, SIGKILL)
            _ = consumer.waitForExit(timeout: 5)
            consumer = try start()
        }
        #expect(try AMQPTestClient.waitUntil(seconds: 60) { try redis.count(sent) == 3000 && broker.depth(queue) == 0 })
        #expect(try redis.count(received) == 3000)
        // A reply may have gone out twice (a kill between its publish and its confirm), but
        // always with the same id: 3,000 distinct reply ids.
        let replies = try broker.take(6000, from: replyQueue, seconds: 3)
        #expect(Set(replies.compactMap(\.properties.messageID)).count == 3000)
    }
}
}

extension BrokerTests {
@Suite("consumer: metrics and health")
struct ConsumerMetricsTests {
    @Test func knownTrafficMovesTheMetrics() throws {
        let redisServer = try RedisServerProcess()
        let broker = try AMQPTestClient()
        let port = try freePort()
        let consumer = try ConsumerProcess(redisURL: redisServer.url, metricsPort: port)
        let redis = try RedisTestClient(host: "127.0.0.1", port: redisServer.port)
        let prefix = TestServices.uniqueName("m")
        try broker.publishHellos(to: consumer.queue, count: 5, prefix: prefix)
        try broker.publish(to: consumer.queue, properties: AMQPProperties(type: "goodbye"), body: [], count: 2)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 5 })
        try broker.publishHellos(to: consumer.queue, count: 1, prefix: prefix)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try broker.depth(consumer.queue) == 0 })
        Thread.sleep(forTimeInterval: 0.3)

        let client = try HTTPTestClient(port: port)
        let health = try client.request("GET", "/health")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#)
        let samples = try parsePrometheus(try client.request("GET", "/metrics").body)
        #expect(samples.value("biggoal_consumer_deliveries_total", ["outcome": "hello"]) == 5)
        #expect(samples.value("biggoal_consumer_deliveries_total", ["outcome": "ignored"]) == 2)
        #expect(samples.value("biggoal_consumer_deliveries_total", ["outcome": "duplicate"]) == 1)
        #expect(samples.value("biggoal_consumer_replies_total", ["outcome": "confirmed"]) == 5)
        #expect((samples.value("biggoal_consumer_processing_duration_seconds_count") ?? 0) >= 8)
        #expect(samples.value("biggoal_consumer_reconnects_total") == 0)
        #expect(samples.value("biggoal_consumer_prefetch_in_flight") == 0)

        // Redis down: the health endpoint says so, with the reason.
        redisServer.kill()
        try broker.publishHellos(to: consumer.queue, count: 1)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try HTTPTestClient(port: port).request("GET", "/health").status == 503 })
        #expect(try HTTPTestClient(port: port).request("GET", "/health").body.contains("Redis"))
        try redisServer.start()
        #expect(try AMQPTestClient.waitUntil(seconds: 15) { try HTTPTestClient(port: port).request("GET", "/health").status == 200 })
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

extension BrokerTests {
@Suite("AMQP wrapper against the real broker")
struct AMQPConnectionTests {
    @Test func aRefusedOperationClosesOnlyItsOwnChannel() throws {
        let components = try #require(URLComponents(string: TestServices.amqpURL))
        let connection = try AMQPConnection(AMQPConnection.Options(
            host: components.host ?? "127.0.0.1", port: components.port ?? 5672, user: "guest", password: "guest",
            virtualHost: "/", heartbeatSeconds: 0, connectionName: "biggoal-wrapper-test"
        ))
        defer { connection.close(channels: []) }
        try connection.openChannel(1)
        try connection.openChannel(3)
        let missing = TestServices.uniqueName("missing")
        do {
            _ = try connection.messageCount(missing, channel: 3)
            Issue.record("a passive declare of a missing queue succeeded")
        } catch {
            #expect(error.code == .channelClosed)
            #expect(error.replyCode == 404)
        }
        // The close was answered on channel 3: the channel opens again and the connection
        // and channel 1 are untouched.
        try connection.openChannel(3)
        let queue = TestServices.uniqueName("reopened")
        try connection.declareQueue(queue, durable: false, channel: 3)
        #expect(try connection.messageCount(queue, channel: 1) == 0)
        try connection.deleteQueue(queue, channel: 1)
    }
}
}
