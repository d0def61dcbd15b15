import Dispatch
import HTTPServer
import LinuxIO
import Logging
import Messaging
import MetricKeys
import MetricsSetup
import RedisCounterStore
import SettingKeys
import Settings
import Synchronization

/// The `consumer` service wired from its settings: the consumer on a thread of its own
/// (a librabbitmq connection belongs to one thread) and, unless turned off, the status
/// server with `/metrics` and `/health`.
public final class ConsumerApplication: Sendable {
    private let consumer: Consumer
    private let statusServer: HTTPServer?
    private let logger: Logger
    private let secretFiles: [SecretFile]
    private let outcome = Mutex<MessagingError?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    /// What the consumer records, for the metrics bootstrap.
    public static let metricKeys = ConsumerMetrics.keys + RedisCounterStore.metricKeys

    /// - Parameter metrics: what swift-metrics was bootstrapped with (declaring
    ///   `metricKeys`); `/metrics` renders it.
    public init(settings: ConsumerSettings, logger: Logger, metrics: MetricsExposition) {
        consumer = Consumer(settings: settings, logger: logger)
        self.logger = logger
        secretFiles = settings.secretFiles
        guard settings.metricsPort != 0 else {
            statusServer = nil
            return
        }
        // Scrapers and probes are few and quick: idle sockets are closed after 5 s, and there
        // is room for a thousand of them, so holding sockets open cannot lock the probes out.
        let configuration = HTTPServerConfiguration(
            host: settings.metricsHost, port: settings.metricsPort, eventLoops: 1, maxConnections: 1024,
            headerTimeoutMilliseconds: 5000, bodyTimeoutMilliseconds: 5000, idleTimeoutMilliseconds: 5000
        )
        statusServer = HTTPServer(configuration: configuration, logger: logger) { [health = consumer.health] _ in
            ConsumerStatusResponder(metrics: metrics, health: health)
        }
    }

    /// Starts the status server (throwing when its port cannot be bound) and the consumer.
    public func start() throws {
        ProcessLimits.ignoreBrokenPipes()
        ProcessLimits.raiseOpenFilesLimit()
        try statusServer?.start()
        Threads.start(name: "consumer") { [self] in
            do throws(MessagingError) {
                try consumer.run()
            } catch {
                outcome.withLock { $0 = error }
            }
            finished.signal()
        }
    }

    /// What may change without a restart needs no signal here: the password files are read
    /// for each new connection. Says so, naming them.
    public func reload() {
        let files = secretFiles.map(\.key)
        logger.info(files.isEmpty ? "nothing to reload: no password files are configured"
                                  : "password files are read for each new connection; nothing else to reload",
                    metadata: files.isEmpty ? [:] : ["keys": "\(files.joined(separator: ","))"])
    }

    /// Asks the consumer to finish what is out and stop. Safe from any thread.
    public func requestStop() {
        consumer.requestStop()
    }

    /// Waits until the consumer has stopped, then stops the status server. Returns the
    /// broker's refusal that stopped it, if one did (nil after a requested stop).
    public func waitUntilStopped() async -> MessagingError? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [finished] in
                finished.wait()
                continuation.resume()
            }
        }
        statusServer?.shutdown()
        return outcome.withLock { $0 }
    }
}
