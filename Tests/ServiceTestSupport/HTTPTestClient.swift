import Foundation
import LinuxIO

/// One response as a test sees it.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: String

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A blocking HTTP/1.1 client over a raw socket: it sends exactly the bytes a test gives it,
/// valid or not, and reads responses back.
public final class HTTPTestClient {
    private let socket: Socket
    private var buffer: [UInt8] = []

    public init(port: Int, timeoutMilliseconds: Int = 5000) throws {
        socket = try Socket.connect(host: "127.0.0.1", port: port)
        try socket.setTimeouts(milliseconds: timeoutMilliseconds)
    }

    /// Sends raw bytes.
    public func send(_ text: String) throws {
        try socket.sendAll(Array(text.utf8))
    }

    /// Sends a bodyless request with a Host header.
    public func request(_ method: String, _ target: String, headers: String = "") throws -> TestResponse {
        try send("\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n\(headers)\r\n")
        return try readResponse(headOnly: method == "HEAD")
    }

    /// Reads one response; `headOnly` for the answer to HEAD, which has no body.
    public func readResponse(headOnly: Bool = false) throws -> TestResponse {
        let headEnd = try readUntil { bytes in
            bytes.indices.dropLast(3).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }.map { $0 + 4 }
        }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd)
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw ClientError("bad status line in \(head)") }
        let headers = lines.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        var body = ""
        if !headOnly, length > 0 {
            _ = try readUntil { $0.count >= length ? length : nil }
            body = String(decoding: buffer[..<length], as: UTF8.self)
            buffer.removeFirst(length)
        }
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Whether the server closed the connection (reads end of stream within the timeout).
    public func isClosedByServer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let result = chunk.withUnsafeMutableBytes { try? socket.read(into: $0) }
            switch result {
            case .processed(0)?: return true
            case .processed?: continue
            default: return errno == ECONNRESET
            }
        }
    }

    public func close() { socket.close() }

    private func readUntil(_ complete: ([UInt8]) -> Int?) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = complete(buffer) { return end }
            let result = try chunk.withUnsafeMutableBytes { raw in
                Result { () throws(IOError) in try socket.read(into: raw) }
            }.get()
            guard case .processed(let count) = result, count > 0 else {
                throw ClientError("connection closed before a whole response arrived (\(buffer.count) bytes buffered)")
            }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}

public struct ClientError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
