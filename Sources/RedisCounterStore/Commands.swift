import Counters
import Redis

/// Every command the store sends, formatted once at start-up.
struct Commands {
    let handshake: [RedisCommand]
    let ping = RedisCommand(["PING"])
    private let incrementReceived: RedisCommand
    private let incrementSent: RedisCommand
    private let getReceived: RedisCommand
    private let getSent: RedisCommand

    init(_ configuration: RedisCounterStore.Configuration) {
        var handshake: [RedisCommand] = []
        if let password = configuration.password {
            if let username = configuration.username, !username.isEmpty {
                handshake.append(RedisCommand(["AUTH", username, password]))
            } else {
                handshake.append(RedisCommand(["AUTH", password]))
            }
        }
        if configuration.database != 0 {
            handshake.append(RedisCommand(["SELECT", String(configuration.database)]))
        }
        self.handshake = handshake
        incrementReceived = RedisCommand(["INCR", configuration.receivedKey])
        incrementSent = RedisCommand(["INCR", configuration.sentKey])
        getReceived = RedisCommand(["GET", configuration.receivedKey])
        getSent = RedisCommand(["GET", configuration.sentKey])
    }

    func increment(_ counter: Counter) -> RedisCommand {
        counter == .received ? incrementReceived : incrementSent
    }

    func get(_ counter: Counter) -> RedisCommand {
        counter == .received ? getReceived : getSent
    }
}
