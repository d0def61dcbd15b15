/// Parses one complete header section whose lines are already known to end in CRLF with no
/// bare CR or LF, and decides how the body is framed.
struct HeadParser {
    enum Framing {
        case none
        case length(Int)
        case chunked
    }

    struct Result {
        var request: HTTPRequest
        var framing: Framing
    }

    let limits: HTTPLimits

    func parse(_ head: UnsafeRawBufferPointer) throws(HTTPParseError) -> Result {
        var cursor = 0
        // Skip the empty lines RFC 9112 §2.2 lets a server ignore before the request line.
        while cursor + 1 < head.count, head[cursor] == .cr, head[cursor + 1] == .lf { cursor += 2 }
        let requestLineEnd = head.firstIndex(of: .cr, from: cursor)
        let line = try parseRequestLine(UnsafeRawBufferPointer(rebasing: head[cursor..<requestLineEnd]))
        cursor = requestLineEnd + 2

        var headers: [HTTPField] = []
        var hosts: [UnsafeRawBufferPointer] = []
        var contentLength: Int?
        var transferEncodings: [String] = []
        var hasTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false

        while true {
            let end = head.firstIndex(of: .cr, from: cursor)
            if end == cursor { break }
            let fieldLine = UnsafeRawBufferPointer(rebasing: head[cursor..<end])
            cursor = end + 2
            let (name, value) = try splitField(fieldLine)
            switch name.count {
            case 4 where name.equalsLowercased("host"):
                hosts.append(value)
            case 14 where name.equalsLowercased("content-length"):
                contentLength = try mergeContentLength(contentLength, value)
            case 17 where name.equalsLowercased("transfer-encoding"):
                hasTransferEncoding = true
                transferEncodings += value.listElements()
            case 10 where name.equalsLowercased("connection"):
                for option in value.listElements() {
                    if option == "close" { connectionClose = true }
                    if option == "keep-alive" { connectionKeepAlive = true }
                }
            default:
                break
            }
            headers.append(HTTPField(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }

        // RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host; more than one is
        // always an error.
        if line.version == .http1_1, hosts.count != 1 {
            throw HTTPParseError(.invalidHost, hosts.isEmpty ? "missing Host header" : "more than one Host header")
        }
        if hosts.count > 1 { throw HTTPParseError(.invalidHost, "more than one Host header") }
        if let host = hosts.first, !isValidHost(host) {
            throw HTTPParseError(.invalidHost, "invalid Host header")
        }

        var framing = Framing.none
        var bodyLength = 0
        if hasTransferEncoding {
            // RFC 9112 §6.1: Transfer-Encoding with Content-Length is a smuggling attempt, and
            // Transfer-Encoding in an HTTP/1.0 request is faulty framing. Any Transfer-Encoding
            // field counts, an empty one too: a proxy in front may read it differently.
            if contentLength != nil {
                throw HTTPParseError(.contentLengthWithTransferEncoding, "both Content-Length and Transfer-Encoding")
            }
            // RFC 9112 §6.1: the field is a non-empty list of codings.
            guard !transferEncodings.isEmpty else {
                throw HTTPParseError(.malformedHeader, "empty Transfer-Encoding")
            }
            if line.version == .http1_0 {
                throw HTTPParseError(.malformedHeader, "Transfer-Encoding in an HTTP/1.0 request")
            }
            // The coding is not named in the answer: a response body carries no client bytes.
            if transferEncodings.contains(where: { $0 != "chunked" }) {
                throw HTTPParseError(.unsupportedTransferCoding, "unsupported transfer coding (only chunked is)")
            }
            guard transferEncodings.count == 1 else {
                throw HTTPParseError(.malformedHeader, "chunked applied more than once")
            }
            framing = .chunked
        } else if let contentLength, contentLength > 0 {
            guard contentLength <= limits.maxBodyBytes else {
                throw HTTPParseError(.bodyTooLarge, "body larger than \(limits.maxBodyBytes) bytes")
            }
            framing = .length(contentLength)
            bodyLength = contentLength
        }

        let keepAlive = switch line.version {
        case .http1_1: !connectionClose
        case .http1_0: connectionKeepAlive && !connectionClose
        }
        let request = HTTPRequest(
            method: line.method,
            target: line.target,
            version: line.version,
            headers: headers,
            keepAlive: keepAlive,
            bodyLength: framing.isChunked ? 0 : bodyLength
        )
        return Result(request: request, framing: framing)
    }

    // MARK: Request line (RFC 9112 §3)

    private struct RequestLine {
        var method: HTTPMethod
        var target: String
        var version: HTTPVersion
    }

    private func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> RequestLine {
        guard let firstSpace = line.firstIndex(of: .space),
              let secondSpace = line[(firstSpace + 1)...].firstIndex(of: .space) else {
            throw HTTPParseError(.malformedRequestLine, "malformed request line")
        }
        let methodBytes = UnsafeRawBufferPointer(rebasing: line[..<firstSpace])
        let targetBytes = UnsafeRawBufferPointer(rebasing: line[(firstSpace + 1)..<secondSpace])
        let versionBytes = UnsafeRawBufferPointer(rebasing: line[(secondSpace + 1)...])

        guard !methodBytes.isEmpty, methodBytes.allSatisfy({ $0.isTokenCharacter }) else {
            throw HTTPParseError(.malformedRequestLine, "invalid method")
        }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPParseError(.malformedRequestLine, "invalid request target")
        }
        // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
        guard versionBytes.count == 8, versionBytes.starts(with: "HTTP/".utf8),
              versionBytes[5].isDigit, versionBytes[6] == UInt8(ascii: "."), versionBytes[7].isDigit else {
            throw HTTPParseError(.malformedRequestLine, "malformed HTTP version")
        }
        guard versionBytes[5] == UInt8(ascii: "1") else {
            throw HTTPParseError(.unsupportedVersion, "HTTP version not supported")
        }
        // A higher 1.x minor version is served as 1.1 (RFC 9110 §6.2).
        let version: HTTPVersion = versionBytes[7] == UInt8(ascii: "0") ? .http1_0 : .http1_1

        guard let method = HTTPMethod(bytes: methodBytes) else {
            throw HTTPParseError(.unknownMethod, "method not implemented")
        }
        let target = String(decoding: targetBytes, as: UTF8.self)
        try validateTargetForm(target, method: method)
        return RequestLine(method: method, target: target, version: version)
    }

    /// RFC 9112 §3.2: origin-form for ordinary requests, absolute-form from proxies' clients,
    /// authority-form for CONNECT only, asterisk-form for OPTIONS only.
    private func validateTargetForm(_ target: String, method: HTTPMethod) throws(HTTPParseError) {
        if target.utf8.first == UInt8(ascii: "/") { return }
        if target == "*", method == .options { return }
        let lowered = target.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") { return }
        if method == .connect, !target.contains("/") { return }
        throw HTTPParseError(.malformedRequestLine, "invalid request target form")
    }

    // MARK: Fields (RFC 9112 §5, RFC 9110 §5.5)
    // (Closures rather than key paths in `allSatisfy`: a key path used as a function is
    // projected at run time, which showed up in profiles of the request path.)

    private func splitField(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        guard let first = line.first, first != .space, first != .tab else {
            throw HTTPParseError(.malformedHeader, "obsolete line folding")
        }
        guard let colon = line.firstIndex(of: .colon), colon > 0 else {
            throw HTTPParseError(.malformedHeader, "header line without a name and colon")
        }
        let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
        // This also rejects whitespace between the name and the colon (RFC 9112 §5.1).
        guard name.allSatisfy({ $0.isTokenCharacter }) else {
            throw HTTPParseError(.malformedHeader, "invalid header name")
        }
        var start = colon + 1
        var end = line.count
        while start < end, line[start] == .space || line[start] == .tab { start += 1 }
        while end > start, line[end - 1] == .space || line[end - 1] == .tab { end -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[start..<end])
        // field-vchar / SP / HTAB; NUL, CR, LF and other controls are refused.
        for byte in value where (byte < 0x20 && byte != .tab) || byte == 0x7F {
            throw HTTPParseError(.malformedHeader, "control character in header value")
        }
        return (name, value)
    }

    /// RFC 9110 §8.6: the value is 1*DIGIT; a list of identical values is one value, differing
    /// values are an error.
    private func mergeContentLength(_ existing: Int?, _ value: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int {
        var result = existing
        let elements = value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        for element in elements {
            let digits = element.drop { $0 == .space || $0 == .tab }.reversed().drop { $0 == .space || $0 == .tab }.reversed()
            guard !digits.isEmpty, digits.allSatisfy({ $0.isDigit }) else {
                throw HTTPParseError(.invalidContentLength, "invalid Content-Length")
            }
            guard digits.count <= 18 else {
                throw HTTPParseError(.bodyTooLarge, "body larger than \(limits.maxBodyBytes) bytes")
            }
            let number = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if let result, result != number {
                throw HTTPParseError(.invalidContentLength, "conflicting Content-Length values")
            }
            result = number
        }
        return result!
    }

    /// `uri-host [ ":" port ]` (RFC 9110 §7.2); an empty value is allowed.
    private func isValidHost(_ host: UnsafeRawBufferPointer) -> Bool {
        if host.isEmpty { return true }
        var hostPart = host[...]
        var portPart: Slice<UnsafeRawBufferPointer>?
        if host.first == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let inside = host[(host.startIndex + 1)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == .colon || $0 == UInt8(ascii: ".") }) else { return false }
            hostPart = host[...close]
            let rest = host[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == .colon else { return false }
                portPart = rest.dropFirst()
            }
        } else {
            if let colon = host.firstIndex(of: .colon) {
                hostPart = host[..<colon]
                portPart = host[(colon + 1)...]
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isRegNameCharacter }) else { return false }
        }
        if let portPart {
            return portPart.count <= 5 && portPart.allSatisfy({ $0.isDigit })
        }
        return true
    }
}

