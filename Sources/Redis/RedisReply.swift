/// A reply copied out of hiredis's `redisReply` into a Swift value.
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    /// The integer of an integer reply, or of a bulk string holding a decimal number (what
    /// GET returns for a counter).
    public var integerValue: Int? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// Whether Redis answered with an error.
    public var isError: Bool {
        if case .error = self { true } else { false }
    }
}
