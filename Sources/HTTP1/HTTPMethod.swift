/// The request methods this server knows (RFC 9110 §9, PATCH, and QUERY, the safe method
/// with a body that the IETF's httpbis group registered). A known method a route does not
/// serve gets 405 with `Allow`; a syntactically valid method outside this list is answered
/// 501, as RFC 9110 §9.1 asks.
public enum HTTPMethod: String, Sendable, CaseIterable {
    case get = "GET"
    case head = "HEAD"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
    case connect = "CONNECT"
    case options = "OPTIONS"
    case trace = "TRACE"
    case patch = "PATCH"
    case query = "QUERY"

    /// Recognises a method from its bytes without building a string first.
    init?(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 3:
            if bytes.elementsEqual("GET".utf8) { self = .get; return }
            if bytes.elementsEqual("PUT".utf8) { self = .put; return }
        case 4:
            if bytes.elementsEqual("POST".utf8) { self = .post; return }
            if bytes.elementsEqual("HEAD".utf8) { self = .head; return }
        default:
            break
        }
        guard let method = HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = method
    }
}

/// The protocol version of a request; only 1.0 and 1.1 are served (others get 505).
public enum HTTPVersion: Sendable, Equatable {
    case http1_0
    case http1_1
}
