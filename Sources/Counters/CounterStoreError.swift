/// The store could not count: it is down, stalled, refused us, or holds data it cannot
/// count on.
public struct CounterStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for callers to match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case unavailable, refused, invalidData
        }

        private let base: Base

        /// Down, stalled, too slow, or the connection broke: try again later.
        public static let unavailable = Code(base: .unavailable)
        /// The store answered but refused us (a wrong password, say): retrying as we are
        /// will not help until the setting or the server changes.
        public static let refused = Code(base: .refused)
        /// A key holds what we cannot count on (a counter that is not an integer). Nothing was
        /// written; a person has to repair the key.
        public static let invalidData = Code(base: .invalidData)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What went wrong, for logs and the health endpoint; never contains credentials.
    public let reason: String
    /// The store's own error, with its codes, when one caused this.
    public let underlying: (any Error & Sendable)?

    public init(_ code: Code = .unavailable, reason: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
    }

    public var description: String { reason }
}

extension CounterStoreError: Equatable {
    /// Equal when code and reason are: the underlying error is detail.
    public static func == (lhs: CounterStoreError, rhs: CounterStoreError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason
    }
}
