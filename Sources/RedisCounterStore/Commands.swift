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

    init(_ configuration: RedisCounterStore.Configuration) {
        self.configuration = configuration
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
        return handshake
    }

    func increment(_ counter: Counter) -> RedisCommand {
        counter == .received ? incrementReceived : incrementSent
    }

    func get(_ counter: Counter) -> RedisCommand {
        counter == .received ? getReceived : getSent
    }
}
