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
        metrics.errors.increment()
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
        guard let connection else {
            return handler(.failure(link.lastError ?? CounterStoreError(reason: "not connected to Redis")))
        }
        connection.append(command)
        waiting.append(Waiting(deadline: loop.now + link.timeout, handler: handler))
    }
}