extension HeadParser.Framing {
    var isChunked: Bool {
        if case .chunked = self { return true }
        return false
    }
}

extension UnsafeRawBufferPointer {
    /// The index of the first `byte` at or after `start`; the caller knows it is there.
    fileprivate func firstIndex(of byte: UInt8, from start: Int) -> Int {
        var index = start
        while self[index] != byte { index += 1 }
        return index
    }

    /// Case-insensitive comparison with an all-lowercase ASCII name.
    fileprivate func equalsLowercased(_ lowercase: StaticString) -> Bool {
        guard count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<count where self[index] | 0x20 != expected[index] && self[index] != expected[index] {
            return false
        }
        return true
    }

    /// The elements of a comma-separated list value, trimmed and lowercased as ASCII only:
    /// tokens are ASCII (RFC 9110 §5.6.2), and a Unicode-aware lowercasing would turn
    /// `chun\u{212A}ed` (KELVIN SIGN) into `chunked`, which a byte-exact proxy would not.
    fileprivate func listElements() -> [String] {
        split(separator: UInt8(ascii: ","))
            .map { element in String(decoding: element.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self).trimmingOWS() }
            .filter { !$0.isEmpty }
    }
}

extension String {
    fileprivate func trimmingOWS() -> String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars = scalars.dropFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    var isHexDigit: Bool {
        isDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }

    /// tchar (RFC 9110 §5.6.2).
    var isTokenCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// unreserved / pct-encoded / sub-delims (RFC 3986 §3.2.2 reg-name, and IPv4 literals).
    var isRegNameCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "="):
            true
        default:
            false
        }
    }
}
