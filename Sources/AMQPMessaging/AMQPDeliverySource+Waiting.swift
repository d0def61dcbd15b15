import AMQP

extension AMQPDeliverySource {
    /// Waits up to `timeoutMilliseconds` until the broker has said something on this
    /// source's connection (a delivery, say) or on `publisher`'s (a confirm, say), so one
    /// thread can keep deliveries and confirms both moving.
    public func waitForInput(alsoFrom publisher: AMQPPublishChannel, timeoutMilliseconds: Int) {
        AMQPConnection.waitForInput(on: [connection, publisher.connection], timeoutMilliseconds: timeoutMilliseconds)
    }
}
