import Counters
import LinuxIO
import Logging
import Redis
import TLS

/// The counts in Redis, driven without blocking from one event loop.
///
/// Commands issued while the loop handles a wake-up are queued in hiredis's output buffer
/// and leave as one pipelined write after the handlers have run. Replies come back in order
/// and complete the oldest waiting call. A reply that does not come within the timeout, or
/// any connection error, fails everything waiting, drops the connection and reconnects with
/// the configured back-off (`RedisLink` decides when); meanwhile calls fail at once rather
/// than wait.
///
/// Thread-confined to its loop.
public final class RedisCounterStore: CounterStore {
    typealias ReplyHandler = (Result<RedisReply, CounterStoreError>) -> Void

    struct Waiting {
        let deadline: UInt64
        let handler: ReplyHandler
    }

    let loop: EventLoop
    let configuration: Configuration
    let logger: Logger
    let commands: Commands
    /// When to connect, time out and retry.
    var link: RedisLink
    /// The connection, while `link` is connecting or connected.
    var connection: RedisConnection?
    /// Made at the first connection when the link is TLS, then kept.
    var tlsContext: TLSClientContext?
    /// Where the master is, when Sentinels manage Redis.
    let sentinels: SentinelMaster?
    /// The address of the current connection, for the log.
    var connectedAddress = ""
    /// Calls awaiting replies, oldest first from `firstWaiting`.
    var waiting: [Waiting] = []
    var firstWaiting = 0
    /// Counting writes answered since the last `WAIT` was queued, when `redis.minReplicas` asks
    /// for replicas: each is done once the `WAIT` queued after it answers.
    var awaitingReplication: [(Result<Void, CounterStoreError>) -> Void] = []
    /// Whether a counting write was queued since the last `WAIT`.
    var wroteSinceWait = false
    /// The idempotent increment script's SHA, once Redis has told it (`SCRIPT LOAD`).
    var idempotentScriptSHA: String?
    var loadingIdempotentScript = false
    /// The last invalid counter logged, so a steady data error is logged once.
    private var lastDataError: CounterStoreError?
    lazy var socketHandler = SocketHandler(store: self)
    let metrics = RedisStoreMetrics()

    /// Creates the store on `loop` and starts connecting. Call on the loop's thread (or
    /// before the loop runs).
    public init(loop: EventLoop, configuration: Configuration, logger: Logger, sentinels: SentinelMaster? = nil) {
        self.loop = loop
        self.sentinels = sentinels
        self.configuration = configuration
        self.logger = logger
        commands = Commands(configuration)
        link = RedisLink(reconnect: configuration.reconnect, timeoutMilliseconds: configuration.timeoutMilliseconds)
        loop.every(milliseconds: 20) { [unowned self] in tick() }
        loop.afterEvents { [unowned self] in flush() }
        connect()
    }

    // MARK: CounterStore

    public func increment(_ counter: Counters.Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void) {
        sendCounting(commands.increment(counter)) { [unowned self] result in
            completion(result.flatMap { integer($0, of: counter) })
        }
    }

