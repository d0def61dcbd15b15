import Configuration
import SettingKeys
import FoundationEssentials
import LinuxIO
import Synchronization
import SystemPackage

/// The layered configuration: a JSON file, then `BIGGOAL_*` environment variables, then
/// command-line flags, later winning; read through swift-configuration.
///
/// On top of the library it adds what an operator needs when a value is wrong: every read
/// is checked, and a failure names the key, the source that supplied the value (file,
/// variable or flag) and the problem. Keys nobody reads are reported by name.
public struct SettingsSource: SettingValues, Sendable {
    /// Every key the program reads.
    private let knownKeys: Set<String>
    private let reader: ConfigReader
    private let lastAccess: LastAccess
    private let filePath: String?

    /// Loads the layers.
    ///
    /// - Parameters:
    ///   - knownKeys: the dotted keys the program reads; a flag for any other key is an
    ///     error. The file may also hold the keys of the other BigGoal programs, so that one
    ///     file serves them all; any other key in it is an error.
    ///   - flags: the command-line arguments left after the program's own options, such as
    ///     `--http-port 3001`.
    ///   - environment: the process environment.
    ///   - filePath: the JSON file, from `--config` or `BIGGOAL_CONFIG`.
    public static func load(
        knownKeys: Set<String>,
        flags: [String],
        environment: [String: String],
        filePath: String?
    ) async throws(SettingsError) -> SettingsSource {
        try checkFlags(flags, knownKeys: knownKeys)
        var providers: [any ConfigProvider] = [
            CommandLineArgumentsProvider(arguments: ["biggoal"] + flags),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "biggoal"),
        ]
        if let filePath {
            try checkFileKeys(filePath, knownKeys: knownKeys.union(SettingsCatalog.everyKey))
            do {
                providers.append(try await FileProvider<JSONSettingsSnapshot>(filePath: FilePath(filePath)))
            } catch {
                throw SettingsError(key: "config", source: "file \(filePath)", problem: "cannot be read: \(error)")
            }
        }
        let lastAccess = LastAccess()
        let reader = ConfigReader(providers: providers, accessReporter: lastAccess)
        return SettingsSource(knownKeys: knownKeys, reader: reader, lastAccess: lastAccess, filePath: filePath)
    }

    /// A source in which no layer sets anything: every read gives the default.
    static func defaults(knownKeys: Set<String>) -> SettingsSource {
        let lastAccess = LastAccess()
        let nothingSet = InMemoryProvider(values: [:])
        return SettingsSource(knownKeys: knownKeys, reader: ConfigReader(providers: [nothingSet], accessReporter: lastAccess),
                              lastAccess: lastAccess, filePath: nil)
    }

    // MARK: Typed reads

    /// An integer within `range`, or `defaultValue` when no layer sets it.
    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        try ranged(key, expected: "an integer", in: range) { reader.int(forKey: ConfigKey(key), default: defaultValue) }
    }

    /// A number within `range`, or `defaultValue` when no layer sets it.
    public func double(_ key: String, default defaultValue: Double, in range: ClosedRange<Double>) throws(SettingsError) -> Double {
        try ranged(key, expected: "a number", in: range) { reader.double(forKey: ConfigKey(key), default: defaultValue) }
    }

    /// What `read` gives for `key`, checked against its type and `range`.
    private func ranged<Value: Comparable>(_ key: String, expected: String, in range: ClosedRange<Value>,
                                           _ read: () -> Value) throws(SettingsError) -> Value {
        precondition(knownKeys.contains(key), "\(key) is not a known key")
        let value = read()
        let origin = try origin(of: key, expected: expected)
        guard range.contains(value) else {
            throw SettingsError(key: key, source: origin, problem: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A string that `validate` accepts (it returns the problem, or `nil`).
    public func string(
        _ key: String,
        default defaultValue: String,
        validate: (String) -> String?
    ) throws(SettingsError) -> String {
        let (value, origin) = try readString(key, default: defaultValue)
        if let problem = validate(value) {
            throw SettingsError(key: key, source: origin, problem: problem)
        }
        return value
    }

    /// A string turned into another value by `parse`, which throws a description of the
    /// problem. Used for URLs; the error never echoes the value, which may hold a password.
    public func parsed<Value>(
        _ key: String,
        default defaultValue: String,
        _ parse: (String) throws -> Value
    ) throws(SettingsError) -> Value {
        let (text, origin) = try readString(key, default: defaultValue)
        do {
            return try parse(text)
        } catch {
            throw SettingsError(key: key, source: origin, problem: "\(error)")
        }
    }

    public func list(_ key: String, default fallback: [String], validate: ([String]) -> String?) throws(SettingsError) -> [String] {
        precondition(knownKeys.contains(key), "\(key) is not a known key")
        var values = reader.stringArray(forKey: ConfigKey(key), default: fallback)
        var origin: String
        do {
            origin = try self.origin(of: key, expected: "a list")
        } catch {
            // The file may hold the list as one comma-separated string, as the environment does.
            let (text, textOrigin) = try readString(key, default: "")
            values = [text]
            origin = textOrigin
        }
        let elements = values.flatMap { $0.split(separator: ",") }.map { String($0.trimmingSpaces()) }.filter { !$0.isEmpty }
        if let problem = validate(elements) {
            throw SettingsError(key: key, source: origin, problem: problem)
        }
        return elements
    }

    /// Whether any layer sets `key`, for defaults that follow other values.
    public func isSet(_ key: String) throws(SettingsError) -> Bool {
        try readString(key, default: "").1 != "default"
    }

    private func readString(_ key: String, default defaultValue: String) throws(SettingsError) -> (String, String) {
        precondition(knownKeys.contains(key), "\(key) is not a known key")
        let value = reader.string(forKey: ConfigKey(key), default: defaultValue)
        return (value, try origin(of: key, expected: "a string"))
    }

    /// A boolean (`true`/`false`; the environment also takes `1`/`0`, `yes`/`no`).
    public func bool(_ key: String, default defaultValue: Bool) throws(SettingsError) -> Bool {
        precondition(knownKeys.contains(key), "\(key) is not a known key")
        let value = reader.bool(forKey: ConfigKey(key), default: defaultValue)
        _ = try origin(of: key, expected: "true or false")
        return value
    }

    // MARK: Where a value came from

    /// Describes the layer that supplied the value just read, or throws when that layer held
    /// a value of the wrong type (the library then falls back to the default silently).
    private func origin(of key: String, expected: String) throws(SettingsError) -> String {
        guard let event = lastAccess.take() else { return "default" }
        for result in event.providerResults {
            switch result.result {
            case .failure(let error):
                throw SettingsError(key: key, source: describe(result.providerName, encodedKey: nil),
                                    problem: "expected \(expected) (\(error))")
            case .success(let lookup) where lookup.value != nil:
                let source = describe(result.providerName, encodedKey: lookup.encodedKey)
                if event.conversionError != nil {
                    throw SettingsError(key: key, source: source, problem: "expected \(expected)")
                }
                return source
            case .success:
                continue
            }
        }
        if event.conversionError != nil {
            throw SettingsError(key: key, source: "configuration", problem: "expected \(expected)")
        }
        return "default"
    }

    private func describe(_ providerName: String, encodedKey: String?) -> String {
        let name = encodedKey.map { " \($0)" } ?? ""
        if providerName.contains("Environment") { return "environment variable\(name)" }
        if providerName.contains("CommandLine") { return "flag\(name)" }
        if providerName.contains("FileProvider") { return "file \(filePath ?? "?")" + (encodedKey.map { " key \($0)" } ?? "") }
        return providerName
    }

    // MARK: Unknown keys

    private static func checkFlags(_ flags: [String], knownKeys: Set<String>) throws(SettingsError) {
        let known = Set(knownKeys.map(SettingNames.flag(for:)))
        for flag in flags where flag.hasPrefix("--") {
            let name = String(flag.split(separator: "=", maxSplits: 1)[0])
            guard known.contains(name) else {
                throw SettingsError(key: String(name.dropFirst(2)), source: "flag \(name)", problem: "unknown option")
            }
        }
        if let stray = flags.first, !stray.hasPrefix("--") {
            throw SettingsError(key: stray, source: "command line", problem: "unexpected argument")
        }
    }

    private static func checkFileKeys(_ path: String, knownKeys: Set<String>) throws(SettingsError) {
        let bytes: [UInt8]
        do {
            bytes = try Files.contents(of: path)
        } catch {
            throw SettingsError(key: "config", source: "file \(path)", problem: "cannot be read (\(error.reason))")
        }
        let leaves: [String: JSONValue]
        do {
            leaves = try JSONValue.leaves(ofObjectIn: Data(bytes))
        } catch let error as JSONValue.NotAnObject {
            throw SettingsError(key: "config", source: "file \(path)", problem: "\(error)")
        } catch DecodingError.dataCorrupted(let context) {
            // The parser's own words say where: "Unexpected character 'x' around line 1, column 2".
            let reason = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            throw SettingsError(key: "config", source: "file \(path)", problem: "cannot be read as JSON: \(reason)")
        } catch {
            throw SettingsError(key: "config", source: "file \(path)", problem: "cannot be read as JSON: \(error)")
        }
        let unknown = leaves.keys.filter { !knownKeys.contains($0) }
        if !unknown.isEmpty {
            throw SettingsError(key: unknown.sorted().joined(separator: ", "), source: "file \(path)", problem: "unknown key")
        }
    }
}

/// Keeps the last access event so a read can be traced back to its layer.
private final class LastAccess: AccessReporter {
    private let event = Mutex<AccessEvent?>(nil)

    func report(_ event: AccessEvent) {
        self.event.withLock { $0 = event }
    }

    func take() -> AccessEvent? {
        event.withLock { event in
            defer { event = nil }
            return event
        }
    }
}
