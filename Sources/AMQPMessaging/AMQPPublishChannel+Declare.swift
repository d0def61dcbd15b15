import AMQP
import Messaging

extension AMQPPublishChannel {
    /// Declares a durable queue, so messages published to it by name are routed even before
    /// its consumer first starts.
    public func declareQueue(_ name: String) throws(MessagingError) {
        do { try connection.declareQueue(name, durable: true, channel: 1) } catch { throw MessagingError(error) }
    }

    /// Declares the inbound queue with the arguments its consumer declares it with.
    public func declare(_ queue: InboundQueue) throws(MessagingError) {
        do {
            try connection.declareQueue(queue.name, durable: true, arguments: queue.arguments, channel: 1)
        } catch {
            throw MessagingError(error)
        }
    }
}
