/// A subscription with manual acknowledgements and a prefetch limit: where the consumer's
/// hellos come from. Delivery tags belong to one source; after a reconnect a new source is
/// made, and the old tags are never acknowledged on it.
public protocol DeliverySource: AnyObject {
    /// Waits up to `waitMilliseconds` for a first delivery, then takes whatever else has
    /// already arrived, up to `limit`. `cancelled` is true when the broker ended the
    /// subscription (its queue was deleted, say): no more deliveries will come.
    func nextDeliveries(limit: Int, waitMilliseconds: Int) throws(MessagingError) -> (deliveries: [Delivery], cancelled: Bool)

    /// Acknowledges `tag`, and with `multiple` every earlier unacknowledged one too.
    func ack(_ tag: UInt64, multiple: Bool) throws(MessagingError)

    /// Hands a delivery back to the queue for another try.
    func requeue(_ tag: UInt64) throws(MessagingError)

    /// Waits up to `timeoutMilliseconds` until there is something to read here, on `channel`
    /// (a delivery or a confirm) or on `descriptor` (another party's answers), so one thread
    /// keeps them all moving.
    func waitForInput(alsoFrom channel: PublishChannel, alsoOn descriptor: Int32?, timeoutMilliseconds: Int)

    /// How many messages are ready in each of `queues`, as the broker says now. A queue the
    /// broker cannot tell about (missing, say) is left out; only a lost connection throws.
    func readyMessages(in queues: [String]) throws(MessagingError) -> [String: Int]

    /// Ends the subscription: no new deliveries; those already taken stay unacknowledged
    /// until acknowledged or the source closes.
    func cancel()

    /// Closes the source; unacknowledged deliveries go back to the queue.
    func close()
}
