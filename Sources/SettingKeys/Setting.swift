
/// One configuration key, declared once: its name, default, check and help. Each is declared
/// next to the configuration it feeds (the HTTP server's, the Redis store's …) and read
/// through `SettingValues.read`; its flag and environment variable follow from the name, and
/// `--help`, the example configuration and the settings table in docs/configuration.md are
/// made from it.
public struct Setting<Value: Sendable>: Sendable {
    /// The dotted key, as in the JSON file: `redis.timeoutMs`.
    public let key: String
    public let defaultValue: Value
    /// What the key means, in a line.
    public let help: String
    /// The default as help and docs show it, and as the example file holds it.
    public let defaultText: String
    /// The kind of value, for help: `integer`, `string`, `boolean`, `URL` …
    public let kind: String
    /// The default as the example file holds it.
    let example: ExampleValue
    private let read: @Sendable (any SettingValues, String, Value) throws(SettingsError) -> Value

    init(key: String, defaultValue: Value, help: String, defaultText: String, kind: String, example: ExampleValue,
         read: @escaping @Sendable (any SettingValues, String, Value) throws(SettingsError) -> Value) {
        self.key = key
        self.defaultValue = defaultValue
        self.help = help
        self.defaultText = defaultText
        self.kind = kind
        self.example = example
        self.read = read
    }

    /// Reads the key from `source`, falling back to `fallback` (the declared default unless
    /// the program computes one from other keys).
    func value(in source: some SettingValues, default fallback: Value) throws(SettingsError) -> Value {
        try read(source, key, fallback)
    }

    /// The declaration without its type, for listings.
    public var declaration: SettingDeclaration {
        SettingDeclaration(key: key, help: help, defaultText: defaultText, kind: kind, example: example)
    }
}

/// A default as the example configuration file holds it.
public enum ExampleValue: Sendable, Equatable {
    /// Written as is: a number or a boolean.
    case literal(String)
    /// Written as a JSON string.
    case string(String)
    /// Left out: the program computes it from other keys.
    case none
}

/// What a listing needs to know of a `Setting`.
public struct SettingDeclaration: Sendable, Equatable {
    public let key: String
    public let help: String
    public let defaultText: String
    public let kind: String
    /// The default as the example file holds it.
    public let example: ExampleValue

    /// `--redis-timeout-ms`.
    public var flag: String { SettingNames.flag(for: key) }
    /// `BIGGOAL_REDIS_TIMEOUT_MS`.
    public var environmentVariable: String { SettingNames.environmentVariable(for: key) }
}

// MARK: Kinds of setting

extension Setting where Value == Int {
    /// An integer within `range`.
    public static func integer(_ key: String, default value: Int, in range: ClosedRange<Int>, help: String) -> Setting {
        Setting(key: key, defaultValue: value, help: help, defaultText: "\(value)", kind: "integer", example: .literal("\(value)")) {
            source, key, fallback throws(SettingsError) in try source.int(key, default: fallback, in: range)
        }
    }
}

extension Setting where Value == Double {
    /// A number within `range`.
    public static func number(_ key: String, default value: Double, in range: ClosedRange<Double>, help: String) -> Setting {
        Setting(key: key, defaultValue: value, help: help, defaultText: "\(value)", kind: "number", example: .literal("\(value)")) {
            source, key, fallback throws(SettingsError) in try source.double(key, default: fallback, in: range)
        }
    }
}

extension Setting where Value == Bool {
    public static func boolean(_ key: String, default value: Bool, help: String) -> Setting {
        Setting(key: key, defaultValue: value, help: help, defaultText: "\(value)", kind: "boolean", example: .literal("\(value)")) {
            source, key, fallback throws(SettingsError) in try source.bool(key, default: fallback)
        }
    }
}

extension Setting where Value == String {
    /// A string that `check` accepts (it returns the problem, or nil). `defaultText` stands
    /// for a default the program computes from other keys.
    public static func string(_ key: String, default value: String, defaultText: String? = nil, help: String,
                              check: @escaping @Sendable (String) -> String? = { _ in nil }) -> Setting {
        Setting(key: key, defaultValue: value, help: help, defaultText: defaultText ?? value, kind: "string",
                example: defaultText == nil ? .string(value) : .none) {
            source, key, fallback throws(SettingsError) in try source.string(key, default: fallback, validate: check)
        }
    }

    /// A string that must not be empty.
    public static func name(_ key: String, default value: String, help: String) -> Setting {
        string(key, default: value, help: help) { $0.isEmpty ? "must not be empty" : nil }
    }

    /// One of `choices`.
    public static func choice(_ key: String, default value: String, among choices: [String], help: String) -> Setting {
        string(key, default: value, help: help + " (" + choices.joined(separator: ", ") + ")") { text in
            choices.contains(text) ? nil : "must be one of \(choices.joined(separator: ", "))"
        }
    }
}

extension Setting where Value == [String] {
    /// A comma-separated list (a JSON string in the file, as in the environment) whose
    /// elements `check` accepts (it returns the problem, or nil). The problem names the
    /// element by position, never by value: a list may hold secrets.
    public static func list(_ key: String, help: String,
                            check: @escaping @Sendable (String) -> String? = { _ in nil }) -> Setting {
        Setting(key: key, defaultValue: [], help: help, defaultText: "(empty)", kind: "list", example: .string("")) {
            source, key, fallback throws(SettingsError) in
            try source.list(key, default: fallback) { elements in
                for (position, element) in elements.enumerated() {
                    if let problem = check(element) { return "element \(position + 1): \(problem)" }
                }
                return nil
            }
        }
    }
}

extension Setting {
    /// A string turned into a value by `parse`, which throws a description of the problem.
    /// Used for URLs: the error never echoes the text, which may hold a password.
    public static func parsed(_ key: String, default text: String, kind: String, help: String,
                              _ parse: @escaping @Sendable (String) throws -> Value) -> Setting {
        Setting(key: key, defaultValue: try! parse(text), help: help, defaultText: text, kind: kind, example: .string(text)) {
            source, key, _ throws(SettingsError) in try source.parsed(key, default: text, parse)
        }
    }
}

