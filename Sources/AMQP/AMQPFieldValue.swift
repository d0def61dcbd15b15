/// A value in an AMQP field table (AMQP 0-9-1 §4.2.5.5, with RabbitMQ's field types).
public indirect enum AMQPFieldValue: Sendable, Equatable {
    case bool(Bool)
    case int8(Int8)
    case uint8(UInt8)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case float(Float)
    case double(Double)
    case decimal(scale: UInt8, value: UInt32)
    /// A long string, which AMQP means as UTF-8 (`S`).
    case string([UInt8])
    /// A byte array (`x`).
    case bytes([UInt8])
    case timestamp(UInt64)
    case table(AMQPTable)
    case array([AMQPFieldValue])
    case void
}

/// An AMQP field table: ordered name/value pairs.
public struct AMQPTable: Sendable, Equatable {
    public var entries: [(key: String, value: AMQPFieldValue)]

    public init(_ entries: [(key: String, value: AMQPFieldValue)] = []) {
        self.entries = entries
    }

    /// The value of the first entry named `key`.
    public subscript(key: String) -> AMQPFieldValue? {
        entries.first { $0.key == key }?.value
    }

    public static func == (lhs: AMQPTable, rhs: AMQPTable) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension AMQPFieldValue {
    /// A UTF-8 string value.
    public static func text(_ string: String) -> AMQPFieldValue { .string(Array(string.utf8)) }
}
