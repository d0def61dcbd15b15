/// Turns the bytes of one connection into requests, strictly (RFC 9112).
///
/// Pure: bytes in, requests out. It buffers what it has not yet consumed, so bytes may arrive
/// split anywhere. After the first error it stays failed: the framing of anything that
/// follows is unknown, so the connection must be closed.
public struct RequestDecoder {
    private enum State {
        /// Scanning the header section, which starts at `readIndex`.
        case head
        /// Discarding a body of known length.
        case fixedBody(remaining: Int)
        /// Waiting for a whole chunk-size line.
        case chunkSize
        /// Discarding chunk data.
        case chunkData(remaining: Int)
        /// Expecting the CRLF that ends a chunk's data.
        case chunkDataEnd
        /// Scanning the trailer section after the last chunk.
        case trailers
        case failed
    }

    private let limits: HTTPLimits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state = State.head
    private var scan = SectionScan()
    /// The request whose head is parsed and whose body is still arriving.
    private var pending: HTTPRequest?

    /// Creates a decoder enforcing `limits`.
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Whether part of a request has arrived but not all of it: the header timeout runs
    /// while this is true.
    public var hasPartialRequest: Bool {
        switch state {
        case .head: buffer.count > readIndex
        case .failed: false
        default: true
        }
    }

