import Counters
import Redis

/// How consumer heartbeats sit in Redis: a set of instance names at `redis.presenceKey`, and
/// per instance a hash at that key, a colon and the name, which expires unless renewed.
/// The set is only an index: a name whose hash has expired is dropped when next read.
enum PresenceCommands {
    /// Writes one heartbeat. The hash is replaced whole (DEL first), so a field an older
    /// version wrote does not linger.
    static func leave(_ presence: ConsumerPresence, ttlMilliseconds: Int, configuration: RedisCounterStore.Configuration) -> [RedisCommand] {
        let key = configuration.presenceKey + ":" + presence.instance
        return [
            RedisCommand(["DEL", key]),
            RedisCommand(["HSET", key] + presence.fields.flatMap { [$0.0, $0.1] }),
            RedisCommand(["PEXPIRE", key, String(ttlMilliseconds)]),
            RedisCommand(["SADD", configuration.presenceKey, presence.instance]),
        ]
    }

    /// Every live heartbeat in one round trip. `redis.pcall`: a key of another type (bad
    /// data) is skipped, not an error for the whole read.
    static let readScript = """
    local names = redis.pcall('SMEMBERS', KEYS[1])
    if type(names) ~= 'table' or names.err then return {} end
    local found = {}
    for _, name in ipairs(names) do
      local fields = redis.pcall('HGETALL', KEYS[1] .. ':' .. name)
      if type(fields) == 'table' and not fields.err and #fields > 0 then
        found[#found + 1] = fields
      elseif type(fields) == 'table' and not fields.err then
        redis.pcall('SREM', KEYS[1], name)
      end
    end
    return found
    """

    static func read(configuration: RedisCounterStore.Configuration) -> RedisCommand {
        RedisCommand(["EVAL", readScript, "1", configuration.presenceKey])
    }

    /// The heartbeats in the script's reply, by instance name; anything that is not a hash
    /// of text fields is left out.
    static func presences(in reply: RedisReply) -> Result<[ConsumerPresence], CounterStoreError> {
        guard case .array(let hashes) = reply else {
            if case .error(let message) = reply { return .failure(CounterStoreError(reason: message)) }
            return .failure(CounterStoreError(reason: "unexpected reply to the presence read: \(reply)"))
        }
        let presences = hashes.compactMap { hash -> ConsumerPresence? in
            guard case .array(let parts) = hash else { return nil }
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < parts.count {
                if case .bulk(let name) = parts[index], case .bulk(let value) = parts[index + 1] {
                    fields[String(decoding: name, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
                }
                index += 2
            }
            return ConsumerPresence(fields: fields)
        }
        return .success(presences.sorted { $0.instance < $1.instance })
    }
}
