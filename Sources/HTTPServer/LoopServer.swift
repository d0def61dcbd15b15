import Glibc
import HTTP1
import LinuxIO
import Logging

/// The part of the server that lives on one event loop: its listening socket, its
/// connections, the shared read buffer and the cached `Date` value.
///
/// Thread-confined to its loop.
final class LoopServer: EventHandler {
    let loop: EventLoop
    let responder: HTTPResponder
    let configuration: HTTPServerConfiguration
    let logger: Logger
    private let listener: Socket
    private let gauge: ConnectionGauge
    private var connections: [Int32: Connection] = [:]
    /// Connections with responses to write, flushed once per wake-up.
    private var needsFlush: [Connection] = []
    private var acceptPaused = false
    private var draining = false
    private var drainDeadline: UInt64 = 0

    /// One read buffer for every connection of the loop: reads are handed to the decoder
    /// straight away, so they never overlap.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// The current IMF-fixdate, refreshed by a timer.
    private(set) var date: [UInt8] = []
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
        self.responder = responder
        self.configuration = configuration
        self.gauge = gauge
        self.logger = logger
        refreshDate()
        try loop.register(fd: listener.descriptor, interest: .readable, handler: self)
        loop.every(milliseconds: 250) { [unowned self] in
            refreshDate()
            sweep()
        }
        loop.afterEvents { [unowned self] in flushPending() }
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Accepting

    func handle(_ events: IOEvents) {
        acceptPending()
    }

    private func acceptPending() {
        guard !draining else { return }
        // Bounded so one loop cannot starve its connections under a connection storm.
        for _ in 0..<256 {
            let accepted: IOResult<Socket>
            do {
                accepted = try listener.accept()
            } catch {
                // EMFILE/ENFILE: the pending connection stays queued and the listener stays
                // readable, so stop watching it until the next sweep instead of spinning.
                logger.warning("accept failed; pausing accepts", metadata: ["error": "\(error)"])
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
                let connection = Connection(socket: socket, server: self)
                try loop.register(fd: socket.descriptor, interest: Connection.initialInterest, handler: connection)
                connections[socket.descriptor] = connection
            } catch {
                logger.debug("could not set up connection", metadata: ["error": "\(error)"])
                socket.close()
                gauge.remove()
            }
        }
    }

    private func pauseAccepting() {
        guard !acceptPaused else { return }
        acceptPaused = true
        loop.deregister(fd: listener.descriptor)
    }

    private func resumeAccepting() {
        guard acceptPaused, !draining else { return }
        acceptPaused = false
        try? loop.register(fd: listener.descriptor, interest: .readable, handler: self)
    }

    // MARK: Connections

    /// Marks `connection` to be flushed after this wake-up's handlers have run.
    func scheduleFlush(_ connection: Connection) {
        needsFlush.append(connection)
    }

    private func flushPending() {
        // A flush can resume a paused reader, whose requests may answer at once and ask for
        // another flush; a few rounds settle that without waiting for the next wake-up.
        for _ in 0..<4 where !needsFlush.isEmpty {
            let batch = needsFlush
            needsFlush.removeAll(keepingCapacity: true)
            for connection in batch { connection.flush() }
        }
    }

    /// Forgets a connection that has closed its socket.
    func connectionClosed(_ connection: Connection, descriptor: Int32) {
        connections[descriptor] = nil
        gauge.remove()
        if draining, connections.isEmpty { loop.stop() }
    }

    // MARK: Time

    private func refreshDate() {
        let second = time(nil)
        guard second != dateSecond else { return }
        dateSecond = second
        date = Array(HTTPDate.format(unixSeconds: second).utf8)
    }

    /// Applies the header, idle and write timeouts, and ends draining at its deadline.
    private func sweep() {
        let now = loop.now
        for connection in Array(connections.values) {
            connection.checkTimeouts(now: now)
        }
        if acceptPaused { resumeAccepting() }
        if draining, now >= drainDeadline { loop.stop() }
    }

    // MARK: Shutdown

    /// Stops accepting; idle connections close now, busy ones once their responses are out.
    func beginDraining(graceMilliseconds: Int) {
        guard !draining else { return }
        draining = true
        drainDeadline = loop.now + UInt64(graceMilliseconds) * 1_000_000
        if !acceptPaused { loop.deregister(fd: listener.descriptor) }
        listener.close()
        for connection in Array(connections.values) { connection.drain() }
        if connections.isEmpty { loop.stop() }
    }

    var isDraining: Bool { draining }

    /// Closes whatever is still open; called when the loop has stopped.
    func closeAll() {
        for connection in Array(connections.values) { connection.close() }
        listener.close()
    }
}
