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
    private let process: Process
    private let errorPipe = Pipe()

    public init(
        redisURL: String = TestServices.redisURL,
        amqpURL: String = TestServices.amqpURL,
        queue: String = TestServices.uniqueName("in"),
        receivedKey: String = TestServices.uniqueName("received"),
        sentKey: String = TestServices.uniqueName("sent"),
        replyExchange: String = TestServices.uniqueName("Meow"),
        replyQueue: String = TestServices.uniqueName("sent-queue"),
        metricsPort: Int = 0,
        arguments: [String] = [],
        waitForSubscription: Bool = true
    ) throws {
        self.queue = queue
        self.replyExchange = replyExchange
        self.replyQueue = replyQueue
        self.receivedKey = receivedKey
        self.sentKey = sentKey
        process = try launchBinary("consumer", arguments: [
            "--amqp-url", amqpURL, "--redis-url", redisURL, "--amqp-queue", queue,
            "--amqp-reply-exchange", replyExchange, "--amqp-reply-queue", replyQueue,
            "--amqp-reply-routing-key", replyRoutingKey,
            "--redis-received-key", receivedKey, "--redis-sent-key", sentKey,
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
