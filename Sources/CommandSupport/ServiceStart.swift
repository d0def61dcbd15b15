import Logging
import MetricKeys
import MetricsSetup
import Settings

/// What a long-running service has set up before it wires its application: settings read,
/// logging and metrics bootstrapped, the start-up line logged.
public struct ServiceStart<Settings: ServiceSettings> {
    public let settings: Settings
    public let logger: Logger
    /// Where swift-metrics records; `/metrics` renders it.
    public let metrics: MetricsExposition

    /// The three, for a destructuring `let`.
    public var parts: (Settings, Logger, MetricsExposition) { (settings, logger, metrics) }
}

extension SettingsCommand where Settings: ServiceSettings {
    /// Reads the settings (exit 2 on a bad one), bootstraps logging from them and Prometheus
    /// metrics with the help text of `metricKeys`, and logs the start-up line with the
    /// effective configuration.
    public func startService(metricKeys: [MetricKey]) async throws -> ServiceStart<Settings> {
        let settings = try await loadSettings()
        settings.log.bootstrap()
        let logger = Logger(label: settings.serviceName)
        logger.info("starting", metadata: settings.loggable)
        for warning in settings.secretFiles.compactMap(\.exposureWarning) { logger.warning("\(warning)") }
        let metrics = MetricsExposition.bootstrap(program: Self.configuration.commandName ?? settings.serviceName, version: bigGoalVersion, keys: metricKeys)
        return ServiceStart(settings: settings, logger: logger, metrics: metrics)
    }
}
