import Metrics

/// What the store reports through swift-metrics: errors (failed calls and connections),
/// reconnects, and counting writes that too few replicas acknowledged in time
/// (`redis.minReplicas`). Handles made once; recording is lock-free.
struct RedisStoreMetrics {
    let errors = Metrics.Counter(label: "biggoal_redis_errors_total")
    let reconnects = Metrics.Counter(label: "biggoal_redis_reconnects_total")
    let replicationShortfalls = Metrics.Counter(label: "biggoal_redis_replication_shortfalls_total")
}
