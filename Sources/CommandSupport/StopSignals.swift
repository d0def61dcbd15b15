import Logging
import UnixSignals

/// The signals a service answers: SIGTERM and SIGINT stop it; SIGHUP, whose default action
/// would end the process without draining, is turned into a reload request instead.
/// Trapped from `init` on, so make it before anything that could take long.
public struct StopSignals: Sendable {
    private let signals: UnixSignalsSequence

    public init() async {
        signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
    }

    /// Waits for SIGTERM or SIGINT and logs it; each SIGHUP meanwhile is logged and calls
    /// `reload`.
    public func wait(logger: Logger, reload: () -> Void) async {
        for await signal in signals {
            if signal == .sighup {
                logger.info("SIGHUP: reloading")
                reload()
                continue
            }
            logger.info("stopping", metadata: ["process.signal": "\(signal)"])
            return
        }
    }
}
