import Foundation
import Glibc

/// The built `consumer` binary with queue, exchange and counter names of its own.
public final class ConsumerProcess: @unchecked Sendable {
    // Names are immutable; the process is only signalled and polled.
    public let queue: String
    public let replyExchange: String
    public let replyQueue: String
    public let replyRoutingKey = "meow1"
    public let receivedKey: String
    public let sentKey: String
    /// The prefix of this consumer's dedupe marks.
    public let dedupePrefix: String
    /// Whether the keys and the queues were made here (and are deleted with the process)
    /// rather than given by a test that may start another consumer on them.
    private let ownsKeys: Bool
    private let ownsQueues: Bool
    private let process: Process
    private let errorPipe = Pipe()

    public init(
        redisURL: String = TestServices.redisURL,
        amqpURL: String = TestServices.amqpURL,
        queue: String? = nil,
        receivedKey: String? = nil,
        sentKey: String? = nil,
        replyExchange: String? = nil,
        replyQueue: String? = nil,
        dedupePrefix: String? = nil,
        metricsPort: Int = 0,
        arguments: [String] = [],
        waitForSubscription: Bool = true
    ) throws {
        ownsKeys = [receivedKey, sentKey, dedupePrefix].allSatisfy { $0 == nil }
        ownsQueues = [queue, replyQueue].allSatisfy { $0 == nil }
        let queue = queue ?? TestServices.uniqueName("in")
        let replyQueue = replyQueue ?? TestServices.uniqueName("sent-queue")
        self.queue = queue
        self.replyExchange = replyExchange ?? TestServices.uniqueName("Meow")
        self.replyQueue = replyQueue
        self.receivedKey = receivedKey ?? TestServices.uniqueName("received")
        self.sentKey = sentKey ?? TestServices.uniqueName("sent")
        self.dedupePrefix = dedupePrefix ?? TestServices.uniqueName("dedupe") + ":"
        process = try launchBinary("consumer", arguments: [
            "--amqp-url", amqpURL, "--redis-url", redisURL, "--amqp-queue", self.queue,
            "--amqp-reply-exchange", self.replyExchange, "--amqp-reply-queue", self.replyQueue,
            "--amqp-reply-routing-key", replyRoutingKey,
            "--redis-received-key", self.receivedKey, "--redis-sent-key", self.sentKey, "--redis-dedupe-prefix", self.dedupePrefix,
            "--consumer-metrics-port", String(metricsPort),
        ] + arguments, standardError: errorPipe)
        if waitForSubscription {
            // Subscribed once the queue and the reply queue exist. A passive declare of a
            // missing queue closes the channel, so each look uses a fresh client.
            _ = AMQPTestClient.waitUntil(seconds: 15) {
                guard let client = try? AMQPTestClient() else { return false }
                return (try? client.depth(replyQueue)) != nil && (try? client.depth(queue)) != nil
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    deinit {
        stopProcess(process, signal: SIGKILL)
        // What the consumer wrote and declared, best effort: the services outlive the test.
        if ownsKeys, let redis = try? TestServices.redis() {
            try? redis.delete(receivedKey, sentKey)
            try? redis.deleteKeys(prefixed: dedupePrefix)
        }
        if ownsQueues, let broker = try? AMQPTestClient() {
            for name in [queue, replyQueue, queue + ".dead"] { try? broker.deleteQueue(name) }
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { isAlive(pid) }

    /// SIGTERM, then the exit status once it ended (nil if still running after `timeout`).
    public func terminate(timeout: TimeInterval = 10) -> Int32? {
        terminateProcess(process, timeout: timeout)
    }

    /// Waits for the process to end by itself; its exit status, or nil after `timeout`.
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        ServiceTestSupport.waitForExit(process, timeout: timeout)
    }

    /// Standard error, once the process has ended.
    public func standardError() -> String {
        String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

/// Runs the `publish` binary to completion, against the test broker.
public func runPublish(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runBinary("publish", arguments: ["--amqp-url", TestServices.amqpURL] + arguments)
}
