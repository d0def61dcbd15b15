import Redis

/// The Lua scripts that make counting idempotent. Redis runs a script atomically, so marking
/// an id and incrementing its counter can never be split by a crash.
///
/// Redis does not roll back a script that fails halfway: whatever it wrote before the
/// failing command stays. So every script checks first (the counter is an integer with room
/// to grow) and writes after, and a script that fails has written nothing.
enum DedupeScripts {
    /// The prefix of the error a script returns for a counter it cannot increment.
    static let invalidCounterError = "BIGGOAL_INVALID_COUNTER"

    /// `problem(key, by)`: why the counter at `key` cannot take `by` more, or nil. Integers
    /// only, and at most 18 digits, so that the increment can never pass INCR's 64-bit limit.
    private static let counterCheck = """
    local function problem(key, by)
      local kind = redis.call('TYPE', key).ok
      if kind == 'none' or by == 0 then return nil end
      if kind == 'string' then
        local value = redis.call('GET', key)
        if string.match(value, '^%-?%d+$') and #value <= 18 then return nil end
      end
      return '\(invalidCounterError) counter ' .. key .. ' holds a non-integer value'
    end
    """

    /// `markOf(key)`: a hello's mark — 1 once it is counted as received, 2 or more once its
    /// reply is counted as sent too — or false when there is none. A value that is not ours
    /// (another type, or not a number) reads as 0 instead of failing the whole batch.
    private static let markRead = """
    local function markOf(key)
      local value = redis.pcall('GET', key)
      if type(value) == 'table' then return 0 end
      return value and (tonumber(value) or 0)
    end
    """

    /// KEYS[1] the received counter; KEYS[2...n+1] the hellos' marks; KEYS[n+2...2n+1] the
    /// sent marks the consumer wrote before 2026-12 (a second key per id), read only for a
    /// hello counted before, so that one answered by an older consumer is not answered
    /// again. ARGV[1] the marks' lifetime in seconds; ARGV[2] how many hellos without an id
    /// to count too (each counts every time). Returns, per id, 1 when it was counted now
    /// (first delivery) plus 2 when its reply was already counted.
    ///
    /// The counter is checked before anything is written, for as many as the call could
    /// count, so a new id costs one command: `SET NX` marks it or finds it marked.
    static let received = counterCheck + "\n" + markRead + """

    local n = (#KEYS - 1) / 2
    local plain = tonumber(ARGV[2])
    local why = problem(KEYS[1], n + plain)
    if why then return redis.error_reply(why) end
    local out, fresh = {}, 0
    for i = 1, n do
      if redis.call('SET', KEYS[1 + i], '1', 'NX', 'EX', ARGV[1]) then
        out[i] = 1
        fresh = fresh + 1
      elseif (markOf(KEYS[1 + i]) or 0) >= 2 or redis.call('EXISTS', KEYS[1 + n + i]) == 1 then
        out[i] = 2
      else
        out[i] = 0
      end
    end
    if fresh + plain > 0 then redis.call('INCRBY', KEYS[1], fresh + plain) end
    return out
    """

    /// KEYS[1] the sent counter; KEYS[2...] the hellos' marks. ARGV[1] the marks' lifetime;
    /// ARGV[2] how many replies to hellos without an id to count too. Returns how many were
    /// counted now. A reply counts when `INCR` takes its hello's mark from 1 to 2: one
    /// command per id, which keeps the mark's expiry and adds no key. A mark that has gone
    /// (expired) or is not ours is written anew, as answered.
    static let sent = counterCheck + """

    local why = problem(KEYS[1], #KEYS - 1 + tonumber(ARGV[2]))
    if why then return redis.error_reply(why) end
    local counted = tonumber(ARGV[2])
    for i = 2, #KEYS do
      local mark = redis.pcall('INCR', KEYS[i])
      if mark == 2 then
        counted = counted + 1
      elseif type(mark) ~= 'number' or mark == 1 then
        redis.call('SET', KEYS[i], '2', 'EX', ARGV[1])
        counted = counted + 1
      end
    end
    if counted > 0 then redis.call('INCRBY', KEYS[1], counted) end
    return counted
    """

    /// KEYS[1] the counter; KEYS[2] the record of one idempotency key. ARGV[1] the record's
    /// lifetime. Returns { the count the key's first request produced, 1 when this call
    /// repeated it }. A repeat rewrites the record with its remaining lifetime, so that a
    /// WAIT after this call also covers the first request's write, whichever connection
    /// made it.
    static let idempotentIncrement = counterCheck + """

    local earlier = redis.call('GET', KEYS[2])
    if earlier then
      local left = redis.call('PTTL', KEYS[2])
      if left > 0 then redis.call('PEXPIRE', KEYS[2], left) end
      return { tonumber(earlier), 1 }
    end
    local why = problem(KEYS[1], 1)
    if why then return redis.error_reply(why) end
    local count = redis.call('INCR', KEYS[1])
    redis.call('SET', KEYS[2], count, 'EX', ARGV[1])
    return { count, 0 }
    """

    /// KEYS[1] the attempts record of one id (a hash). ARGV[1] now, ARGV[2] its lifetime.
    /// Returns { attempts, first failure, last failure }.
    static let failedAttempt = """
    local count = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
    redis.call('HSETNX', KEYS[1], 'first', ARGV[1])
    redis.call('HSET', KEYS[1], 'last', ARGV[1])
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    return { count, tonumber(redis.call('HGET', KEYS[1], 'first')) or 0, tonumber(ARGV[1]) }
    """
}
