import Messaging

/// A batch between publishing and being acknowledged.
struct ConsumerBatch {
    /// Every delivery of the batch, hellos or not, that it is responsible for settling.
    let deliveries: [Delivery]
    /// Tags done without a publish: not hellos, duplicates, answered before.
    let settled: [UInt64]
    let jobs: [ConsumerJob]
    let tickets: [UInt64]
    let startedAt: ContinuousClock.Instant
}
