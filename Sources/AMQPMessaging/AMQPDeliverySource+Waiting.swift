import AMQP
import Messaging

extension AMQPDeliverySource {
    /// Waits on this source's connection, on `channel`'s when it is an AMQP one, and on
    /// `descriptor` (one poll over them all).
    public func waitForInput(alsoFrom channel: PublishChannel, alsoOn descriptor: Int32?, timeoutMilliseconds: Int) {
        let connections = [connection] + ((channel as? AMQPPublishChannel).map { [$0.connection] } ?? [])
        AMQPConnection.waitForInput(on: connections, alsoOn: descriptor.map { [$0] } ?? [], timeoutMilliseconds: timeoutMilliseconds)
    }
}
