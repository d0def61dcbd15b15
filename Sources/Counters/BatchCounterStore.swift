/// Counts from a thread of its own (the consumer's), a batch at a time, blocking for at most
/// the store's timeout.
public protocol BatchCounterStore: AnyObject {
    /// Adds one to `counter` `times` times, in one round trip; each increment is its own
    /// command, so a hello is one count whatever the batch.
    func increment(_ counter: Counter, times: Int) throws(CounterStoreError)

    /// Whether the store answers now.
    func checkHealth() throws(CounterStoreError)
}
