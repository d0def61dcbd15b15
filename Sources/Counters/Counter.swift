/// The two counts the service keeps.
public enum Counter: Sendable, CaseIterable {
    /// Hellos received by the consumer (or posted to `/receive`).
    case received
    /// Replies sent for them (or posted to `/sent`).
    case sent
}
