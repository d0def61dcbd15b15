import HTTP1
import LinuxIO

/// One client connection: reads bytes into the decoder, hands requests to the responder,
/// writes the responses back in order.
///
/// Thread-confined to its loop.
final class Connection: EventHandler {
    /// Requests answered but not yet written, past which reading pauses: a client that
    /// pipelines without reading cannot make the server buffer without bound.
    private static let maxPendingResponses = 256
    /// Unsent response bytes past which reading pauses until the client reads: with the
    /// pending-response cap, this bounds what one connection can make the server hold.
    private static let maxUnsentBytes = 256 * 1024

    private let socket: Socket
    // unowned(unsafe): the loop server outlives every connection it holds (it closes them
    // all before it goes), and a checked unowned reference costs an atomic retain/release
    // on every access on the request path.
    private unowned(unsafe) let server: LoopServer
    private var decoder: RequestDecoder
    private var sequencer = ResponseSequencer()
    private var output: [UInt8] = []
    private var outputOffset = 0
    /// What the connection watches for. Edge-triggered: each read drains the socket (up to
    /// a short read or `wouldBlock`), or asks to be told again (see `readAvailable`).
    private var interest: IOEvents = .readable
    static let initialInterest: IOEvents = [.readable, .edgeTriggered]
    /// Set once no more requests will be read: after an error, `Connection: close`, the
    /// client's end of stream or a shutdown.
    private var readingDone = false
    private var closeWhenWritten = false
    private var flushScheduled = false
    private var lastActivity: UInt64
    private var headStartedAt: UInt64?
    private var writeBlockedSince: UInt64?

    init(socket: Socket, server: LoopServer) {
        self.socket = socket
        self.server = server
        self.decoder = RequestDecoder(limits: server.configuration.limits)
        self.lastActivity = server.loop.now
    }

    func handle(_ events: IOEvents) {
        if events.contains(.readable), !readingDone {
            readAvailable()
        }
        if events.contains(.writable) {
            flush()
        } else if events.contains(.failed), !events.contains(.readable) {
            close()
        }
    }

    // MARK: Reading

