import Dispatch
import HTTP1
import LinuxIO
import Logging
import Synchronization

/// The HTTP/1.1 server: one event loop per thread, each with its own listening socket
/// (`SO_REUSEPORT`), its own connections and its own responder, so the request path takes no
/// lock.
public final class HTTPServer: Sendable {
    public typealias ResponderFactory = @Sendable (EventLoop) throws -> HTTPResponder

    private let configuration: HTTPServerConfiguration
    private let logger: Logger
    private let makeResponder: ResponderFactory
    private let state = Mutex<State>(State())
    private let openConnections = ConnectionGauge()

    private struct State {
        var loops: [LoopHandle] = []
        var boundPort: Int?
    }

    /// A running loop as seen from other threads.
    private struct LoopHandle: @unchecked Sendable {
        // The loop and its server are thread-confined. From other threads only the loop's
        // `execute` and `stop` are called; the server is touched inside `execute` closures,
        // which run on the loop thread.
        let loop: EventLoop
        let server: LoopServer
        let finished: DispatchSemaphore
    }

    /// Creates a server; `makeResponder` runs once on each loop's thread.
    public init(configuration: HTTPServerConfiguration, logger: Logger, makeResponder: @escaping ResponderFactory) {
        self.configuration = configuration
        self.logger = logger
        self.makeResponder = makeResponder
    }

    /// The port the server listens on, once started (useful with port 0).
    public var port: Int? { state.withLock { $0.boundPort } }

    /// The number of open client connections across all loops.
    public var connectionCount: Int { openConnections.value }

    /// Binds the listening sockets, makes each loop's responder and starts the loops. Errors
    /// (port taken, bad address, a responder that cannot be made) are thrown here, before
    /// anything runs.
    public func start() throws {
        let loopCount = configuration.eventLoops > 0 ? configuration.eventLoops : ProcessLimits.activeProcessorCount()
        let configuration = cappedToOpenFiles(self.configuration, loops: loopCount)
        let listeners = try bindListeners(count: loopCount)
        let port = try listeners[0].localPort()
        // Everything is built on this thread; from `run()` on, each loop's objects are
        // touched by that loop's thread only.
        var handles: [LoopHandle] = []
        for (index, listener) in listeners.enumerated() {
            let loop = try EventLoop(name: "http-loop-\(index)")
            // What one loop logs says which loop (as ps names its thread): each raises its own warnings.
            var loopLogger = logger
            loopLogger[metadataKey: "http.eventLoop"] = "\(loop.name)"
            let server = try LoopServer(
                loop: loop, listener: listener, responder: try makeResponder(loop),
                configuration: configuration, gauge: openConnections, logger: loopLogger
            )
            handles.append(LoopHandle(loop: loop, server: server, finished: DispatchSemaphore(value: 0)))
        }
        for handle in handles {
            Threads.start(name: handle.loop.name) { [logger] in
                defer { handle.finished.signal() }
                do {
                    try handle.loop.run()
                } catch {
                    logger.critical("event loop failed", metadata: ["http.eventLoop": "\(handle.loop.name)", "error": "\(error)"])
                }
                handle.server.closeAll()
            }
        }
        state.withLock {
            $0.loops = handles
            $0.boundPort = port
        }
        logger.info("listening", metadata: [
            "http.host": "\(configuration.host)", "http.port": "\(port)", "http.eventLoops": "\(loopCount)",
        ])
    }

    /// Stops accepting, lets in-flight requests finish for up to the grace period, closes
    /// every connection and returns once all loops have ended.
    public func shutdown() {
        let loops = state.withLock { state in
            defer { state.loops = [] }
            return state.loops
        }
        let grace = configuration.shutdownGraceMilliseconds
        for handle in loops {
            handle.loop.execute { handle.server.beginDraining(graceMilliseconds: grace) }
        }
        for handle in loops {
            if handle.finished.wait(timeout: .now() + .milliseconds(grace + 1000)) == .timedOut {
                handle.loop.stop()
                handle.finished.wait()
            }
        }
    }

    /// `configuration` with `maxConnections` lowered to what the open-files limit leaves
    /// room for, so the cap is met before descriptors run out; logged when it is lowered.
    private func cappedToOpenFiles(_ configuration: HTTPServerConfiguration, loops: Int) -> HTTPServerConfiguration {
        // Besides connections: standard streams, and per loop a listener, an epoll instance,
        // an eventfd, a Redis connection and a spare, with room for the libraries' own.
        let reserved = 32 + 8 * loops
        let limit = ProcessLimits.openFilesLimit()
        guard limit - reserved < configuration.maxConnections else { return configuration }
        var capped = configuration
        capped.maxConnections = max(1, limit - reserved)
        logger.warning("http.maxConnections lowered to what the open-files limit allows", metadata: [
            "http.maxConnections.configured": "\(configuration.maxConnections)", "http.maxConnections.effective": "\(capped.maxConnections)",
            "process.openFilesLimit": "\(limit)",
        ])
        return capped
    }

    /// One socket per loop on the same port. A plain bind first makes sure no other process
    /// holds the port: `SO_REUSEPORT` would otherwise let two servers share it silently.
    private func bindListeners(count: Int) throws -> [Socket] {
        if configuration.port != 0 {
            let probe = try Socket.listen(host: configuration.host, port: configuration.port, reusePort: false)
            probe.close()
        }
        let first = try Socket.listen(host: configuration.host, port: configuration.port, reusePort: true)
        let port = try first.localPort()
        var sockets = [first]
        for _ in 1..<max(count, 1) {
            sockets.append(try Socket.listen(host: configuration.host, port: port, reusePort: true))
        }
        return sockets
    }
}

/// The number of open connections of all loops, checked on accept against the cap. The only
/// state the loops share, and it is off the request path.
final class ConnectionGauge: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .relaxed) }

    /// Counts a new connection if it fits under `limit`.
    func tryAdd(limit: Int) -> Bool {
        let new = count.wrappingAdd(1, ordering: .relaxed).newValue
        if new > limit {
            count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func remove() {
        count.wrappingSubtract(1, ordering: .relaxed)
    }
}
