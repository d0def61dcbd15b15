import Counters
import Redis
import TLS

/// The counts in Redis for a thread that may block: one script call (or one INCRBY for
/// hellos without an id) per batch over a blocking connection, which is dropped after any
/// error and made again on the next call.
///
/// Thread-confined.
public final class RedisBatchCounterStore: BatchCounterStore {
    private let configuration: RedisCounterStore.Configuration
    private let commands: Commands
    private var connection: RedisConnection?
    /// Made at the first connection when the link is TLS, then kept.
    private var tlsContext: TLSClientContext?
    private var scriptSHAs: [String: String] = [:]

    /// Where the master is, when Sentinels manage Redis.
    private let sentinels: SentinelMaster?
    private let metrics = RedisStoreMetrics()
    /// Whether a connection was made before: the next one is a reconnect.
    private var everConnected = false

    public init(configuration: RedisCounterStore.Configuration, sentinels: SentinelMaster? = nil) {
        self.configuration = configuration
        self.commands = Commands(configuration)
        self.sentinels = sentinels
    }

    public func countReceived(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) -> [ReceivedHello] {
        let ids = messageIDs.compactMap { $0 }
        var statuses: [Int] = []
        if !ids.isEmpty {
            let keys = [configuration.receivedKey] + ids.map { mark("received", $0) } + ids.map { mark("sent", $0) }
            let reply = try runScript(DedupeScripts.received, keys: keys, arguments: [String(configuration.dedupeSeconds)], replicated: true)
            guard case .array(let values) = reply, values.count == ids.count else {
                throw CounterStoreError(reason: "unexpected reply from the dedupe script: \(reply)")
            }
            statuses = values.map { $0.integerValue ?? 0 }
        }
        try incrementPlain(configuration.receivedKey, by: messageIDs.count - ids.count)
        var next = statuses.makeIterator()
        return messageIDs.map { id in
            guard id != nil, let status = next.next() else {
                return ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false)
            }
            return ReceivedHello(isFirstDelivery: status & 1 != 0, isAlreadyAnswered: status & 2 != 0)
        }
    }

    public func countSent(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) {
        let ids = messageIDs.compactMap { $0 }
        if !ids.isEmpty {
            _ = try runScript(DedupeScripts.sent, keys: [configuration.sentKey] + ids.map { mark("sent", $0) },
                              arguments: [String(configuration.dedupeSeconds)], replicated: true)
        }
        try incrementPlain(configuration.sentKey, by: messageIDs.count - ids.count)
    }

    public func recordFailedAttempt(_ messageID: [UInt8], now: UInt64) throws(CounterStoreError) -> FailedAttempts {
        let reply = try runScript(DedupeScripts.failedAttempt, keys: [mark("attempts", messageID)],
                                  arguments: [String(now), String(configuration.dedupeSeconds)], replicated: false)
        guard case .array(let values) = reply, values.count == 3,
              let count = values[0].integerValue, let first = values[1].integerValue, let last = values[2].integerValue
        else {
            throw CounterStoreError(reason: "unexpected reply from the attempts script: \(reply)")
        }
        return FailedAttempts(count: count, firstFailure: UInt64(max(first, 0)), lastFailure: UInt64(max(last, 0)))
    }

    public func checkHealth() throws(CounterStoreError) {
        _ = try roundTrip([commands.ping])
    }

    /// The key of one id's mark. Ids are raw bytes: one that is valid UTF-8 is used as it
    /// is, any other is written in hex under a name of its own (`received-hex:`), so no two
    /// ids share a key and none is decoded lossily.
    public func leavePresence(_ presence: ConsumerPresence, ttlMilliseconds: Int) throws(CounterStoreError) {
        let replies = try roundTrip(PresenceCommands.leave(presence, ttlMilliseconds: ttlMilliseconds, configuration: configuration))
        if let error = replies.first(where: \.isError) { throw CounterStoreError(reason: "\(error)") }
    }

    func mark(_ kind: String, _ id: [UInt8]) -> String {
        if let text = String(validating: id, as: UTF8.self) {
            return "\(configuration.dedupePrefix)\(kind):\(text)"
        }
        let digits = Array("0123456789abcdef".utf8)
        let hex = String(decoding: id.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
        return "\(configuration.dedupePrefix)\(kind)-hex:\(hex)"
    }

    /// Counts hellos without an id: one INCRBY, which either counts them all or fails.
    private func incrementPlain(_ key: String, by amount: Int) throws(CounterStoreError) {
        guard amount > 0 else { return }
        let reply = try replicatedRoundTrip(RedisCommand(["INCRBY", key, String(amount)]))
        if case .error(let message) = reply {
            throw CounterStoreError(redisReply: message, key: key)
        }
    }

    /// Runs a script by its SHA, loading it first on a new connection (or when Redis has
    /// forgotten it after a restart: NOSCRIPT). A `replicated` script that counts is done only
    /// once `redis.minReplicas` replicas hold what it wrote.
    private func runScript(_ source: String, keys: [String], arguments: [String], replicated: Bool) throws(CounterStoreError) -> RedisReply {
        for _ in 0..<2 {
            let sha: String
            if let known = scriptSHAs[source] {
                sha = known
            } else {
                let loaded = try roundTrip([RedisCommand(["SCRIPT", "LOAD", source])])[0]
                guard case .bulk(let bytes) = loaded else { throw CounterStoreError(reason: "SCRIPT LOAD failed: \(loaded)") }
                sha = String(decoding: bytes, as: UTF8.self)
                scriptSHAs[source] = sha
            }
            let call = RedisCommand(["EVALSHA", sha, String(keys.count)] + keys + arguments)
            let reply = replicated ? try replicatedRoundTrip(call) : try roundTrip([call])[0]
            if case .error(let message) = reply {
                if Commands.isReadOnly(message) {
                    // A replica since the last call: drop it, the next call asks the Sentinels.
                    connection = nil
                    metrics.errors.increment()
                    throw CounterStoreError(reason: "Redis answered READONLY: the master has moved")
                }
                if message.hasPrefix("NOSCRIPT") {
                    scriptSHAs[source] = nil
                    continue
                }
                throw CounterStoreError(redisReply: message, key: keys[0])
            }
            return reply
        }
        throw CounterStoreError(reason: "Redis kept forgetting the dedupe script")
    }

    /// Sends `command` followed by `WAIT` when `redis.minReplicas` asks for replicas, and
    /// throws when too few of them had its writes in time. An error reply is returned as it
    /// is: the command wrote nothing.
    private func replicatedRoundTrip(_ command: RedisCommand) throws(CounterStoreError) -> RedisReply {
        guard let wait = commands.waitForReplicas else { return try roundTrip([command])[0] }
        let replies = try roundTrip([command, wait], timeoutMilliseconds: commands.replicatedTimeoutMilliseconds)
        if replies[0].isError { return replies[0] }
        if let problem = commands.replicationProblem(replies[1]) {
            metrics.replicationShortfalls.increment()
            throw problem
        }
        return replies[0]
    }

    private func roundTrip(_ batch: [RedisCommand], timeoutMilliseconds: Int? = nil) throws(CounterStoreError) -> [RedisReply] {
        let connection = try connected()
        do {
            return try connection.roundTrip(batch, timeoutMilliseconds: timeoutMilliseconds ?? configuration.timeoutMilliseconds)
        } catch {
            // A hiredis context is dead after any error; the next call connects anew.
            self.connection = nil
            metrics.errors.increment()
            throw CounterStoreError(error.code == .refused ? .refused : .unavailable, reason: error.message, underlying: error)
        }
    }

    private func connected() throws(CounterStoreError) -> RedisConnection {
        if let connection { return connection }
        if tlsContext == nil, configuration.tls != nil { tlsContext = try configuration.makeTLSContext() }
        var address = (host: configuration.host, port: configuration.port)
        if let sentinels {
            guard let master = sentinels.current else { throw CounterStoreError(reason: "no Sentinel has said where the Redis master is yet") }
            address = master
        }
        do throws(RedisError) {
            let fresh = try RedisConnection.connect(host: address.host, port: address.port, tls: tlsContext,
                                                    timeoutMilliseconds: configuration.timeoutMilliseconds)
            for reply in try fresh.roundTrip(commands.handshake(), timeoutMilliseconds: configuration.timeoutMilliseconds) {
                if let problem = Commands.handshakeProblem(reply) {
                    throw reply.isError ? RedisError.refused(problem) : RedisError(.io, problem)
                }
            }
            connection = fresh
            if everConnected { metrics.reconnects.increment() }
            everConnected = true
            return fresh
        } catch {
            metrics.errors.increment()
            throw CounterStoreError(connecting: error)
        }
    }
}
