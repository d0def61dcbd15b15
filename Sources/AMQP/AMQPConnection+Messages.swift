internal import CRabbitMQ

/// Publishing, acknowledging and rejecting messages.
extension AMQPConnection {
    public func publish(
        exchange: String,
        routingKey: String,
        mandatory: Bool,
        properties: AMQPProperties,
        body: [UInt8],
        channel: UInt16
    ) throws(AMQPError) {
        let tooLong = properties.unencodableProperty
            ?? (exchange.utf8.count > AMQPProperties.maxShortStringBytes ? "exchange" : nil)
            ?? (routingKey.utf8.count > AMQPProperties.maxShortStringBytes ? "routing key" : nil)
        if let tooLong {
            throw AMQPError(.unencodable, message: "\(tooLong) is longer than \(AMQPProperties.maxShortStringBytes) bytes",
                            operation: "basic.publish")
        }
        let status = withArena { arena in
            var cProperties = properties.cProperties(in: arena)
            return body.withUnsafeBytes { raw in
                amqp_basic_publish(
                    state, channel, arena.bytes(exchange), arena.bytes(routingKey), mandatory ? 1 : 0, 0, &cProperties,
                    amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                )
            }
        }
        try check(status: status, "basic.publish to \(exchange.isEmpty ? "(default)" : exchange)/\(routingKey)")
    }

    public func ack(_ deliveryTag: UInt64, multiple: Bool, channel: UInt16) throws(AMQPError) {
        try check(status: amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0), "basic.ack")
    }

    /// Rejects a delivery; with `requeue` it goes back to the queue for another try.
    public func reject(_ deliveryTag: UInt64, requeue: Bool, channel: UInt16) throws(AMQPError) {
        try check(status: amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0), "basic.reject")
    }
}
