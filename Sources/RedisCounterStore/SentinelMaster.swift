import Dispatch
import LinuxIO
import Logging
import Redis
import Synchronization

/// Where the Redis master is, as the Sentinels say: kept current by one thread per process,
/// which every store asks before each connection.
///
/// The thread asks a Sentinel for the master (`SENTINEL get-master-addr-by-name`), then
/// listens on that Sentinel for `+switch-master`, so a failover is followed as soon as it is
/// announced; it asks again every second (an announcement can be missed while it
/// reconnects) and moves to the next Sentinel when one does not answer. A store that meets
/// a replica (`READONLY`, or `ROLE` other than master) drops its connection and asks again.
public final class SentinelMaster: Sendable {
    /// The Sentinels and the master's name.
    public struct Configuration: Sendable, Equatable {
        public var sentinels: [(host: String, port: Int)]
        public var masterName: String
        /// Sentinel's own password (`requirepass` in sentinel.conf), if any.
        public var password: String?
        public var timeoutMilliseconds: Int

        public init(sentinels: [(host: String, port: Int)], masterName: String = "mymaster", password: String? = nil,
                    timeoutMilliseconds: Int = 500) {
            self.sentinels = sentinels
            self.masterName = masterName
            self.password = password
            self.timeoutMilliseconds = timeoutMilliseconds
        }

        public static func == (lhs: Configuration, rhs: Configuration) -> Bool {
            lhs.sentinels.map { "\($0.host):\($0.port)" } == rhs.sentinels.map { "\($0.host):\($0.port)" }
                && lhs.masterName == rhs.masterName && lhs.password == rhs.password && lhs.timeoutMilliseconds == rhs.timeoutMilliseconds
        }
    }

    private struct State {
        var master: (host: String, port: Int)?
        var switches = 0
        var stopped = false
    }

    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let answered = DispatchSemaphore(value: 0)

    /// Starts the watching thread; the first answer is awaited for up to the timeout, so
    /// that the first connection already goes to the master.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        Threads.start(name: "sentinel") { [self] in watch() }
        _ = answered.wait(timeout: .now() + .milliseconds(configuration.timeoutMilliseconds * max(1, configuration.sentinels.count)))
    }

    /// The master's address as last announced, or nil when no Sentinel has answered yet.
    public var current: (host: String, port: Int)? { state.withLock { $0.master } }

    /// How many times the master changed while this process watched.
    public var switches: Int { state.withLock { $0.switches } }

    /// Ends the watching thread at its next wake-up.
    public func stop() {
        state.withLock { $0.stopped = true }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func record(_ master: (host: String, port: Int), why: String) {
        let changed = state.withLock { state -> Bool in
            let changed = state.master.map { $0.host != master.host || $0.port != master.port } ?? true
            if changed, state.master != nil { state.switches += 1 }
            state.master = master
            return changed
        }
        if changed {
            logger.info("Redis master", metadata: ["redis.master": "\(master.host):\(master.port)", "redis.master.source": "\(why)"])
        }
        answered.signal()
    }

    private func watch() {
        var next = 0
        var lastProblem: String?
        while !stopped {
            let sentinel = configuration.sentinels[next % configuration.sentinels.count]
            do throws(RedisError) {
                try follow(sentinel)
            } catch {
                if lastProblem != error.message {
                    logger.warning("Sentinel does not answer; asking the next", metadata: [
                        "redis.sentinel": "\(sentinel.host):\(sentinel.port)", "redis.sentinel.error": "\(error.message)",
                    ])
                    lastProblem = error.message
                }
                next += 1
                if next % configuration.sentinels.count == 0 { CurrentThread.sleep(for: .milliseconds(200)) }
            }
        }
    }

    /// Asks `sentinel` for the master and listens for its announcements until it fails.
    private func follow(_ sentinel: (host: String, port: Int)) throws(RedisError) {
        let timeout = configuration.timeoutMilliseconds
        let query = try RedisConnection.connect(host: sentinel.host, port: sentinel.port, timeoutMilliseconds: timeout)
        let listener = try RedisConnection.connect(host: sentinel.host, port: sentinel.port, timeoutMilliseconds: timeout)
        if let password = configuration.password {
            for connection in [query, listener] {
                if case .error(let message) = try connection.roundTrip(RedisCommand(["AUTH", password]), timeoutMilliseconds: timeout) {
                    throw RedisError.refused(message)
                }
            }
        }
        try ask(query)
        listener.append(RedisCommand(["SUBSCRIBE", "+switch-master"]))
        while try !listener.write() {}
        var lastAsked = ContinuousClock.now
        while !stopped {
            // Every second: an announcement may have gone by while this thread reconnected.
            if ContinuousClock.now - lastAsked >= .seconds(1) {
                try ask(query)
                lastAsked = .now
            }
            let readable: Bool
            do {
                readable = try Readiness.wait(for: .readable, on: [listener.descriptor], until: .now + .milliseconds(250))
            } catch {
                throw RedisError(.io, "\(error)")
            }
            guard readable else { continue }
            try listener.read()
            while let message = try listener.nextReply() {
                // ["message", "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]
                guard case .array(let parts) = message, parts.count == 3, case .bulk(let payload) = parts[2] else { continue }
                let fields = String(decoding: payload, as: UTF8.self).split(separator: " ")
                if fields.count == 5, fields[0] == configuration.masterName, let port = Int(fields[4]) {
                    record((String(fields[3]), port), why: "+switch-master")
                }
            }
        }
    }

    private func ask(_ query: RedisConnection) throws(RedisError) {
        let reply = try query.roundTrip(RedisCommand(["SENTINEL", "get-master-addr-by-name", configuration.masterName]),
                                        timeoutMilliseconds: configuration.timeoutMilliseconds)
        guard case .array(let parts) = reply, parts.count == 2, case .bulk(let host) = parts[0], let port = parts[1].integerValue else {
            throw RedisError(.protocolError, "Sentinel does not know the master \(configuration.masterName): \(reply)")
        }
        record((String(decoding: host, as: UTF8.self), port), why: "SENTINEL get-master-addr-by-name")
    }
}
