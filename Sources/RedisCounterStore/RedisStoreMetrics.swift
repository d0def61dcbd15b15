import Metrics

/// What the store reports through swift-metrics: errors (failed calls and connections) and
/// reconnects. Handles made once; recording is lock-free.
struct RedisStoreMetrics {
    let errors = Metrics.Counter(label: "biggoal_redis_errors_total")
    let reconnects = Metrics.Counter(label: "biggoal_redis_reconnects_total")
}
