import Glibc
import LinuxIO
import Testing

@Suite("Waiting for descriptors, and sockets over loopback")
struct ReadinessTests {
    /// A connected pair of sockets on loopback: the accepted end and the client end.
    static func connectedPair() throws -> (server: Socket, client: Socket) {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        defer { listener.close() }
        let client = try Socket.connect(host: "127.0.0.1", port: try listener.localPort())
        _ = try Readiness.wait(for: .readable, on: [listener.descriptor], timeoutMilliseconds: 1000)
        guard case .processed(let server) = try listener.accept() else { throw IOError("accept", errno: EAGAIN) }
        return (server, client)
    }

    @Test func anIdleSocketTimesOutAtItsDeadlineNotBefore() throws {
        let (server, client) = try Self.connectedPair()
        defer { server.close(); client.close() }
        let started = ContinuousClock.now
        #expect(try !Readiness.wait(for: .readable, on: [server.descriptor], until: started + .milliseconds(80)))
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(80) && waited < .milliseconds(1000))
    }

    @Test func dataMakesItReadableAndReadsBackWhole() throws {
        let (server, client) = try Self.connectedPair()
        defer { server.close(); client.close() }
        try client.sendAll(Array("hello".utf8))
        #expect(try Readiness.wait(for: .readable, on: [server.descriptor], timeoutMilliseconds: 1000))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        guard case .processed(let count) = try server.read(into: buffer) else {
            Issue.record("would block after a readable report")
            return
        }
        #expect(Array(buffer[..<count]) == Array("hello".utf8))
        guard case .wouldBlock = try server.read(into: buffer) else {
            Issue.record("a drained non-blocking socket must report would-block, not an error or end of stream")
            return
        }
    }

    @Test func anyOfSeveralDescriptorsWakesTheWait() throws {
        let first = try Self.connectedPair(), second = try Self.connectedPair()
        defer { [first.server, first.client, second.server, second.client].forEach { $0.close() } }
        try second.client.sendAll([1])
        #expect(try Readiness.wait(for: .readable, on: [first.server.descriptor, second.server.descriptor], timeoutMilliseconds: 1000))
    }

    @Test func theClientsEndOfStreamReadsAsZero() throws {
        let (server, client) = try Self.connectedPair()
        defer { server.close() }
        client.close()
        #expect(try Readiness.wait(for: .readable, on: [server.descriptor], timeoutMilliseconds: 1000))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { buffer.deallocate() }
        guard case .processed(let count) = try server.read(into: buffer) else {
            Issue.record("end of stream must read as zero bytes")
            return
        }
        #expect(count == 0)
    }

    @Test func aRefusedConnectIsAnIOErrorNamingTheOperation() throws {
        // Bind a port, then close it: nothing listens there any more.
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        let port = try listener.localPort()
        listener.close()
        do {
            _ = try Socket.connect(host: "127.0.0.1", port: port)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.errnoCode == ECONNREFUSED)
            #expect(error.description.contains("connect(127.0.0.1:\(port))"))
        }
    }

    @Test func aSecondPlainListenerOnATakenPortFails() throws {
        let first = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        defer { first.close() }
        #expect(throws: IOError.self) { try Socket.listen(host: "127.0.0.1", port: try first.localPort(), reusePort: false) }
    }
}
