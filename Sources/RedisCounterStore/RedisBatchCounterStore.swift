import Counters
import Redis

/// The counts in Redis for a thread that may block: pipelined INCRs over a blocking
/// connection, which is dropped after any error and made again on the next call.
///
/// Thread-confined.
public final class RedisBatchCounterStore: BatchCounterStore {
    private let configuration: RedisCounterStore.Configuration
    private let commands: Commands
    private var connection: RedisConnection?

    public init(configuration: RedisCounterStore.Configuration) {
        self.configuration = configuration
        self.commands = Commands(configuration)
    }

    public func increment(_ counter: Counter, times: Int) throws(CounterStoreError) {
        guard times > 0 else { return }
        let replies = try roundTrip(Array(repeating: commands.increment(counter), count: times))
        if let error = replies.first(where: { if case .error = $0 { true } else { false } }) {
            throw CounterStoreError(reason: "Redis refused INCR: \(error)")
        }
    }

    public func checkHealth() throws(CounterStoreError) {
        _ = try roundTrip([commands.ping])
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
