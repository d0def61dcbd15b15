import Glibc
import HTTP1
import LinuxIO
import Logging

/// The part of the server that lives on one event loop: its listening socket, accepting,
/// the timer that refreshes the `Date` value and applies timeouts, and shutdown.
///
/// Thread-confined to its loop.
final class LoopServer: EventHandler {
    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    let logger: Logger
    private let listener: Socket
    private let gauge: ConnectionGauge
    private let connections: LoopConnections
    private var acceptPaused = false
    /// Room to accept and close a connection when descriptors run out.
    private let spare = SpareDescriptor()
    /// Connections closed for want of descriptors since the last warning, and when that was.
    private var shedSinceWarning = 0
    private var lastShedWarning: UInt64?
    private var drainDeadline: UInt64 = 0
    private var dateSecond = -1

    init(
        loop: EventLoop,
        listener: Socket,
        responder: HTTPResponder,
        configuration: HTTPServerConfiguration,
        gauge: ConnectionGauge,
        logger: Logger
    ) throws {
        self.loop = loop
        self.listener = listener
        self.configuration = configuration
        self.gauge = gauge
        self.logger = logger
        connections = LoopConnections(loop: loop, responder: responder, configuration: configuration, gauge: gauge)
        refreshDate()
        try loop.register(fd: listener.descriptor, interest: .readable, handler: self)
        loop.every(milliseconds: 250) { [unowned self] in
            refreshDate()
            sweep()
        }
    }

    // MARK: Accepting

    func handle(_ events: IOEvents) {
        acceptPending()
    }

    private func acceptPending() {
        guard !connections.isDraining else { return }
        // Bounded so one loop cannot starve its connections under a connection storm.
        for _ in 0..<256 {
            let accepted: IOResult<Socket>
            do {
                accepted = try listener.accept()
            } catch where error.errnoCode == EMFILE || error.errnoCode == ENFILE {
                // Out of descriptors: close the pending connection at once rather than leave
                // the client waiting; without a spare, stop watching the listener until the
                // next sweep instead of spinning on it.
                if !shedOnePendingConnection() {
                    pauseAccepting()
                    return
                }
                continue
            } catch {
                logger.warning("accept failed; pausing accepts", metadata: ["http.error": "\(error)"])
                pauseAccepting()
                return
            }
            guard case .processed(let socket) = accepted else { return }
            guard gauge.tryAdd(limit: configuration.maxConnections) else {
                socket.close()
                continue
            }
            do {
                try socket.setNoDelay()
                let connection = Connection(socket: socket, shared: connections)
                try loop.register(fd: socket.descriptor, interest: Connection.initialInterest, handler: connection)
                connections.add(connection, descriptor: socket.descriptor)
            } catch {
                logger.debug("could not set up connection", metadata: ["http.error": "\(error)"])
                socket.close()
                gauge.remove()
            }
        }
    }

    /// Accepts one pending connection on the spare descriptor and closes it; warns at most
    /// once per 10 s, with how many were closed since. Returns false when there is no spare
    /// or nothing was pending.
    private func shedOnePendingConnection() -> Bool {
        var shed = false
        let hadSpare = spare.whileReleased {
            if case .processed(let socket)? = try? listener.accept() {
                socket.close()
                shed = true
            }
        }
        guard hadSpare, shed else { return false }
        shedSinceWarning += 1
        let now = loop.now
        if lastShedWarning.map({ now - $0 >= 10_000_000_000 }) ?? true {
            logger.warning("out of file descriptors; closing new connections at once",
                           metadata: ["http.connections.closed": "\(shedSinceWarning)", "http.connections.open": "\(connections.open.count)"])
            lastShedWarning = now
            shedSinceWarning = 0
        }
        return true
    }

    private func pauseAccepting() {
        guard !acceptPaused else { return }
        acceptPaused = true
        loop.deregister(fd: listener.descriptor)
    }

    private func resumeAccepting() {
        guard acceptPaused, !connections.isDraining else { return }
        acceptPaused = false
        try? loop.register(fd: listener.descriptor, interest: .readable, handler: self)
    }

    // MARK: Time

    private func refreshDate() {
        let second = time(nil)
        guard second != dateSecond else { return }
        dateSecond = second
        connections.date = Array(HTTPDate.format(unixSeconds: second).utf8)
    }

    /// Applies the header, idle and write timeouts, and ends draining at its deadline.
    private func sweep() {
        let now = loop.now
        for connection in Array(connections.open.values) {
            connection.checkTimeouts(now: now)
        }
        if acceptPaused { resumeAccepting() }
        if connections.isDraining, now >= drainDeadline { loop.stop() }
    }

    // MARK: Shutdown

    /// Stops accepting; idle connections close now, busy ones once their responses are out.
    func beginDraining(graceMilliseconds: Int) {
        guard !connections.isDraining else { return }
        connections.isDraining = true
        drainDeadline = loop.now + UInt64(graceMilliseconds) * 1_000_000
        if !acceptPaused { loop.deregister(fd: listener.descriptor) }
        listener.close()
        for connection in Array(connections.open.values) { connection.drain() }
        if connections.open.isEmpty { loop.stop() }
    }

    /// Closes whatever is still open; called when the loop has stopped.
    func closeAll() {
        for connection in Array(connections.open.values) { connection.close() }
        listener.close()
    }
}
