import Configuration
import FoundationEssentials

/// The settings file's JSON, for swift-configuration's `FileProvider`.
///
/// The library's own `JSONSnapshot` parses with `JSONSerialization`, which exists only in
/// full Foundation; linking that costs every program about 3 MB of resident memory for its
/// runtime's set-up. This snapshot decodes with FoundationEssentials' `JSONDecoder` and
/// answers lookups with the same rules: nested objects are dotted keys (`{"http":
/// {"port": 3000}}` is `http.port`), a number reads as an integer only when it is whole,
/// and a value of another type than the one asked for is a mismatch the reader reports.
public struct JSONSettingsSnapshot: FileConfigSnapshot {
    public struct ParsingOptions: FileParsingOptions {
        public static var `default`: Self { Self() }
    }

    public let providerName: String
    /// Every leaf of the file under its dotted key.
    let values: [String: JSONValue]

    public init(data: RawSpan, providerName: String, parsingOptions: ParsingOptions) throws {
        let bytes = data.withUnsafeBytes { Data($0) }
        self.init(values: try JSONValue.leaves(ofObjectIn: bytes), providerName: providerName)
    }

    init(values: [String: JSONValue], providerName: String) {
        self.values = values
        self.providerName = providerName
    }

    public func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        let encodedKey = key.components.joined(separator: ".")
        guard let value = values[encodedKey], value != .null else { return LookupResult(encodedKey: encodedKey, value: nil) }
        guard let content = value.content(as: type) else {
            throw OtherKind(key: encodedKey, value: value)
        }
        return LookupResult(encodedKey: encodedKey, value: ConfigValue(content, isSecret: false))
    }

    public var description: String { "JSONSettingsSnapshot[\(values.count) values]" }

    /// A value in the file of another kind than the setting takes.
    struct OtherKind: Error, CustomStringConvertible {
        let key: String
        let value: JSONValue

        var description: String {
            let kind = switch value {
            case .null: "null"
            case .bool: "a boolean"
            case .number: "a number"
            case .string: "a string"
            case .array: "a list"
            case .object: "an object"
            }
            return "the file holds \(kind) for \(key)"
        }
    }
    public var debugDescription: String { description }
}

/// One JSON value, decoded by FoundationEssentials.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The leaves of the JSON object in `bytes` under their dotted keys. Throws when the
    /// bytes are not JSON or the top level is not an object.
    static func leaves(ofObjectIn bytes: Data) throws -> [String: JSONValue] {
        guard case .object(let root) = try JSONDecoder().decode(JSONValue.self, from: bytes) else {
            throw NotAnObject()
        }
        var leaves: [String: JSONValue] = [:]
        func walk(_ object: [String: JSONValue], prefix: String) {
            for (name, value) in object {
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                if case .object(let nested) = value { walk(nested, prefix: key) } else { leaves[key] = value }
            }
        }
        walk(root, prefix: "")
        return leaves
    }

    struct NotAnObject: Error, CustomStringConvertible {
        var description: String { "the top level must be a JSON object" }
    }

    /// The value as `type`, or nil when it is of another kind.
    func content(as type: ConfigType) -> ConfigContent? {
        switch (type, self) {
        case (.string, .string(let text)): .string(text)
        case (.int, .number(let number)): Int(exactly: number).map(ConfigContent.int)
        case (.double, .number(let number)): .double(number)
        case (.bool, .bool(let flag)): .bool(flag)
        case (.stringArray, .array(let elements)): Self.all(elements) { if case .string(let text) = $0 { text } else { nil } }.map(ConfigContent.stringArray)
        case (.intArray, .array(let elements)): Self.all(elements) { if case .number(let number) = $0 { Int(exactly: number) } else { nil } }.map(ConfigContent.intArray)
        case (.doubleArray, .array(let elements)): Self.all(elements) { if case .number(let number) = $0 { number } else { nil } }.map(ConfigContent.doubleArray)
        case (.boolArray, .array(let elements)): Self.all(elements) { if case .bool(let flag) = $0 { flag } else { nil } }.map(ConfigContent.boolArray)
        default: nil
        }
    }

    private static func all<Element>(_ values: [JSONValue], _ convert: (JSONValue) -> Element?) -> [Element]? {
        var converted: [Element] = []
        for value in values {
            guard let element = convert(value) else { return nil }
            converted.append(element)
        }
        return converted
    }
}
