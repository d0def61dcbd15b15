import Counters
import Redis

/// The counts in Redis for a thread that may block: one script call (or pipelined INCRs for
/// hellos without an id) per batch over a blocking connection, which is dropped after any
/// error and made again on the next call.
///
/// Thread-confined.
public final class RedisBatchCounterStore: BatchCounterStore {
    private let configuration: RedisCounterStore.Configuration
    private let commands: Commands
    private var connection: RedisConnection?
    private var receivedScript: String?
    private var sentScript: String?

    public init(configuration: RedisCounterStore.Configuration) {
        self.configuration = configuration
        self.commands = Commands(configuration)
    }

    public func countReceived(_ messageIDs: [String?]) throws(CounterStoreError) -> [ReceivedHello] {
        let ids = messageIDs.compactMap { $0 }
        var statuses: [Int] = []
        if !ids.isEmpty {
            let keys = [configuration.receivedKey] + ids.map { mark("received", $0) } + ids.map { mark("sent", $0) }
            let reply = try runScript(DedupeScripts.received, keys: keys, cached: \.receivedScript)
            guard case .array(let values) = reply, values.count == ids.count else {
                throw CounterStoreError(reason: "unexpected reply from the dedupe script: \(reply)")
            }
            statuses = values.map { $0.integerValue ?? 0 }
        }
        try incrementPlain(.received, times: messageIDs.count - ids.count)
        var next = statuses.makeIterator()
        return messageIDs.map { id in
            guard id != nil, let status = next.next() else {
                return ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false)
            }
            return ReceivedHello(isFirstDelivery: status & 1 != 0, isAlreadyAnswered: status & 2 != 0)
        }
    }

    public func countSent(_ messageIDs: [String?]) throws(CounterStoreError) {
        let ids = messageIDs.compactMap { $0 }
        if !ids.isEmpty {
            _ = try runScript(DedupeScripts.sent, keys: [configuration.sentKey] + ids.map { mark("sent", $0) }, cached: \.sentScript)
        }
        try incrementPlain(.sent, times: messageIDs.count - ids.count)
    }

    public func checkHealth() throws(CounterStoreError) {
        _ = try roundTrip([commands.ping])
    }

    /// The dedupe mark of one id: a plain key with the configured prefix and an expiry.
    private func mark(_ kind: String, _ id: String) -> String {
        "\(configuration.dedupePrefix)\(kind):\(id)"
    }

    private func incrementPlain(_ counter: Counter, times: Int) throws(CounterStoreError) {
        guard times > 0 else { return }
        let replies = try roundTrip(Array(repeating: commands.increment(counter), count: times))
        if let error = replies.first(where: { if case .error = $0 { true } else { false } }) {
            throw CounterStoreError(reason: "Redis refused INCR: \(error)")
        }
    }

    /// Runs a script by its SHA, loading it first on a new connection (or when Redis has
    /// forgotten it after a restart: NOSCRIPT).
    private func runScript(
        _ source: String,
        keys: [String],
        cached: ReferenceWritableKeyPath<RedisBatchCounterStore, String?>
    ) throws(CounterStoreError) -> RedisReply {
        for _ in 0..<2 {
            let sha: String
            if let known = self[keyPath: cached] {
                sha = known
            } else {
                let loaded = try roundTrip([RedisCommand(["SCRIPT", "LOAD", source])])[0]
                guard case .bulk(let bytes) = loaded else { throw CounterStoreError(reason: "SCRIPT LOAD failed: \(loaded)") }
                sha = String(decoding: bytes, as: UTF8.self)
                self[keyPath: cached] = sha
            }
            let arguments = ["EVALSHA", sha, String(keys.count)] + keys + [String(configuration.dedupeSeconds)]
            let reply = try roundTrip([RedisCommand(arguments)])[0]
            if case .error(let message) = reply {
                if message.hasPrefix("NOSCRIPT") {
                    self[keyPath: cached] = nil
                    continue
                }
                throw CounterStoreError(reason: "Redis refused the dedupe script: \(message)")
            }
            return reply
        }
        throw CounterStoreError(reason: "Redis kept forgetting the dedupe script")
    }

    private func roundTrip(_ batch: [RedisCommand]) throws(CounterStoreError) -> [RedisReply] {
        do throws(RedisError) {
            let connection = try connected()
            return try connection.roundTrip(batch, timeoutMilliseconds: configuration.timeoutMilliseconds)
        } catch {
            // A hiredis context is dead after any error; the next call connects anew.
            connection = nil
            throw CounterStoreError(reason: error.message)
        }
    }

    private func connected() throws(RedisError) -> RedisConnection {
        if let connection { return connection }
        let fresh = try RedisConnection.connect(host: configuration.host, port: configuration.port,
                                                timeoutMilliseconds: configuration.timeoutMilliseconds)
        for reply in try fresh.roundTrip(commands.handshake, timeoutMilliseconds: configuration.timeoutMilliseconds) {
            if case .error(let message) = reply { throw RedisError.refused(message) }
        }
        connection = fresh
        return fresh
    }
}
