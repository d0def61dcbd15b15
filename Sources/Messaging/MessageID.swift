/// An identifier exactly as the publisher sent it (`message_id`, `correlation_id`).
///
/// AMQP carries these as short strings: up to 255 bytes that need not be UTF-8. Keeping the
/// raw bytes means two ids that differ only in bytes a lossy decoding would replace never
/// collide, and a requester's correlation id comes back byte for byte.
public struct MessageID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    public init(stringLiteral text: String) {
        self.init(text)
    }

    /// The id as text, when its bytes are valid UTF-8.
    public var text: String? {
        String(validating: bytes, as: UTF8.self)
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// The bytes as lowercase hexadecimal.
    public var hex: String {
        Self.hex(bytes)
    }

    /// For logs: the text when it is valid UTF-8, else `hex:` and the bytes.
    public var description: String {
        text ?? "hex:\(hex)"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