    /// Whether a request's head has arrived and its body is still arriving: the body
    /// timeout runs while this is true.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers: true
        case .head, .failed: false
        }
    }

    /// Adds bytes received from the connection.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds bytes received from the connection.
    public mutating func append<Bytes: Sequence>(contentsOf bytes: Bytes) where Bytes.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete request, `nil` when more bytes are needed, or throws the
    /// error the client must be told about before the connection closes.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        do {
            return try decodeNext()
        } catch {
            state = .failed
            throw error
        }
    }

    private mutating func decodeNext() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch state {
            case .failed:
                return nil
            case .head:
                guard let headEnd = try scanSection(trailers: false) else { return nil }
                let start = readIndex
                let parser = HeadParser(limits: limits)
                let request = try buffer.withUnsafeBytes { raw in
                    Result { () throws(HTTPParseError) in
                        try parser.parse(UnsafeRawBufferPointer(rebasing: raw[start..<headEnd]))
                    }
                }.get()
                readIndex = headEnd
                scan = SectionScan()
                switch request.framing {
                case .none:
                    return request.request
                case .length(let length):
                    pending = request.request
                    state = .fixedBody(remaining: length)
                case .chunked:
                    pending = request.request
                    state = .chunkSize
                }
            case .fixedBody(let remaining):
                let take = min(remaining, buffer.count - readIndex)
                readIndex += take
                if take < remaining {
                    state = .fixedBody(remaining: remaining - take)
                    return nil
                }
                return finishBody()
            case .chunkSize:
                guard let size = try readChunkSize() else { return nil }
                if size == 0 {
                    state = .trailers
                } else {
                    pending!.bodyLength += size
                    guard pending!.bodyLength <= limits.maxBodyBytes else {
                        throw HTTPParseError(.bodyTooLarge, "body larger than \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - readIndex)
                readIndex += take
                if take < remaining {
                    state = .chunkData(remaining: remaining - take)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.count - readIndex >= 2 else { return nil }
                guard buffer[readIndex] == .cr, buffer[readIndex + 1] == .lf else {
                    throw HTTPParseError(.malformedChunk, "chunk data not followed by CRLF")
                }
                readIndex += 2
                state = .chunkSize
            case .trailers:
                guard let end = try scanSection(trailers: true) else { return nil }
                readIndex = end
                scan = SectionScan()
                return finishBody()
            }
        }
    }

    private mutating func finishBody() -> HTTPRequest {
        state = .head
        defer { pending = nil }
        return pending!
    }

    /// Drops consumed bytes. Only ever called between appends, so the scan offsets, which are
    /// relative to `readIndex`, stay valid.
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 16 * 1024 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}

// MARK: - Line scanning

/// Progress through a header (or trailer) section, relative to its first byte, so that bytes
/// are looked at once however the section is split.
private struct SectionScan {
    var offset = 0
    var lineStart = 0
    /// Where the field lines start, once the request line is complete.
    var fieldsStart: Int?
    var fieldCount = 0
    /// Empty lines skipped before the request line (RFC 9112 §2.2 allows a few).
    var leadingEmptyLines = 0
}

extension UInt8 {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58
}

extension RequestDecoder {
    /// Scans for the end of a header section, or of a chunked body's trailer section
    /// (RFC 9112 §7.1.2, whose fields are discarded but held to the header limits); returns
    /// the index just past its final CRLF. Rejects bare CR and bare LF (RFC 9112 §2.2) and
    /// enforces the size limits as bytes arrive, so an endless section is refused without
    /// waiting for its end.
    ///
    /// A header section starts with the request line, which has a limit of its own and may
    /// be preceded by a few empty lines. A trailer section has fields only, and since the
    /// head parser never sees it, obs-fold and NUL are refused here.
    private mutating func scanSection(trailers: Bool) throws(HTTPParseError) -> Int? {
        let limits = self.limits
        var scan = self.scan
        defer { self.scan = scan }
        if trailers, scan.fieldsStart == nil { scan.fieldsStart = 0 }
        let section = trailers ? "trailer section" : "header section"
        let fields = trailers ? "trailer fields" : "header fields"
        let base = readIndex
        return try buffer.withUnsafeBufferPointer { bytes in Result { () throws(HTTPParseError) -> Int? in
            let count = bytes.count - base
            while scan.offset < count {
                let byte = bytes[base + scan.offset]
                if byte == .lf {
                    guard scan.offset > scan.lineStart, bytes[base + scan.offset - 1] == .cr else {
                        throw HTTPParseError(.bareLineBreak, "bare LF in \(section)")
                    }
                    let lineLength = scan.offset - 1 - scan.lineStart
                    if let fieldsStart = scan.fieldsStart {
                        if scan.offset - fieldsStart > limits.maxHeaderBytes {
                            throw HTTPParseError(.headerSectionTooLarge, "\(section) larger than \(limits.maxHeaderBytes) bytes")
                        }
                        if lineLength == 0 {
                            return base + scan.offset + 1
                        }
                        if trailers, bytes[base + scan.lineStart] == .space || bytes[base + scan.lineStart] == .tab {
                            throw HTTPParseError(.malformedHeader, "obs-fold in trailer section")
                        }
                        scan.fieldCount += 1
                        if scan.fieldCount > limits.maxHeaderCount {
                            throw HTTPParseError(.headerSectionTooLarge, "more than \(limits.maxHeaderCount) \(fields)")
                        }
                    } else if lineLength == 0 {
                        // An empty line before the request line is ignored (RFC 9112 §2.2).
                        scan.leadingEmptyLines += 1
                        if scan.leadingEmptyLines > 4 {
                            throw HTTPParseError(.malformedRequestLine, "empty lines instead of a request line")
                        }
                    } else {
                        if lineLength > limits.maxRequestLineBytes {
                            throw HTTPParseError(.requestLineTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
                        }
                        scan.fieldsStart = scan.offset + 1
                    }
                    scan.lineStart = scan.offset + 1
                } else if byte == .cr {
                    if scan.offset + 1 < count, bytes[base + scan.offset + 1] != .lf {
                        throw HTTPParseError(.bareLineBreak, "bare CR in \(section)")
                    }
                } else if byte == 0, trailers {
                    throw HTTPParseError(.malformedHeader, "NUL in trailer section")
                }
                scan.offset += 1
            }
            if let fieldsStart = scan.fieldsStart {
                if scan.offset - fieldsStart > limits.maxHeaderBytes {
                    throw HTTPParseError(.headerSectionTooLarge, "\(section) larger than \(limits.maxHeaderBytes) bytes")
                }
            } else if scan.offset - scan.lineStart > limits.maxRequestLineBytes {
                throw HTTPParseError(.requestLineTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
            }
            return nil
        } }.get()
    }

    /// Reads one `chunk-size [chunk-ext] CRLF` line (RFC 9112 §7.1); extensions are ignored.
    private mutating func readChunkSize() throws(HTTPParseError) -> Int? {
        let maxLineLength = 4096
        let base = readIndex
        let result = try buffer.withUnsafeBufferPointer { bytes in Result { () throws(HTTPParseError) -> (size: Int, end: Int)? in
            var index = base
            while index < bytes.count, bytes[index] != .lf {
                index += 1
                if index - base > maxLineLength {
                    throw HTTPParseError(.malformedChunk, "chunk-size line longer than \(maxLineLength) bytes")
                }
            }
            guard index < bytes.count else { return nil }
            guard index > base, bytes[index - 1] == .cr else {
                throw HTTPParseError(.bareLineBreak, "bare LF in chunk-size line")
            }
            var size = 0
            var digits = 0
            var cursor = base
            while cursor < index - 1, let value = hexValue(bytes[cursor]) {
                size = size &* 16 &+ value
                digits += 1
                cursor += 1
                if digits > 15 {
                    throw HTTPParseError(.malformedChunk, "chunk size too large")
                }
            }
            guard digits > 0 else { throw HTTPParseError(.malformedChunk, "missing chunk size") }
            // What may follow the size: optional whitespace, then `;` extensions.
            while cursor < index - 1, bytes[cursor] == .space || bytes[cursor] == .tab { cursor += 1 }
            if cursor < index - 1 {
                guard bytes[cursor] == UInt8(ascii: ";") else {
                    throw HTTPParseError(.malformedChunk, "invalid character after chunk size")
                }
                for position in cursor..<(index - 1) where bytes[position] < 0x20 && bytes[position] != .tab || bytes[position] == 0x7F {
                    throw HTTPParseError(.malformedChunk, "control character in chunk extension")
                }
            }
            return (size, index + 1)
        } }.get()
        guard let result else { return nil }
        readIndex = result.end
        return result.size
    }
}

@inline(__always)
private func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}
