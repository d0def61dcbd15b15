import APIApp
import ArgumentParser
import CommandSupport
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
        await API.launch()
    }
}

/// `api`: the HTTP side of BigGoal.
struct API: SettingsCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serves the BigGoal HTTP API on its Redis counters.",
        discussion: settingsHelp(),
        version: versionText(program: "api", libraries: [RedisConnection.libraryVersion])
    )

    @OptionGroup var options: SettingsOptions<APISettings>
    @OptionGroup var healthCheck: HealthCheckOption

    func run() async throws {
        if healthCheck.requested { try await checkHealthAndExit() }
        let (settings, logger, metrics) = try await startService(metricKeys: APIApplication.metricKeys).parts

        let application = APIApplication(settings: settings, logger: logger, metrics: metrics)
        let signals = await StopSignals()
        do {
            try application.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        await signals.wait(logger: logger, reload: application.reload)
        application.shutdown()
        logger.info("stopped")
    }
}
