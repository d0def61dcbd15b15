import Redis

/// The Lua scripts that make counting idempotent. Redis runs a script atomically, so marking
/// an id and incrementing its counter can never be split by a crash: the mark and the count
/// land together or not at all.
enum DedupeScripts {
    /// KEYS[1] the received counter; KEYS[2...n+1] the received marks; KEYS[n+2...2n+1] the
    /// sent marks of the same ids. ARGV[1] the marks' lifetime in seconds. Returns, per id,
    /// 1 when it was counted now (first delivery) plus 2 when its reply was already counted.
    static let received = """
    local n = (#KEYS - 1) / 2
    local out = {}
    for i = 1, n do
      local first = redis.call('SET', KEYS[1 + i], '1', 'NX', 'EX', ARGV[1])
      if first then redis.call('INCR', KEYS[1]) end
      local answered = redis.call('EXISTS', KEYS[1 + n + i])
      out[i] = (first and 1 or 0) + 2 * answered
    end
    return out
    """

    /// KEYS[1] the sent counter; KEYS[2...] the sent marks. ARGV[1] the marks' lifetime.
    /// Returns how many were counted now.
    static let sent = """
    local counted = 0
    for i = 2, #KEYS do
      if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
        redis.call('INCR', KEYS[1])
        counted = counted + 1
      end
    end
    return counted
    """
}
