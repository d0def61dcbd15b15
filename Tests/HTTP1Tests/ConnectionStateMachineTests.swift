import HTTP1
import Testing

/// A connection's state machine driven as the server drives it, with a client that sends
/// bytes and a socket that takes as many bytes as the test says.
struct ConnectionHarness {
    var machine: ConnectionStateMachine
    var now: UInt64 = 1_000_000_000
    /// Requests handed to the application, with their slots, not yet answered.
    var requests: [(request: HTTPRequest, slot: Int)] = []
    /// Everything the client has been sent.
    var sent: [UInt8] = []
    var actions: [ConnectionStateMachine.Action] = []
    static let date = Array("Thu, 01 Jan 2026 00:00:00 GMT".utf8)

    init(maxPendingResponses: Int = 256, maxUnsentBytes: Int = 256 * 1024) {
        let configuration = ConnectionStateMachine.Configuration(
            maxPendingResponses: maxPendingResponses, maxUnsentBytes: maxUnsentBytes,
            headerTimeout: 10_000_000_000, idleTimeout: 60_000_000_000, writeTimeout: 30_000_000_000
        )
        machine = ConnectionStateMachine(configuration: configuration, now: now)
    }

    /// The client sends `text`; the server reads it and dispatches what it can.
    mutating func clientSends(_ text: String) {
        machine.received(contentsOf: Array(text.utf8), now: now)
        dispatch()
        actions.append(machine.readingFinished(now: now))
    }

    mutating func dispatch() {
        while let next = machine.nextRequest() { requests.append(next) }
    }

    /// The application answers the oldest request not yet answered.
    mutating func answer(_ response: HTTPResponse = .text(.ok, "pong")) {
        let (_, slot) = requests.removeFirst()
        actions.append(machine.responseReady(slot, response))
    }

    /// Flushes; the socket takes at most `accepting` bytes in all (nil: everything).
    mutating func flush(accepting limit: Int? = nil) {
        machine.prepareOutput(date: Self.date)
        var budget = limit ?? Int.max
        while machine.hasUnsentBytes {
            var chunk: [UInt8] = []
            let taken = machine.withUnsentBytes { bytes in
                chunk = Array(bytes.prefix(budget))
                return chunk.count
            }
            if taken == 0 {
                machine.sendBlocked(now: now)
                return
            }
            sent += chunk
            budget -= taken
            machine.sent(taken, now: now)
        }
        let (action, decode) = machine.outputSent()
        actions.append(action)
        if decode { dispatch() }
    }

    var sentText: String { String(decoding: sent, as: UTF8.self) }

    /// The status lines sent, in order (bodies are not followed by a line break).
    func statusLines() -> [Substring] {
        sentText.matches(of: /HTTP\/1\.[01] \d{3} [^\r]*/).map(\.output)
    }
}

