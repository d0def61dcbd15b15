/// Serialises responses into bytes for the wire.
public enum ResponseWriter {
    /// Appends `response` to `output`.
    ///
    /// - Parameters:
    ///   - headOnly: the request was HEAD: the fields describe the body, which is not sent
    ///     (RFC 9110 §9.3.2).
    ///   - version: the request's version; a 1.0 client that asked for keep-alive is told.
    ///   - keepAlive: whether the connection stays open; `Connection: close` otherwise.
    ///   - date: the current IMF-fixdate, as bytes.
    public static func write(
        _ response: HTTPResponse,
        headOnly: Bool,
        version: HTTPVersion,
        keepAlive: Bool,
        date: [UInt8],
        into output: inout [UInt8]
    ) {
        output.append(contentsOf: version == .http1_0 ? "HTTP/1.0 ".utf8 : "HTTP/1.1 ".utf8)
        appendDecimal(response.status.code, to: &output)
        output.append(.space)
        output.append(contentsOf: response.status.reason.utf8)
        output.append(contentsOf: "\r\nDate: ".utf8)
        output.append(contentsOf: date)
        // Every body is what its Content-Type says: a browser must not guess otherwise
        // (a JSON error read as HTML, say).
        output.append(contentsOf: "\r\nX-Content-Type-Options: nosniff".utf8)
        if let contentType = response.contentType {
            output.append(contentsOf: "\r\nContent-Type: ".utf8)
            output.append(contentsOf: contentType.utf8)
        }
        output.append(contentsOf: "\r\nContent-Length: ".utf8)
        appendDecimal(response.body.count, to: &output)
        for field in response.headers {
            output.append(contentsOf: "\r\n".utf8)
            output.append(contentsOf: field.name.utf8)
            output.append(contentsOf: ": ".utf8)
            output.append(contentsOf: field.value.utf8)
        }
        if !keepAlive {
            output.append(contentsOf: "\r\nConnection: close".utf8)
        } else if version == .http1_0 {
            output.append(contentsOf: "\r\nConnection: keep-alive".utf8)
        }
        output.append(contentsOf: "\r\n\r\n".utf8)
        if !headOnly {
            output.append(contentsOf: response.body)
        }
    }

    /// Appends the decimal digits of a non-negative `value`.
    @inline(__always)
    static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        if value < 10 {
            output.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var remaining = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while remaining > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            }
            output.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
