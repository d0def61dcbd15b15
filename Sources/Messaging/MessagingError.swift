/// A broker failure as the application sees it.
public struct MessagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, with the broker's reason when it gave one.
    public let reason: String
    /// Whether retrying cannot help (refused credentials, mismatched declarations).
    public let isPermanent: Bool

    public init(reason: String, isPermanent: Bool = false) {
        self.reason = reason
        self.isPermanent = isPermanent
    }

    public var description: String { reason }
}
