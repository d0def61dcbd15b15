/// A response to send: status, content type, extra fields and body. `Date`,
/// `Content-Length` and `Connection` are added when it is written.
public struct HTTPResponse: Sendable, Equatable {
    public var status: HTTPStatus
    public var contentType: String?
    /// Fields besides the ones the writer adds, e.g. `Allow`.
    public var headers: [HTTPField]
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPStatus, contentType: String? = nil, headers: [HTTPField] = [], body: [UInt8] = []) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A compact JSON response; `json` must already be valid JSON text.
    public static func json(_ status: HTTPStatus, _ json: String, headers: [HTTPField] = []) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", headers: headers, body: Array(json.utf8))
    }

    /// A plain-text response in UTF-8.
    public static func text(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// The JSON error body `{"error":"…"}`; `message` must not need escaping.
    public static func error(_ status: HTTPStatus, _ message: String, headers: [HTTPField] = []) -> HTTPResponse {
        json(status, #"{"error":"\#(message)"}"#, headers: headers)
    }

    /// The response a client gets for a request that could not be parsed.
    public static func parseError(_ error: HTTPParseError) -> HTTPResponse {
        .error(error.status, error.reason)
    }
}
