import AMQP
import Foundation
import ServiceTestSupport
import Testing

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

    /// `amqp.channels`: the queue is drained over several channels at once, each with its
    /// own connections and Redis connection, and every hello is still counted and answered once.
    @Test func severalChannelsDrainTheQueueExactlyOnce() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let consumer = try ConsumerProcess(arguments: ["--amqp-channels", "3", "--amqp-prefetch", "50"])
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try broker.consumers(consumer.queue) == 3 })
        let prefix = TestServices.uniqueName("lanes")
        try broker.publishHellos(to: consumer.queue, count: 3000, prefix: prefix)
        try broker.publishHellos(to: consumer.queue, count: 500, prefix: prefix)
        #expect(try AMQPTestClient.waitUntil(seconds: 30) { try redis.count(consumer.sentKey) == 3000 && broker.depth(consumer.queue) == 0 })
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try redis.count(consumer.receivedKey) == 3000)
        #expect(try redis.count(consumer.sentKey) == 3000)
        let replies = try broker.take(4000, from: consumer.replyQueue, seconds: 3)
        #expect(Set(replies.compactMap(\.properties.messageID)).count == 3000)
        #expect(consumer.terminate() == 0)
        let log = consumer.standardError()
        for lane in 1...3 { #expect(log.contains("\(lane) of 3"), "each channel says it is consuming: \(log)") }
    }

    @Test func killedMidStreamStillCountsExactly() throws {
        let redis = try TestServices.redis()
        let broker = try AMQPTestClient()
        let queue = TestServices.uniqueName("kill")
        let received = TestServices.uniqueName("received")
        let sent = TestServices.uniqueName("sent")
        let replyExchange = TestServices.uniqueName("Meow")
        let replyQueue = TestServices.uniqueName("sent-queue")
        let dedupe = TestServices.uniqueName("dedupe") + ":"
        // Every consumer of the test shares the names, so the test cleans them up.
        defer {
            try? redis.delete(received, sent)
            try? redis.deleteKeys(prefixed: dedupe)
            for name in [queue, replyQueue, queue + ".dead"] { try? broker.deleteQueue(name) }
        }
        func start() throws -> ConsumerProcess {
            try ConsumerProcess(queue: queue, receivedKey: received, sentKey: sent, replyExchange: replyExchange, replyQueue: replyQueue,
                                dedupePrefix: dedupe)
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
