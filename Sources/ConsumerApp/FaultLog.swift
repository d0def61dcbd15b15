import Logging
import Synchronization

/// Logs faults that can repeat once per message without flooding the log: the first of a
/// kind at once, then at most one line per kind per interval, carrying how many happened
/// since the last line. A hostile publisher sending thousands of bad messages costs a few
/// lines, not thousands.
///
/// One per process, shared by the consumer's channels (`amqp.channels`): a fault that every
/// channel meets is still one line.
final class FaultLog: Sendable {
    private struct Kind {
        var lastLogged: ContinuousClock.Instant
        var unlogged = 0
        var level: Logger.Level
        var message: Logger.Message
        var metadata: Logger.Metadata
    }

    private let logger: Logger
    private let interval: Duration
    private let kinds = Mutex<[String: Kind]>([:])

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Reports one fault of `kind`, logged now unless a line of that kind was logged within
    /// the interval.
    func report(_ kind: String, _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
                metadata: @autoclosure () -> Logger.Metadata = [:], now: ContinuousClock.Instant = .now) {
        let (message, metadata) = (message(), metadata())
        let line = kinds.withLock { kinds -> Logger.Metadata? in
            if var known = kinds[kind], now - known.lastLogged < interval {
                known.unlogged += 1
                known.message = message
                known.metadata = metadata
                kinds[kind] = known
                return nil
            }
            let unlogged = kinds[kind]?.unlogged ?? 0
            var line = metadata
            line["fault.kind"] = "\(kind)"
            if unlogged > 0 { line["fault.alsoSinceLastLine"] = "\(unlogged)" }
            kinds[kind] = Kind(lastLogged: now, level: level, message: message, metadata: line)
            return line
        }
        if let line { logger.log(level: level, message, metadata: line) }
    }

    /// Logs, for every kind whose interval has passed, how many happened since its last
    /// line; called now and then so the tail of a burst is not left untold.
    func flush(now: ContinuousClock.Instant = .now) {
        let lines = kinds.withLock { kinds -> [(Logger.Level, Logger.Message, Logger.Metadata)] in
            var lines: [(Logger.Level, Logger.Message, Logger.Metadata)] = []
            for (name, kind) in kinds where now - kind.lastLogged >= interval {
                if kind.unlogged > 0 {
                    var metadata = kind.metadata
                    metadata["fault.alsoSinceLastLine"] = "\(kind.unlogged)"
                    lines.append((kind.level, kind.message, metadata))
                    kinds[name] = Kind(lastLogged: now, level: kind.level, message: kind.message, metadata: kind.metadata)
                } else {
                    kinds[name] = nil
                }
            }
            return lines
        }
        for (level, message, metadata) in lines { logger.log(level: level, message, metadata: metadata) }
    }
}
