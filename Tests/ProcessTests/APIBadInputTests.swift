import Foundation
import ServiceTestSupport
import Testing

/// Every class of bad input over a real socket: the right status, the connection closed, and
/// the server still serving everyone else.
@Suite("api: bad input")
struct APIBadInputTests {
    static let cases: [(String, String, Int)] = [
        ("malformed request line", "HELLO WORLD\r\n\r\n", 400),
        ("bare LF", "GET /ping HTTP/1.1\nHost: x\n\n", 400),
        ("bare CR", "GET /ping HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400),
        ("missing Host", "GET /ping HTTP/1.1\r\n\r\n", 400),
        ("two Hosts", "GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("HTTP/2.0", "GET /ping HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("unknown method", "BREW /ping HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        ("space before colon", "GET /ping HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("obs-fold", "GET /ping HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n", 400),
        ("NUL in field", "GET /ping HTTP/1.1\r\nHost: x\r\nA: b\u{0}c\r\n\r\n", 400),
        ("bad Content-Length", "POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n", 400),
        ("conflicting Content-Length", "POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("CL with TE", "POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("gzip coding", "POST /receive HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("long request line", "GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("too many fields", "GET /ping HTTP/1.1\r\nHost: x\r\n" + (0..<101).map { "X-\($0): y\r\n" }.joined() + "\r\n", 431),
        ("big header section", "GET /ping HTTP/1.1\r\nHost: x\r\nX: \(String(repeating: "b", count: 17_000))\r\n\r\n", 431),
        ("body over 1 MiB", "POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413),
    ]

    @Test func eachClassGetsItsStatusAndTheServerKeepsServing() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess()
        for (name, raw, status) in Self.cases {
            let client = try api.connect()
            try client.send(raw)
            let response = try client.readResponse()
            #expect(response.status == status, "\(name)")
            #expect(response.header("Connection") == "close", "\(name)")
            #expect(response.header("Content-Type") == "application/json", "\(name)")
            #expect(client.isClosedByServer(), "\(name): connection left open")
            #expect(try api.connect().request("GET", "/ping").status == 200, "after \(name)")
        }
        // Nothing bad was counted.
        #expect(try redis.count(api.receivedKey) == 0)
    }

    @Test func chunkedBodiesAreDecoded() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess()
        let client = try api.connect()
        try client.send("POST /receive HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().body == #"{"count":1}"#)
        #expect(try client.readResponse().body == "pong")
        try redis.delete(api.receivedKey)
    }

    /// A body of many read buffers arrives at once: one wake-up reads only a few buffers, and
    /// with edge-triggered readiness the rest must still be read without a new event.
    @Test func aBodyLongerThanOneWakeUpsReadsIsReadThrough() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-event-loops", "1"])
        let client = try api.connect()
        let body = String(repeating: "x", count: 900 * 1024)
        try client.send("POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            + "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().body == #"{"count":1}"#)
        #expect(try client.readResponse().body == "pong")
        try redis.delete(api.receivedKey)
    }

    @Test func headerTimeoutAnswers408() throws {
        _ = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-header-timeout-ms", "300"])
        let client = try api.connect()
        try client.send("GET /ping HTTP/1.1\r\nHost: x\r\n")
        let started = Date()
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(client.isClosedByServer())
    }

    @Test func idleConnectionsAreClosed() throws {
        _ = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-idle-timeout-ms", "300"])
        let client = try api.connect()
        #expect(try client.request("GET", "/ping").status == 200)
        let started = Date()
        #expect(client.isClosedByServer())
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func connectionsPastTheCapAreClosedAtOnce() throws {
        _ = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-max-connections", "5", "--http-event-loops", "1"])
        // Let the server see the start-up probe's connection go before filling the cap.
        Thread.sleep(forTimeInterval: 0.3)
        let held = try (0..<5).map { _ in try api.connect() }
        for client in held { #expect(try client.request("GET", "/ping").status == 200) }
        let extra = try api.connect()
        try? extra.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(extra.isClosedByServer())
        held[0].close()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try api.connect().request("GET", "/ping").status == 200)
    }

    @Test func limitsAreConfigurable() throws {
        _ = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-max-body-bytes", "10"])
        let client = try api.connect()
        try client.send("POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
        #expect(try client.readResponse().status == 413)
    }
}

extension APIBadInputTests {
    @Test func aClientThatNeverReadsIsCutOffAndCannotGrowTheServer() throws {
        _ = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-write-timeout-ms", "500", "--http-event-loops", "1"])
        let client = try api.connect()
        let burst = String(repeating: "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", count: 2000)
        let rssBefore = residentKilobytes(api.pid)
        // Send far more than the socket buffers hold, never reading a byte of the answers.
        var sent = 0
        let started = Date()
        while sent < 200, Date().timeIntervalSince(started) < 10 {
            do { try client.send(burst) } catch { break }
            sent += 1
        }
        // The server stopped reading (our sends block) and then closed on the stalled write.
        #expect(client.isClosedByServer())
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(residentKilobytes(api.pid) - rssBefore < 64 * 1024, "the server buffered without bound")
        #expect(try api.connect().request("GET", "/ping").status == 200)
    }
}

/// Resident memory of a process in KiB, from /proc.
func residentKilobytes(_ pid: Int32) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}
