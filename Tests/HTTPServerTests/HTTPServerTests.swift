import Foundation
import HTTP1
import HTTPServer
import LinuxIO
import Logging
import ServiceTestSupport
import Testing

/// Answers `/slow` a moment later on the loop (as a Redis-backed route does), everything
/// else at once with the path as the body.
final class EchoResponder: HTTPResponder {
    let loop: EventLoop
    private var later: [(due: UInt64, respond: (HTTPResponse) -> Void)] = []

    init(loop: EventLoop) {
        self.loop = loop
        loop.every(milliseconds: 10) { [unowned self] in
            let now = loop.now
            let due = later.filter { $0.due <= now }
            later.removeAll { $0.due <= now }
            for entry in due { entry.respond(.text(.ok, "slow")) }
        }
    }

    func respond(to request: HTTPRequest, _ respond: @escaping (HTTPResponse) -> Void) {
        if request.path == "/slow" {
            later.append((loop.now + 50_000_000, respond))
        } else {
            respond(.text(.ok, String(request.path)))
        }
    }
}

/// The server in-process on a free port, stopped at the end of `body`.
func withServer<Result>(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(port: 0, eventLoops: 1),
                        _ body: (HTTPServer, Int) throws -> Result) throws -> Result {
    let server = HTTPServer(configuration: configuration, logger: Logger(label: "test")) { loop in EchoResponder(loop: loop) }
    try server.start()
    defer { server.shutdown() }
    return try body(server, server.port!)
}

@Suite("HTTP server over loopback")
struct HTTPServerTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        try withServer { _, port in
            let client = try HTTPTestClient(port: port)
            for index in 0..<50 {
                let response = try client.request("GET", "/r\(index)")
                #expect(response.status == 200 && response.body == "/r\(index)")
            }
        }
    }

    @Test func pipelinedAnswersComeBackInOrderWhenALaterOneIsReadyFirst() throws {
        try withServer { _, port in
            let client = try HTTPTestClient(port: port)
            try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().body == "slow")
            #expect(try client.readResponse().body == "/fast")
        }
    }

    @Test func aBadRequestGets400AndTheServerGoesOnServingOthers() throws {
        try withServer { _, port in
            let bad = try HTTPTestClient(port: port)
            try bad.send("GET / HTTP/1.1\r\nBad Header\r\n\r\n")
            #expect(try bad.readResponse().status == 400)
            #expect(try HTTPTestClient(port: port).request("GET", "/ok").status == 200)
        }
    }

    @Test func connectionsPastTheLimitAreClosedAtOnce() throws {
        try withServer(HTTPServerConfiguration(port: 0, eventLoops: 1, maxConnections: 2)) { server, port in
            let first = try HTTPTestClient(port: port), second = try HTTPTestClient(port: port)
            _ = try first.request("GET", "/a")
            _ = try second.request("GET", "/b")
            #expect(server.connectionCount == 2)
            let third = try HTTPTestClient(port: port, timeoutMilliseconds: 1000)
            #expect(throws: (any Error).self) { try third.request("GET", "/c") }
            #expect(try first.request("GET", "/a").status == 200, "the open ones are untouched")
        }
    }

    @Test func closedConnectionsAreForgotten() throws {
        try withServer { server, port in
            do {
                let client = try HTTPTestClient(port: port)
                _ = try client.request("GET", "/x", headers: "Connection: close\r\n")
            }
            let deadline = Date().addingTimeInterval(2)
            while server.connectionCount > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(server.connectionCount == 0)
        }
    }

    @Test func shutdownLetsAnAnswerInFlightFinish() throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0, eventLoops: 1), logger: Logger(label: "test")) { loop in
            EchoResponder(loop: loop)
        }
        try server.start()
        let client = try HTTPTestClient(port: server.port!)
        try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.01)
        let stopper = Thread { server.shutdown() }
        stopper.start()
        let response = try client.readResponse()
        #expect(response.status == 200 && response.body == "slow")
    }

    @Test func aSecondServerCannotTakeABusyPort() throws {
        try withServer(HTTPServerConfiguration(port: 0, eventLoops: 1)) { _, port in
            let other = HTTPServer(configuration: HTTPServerConfiguration(port: port, eventLoops: 1), logger: Logger(label: "test")) { loop in
                EchoResponder(loop: loop)
            }
            #expect(throws: IOError.self) { try other.start() }
        }
    }
}