    private func readAvailable() {
        let buffer = server.readBuffer
        // A few reads per wake-up at most, so one busy client cannot starve the others.
        var drained = false
        defer {
            // Stopped while data may remain: with edge triggering no new report would come
            // for it, so re-arm, which reports the socket again on the next wait if it is
            // still readable.
            if !drained, !readingDone, interest.contains(.readable), !socket.isClosed {
                try? server.loop.modify(fd: socket.descriptor, interest: interest.union(.edgeTriggered))
            }
        }
        for _ in 0..<4 {
            let result: IOResult<Int>
            do {
                result = try socket.read(into: buffer)
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else {
                drained = true
                break
            }
            if count == 0 {
                // The client has finished sending; answer what it asked, then close.
                stopReading()
                closeWhenWritten = true
                break
            }
            lastActivity = server.loop.now
            decoder.append(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            decodeRequests()
            if count < buffer.count {
                drained = true
                break
            }
            if readingDone { break }
        }
        if decoder.hasPartialRequest {
            if headStartedAt == nil { headStartedAt = server.loop.now }
        } else {
            headStartedAt = nil
        }
        scheduleFlushIfNeeded()
        if closeWhenWritten, sequencer.pendingCount == 0, output.isEmpty { close() }
    }

    private func decodeRequests() {
        while !readingDone {
            let request: HTTPRequest
            do {
                guard let next = try decoder.next() else { return }
                request = next
            } catch {
                fail(with: error)
                return
            }
            headStartedAt = nil
            if !request.keepAlive || server.isDraining { stopReading() }
            let slot = sequencer.reserve(for: request)
            server.responder.respond(to: request) { [self] response in
                complete(slot, with: response)
            }
            if sequencer.pendingCount >= Self.maxPendingResponses {
                pauseReading()
                return
            }
        }
    }

    /// Answers a request that broke the protocol and closes after the answer.
    private func fail(with error: HTTPParseError) {
        stopReading()
        let slot = sequencer.reserveFinal()
        sequencer.fulfil(slot, with: .parseError(error))
        scheduleFlushIfNeeded()
    }

    private func complete(_ slot: Int, with response: HTTPResponse) {
        guard !socket.isClosed else { return }
        sequencer.fulfil(slot, with: response)
        scheduleFlushIfNeeded()
    }

    private func stopReading() {
        readingDone = true
        setInterest(interest.subtracting(.readable))
    }

    private func pauseReading() {
        setInterest(interest.subtracting(.readable))
    }

    // MARK: Writing

    private func scheduleFlushIfNeeded() {
        guard !flushScheduled, !socket.isClosed else { return }
        flushScheduled = true
        server.scheduleFlush(self)
    }

    /// Serialises the responses that are ready and sends what the socket takes.
    func flush() {
        flushScheduled = false
        guard !socket.isClosed else { return }
        if sequencer.drain(date: server.date, into: &output) {
            closeWhenWritten = true
            readingDone = true
        }
        while outputOffset < output.count {
            let sent: IOResult<Int>
            let start = outputOffset
            // The closure reports failure as nil rather than throwing: a typed-throws Result
            // wrapper here costs a generic-metadata lookup per send.
            let attempt: IOResult<Int>? = output.withUnsafeBytes { raw in
                try? socket.send(UnsafeRawBufferPointer(rebasing: raw[start...]))
            }
            guard let attempt else {
                close()
                return
            }
            sent = attempt
            switch sent {
            case .processed(let count):
                outputOffset += count
                lastActivity = server.loop.now
            case .wouldBlock:
                if writeBlockedSince == nil { writeBlockedSince = server.loop.now }
                let backlogged = output.count - outputOffset > Self.maxUnsentBytes
                setInterest(backlogged || readingDone ? .writable : [.readable, .writable])
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputOffset = 0
        writeBlockedSince = nil
        var wanted: IOEvents = readingDone ? [] : .readable
        if closeWhenWritten, sequencer.pendingCount == 0 {
            close()
            return
        }
        if !readingDone, sequencer.pendingCount >= Self.maxPendingResponses { wanted = [] }
        setInterest(wanted)
        // Reading was paused for back-pressure and there is room again: pick up what the
        // client sent meanwhile.
        if wanted.contains(.readable), decoder.hasPartialRequest || sequencer.pendingCount == 0 {
            decodeRequests()
        }
    }

    private func setInterest(_ events: IOEvents) {
        guard events != interest, !socket.isClosed else { return }
        interest = events
        try? server.loop.modify(fd: socket.descriptor, interest: events.union(.edgeTriggered))
    }

    // MARK: Timeouts and closing

    func checkTimeouts(now: UInt64) {
        let configuration = server.configuration
        if let headStartedAt, sequencer.pendingCount == 0,
           now - headStartedAt > UInt64(configuration.headerTimeoutMilliseconds) * 1_000_000 {
            self.headStartedAt = nil
            fail(with: .headerTimeout)
            return
        }
        if let writeBlockedSince, now - writeBlockedSince > UInt64(configuration.writeTimeoutMilliseconds) * 1_000_000 {
            close()
            return
        }
        if sequencer.pendingCount == 0, output.isEmpty, !decoder.hasPartialRequest,
           now - lastActivity > UInt64(configuration.idleTimeoutMilliseconds) * 1_000_000 {
            close()
        }
    }

    /// Shutdown: an idle connection closes now; a busy one after its last response.
    func drain() {
        stopReading()
        closeWhenWritten = true
        if sequencer.pendingCount == 0, output.isEmpty { close() }
    }

    func close() {
        guard !socket.isClosed else { return }
        let descriptor = socket.descriptor
        server.loop.deregister(fd: descriptor)
        socket.close()
        server.connectionClosed(self, descriptor: descriptor)
    }
}
