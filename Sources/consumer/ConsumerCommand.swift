import ArgumentParser
import ConsumerApp
import Foundation
import HTTPServer
import LinuxIO
import Logging
import Metrics
import Prometheus
import Settings
import UnixSignals

@main
enum Main {
    static func main() async {
        // Before any thread starts, so that SIGTERM and SIGINT can arrive whatever the
        // parent blocked.
        ProcessLimits.unblockAllSignals()
        await ConsumerCommand.main()
    }
}

/// `consumer`: counts and answers hellos from RabbitMQ.
struct ConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer",
        abstract: "Takes hello messages from RabbitMQ, counts them in Redis and answers each one.",
        discussion: """
        Settings come from a JSON file (--config or BIGGOAL_CONFIG), then BIGGOAL_* environment \
        variables, then flags; later wins. Every key is also a flag: amqp.url is --amqp-url, \
        amqp.reply.routingKey is --amqp-reply-routing-key.
        """
    )

    @Option(name: .customLong("config"), help: "A JSON configuration file.")
    var configPath: String?

    @Argument(parsing: .allUnrecognized, help: "Configuration keys as flags, e.g. --amqp-queue TestQueue.")
    var settingFlags: [String] = []

    func run() async throws {
        guard let settings = await SettingsSource.load(
            program: "consumer", knownKeys: ConsumerSettings.keys, flags: settingFlags, configPath: configPath, ConsumerSettings.init
        ) else {
            throw ExitCode(2)
        }
        settings.log.bootstrap()
        let logger = Logger(label: settings.serviceName)
        logger.info("starting", metadata: settings.loggable.mapValues { .string($0) })
        ProcessLimits.ignoreBrokenPipes()
        ProcessLimits.raiseOpenFilesLimit()

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let consumer = Consumer(settings: settings, logger: logger)
        var statusServer: HTTPServer?
        if settings.metricsPort != 0 {
            // Scrapers and probes are few and quick: idle sockets are closed after 5 s, and
            // there is room for a thousand of them, so holding sockets open cannot lock
            // the probes out.
            let configuration = HTTPServerConfiguration(
                host: settings.metricsHost, port: settings.metricsPort, eventLoops: 1, maxConnections: 1024,
                headerTimeoutMilliseconds: 5000, idleTimeoutMilliseconds: 5000
            )
            let server = HTTPServer(configuration: configuration, logger: logger) { [health = consumer.health] _ in
                ConsumerStatusResponder(registry: registry, health: health)
            }
            do {
                try server.start()
            } catch {
                logger.critical("cannot serve metrics", metadata: ["port": "\(settings.metricsPort)", "error": "\(error)"])
                throw ExitCode(1)
            }
            statusServer = server
        }
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                try consumer.run()
            } catch {
                outcome.set("\(error)")
            }
            finished.signal()
        }
        thread.name = "consumer"
        thread.start()

        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let watcher = Task {
            for await signal in signals {
                logger.info("stopping", metadata: ["signal": "\(signal)"])
                consumer.requestStop()
                break
            }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                finished.wait()
                continuation.resume()
            }
        }
        watcher.cancel()
        statusServer?.shutdown()
        if let failure = outcome.value {
            FileHandle.standardError.write(Data("consumer: the broker refused: \(failure)\n".utf8))
            throw ExitCode(2)
        }
        logger.info("stopped")
    }
}

/// The consumer thread's failure, read after it ended.
final class Outcome: @unchecked Sendable {
    // Written once by the consumer thread before it signals `finished`; read after.
    private(set) var value: String?
    func set(_ value: String) { self.value = value }
}
