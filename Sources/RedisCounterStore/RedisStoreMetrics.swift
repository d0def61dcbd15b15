import MetricKeys
import Metrics

/// What the store reports through swift-metrics: errors (failed calls and connections),
/// reconnects, and counting writes that too few replicas acknowledged in time
/// (`redis.minReplicas`). Handles made once; recording is lock-free.
struct RedisStoreMetrics {
    static let errorsKey = MetricKey(
        "biggoal_redis_errors_total", help: "Redis calls and connection attempts that failed."
    )
    static let reconnectsKey = MetricKey(
        "biggoal_redis_reconnects_total", help: "Connections to Redis made again after one was lost."
    )
    static let replicationShortfallsKey = MetricKey(
        "biggoal_redis_replication_shortfalls_total",
        help: "Counting writes that fewer replicas than redis.minReplicas acknowledged in time."
    )

    let errors = Metrics.Counter(label: Self.errorsKey.name)
    let reconnects = Metrics.Counter(label: Self.reconnectsKey.name)
    let replicationShortfalls = Metrics.Counter(label: Self.replicationShortfallsKey.name)
}

extension RedisCounterStore {
    /// The metrics every program with a Redis store reports.
    public static let metricKeys = [
        RedisStoreMetrics.errorsKey, RedisStoreMetrics.reconnectsKey, RedisStoreMetrics.replicationShortfallsKey,
    ]
}
