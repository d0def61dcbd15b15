import Counters
import Redis

/// Every command the store sends, formatted once at start-up but for the handshake.
struct Commands {
    let ping = RedisCommand(["PING"])
    private let configuration: RedisCounterStore.Configuration
    private let select: RedisCommand?
    private let incrementReceived: RedisCommand
    private let incrementSent: RedisCommand
    private let getReceived: RedisCommand
    private let getSent: RedisCommand
    /// `WAIT` for `redis.minReplicas` replicas, sent after counting writes; nil when no
    /// replica is asked for.
    let waitForReplicas: RedisCommand?

    init(_ configuration: RedisCounterStore.Configuration) {
        self.configuration = configuration
        waitForReplicas = configuration.minReplicas > 0
            ? RedisCommand(["WAIT", String(configuration.minReplicas), String(configuration.replicaTimeoutMilliseconds)])
            : nil
        select = configuration.database != 0 ? RedisCommand(["SELECT", String(configuration.database)]) : nil
        incrementReceived = RedisCommand(["INCR", configuration.receivedKey])
        incrementSent = RedisCommand(["INCR", configuration.sentKey])
        getReceived = RedisCommand(["GET", configuration.receivedKey])
        getSent = RedisCommand(["GET", configuration.sentKey])
    }

    /// What a new connection sends first: AUTH with the current password (a password file
    /// is read again for each connection, so a rotated password needs no restart), SELECT.
    func handshake() -> [RedisCommand] {
        var handshake: [RedisCommand] = []
        if let password = configuration.currentPassword {
            if let username = configuration.username, !username.isEmpty {
                handshake.append(RedisCommand(["AUTH", username, password]))
            } else {
                handshake.append(RedisCommand(["AUTH", password]))
            }
        }
        if let select { handshake.append(select) }
        // Behind Sentinel, the address may be stale: only the master takes the counts.
        if configuration.sentinel != nil { handshake.append(RedisCommand(["ROLE"])) }
        return handshake
    }

    /// What is wrong with a handshake reply, or nil: a refusal, or a `ROLE` that is not the
    /// master's.
    static func handshakeProblem(_ reply: RedisReply) -> String? {
        switch reply {
        case .error(let message):
            return "Redis refused the connection setup: \(message)"
        case .array(let parts) where parts.first.map({ $0 != .bulk(Array("master".utf8)) }) ?? false:
            return "connected to a Redis that is not the master (a failover in progress?)"
        default:
            return nil
        }
    }

    /// Whether an error reply means the connection reached a replica (`READONLY`): the
    /// master has moved, and a new connection must ask the Sentinels where.
    static func isReadOnly(_ message: String) -> Bool {
        message.hasPrefix("READONLY")
    }

    /// Why the reply to `waitForReplicas` leaves the writes before it unsafe, or nil. The
    /// writes did reach the master; they may still be lost if it dies before a replica
    /// has them, so the caller treats them as not done (and counts again, idempotently).
    func replicationProblem(_ reply: RedisReply) -> CounterStoreError? {
        switch reply {
        case .integer(let replicas) where replicas >= configuration.minReplicas:
            return nil
        case .integer(let replicas):
            return CounterStoreError(reason: "the write reached \(replicas) of the \(configuration.minReplicas) replicas redis.minReplicas asks for within \(configuration.replicaTimeoutMilliseconds) ms")
        case .error(let message):
            return CounterStoreError(reason: "Redis refused WAIT: \(message)")
        default:
            return CounterStoreError(reason: "unexpected reply to WAIT: \(reply)")
        }
    }

    /// The longest a call that ends in `WAIT` may take: the reply timeout plus the wait.
    var replicatedTimeoutMilliseconds: Int {
        configuration.timeoutMilliseconds + (waitForReplicas == nil ? 0 : configuration.replicaTimeoutMilliseconds)
    }

    /// The key that records one idempotency key's first request to `counter`.
    func idempotencyRecord(_ counter: Counter, _ key: String) -> String {
        "\(configuration.dedupePrefix)http:\(counter == .received ? "received" : "sent"):\(key)"
    }

    func counterKey(_ counter: Counter) -> String {
        counter == .received ? configuration.receivedKey : configuration.sentKey
    }

    func increment(_ counter: Counter) -> RedisCommand {
        counter == .received ? incrementReceived : incrementSent
    }

    func get(_ counter: Counter) -> RedisCommand {
        counter == .received ? getReceived : getSent
    }
}
