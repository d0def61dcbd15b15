/// Why a request could not be parsed. Each case knows the status the client gets; after any
/// of them the connection is closed, because the framing of what follows is unknown.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        case malformedRequestLine
        case malformedHeader
        case bareLineBreak
        case invalidHost
        case unsupportedVersion
        case unknownMethod
        case invalidContentLength
        case contentLengthWithTransferEncoding
        case unsupportedTransferCoding
        case malformedChunk
        case requestLineTooLong
        case headerSectionTooLarge
        case bodyTooLarge
        case headerTimeout
        case bodyTimeout
    }

    let code: Code
    /// A short human-readable explanation, sent as the body of the error response.
    public let reason: String

    init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The status the client gets for this error.
    public var status: HTTPStatus {
        switch code {
        case .malformedRequestLine, .malformedHeader, .bareLineBreak, .invalidHost,
             .invalidContentLength, .contentLengthWithTransferEncoding, .malformedChunk:
            .badRequest
        case .unsupportedVersion: .httpVersionNotSupported
        case .unknownMethod, .unsupportedTransferCoding: .notImplemented
        case .requestLineTooLong: .uriTooLong
        case .headerSectionTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .headerTimeout, .bodyTimeout: .requestTimeout
        }
    }

    public var description: String { "\(status): \(reason)" }

    /// The header section did not arrive in time (RFC 9112 §9.5 leaves the limit to servers).
    public static let headerTimeout = HTTPParseError(.headerTimeout, "request header timeout")

    /// The body did not arrive in time after its head.
    public static let bodyTimeout = HTTPParseError(.bodyTimeout, "request body timeout")
}
