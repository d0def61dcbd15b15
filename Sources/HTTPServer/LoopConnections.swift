import HTTP1
import LinuxIO

/// The connections of one event loop and what they share: the loop, the responder, one
/// read buffer, the cached `Date` value and the list of connections to flush after this
/// wake-up. Each connection holds it; it holds each open connection until that one closes.
///
/// Thread-confined to its loop.
final class LoopConnections {
    let loop: EventLoop
    let responder: HTTPResponder
    let connectionConfiguration: ConnectionStateMachine.Configuration
    /// One read buffer for every connection of the loop: reads are handed to the state
    /// machine straight away, so they never overlap.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// The current IMF-fixdate, refreshed by the loop server's timer.
    var date: [UInt8] = []
    /// Set while the server shuts down: the loop stops once the last connection closes.
    var isDraining = false
    private let gauge: ConnectionGauge
    private(set) var open: [Int32: Connection] = [:]
    /// Connections with responses to write, flushed once per wake-up.
    private var needsFlush: [Connection] = []

    init(loop: EventLoop, responder: HTTPResponder, configuration: HTTPServerConfiguration, gauge: ConnectionGauge) {
        self.loop = loop
        self.responder = responder
        self.gauge = gauge
        connectionConfiguration = ConnectionStateMachine.Configuration(
            limits: configuration.limits,
            headerTimeout: UInt64(configuration.headerTimeoutMilliseconds) * 1_000_000,
            bodyTimeout: UInt64(configuration.bodyTimeoutMilliseconds) * 1_000_000,
            idleTimeout: UInt64(configuration.idleTimeoutMilliseconds) * 1_000_000,
            writeTimeout: UInt64(configuration.writeTimeoutMilliseconds) * 1_000_000
        )
        loop.afterEvents { [unowned self] in flushPending() }
    }

    deinit {
        readBuffer.deallocate()
    }

    func add(_ connection: Connection, descriptor: Int32) {
        open[descriptor] = connection
    }

    /// Forgets a connection that has closed its socket.
    func remove(_ descriptor: Int32) {
        open[descriptor] = nil
        gauge.remove()
        if isDraining, open.isEmpty { loop.stop() }
    }

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
}
