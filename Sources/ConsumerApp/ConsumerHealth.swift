import Synchronization

/// Whether the consumer is working, as its `/health` endpoint reports it. Written by the
/// consumer thread, read by the metrics server's loop.
public final class ConsumerHealth: Sendable {
    private let problem = Mutex<String?>("starting")

    public init() {}

    /// Nil when healthy, else what is wrong.
    public var currentProblem: String? { problem.withLock { $0 } }

    func set(_ newProblem: String?) {
        problem.withLock { $0 = newProblem }
    }
}
