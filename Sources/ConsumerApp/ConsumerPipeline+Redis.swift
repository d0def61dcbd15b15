import Counters
import Logging

/// Counting's trouble with Redis: the error last logged, the failures since the last count
/// that succeeded, and when to try again.
struct RedisTrouble {
    var lastError: CounterStoreError?
    var failures = 0
    var nextTry: ContinuousClock.Instant?
}

extension ConsumerPipeline {
    enum RedisReadiness {
        case ready
        /// A probe was asked.
        case probing
        /// A back-off runs, or a probe asked earlier has not been answered yet.
        case waiting
    }

    /// Whether to count now: not while a back-off runs. An outage is probed with a PING
    /// first, so a Redis that is still down costs no batch; bad data is probed by the count
    /// itself, since PING would answer while the key is still broken.
    mutating func redisReadiness() -> RedisReadiness {
        guard let lastError = redis.lastError else { return .ready }
        if let nextTry = redis.nextTry, now.instant < nextTry { return .waiting }
        if lastError.code == .invalidData { return .ready }
        if asked.contains(where: { if case .probe = $0 { true } else { false } }) { return .waiting }
        askRedis(.probe, for: .probe)
        return .probing
    }

    /// Redis's answer to a probe: counting starts when it answered.
    mutating func redisProbed(_ result: Result<Void, CounterStoreError>) {
        switch result {
        case .success: if !held.isEmpty || hasRetries { startBatch() }
        case .failure(let error): pauseForRedis(error)
        }
    }

    /// Pauses counting after `error`, for a back-off that starts over only once a count
    /// succeeds. Logged when the kind of error changes, not on every retry. The failures of
    /// requests sent together (a dropped connection fails them all) join the back-off that
    /// runs instead of lengthening it.
    mutating func pauseForRedis(_ error: CounterStoreError) {
        if redis.nextTry.map({ now.instant >= $0 }) ?? true {
            redis.failures += 1
            redis.nextTry = now.instant + rules.redisBackoff.delay(afterFailures: redis.failures)
        }
        emit(.setProblem("Redis: \(error.reason)"))
        guard redis.lastError?.code != error.code else { return }
        let what: Logger.Message = error.code == .invalidData
            ? "Redis holds data the consumer cannot count on; holding deliveries until it is repaired"
            : "Redis unavailable; holding deliveries until it is back"
        emit(.log(.warning, what, ["reason": "\(error.reason)", "code": "\(error.code)"]))
        redis.lastError = error
    }

    /// A count succeeded: Redis is back, whatever was wrong.
    mutating func redisCounted() {
        guard redis.lastError != nil else { return }
        redis = RedisTrouble()
        emit(.setProblem(nil))
        emit(.log(.info, "Redis is back; resuming", [:]))
    }
}
