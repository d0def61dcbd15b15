import Counters
import LinuxIO
import Logging
import Metrics
import Redis
import Resilience

/// The counts in Redis, driven without blocking from one event loop.
///
/// Commands issued while the loop handles a wake-up are queued in hiredis's output buffer
/// and leave as one pipelined write after the handlers have run. Replies come back in order
/// and complete the oldest waiting call. A reply that does not come within the timeout, or
/// any connection error, fails everything waiting, drops the connection and reconnects with
/// a capped back-off; meanwhile calls fail at once rather than wait.
///
/// Thread-confined to its loop.
public final class RedisCounterStore: CounterStore {
    /// Where Redis is and how the counters are named.
    public struct Configuration: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?
        public var database: Int
        public var timeoutMilliseconds: Int
        public var receivedKey: String
        public var sentKey: String
        /// The prefix of the per-message dedupe marks.
        public var dedupePrefix: String
        /// How long a dedupe mark lives, in seconds.
        public var dedupeSeconds: Int
        /// The wait before each reconnect while Redis stays away: quick after a blip,
        /// gentle on a Redis that stays down.
        public var reconnect: Backoff

        public init(
            host: String = "127.0.0.1",
            port: Int = 6379,
            username: String? = nil,
            password: String? = nil,
            database: Int = 0,
            timeoutMilliseconds: Int = 1000,
            receivedKey: String = "received_hello",
            sentKey: String = "sent_hello",
            dedupePrefix: String = "biggoal:dedupe:",
            dedupeSeconds: Int = 86_400,
            reconnect: Backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.timeoutMilliseconds = timeoutMilliseconds
            self.receivedKey = receivedKey
            self.sentKey = sentKey
            self.dedupePrefix = dedupePrefix
            self.dedupeSeconds = dedupeSeconds
            self.reconnect = reconnect
        }
    }

    private typealias ReplyHandler = (Result<RedisReply, CounterStoreError>) -> Void

    private struct Waiting {
        let deadline: UInt64
        let handler: ReplyHandler
    }

    private enum State {
        /// No connection; the next attempt is due at `retryAt`.
        case disconnected(retryAt: UInt64)
        /// TCP connect in progress since `since`.
        case connecting(RedisConnection, since: UInt64)
        case connected(RedisConnection)
    }

    private let loop: EventLoop
    private let configuration: Configuration
    private let logger: Logger
    private let commands: Commands
    private var state: State
    private var waiting: [Waiting] = []
    private var firstWaiting = 0
    private var failedAttempts = 0
    private var lastError: CounterStoreError?
    /// The last invalid counter logged, so a steady data error is logged once.
    private var lastDataError: CounterStoreError?
    private lazy var socketHandler = SocketHandler(store: self)
    private var hasConnectedBefore = false
    private let errorCount = Metrics.Counter(label: "biggoal_redis_errors_total")
    private let reconnectCount = Metrics.Counter(label: "biggoal_redis_reconnects_total")

    /// Creates the store on `loop` and starts connecting. Call on the loop's thread (or
    /// before the loop runs).
    public init(loop: EventLoop, configuration: Configuration, logger: Logger) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.commands = Commands(configuration)
        self.state = .disconnected(retryAt: 0)
        loop.every(milliseconds: 20) { [unowned self] in tick() }
        loop.afterEvents { [unowned self] in flush() }
        connect()
    }

    // MARK: CounterStore

    public func increment(_ counter: Counters.Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void) {
        send(commands.increment(counter)) { [unowned self] result in
            completion(result.flatMap { integer($0, of: counter) })
        }
    }

    public func value(of counter: Counters.Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void) {
        send(commands.get(counter)) { [unowned self] result in
            completion(result.flatMap { reply in reply == .null ? .success(0) : integer(reply, of: counter) })
        }
    }

    /// PINGs, and reads both counters: a counter holding something that is not an integer
    /// makes the service unable to count, and health says so.
    public func checkHealth(_ completion: @escaping (Result<Void, CounterStoreError>) -> Void) {
        var outcome: Result<Void, CounterStoreError> = .success(())
        var remaining = 1 + Counters.Counter.allCases.count
        let finish: (CounterStoreError?) -> Void = { error in
            if let error, case .success = outcome { outcome = .failure(error) }
            remaining -= 1
            if remaining == 0 { completion(outcome) }
        }
        send(commands.ping) { result in
            switch result {
            case .success(.error(let message)): finish(CounterStoreError(reason: message))
            case .success: finish(nil)
            case .failure(let error): finish(error)
            }
        }
        for counter in Counters.Counter.allCases {
            value(of: counter) { result in
                if case .failure(let error) = result { finish(error) } else { finish(nil) }
            }
        }
    }

    /// The counter's value in `reply`. Anything but an integer means the key holds data we
    /// cannot count on: a data error (500), not an outage (503), and counted as a Redis error.
    private func integer(_ reply: RedisReply, of counter: Counters.Counter) -> Result<Int, CounterStoreError> {
        if let value = reply.integerValue { return .success(value) }
        errorCount.increment()
        let key = counter == .received ? configuration.receivedKey : configuration.sentKey
        let error = if case .error(let message) = reply {
            CounterStoreError(redisReply: message, key: key)
        } else {
            CounterStoreError(.invalidData, reason: "counter \(key) holds a non-integer value")
        }
        if error.code == .invalidData, lastDataError != error {
            logger.error("a counter cannot be counted on; repair the key", metadata: ["reason": "\(error.reason)"])
            lastDataError = error
        }
        return .failure(error)
    }

    // MARK: Sending

    private func send(_ command: RedisCommand, _ handler: @escaping ReplyHandler) {
        let connection: RedisConnection
        switch state {
        case .disconnected:
            return handler(.failure(lastError ?? CounterStoreError(reason: "not connected to Redis")))
        case .connecting(let pending, _):
            connection = pending
        case .connected(let ready):
            connection = ready
        }
        connection.append(command)
        waiting.append(Waiting(deadline: loop.now + timeoutNanoseconds, handler: handler))
    }

    private var timeoutNanoseconds: UInt64 { UInt64(configuration.timeoutMilliseconds) * 1_000_000 }

    /// Writes everything queued during this wake-up in one go.
    private func flush() {
        guard case .connected(let connection) = state, connection.hasPendingOutput else { return }
        writeOutput(connection)
    }

    private func writeOutput(_ connection: RedisConnection) {
        do {
            let done = try connection.write()
            try? loop.modify(fd: connection.descriptor, interest: done ? .readable : [.readable, .writable])
        } catch {
            fail(CounterStoreError(reason: error.message, underlying: error))
        }
    }

    // MARK: Socket events

    fileprivate func socketReady(_ events: IOEvents) {
        switch state {
        case .disconnected:
            return
        case .connecting(let connection, _):
            guard events.contains(.writable) || events.contains(.failed) else { return }
            do {
                try connection.finishConnecting()
            } catch {
                return fail(CounterStoreError(reason: error.message, underlying: error))
            }
            state = .connected(connection)
            if hasConnectedBefore { reconnectCount.increment() }
            hasConnectedBefore = true
            if failedAttempts == 0 {
                logger.info("connected to Redis", metadata: ["address": "\(configuration.host):\(configuration.port)"])
            }
            writeOutput(connection)
        case .connected(let connection):
            if events.contains(.readable) || events.contains(.failed) {
                readReplies(connection)
            }
            if case .connected = state, events.contains(.writable) {
                writeOutput(connection)
            }
        }
    }

    private func readReplies(_ connection: RedisConnection) {
        do throws(RedisError) {
            try connection.read()
            while let reply = try connection.nextReply() {
                guard firstWaiting < waiting.count else {
                    return fail(CounterStoreError(reason: "reply from Redis with no command waiting"))
                }
                let entry = waiting[firstWaiting]
                firstWaiting += 1
                // Any answer but an error shows the connection set up and usable (a refused
                // AUTH is an error reply): only then does the back-off start again from
                // its shortest delay.
                if !reply.isError {
                    if failedAttempts > 0 { logger.info("Redis is back", metadata: ["address": "\(configuration.host):\(configuration.port)"]) }
                    failedAttempts = 0
                    lastError = nil
                }
                entry.handler(.success(reply))
                // A handler may have failed the connection (a refused handshake).
                guard case .connected(let current) = state, current === connection else { return }
            }
            compactWaiting()
        } catch {
            fail(CounterStoreError(reason: error.message, underlying: error))
        }
    }

    private func compactWaiting() {
        if firstWaiting == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            firstWaiting = 0
        } else if firstWaiting > 1024 {
            waiting.removeFirst(firstWaiting)
            firstWaiting = 0
        }
    }

    // MARK: Connection life cycle

    private func connect() {
        let connection: RedisConnection
        do {
            connection = try RedisConnection(host: configuration.host, port: configuration.port)
            try loop.register(fd: connection.descriptor, interest: [.readable, .writable], handler: socketHandler)
        } catch {
            return scheduleReconnect(after: CounterStoreError(reason: "\(error)", underlying: error))
        }
        state = .connecting(connection, since: loop.now)
        for command in commands.handshake {
            connection.append(command)
            waiting.append(Waiting(deadline: loop.now + timeoutNanoseconds) { [unowned self] result in
                if case .success(.error(let message)) = result {
                    fail(CounterStoreError(.refused, reason: "Redis refused the connection setup: \(message)"))
                }
            })
        }
    }

    /// Fails every waiting call, drops the connection and schedules the next attempt.
    private func fail(_ error: CounterStoreError) {
        errorCount.increment()
        let pending = waiting[firstWaiting...]
        waiting = []
        firstWaiting = 0
        switch state {
        case .connecting(let connection, _), .connected(let connection):
            loop.deregister(fd: connection.descriptor)
        case .disconnected:
            break
        }
        scheduleReconnect(after: error)
        for entry in pending { entry.handler(.failure(error)) }
    }

    private func scheduleReconnect(after error: CounterStoreError) {
        failedAttempts += 1
        let delay = configuration.reconnect.delay(afterFailures: failedAttempts)
        // Logged once per kind of failure, not per attempt or per wording.
        if failedAttempts == 1 || lastError?.code != error.code {
            logger.warning("Redis unavailable; reconnecting", metadata: ["reason": "\(error.reason)", "retryIn": "\(delay)"])
        }
        lastError = error
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        state = .disconnected(retryAt: loop.now + UInt64(nanoseconds))
    }

    /// Enforces the reply and connect deadlines and reconnects when due.
    private func tick() {
        let now = loop.now
        switch state {
        case .disconnected(let retryAt):
            if now >= retryAt { connect() }
        case .connecting(_, let since):
            if now - since > timeoutNanoseconds {
                fail(CounterStoreError(reason: "connect timed out after \(configuration.timeoutMilliseconds) ms"))
            }
        case .connected:
            if firstWaiting < waiting.count, waiting[firstWaiting].deadline <= now {
                fail(CounterStoreError(reason: "no reply within \(configuration.timeoutMilliseconds) ms"))
            }
        }
    }
}

/// Receives the socket's events; a separate object so the store's public surface stays the
/// `CounterStore` protocol.
private final class SocketHandler: EventHandler {
    unowned let store: RedisCounterStore

    init(store: RedisCounterStore) {
        self.store = store
    }

    func handle(_ events: IOEvents) {
        store.socketReady(events)
    }
}
