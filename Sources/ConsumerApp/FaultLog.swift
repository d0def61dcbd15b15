import Logging

/// Logs faults that can repeat once per message without flooding the log: the first of a
/// kind at once, then at most one line per kind per interval, carrying how many happened
/// since the last line. A hostile publisher sending thousands of bad messages costs a few
/// lines, not thousands.
///
/// Thread-confined (the consumer thread).
final class FaultLog {
    private struct Kind {
        var lastLogged: ContinuousClock.Instant
        var unlogged = 0
        var level: Logger.Level
        var message: Logger.Message
        var metadata: Logger.Metadata
    }

    private let logger: Logger
    private let interval: Duration
    private var kinds: [String: Kind] = [:]

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Reports one fault of `kind`, logged now unless a line of that kind was logged within
    /// the interval.
    func report(_ kind: String, _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
                metadata: @autoclosure () -> Logger.Metadata = [:], now: ContinuousClock.Instant = .now) {
        if var known = kinds[kind], now - known.lastLogged < interval {
            known.unlogged += 1
            known.message = message()
            known.metadata = metadata()
            kinds[kind] = known
            return
        }
        let unlogged = kinds[kind]?.unlogged ?? 0
        var metadata = metadata()
        metadata["fault.kind"] = "\(kind)"
        if unlogged > 0 { metadata["fault.alsoSinceLastLine"] = "\(unlogged)" }
        logger.log(level: level, message(), metadata: metadata)
        kinds[kind] = Kind(lastLogged: now, level: level, message: message(), metadata: metadata)
    }

    /// Logs, for every kind whose interval has passed, how many happened since its last
    /// line; called now and then so the tail of a burst is not left untold.
    func flush(now: ContinuousClock.Instant = .now) {
        for (name, kind) in kinds where now - kind.lastLogged >= interval {
            if kind.unlogged > 0 {
                var metadata = kind.metadata
                metadata["fault.alsoSinceLastLine"] = "\(kind.unlogged)"
                logger.log(level: kind.level, kind.message, metadata: metadata)
                kinds[name] = Kind(lastLogged: now, level: kind.level, message: kind.message, metadata: kind.metadata)
            } else {
                kinds[name] = nil
            }
        }
    }
}