    public func increment(_ counter: Counters.Counter, idempotencyKey key: String,
                          _ completion: @escaping (Result<IdempotentCount, CounterStoreError>) -> Void) {
        let keys = [commands.counterKey(counter), commands.idempotencyRecord(counter, key)]
        runIdempotentScript(keys: keys) { [unowned self] result in
            completion(result.flatMap { reply in
                if case .array(let parts) = reply, parts.count == 2, let value = parts[0].integerValue, let replay = parts[1].integerValue {
                    return .success(IdempotentCount(value: value, isReplay: replay == 1))
                }
                return integer(reply, of: counter).map { IdempotentCount(value: $0, isReplay: false) }
            })
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

    public func consumerPresences(_ completion: @escaping (Result<[ConsumerPresence], CounterStoreError>) -> Void) {
        send(PresenceCommands.read(configuration: configuration)) { result in
            completion(result.flatMap(PresenceCommands.presences))
        }
    }

    /// The counter's value in `reply`. Anything but an integer means the key holds data we
    /// cannot count on: a data error (500), not an outage (503), and counted as a Redis error.
    private func integer(_ reply: RedisReply, of counter: Counters.Counter) -> Result<Int, CounterStoreError> {
        if let value = reply.integerValue { return .success(value) }
        metrics.errors.increment()
        let key = counter == .received ? configuration.receivedKey : configuration.sentKey
        let error = if case .error(let message) = reply {
            CounterStoreError(redisReply: message, key: key)
        } else {
            CounterStoreError(.invalidData, reason: "counter \(key) holds a non-integer value")
        }
        if error.code == .invalidData, lastDataError != error {
            logger.error("a counter cannot be counted on; repair the key", metadata: ["redis.error": "\(error.reason)"])
            lastDataError = error
        }
        return .failure(error)
    }

    // MARK: Sending

    func send(_ command: RedisCommand, extraMilliseconds: Int = 0, _ handler: @escaping ReplyHandler) {
        guard let connection else {
            return handler(.failure(link.lastError ?? CounterStoreError(reason: "not connected to Redis")))
        }
        connection.append(command)
        waiting.append(Waiting(deadline: loop.now + link.timeout + UInt64(extraMilliseconds) * 1_000_000, handler: handler))
    }

    /// Sends a write that counts. With `redis.minReplicas`, its handler sees the reply only
    /// once the `WAIT` queued after it (`queueReplicationWait`) said enough replicas hold it.
    private func sendCounting(_ command: RedisCommand, _ handler: @escaping ReplyHandler) {
        guard commands.waitForReplicas != nil, connection != nil else { return send(command, handler) }
        wroteSinceWait = true
        send(command) { [unowned self] result in
            guard case .success(let reply) = result, !reply.isError else { return handler(result) }
            awaitingReplication.append { replicated in handler(replicated.map { reply }) }
        }
    }

    /// Queues one `WAIT` behind the counting writes of this wake-up: one round for all of
    /// them, as Redis answers a connection's commands in order and WAIT blocks the ones
    /// behind it. Its reply settles every write answered before it.
    func queueReplicationWait() {
        guard wroteSinceWait, let wait = commands.waitForReplicas else { return }
        wroteSinceWait = false
        send(wait, extraMilliseconds: configuration.replicaTimeoutMilliseconds) { [unowned self] result in
            let settled = awaitingReplication
            awaitingReplication = []
            let outcome: Result<Void, CounterStoreError> = result.flatMap { reply in
                commands.replicationProblem(reply).map { .failure($0) } ?? .success(())
            }
            if case .failure = outcome { metrics.replicationShortfalls.increment() }
            for write in settled { write(outcome) }
        }
    }

    /// Runs the idempotent increment by its SHA once known; until then, and should Redis have
    /// forgotten it (a restart, a failover to a replica that never saw it), by its text,
    /// which also teaches Redis the script again.
    private func runIdempotentScript(keys: [String], _ handler: @escaping ReplyHandler) {
        let arguments = [String(keys.count)] + keys + [String(configuration.dedupeSeconds)]
        guard let sha = idempotentScriptSHA else {
            if !loadingIdempotentScript, connection != nil {
                loadingIdempotentScript = true
                send(RedisCommand(["SCRIPT", "LOAD", DedupeScripts.idempotentIncrement])) { [unowned self] result in
                    loadingIdempotentScript = false
                    if case .success(.bulk(let bytes)) = result { idempotentScriptSHA = String(decoding: bytes, as: UTF8.self) }
                }
            }
            return sendCounting(RedisCommand(["EVAL", DedupeScripts.idempotentIncrement] + arguments), handler)
        }
        sendCounting(RedisCommand(["EVALSHA", sha] + arguments)) { [unowned self] result in
            if case .success(.error(let message)) = result, message.hasPrefix("NOSCRIPT") {
                idempotentScriptSHA = nil
                return sendCounting(RedisCommand(["EVAL", DedupeScripts.idempotentIncrement] + arguments), handler)
            }
            handler(result)
        }
    }
}
