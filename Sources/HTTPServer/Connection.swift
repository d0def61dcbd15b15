import HTTP1
import LinuxIO

/// One client connection: performs what its `ConnectionStateMachine` says — reads bytes
/// into it, hands its requests to the responder, writes its bytes, closes when it says.
///
/// Thread-confined to its loop.
final class Connection: EventHandler {
    static let initialInterest: IOEvents = [.readable, .edgeTriggered]

    private let socket: Socket
    private let shared: LoopConnections
    private var machine: ConnectionStateMachine
    /// The interest last given to the loop. Edge-triggered: each read drains the socket (up
    /// to a short read or `wouldBlock`), or asks to be told again (see `readAvailable`).
    private var interest = ConnectionStateMachine.Interest(read: true, write: false)

    init(socket: Socket, shared: LoopConnections) {
        self.socket = socket
        self.shared = shared
        machine = ConnectionStateMachine(configuration: shared.connectionConfiguration, now: shared.loop.now)
    }

    func handle(_ events: IOEvents) {
        if events.contains(.readable), machine.isReading {
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
        let buffer = shared.readBuffer
        // A few reads per wake-up at most, so one busy client cannot starve the others.
        var drained = false
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
                machine.inputEnded()
                break
            }
            machine.received(UnsafeRawBufferPointer(rebasing: buffer[..<count]), now: shared.loop.now)
            dispatchRequests()
            if count < buffer.count {
                drained = true
                break
            }
            if !machine.isReading { break }
        }
        perform(machine.readingFinished(now: shared.loop.now))
        // Stopped while data may remain: with edge triggering no new report would come for
        // it, so re-arm, which reports the socket again on the next wait if it is still
        // readable.
        applyInterest(rearm: !drained && machine.isReading)
    }

    /// Hands every complete request to the responder; each answer comes back through
    /// `complete`, now or later.
    private func dispatchRequests() {
        while let (request, slot) = machine.nextRequest() {
            shared.responder.respond(to: request) { [self] response in
                perform(machine.responseReady(slot, response))
            }
        }
        reportRejection()
    }

    /// Tells the responder about a request the server answered itself with an error.
    private func reportRejection() {
        if let rejection = machine.takeRejection() { shared.responder.rejected(rejection) }
    }

    // MARK: Writing

    /// Serialises the responses that are ready and sends what the socket takes.
    func flush() {
        guard !socket.isClosed else { return }
        machine.prepareOutput(date: shared.date)
        while machine.hasUnsentBytes {
            // Bytes sent, 0 when the socket takes nothing now, -1 when it failed: a plain
            // number, since a typed-throws Result here costs a generic-metadata lookup per send.
            let sent = machine.withUnsentBytes { bytes in
                switch try? socket.send(bytes) {
                case .processed(let count): count
                case .wouldBlock: 0
                case nil: -1
                }
            }
            if sent > 0 {
                machine.sent(sent, now: shared.loop.now)
            } else if sent == 0 {
                machine.sendBlocked(now: shared.loop.now)
                applyInterest()
                return
            } else {
                close()
                return
            }
        }
        let (action, decode) = machine.outputSent()
        perform(action)
        guard !socket.isClosed else { return }
        applyInterest()
        // Reading was paused for back-pressure and there is room again: pick up what the
        // client sent meanwhile.
        if decode {
            dispatchRequests()
            applyInterest()
        }
    }

    // MARK: Acting

    private func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none: break
        case .flush: shared.scheduleFlush(self)
        case .close: close()
        }
    }

    /// Tells the loop what the machine wants to hear about, when that changed, or again with
    /// `rearm` so that an edge is reported for data already waiting.
    private func applyInterest(rearm: Bool = false) {
        guard !socket.isClosed else { return }
        let wanted = machine.interest
        guard wanted != interest || (rearm && wanted.read) else { return }
        interest = wanted
        var events: IOEvents = .edgeTriggered
        if wanted.read { events.insert(.readable) }
        if wanted.write { events.insert(.writable) }
        try? shared.loop.modify(fd: socket.descriptor, interest: events)
    }

    // MARK: Timeouts and closing

    func checkTimeouts(now: UInt64) {
        perform(machine.tick(now: now))
        reportRejection()
    }

    /// Shutdown: an idle connection closes now; a busy one after its last response.
    func drain() {
        perform(machine.drain())
        applyInterest()
    }

    func close() {
        machine.closed()
        guard !socket.isClosed else { return }
        let descriptor = socket.descriptor
        shared.loop.deregister(fd: descriptor)
        socket.close()
        shared.remove(descriptor)
    }
}
