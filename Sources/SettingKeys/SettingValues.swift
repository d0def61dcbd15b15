/// Where settings are read from: the typed reads a `Setting` is made of. The `Settings`
/// module's `SettingsSource` is the real one (a file, the environment and flags); each read
/// checks the value and throws an error naming the key, where the value came from and what
/// is wrong.
///
/// Adapters declare their keys next to their configuration and read them through this
/// protocol, so they know nothing of files, variables or flags.
public protocol SettingValues {
    /// An integer within `range`, or `fallback` when no layer sets it.
    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(SettingsError) -> Int

    /// A number within `range`, or `fallback` when no layer sets it.
    func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws(SettingsError) -> Double

    /// A boolean, or `fallback` when no layer sets it.
    func bool(_ key: String, default fallback: Bool) throws(SettingsError) -> Bool

    /// A string that `validate` accepts (it returns the problem, or nil).
    func string(_ key: String, default fallback: String, validate: (String) -> String?) throws(SettingsError) -> String

    /// A list that `validate` accepts (it returns the problem, or nil): comma-separated in
    /// the environment and on the command line, an array or a comma-separated string in the
    /// file; elements trimmed, empty ones dropped.
    func list(_ key: String, default fallback: [String], validate: ([String]) -> String?) throws(SettingsError) -> [String]

    /// A string turned into a value by `parse`, which throws a description of the problem;
    /// the error never echoes the text, which may hold a password.
    func parsed<Value>(_ key: String, default text: String, _ parse: (String) throws -> Value) throws(SettingsError) -> Value
}

extension SettingValues {
    /// The value of `setting`, or its default when no layer sets it.
    public func read<Value>(_ setting: Setting<Value>) throws(SettingsError) -> Value {
        try setting.value(in: self, default: setting.defaultValue)
    }

    /// The value of `setting`, or `fallback` when no layer sets it: for defaults computed
    /// from other keys.
    public func read<Value>(_ setting: Setting<Value>, default fallback: Value) throws(SettingsError) -> Value {
        try setting.value(in: self, default: fallback)
    }
}

/// How a key is spelled as a flag and as an environment variable.
public enum SettingNames {
    /// The flag spelling, as swift-configuration's command-line provider reads it:
    /// `http.eventLoops` is `--http-event-loops`.
    public static func flag(for key: String) -> String {
        "--" + key.split(separator: ".").map { component in
            var dashed = ""
            var previousWasLowercase = false
            for character in component {
                if character.isUppercase, previousWasLowercase { dashed.append("-") }
                dashed.append(character)
                previousWasLowercase = character.isLowercase
            }
            return dashed.lowercased()
        }.joined(separator: "-")
    }

    /// The environment spelling: `amqp.reply.routingKey` is `BIGGOAL_AMQP_REPLY_ROUTING_KEY`.
    public static func environmentVariable(for key: String) -> String {
        "BIGGOAL_" + String(flag(for: key).dropFirst(2).uppercased().map { $0 == "-" ? "_" : $0 })
    }
}
