/// One header field as received: the name keeps its case, compare it case-insensitively.
public struct HTTPField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A parsed request. The body has been read and discarded (none of the routes takes one);
/// its decoded length is kept.
public struct HTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request-target exactly as sent.
    public var target: String
    public var version: HTTPVersion
    public var headers: [HTTPField]
    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// The decoded body length in bytes.
    public var bodyLength: Int

    /// Creates a request; the decoder makes them from bytes, tests and tools by hand.
    public init(method: HTTPMethod, target: String, version: HTTPVersion, headers: [HTTPField], keepAlive: Bool, bodyLength: Int) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.keepAlive = keepAlive
        self.bodyLength = bodyLength
    }

    /// The path of the target without its query, for routing. For the absolute form
    /// (`http://host/path?q`) the path part.
    ///
    /// Works on the UTF-8 view: the decoder admits only visible ASCII in a target, so every
    /// byte is a character, and byte scanning spares the request path grapheme breaking.
    public var path: Substring {
        let bytes = target.utf8
        var start = bytes.startIndex
        if bytes.first != UInt8(ascii: "/"), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            // absolute-form: skip "scheme://authority".
            var afterScheme = bytes.index(after: colon)
            while afterScheme < bytes.endIndex, bytes[afterScheme] == UInt8(ascii: "/") {
                afterScheme = bytes.index(after: afterScheme)
            }
            guard let slash = bytes[afterScheme...].firstIndex(of: UInt8(ascii: "/")) else { return "/" }
            start = slash
        }
        let end = bytes[start...].firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.endIndex
        return target[start..<end]
    }

    /// The value of the first field named `name`, compared as ASCII without case: field
    /// names are tokens, and Unicode case folding would match names no proxy would.
    public func header(_ name: String) -> String? {
        headers.first { Self.isNamed($0, name) }?.value
    }

    /// The values of every field named `name`, in the order they came.
    public func headers(named name: String) -> [String] {
        headers.filter { Self.isNamed($0, name) }.map(\.value)
    }

    private static func isNamed(_ field: HTTPField, _ name: String) -> Bool {
        field.name.utf8.count == name.utf8.count
            && zip(field.name.utf8, name.utf8).allSatisfy { $0 == $1 || ($0 | 0x20 == $1 | 0x20 && ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) }
    }
}
