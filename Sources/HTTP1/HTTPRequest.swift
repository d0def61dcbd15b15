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
    public var path: Substring {
        var target = Substring(self.target)
        if !target.hasPrefix("/"), let colon = target.firstIndex(of: ":") {
            // absolute-form: skip "scheme://authority".
            let afterScheme = target[target.index(after: colon)...].drop { $0 == "/" }
            target = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        if let query = target.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            return target[..<query]
        }
        return target
    }

    /// The value of the first field named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
