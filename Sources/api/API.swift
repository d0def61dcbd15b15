import APIApp
import ArgumentParser
import Foundation
import LinuxIO
import Logging
import Metrics
import Prometheus
import Settings
import UnixSignals

@main
enum Main {
    static func main() async {
        // Before any thread starts, so that every thread inherits a mask in which SIGTERM
        // and SIGINT can arrive, whatever the parent blocked.
        ProcessLimits.unblockAllSignals()
        await API.main()
    }
}

/// `api`: the HTTP side of BigGoal.
struct API: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serves the BigGoal HTTP API on its Redis counters.",
        discussion: """
        Settings come from a JSON file (--config or BIGGOAL_CONFIG), then BIGGOAL_* environment \
        variables, then flags; later wins. Every key is also a flag: http.port is --http-port, \
        redis.url is --redis-url. See config.example.json for every key and its default.
        """
    )

    @Option(name: .customLong("config"), help: "A JSON configuration file.")
    var configPath: String?

    @Argument(parsing: .allUnrecognized, help: "Configuration keys as flags, e.g. --http-port 3001.")
    var settingFlags: [String] = []

    func run() async throws {
        guard let settings = await SettingsSource.load(
            program: "api", knownKeys: APISettings.keys, flags: settingFlags, configPath: configPath, APISettings.init
        ) else {
            throw ExitCode(2)
        }
        settings.log.bootstrap()
        let logger = Logger(label: settings.serviceName)
        logger.info("starting", metadata: settings.loggable.mapValues { .string($0) })

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let application = APIApplication(settings: settings, logger: logger, registry: registry)
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        do {
            try application.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        for await signal in signals {
            logger.info("stopping", metadata: ["signal": "\(signal)"])
            break
        }
        application.shutdown()
        logger.info("stopped")
    }
}