@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    @Test func keepAliveServesRequestsInTurn() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(connection.requests.count == 1)
        #expect(connection.actions == [.none], "nothing to write before the answer")
        connection.answer()
        #expect(connection.actions.last == .flush)
        connection.flush()
        #expect(connection.statusLines() == ["HTTP/1.1 200 OK"])
        #expect(connection.actions.last == ConnectionStateMachine.Action.none)
        #expect(connection.machine.isReading && connection.machine.interest == .init(read: true, write: false))
    }

    @Test func oneFlushIsAskedForHoweverManyAnswersAreReady() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.answer()
        connection.answer()
        #expect(connection.actions.suffix(2) == [.flush, .none])
        connection.flush()
        #expect(connection.statusLines().count == 2)
    }

    @Test func pipelinedAnswersGoOutInRequestOrder() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        let slow = connection.requests[0].slot, fast = connection.requests[1].slot
        _ = connection.machine.responseReady(fast, .text(.ok, "fast"))
        connection.flush()
        #expect(connection.sent.isEmpty, "the second answer waits for the first")
        _ = connection.machine.responseReady(slow, .text(.notFound, "slow"))
        connection.flush()
        #expect(connection.statusLines() == ["HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"])
    }

    @Test func connectionCloseEndsReadingAndClosesAfterTheAnswer() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(connection.requests.count == 1, "nothing after Connection: close is read")
        #expect(!connection.machine.isReading)
        connection.answer()
        connection.flush()
        #expect(connection.actions.last == .close)
        #expect(connection.sentText.contains("Connection: close"))
    }

    @Test func aMalformedRequestIsAnsweredAndTheConnectionClosed() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\nBAD\r\n\r\n")
        #expect(connection.requests.count == 1)
        connection.answer()
        connection.flush()
        #expect(connection.statusLines() == ["HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"])
        #expect(connection.actions.last == .close)
    }

    @Test func halfCloseAnswersWhatWasAskedThenCloses() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.machine.inputEnded()
        #expect(connection.machine.readingFinished(now: connection.now) == .none, "the answer is still to come")
        connection.answer()
        connection.flush()
        #expect(connection.statusLines() == ["HTTP/1.1 200 OK"])
        #expect(connection.actions.last == .close)
    }

    @Test func endOfStreamOnAnIdleConnectionClosesAtOnce() {
        var connection = ConnectionHarness()
        connection.machine.inputEnded()
        #expect(connection.machine.readingFinished(now: connection.now) == .close)
        #expect(connection.machine.isClosed)
    }

    @Test func tooManyPendingAnswersPauseReadingUntilWritten() {
        var connection = ConnectionHarness(maxPendingResponses: 2)
        connection.clientSends(String(repeating: "GET /p HTTP/1.1\r\nHost: x\r\n\r\n", count: 5))
        #expect(connection.requests.count == 2)
        #expect(!connection.machine.interest.read, "paused, not ended")
        #expect(connection.machine.isReading)
        connection.answer()
        connection.answer()
        connection.flush()
        #expect(connection.requests.count == 2, "the buffered requests are picked up after the flush")
        connection.answer()
        connection.answer()
        connection.flush()
        #expect(connection.requests.count == 1)
        connection.answer()
        connection.flush()
        #expect(connection.statusLines().count == 5)
    }

    @Test func aClientThatDoesNotReadPausesReadingPastTheUnsentLimit() {
        var connection = ConnectionHarness(maxUnsentBytes: 100)
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.answer(.text(.ok, String(repeating: "x", count: 1000)))
        connection.flush(accepting: 10)
        #expect(connection.machine.interest == .init(read: false, write: true))
        connection.flush()
        #expect(connection.machine.interest == .init(read: true, write: false))
    }

    @Test func aSlowWriteUnderTheLimitKeepsReading() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.answer()
        connection.flush(accepting: 10)
        #expect(connection.machine.interest == .init(read: true, write: true))
    }

    @Test func anIncompleteHeadTimesOutWith408() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost:")
        connection.now += 9_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .none)
        connection.now += 2_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .flush)
        connection.flush()
        #expect(connection.statusLines() == ["HTTP/1.1 408 Request Timeout"])
        #expect(connection.actions.last == .close)
    }

    @Test func aBodyHasItsOwnClockApartFromTheHeadersOne() {
        var connection = ConnectionHarness()
        connection.clientSends("POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        connection.now += 20_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .none, "past the header timeout, but the head was complete")
        connection.clientSends("defg")
        connection.now += 11_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .flush, "31 s after the head: past the body timeout")
        connection.flush()
        #expect(connection.statusLines() == ["HTTP/1.1 408 Request Timeout"])
        #expect(connection.actions.last == .close)
    }

    @Test func aSlowBodyWithinItsTimeIsServed() {
        var connection = ConnectionHarness()
        connection.clientSends("POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc")
        connection.now += 25_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .none)
        connection.clientSends("def")
        #expect(connection.requests.count == 1)
        connection.now += 10_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .none, "the body is in: no clock runs while it is answered")
    }

    @Test func theHeaderClockRestartsWithEachRequest() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\n")
        connection.now += 5_000_000_000
        connection.clientSends("Host: x\r\n\r\nGET /b HTTP/1.1\r\n")
        connection.answer()
        connection.flush()
        connection.now += 6_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .none, "the second request started 6 s ago")
    }

    @Test func anIdleConnectionClosesAfterTheIdleTimeout() {
        var connection = ConnectionHarness()
        connection.now += 59_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .none)
        connection.now += 2_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .close)
    }

    @Test func aConnectionWaitingForItsAnswerIsNotIdle() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.now += 120_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .none)
    }

    @Test func aBlockedWriteTimesOut() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.answer()
        connection.flush(accepting: 0)
        connection.now += 31_000_000_000
        #expect(connection.machine.tick(now: connection.now) == .close)
    }

    @Test func drainingClosesIdleConnectionsAtOnceAndBusyOnesAfterTheirAnswer() {
        var idle = ConnectionHarness()
        #expect(idle.machine.drain() == .close)

        var busy = ConnectionHarness()
        busy.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(busy.machine.drain() == .none)
        busy.clientSends("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(busy.requests.count == 1, "no new request after draining began")
        busy.answer()
        busy.flush()
        #expect(busy.actions.last == .close)
    }

    @Test func answersAfterCloseAreDropped() {
        var connection = ConnectionHarness()
        connection.clientSends("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.machine.closed()
        connection.answer()
        #expect(connection.actions.last == ConnectionStateMachine.Action.none)
        connection.flush()
        #expect(connection.sent.isEmpty)
    }
}
