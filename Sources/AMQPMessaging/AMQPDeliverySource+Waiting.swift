import AMQP
import Messaging

extension AMQPDeliverySource {
    /// Waits on this source's connection and, when `channel` is an AMQP one, on its
    /// connection too (one poll over both sockets).
    public func waitForInput(alsoFrom channel: PublishChannel, timeoutMilliseconds: Int) {
        let connections = [connection] + ((channel as? AMQPPublishChannel).map { [$0.connection] } ?? [])
        AMQPConnection.waitForInput(on: connections, timeoutMilliseconds: timeoutMilliseconds)
    }
}
