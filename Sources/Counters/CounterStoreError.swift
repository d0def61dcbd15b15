/// The store could not answer: it is down, stalled, slow or refused the command.
public struct CounterStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for logs and the health endpoint; never contains credentials.
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
