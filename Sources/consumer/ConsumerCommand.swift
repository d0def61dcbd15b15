import AMQP
import ArgumentParser
import CommandSupport
import ConsumerApp
import LinuxIO
import Logging
import Redis
import Settings

@main
enum Main {
    static func main() async {
        // Before any thread starts, so that every thread inherits a mask in which SIGTERM
        // and SIGINT can arrive, whatever the parent blocked.
        ProcessLimits.unblockAllSignals()
        await ConsumerCommand.launch()
    }
}

/// `consumer`: counts and answers hellos from RabbitMQ.
struct ConsumerCommand: SettingsCommand {
    typealias Settings = ConsumerSettings

    static let configuration = CommandConfiguration(
        commandName: "consumer",
        abstract: "Takes hello messages from RabbitMQ, counts them in Redis and answers each one.",
        discussion: settingsHelp(),
        version: versionText(program: "consumer", libraries: [RedisConnection.libraryVersion, AMQPConnection.libraryVersion])
    )

    @OptionGroup var options: SettingsOptions<ConsumerSettings>
    @OptionGroup var healthCheck: HealthCheckOption

    func run() async throws {
        if healthCheck.requested { try await checkHealthAndExit() }
        let (settings, logger, metrics) = try await startService(metricKeys: ConsumerApplication.metricKeys).parts

        let application = ConsumerApplication(settings: settings, logger: logger, metrics: metrics)
        let signals = await StopSignals()
        do {
            try application.start()
        } catch {
            logger.critical("cannot serve metrics", metadata: ["consumer.metricsPort": "\(settings.metricsPort)", "error": "\(error)"])
            throw ExitCode(1)
        }
        let watcher = Task {
            await signals.wait(logger: logger, reload: application.reload)
            application.requestStop()
        }
        let refusal = await application.waitUntilStopped()
        watcher.cancel()
        if let refusal {
            printError("cannot go on: \(refusal)")
            throw ExitCode(2)
        }
        logger.info("stopped")
    }
}
