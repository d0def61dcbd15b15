import SettingKeys

/// The four `<prefix>.reconnect.*` keys of a reconnect back-off, with the defaults the
/// program gives them.
public struct BackoffSettings: Sendable {
    public let initialMs: Setting<Int>
    public let maxMs: Setting<Int>
    public let multiplier: Setting<Double>
    public let jitter: Setting<Bool>

    /// - Parameter what: what is reconnected to, for help.
    public init(prefix: String, what: String, default backoff: Backoff) {
        initialMs = .integer("\(prefix).reconnect.initialMs", default: Int(backoff.initial.milliseconds), in: 1...600_000,
                             help: "Wait before the first reconnect to \(what), in ms.")
        maxMs = .integer("\(prefix).reconnect.maxMs", default: Int(backoff.maximum.milliseconds), in: 1...3_600_000,
                         help: "Longest wait between reconnects to \(what), in ms.")
        multiplier = .number("\(prefix).reconnect.multiplier", default: backoff.multiplier, in: 1...100,
                             help: "How much longer each further wait for \(what) is.")
        jitter = .boolean("\(prefix).reconnect.jitter", default: backoff.jitter,
                          help: "Wait a random share of each wait (full jitter), so clients cut off together return spread out.")
    }

    public var declarations: [SettingDeclaration] {
        [initialMs.declaration, maxMs.declaration, multiplier.declaration, jitter.declaration]
    }

    public func read(_ source: some SettingValues) throws(SettingsError) -> Backoff {
        let initial = try source.read(initialMs)
        let maximum = try source.read(maxMs)
        guard maximum >= initial else {
            throw SettingsError(key: maxMs.key, source: "configuration", problem: "must not be less than \(initialMs.key) (\(initial))")
        }
        return Backoff(initial: .milliseconds(initial), multiplier: try source.read(multiplier), maximum: .milliseconds(maximum),
                       jitter: try source.read(jitter))
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
