import Foundation
import LinuxIO
import Redis
import Testing

/// A stand-in for Redis on loopback that answers each command with the next scripted reply
/// (raw RESP), so the wrapper's parsing and deadlines are tested without a server.
final class ScriptedRedis: @unchecked Sendable {
    // Written before the thread starts and read by it alone, then by the test after join.
    let port: Int
    private let listener: Socket
    private let replies: [String]
    private(set) var received: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(replies: [String]) throws {
        listener = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        port = try listener.localPort()
        self.replies = replies
        Thread { [self] in serve() }.start()
    }

    private func serve() {
        defer { done.signal() }
        guard (try? Readiness.wait(for: .readable, on: [listener.descriptor], timeoutMilliseconds: 5000)) == true,
              case .processed(let client)? = try? listener.accept() else { return }
        defer { client.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { buffer.deallocate() }
        for reply in replies {
            guard (try? Readiness.wait(for: .readable, on: [client.descriptor], timeoutMilliseconds: 5000)) == true,
                  case .processed(let count)? = try? client.read(into: buffer), count > 0 else { return }
            received += buffer[..<count]
            if !reply.isEmpty { try? client.sendAll(Array(reply.utf8)) }
        }
        // Hold the connection until the test closes it (or a moment passes).
        _ = try? Readiness.wait(for: .readable, on: [client.descriptor], timeoutMilliseconds: 300)
    }

    /// Waits for the stand-in to finish and closes its listener.
    func finish() {
        done.wait()
        listener.close()
    }
}

@Suite("Redis wrapper: commands, replies and deadlines")
struct RedisConnectionTests {
    @Test func commandsAreFormattedBinarySafe() throws {
        let server = try ScriptedRedis(replies: ["+OK\r\n"])
        defer { server.finish() }
        let connection = try RedisConnection.connect(host: "127.0.0.1", port: server.port, timeoutMilliseconds: 1000)
        _ = try connection.roundTrip(RedisCommand([Array("SET".utf8), [0x00, 0xFF, 0x0D, 0x0A]]), timeoutMilliseconds: 1000)
        #expect(server.received == Array("*2\r\n$3\r\nSET\r\n$4\r\n".utf8) + [0x00, 0xFF, 0x0D, 0x0A] + Array("\r\n".utf8))
    }

    @Test func everyKindOfReplyIsCopiedOut() throws {
        let replies = ["+PONG\r\n", ":-42\r\n", "$3\r\na\u{0}b\r\n", "$-1\r\n", "*2\r\n:1\r\n$1\r\nx\r\n", "-ERR wrong\r\n"]
        let server = try ScriptedRedis(replies: replies)
        defer { server.finish() }
        let connection = try RedisConnection.connect(host: "127.0.0.1", port: server.port, timeoutMilliseconds: 1000)
        var got: [RedisReply] = []
        for _ in replies { got.append(try connection.roundTrip(RedisCommand(["PING"]), timeoutMilliseconds: 1000)) }
        #expect(got == [.status("PONG"), .integer(-42), .bulk([0x61, 0, 0x62]), .null, .array([.integer(1), .bulk([0x78])]), .error("ERR wrong")])
        #expect(got[5].isError && !got[0].isError)
        #expect(RedisReply.bulk(Array("17".utf8)).integerValue == 17)
    }

    @Test func aReplyThatNeverComesTimesOut() throws {
        let server = try ScriptedRedis(replies: [""])
        defer { server.finish() }
        let connection = try RedisConnection.connect(host: "127.0.0.1", port: server.port, timeoutMilliseconds: 1000)
        let started = ContinuousClock.now
        do {
            _ = try connection.roundTrip(RedisCommand(["GET", "k"]), timeoutMilliseconds: 100)
            Issue.record("a reply came from a server that sends none")
        } catch {
            #expect(error.code == .timeout)
        }
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func aServerThatHangsUpIsTheEndOfTheStream() throws {
        let server = try ScriptedRedis(replies: [])
        let connection = try RedisConnection.connect(host: "127.0.0.1", port: server.port, timeoutMilliseconds: 1000)
        server.finish()
        do {
            _ = try connection.roundTrip(RedisCommand(["PING"]), timeoutMilliseconds: 3000)
            Issue.record("a closed connection answered")
        } catch {
            #expect(error.code == .endOfStream || error.code == .io)
        }
    }

    @Test func nothingListeningIsARefusedConnection() throws {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        let port = try listener.localPort()
        listener.close()
        do {
            _ = try RedisConnection.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 1000)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.code == .connectionRefused)
        }
    }
}
