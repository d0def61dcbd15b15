internal import CRabbitMQ

/// Channels, queues, exchanges, bindings and subscriptions.
extension AMQPConnection {
    public func openChannel(_ channel: UInt16) throws(AMQPError) {
        amqp_channel_open(state, channel)
        try checkLastReply(channel: channel, "channel.open \(channel)")
    }

    /// Declares a queue (idempotent when the arguments match; 406 when they do not).
    public func declareQueue(_ name: String, durable: Bool, arguments: AMQPTable = AMQPTable(), channel: UInt16) throws(AMQPError) {
        withArena { arena in
            let table = arguments.cTable(in: arena)
            _ = amqp_queue_declare(state, channel, arena.bytes(name), 0, durable ? 1 : 0, 0, 0, table)
        }
        try checkLastReply(channel: channel, "queue.declare \(name)")
    }

    /// Declares an exchange of `type` (direct, fanout, topic, headers).
    public func declareExchange(_ name: String, type: String, durable: Bool, channel: UInt16) throws(AMQPError) {
        withArena { arena in
            _ = amqp_exchange_declare(state, channel, arena.bytes(name), arena.bytes(type), 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
        }
        try checkLastReply(channel: channel, "exchange.declare \(name)")
    }

    public func bindQueue(_ queue: String, exchange: String, routingKey: String, channel: UInt16) throws(AMQPError) {
        withArena { arena in
            _ = amqp_queue_bind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_empty_table)
        }
        try checkLastReply(channel: channel, "queue.bind \(queue) to \(exchange) with \(routingKey)")
    }

    /// Deletes a queue; returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String, channel: UInt16) throws(AMQPError) -> Int {
        let result = withArena { arena in amqp_queue_delete(state, channel, arena.bytes(name), 0, 0) }
        try checkLastReply(channel: channel, "queue.delete \(name)")
        return Int(result?.pointee.message_count ?? 0)
    }

    /// The number of ready messages in a queue (a passive declare).
    public func messageCount(_ queue: String, channel: UInt16) throws(AMQPError) -> Int {
        let result = withArena { arena in amqp_queue_declare(state, channel, arena.bytes(queue), 1, 0, 0, 0, amqp_empty_table) }
        try checkLastReply(channel: channel, "queue.declare (passive) \(queue)")
        return Int(result?.pointee.message_count ?? 0)
    }

    /// The number of consumers subscribed to a queue (a passive declare).
    public func consumerCount(_ queue: String, channel: UInt16) throws(AMQPError) -> Int {
        let result = withArena { arena in amqp_queue_declare(state, channel, arena.bytes(queue), 1, 0, 0, 0, amqp_empty_table) }
        try checkLastReply(channel: channel, "queue.declare (passive) \(queue)")
        return Int(result?.pointee.consumer_count ?? 0)
    }

    /// Limits unacknowledged deliveries on `channel` to `prefetch`.
    public func setPrefetch(_ prefetch: Int, channel: UInt16) throws(AMQPError) {
        amqp_basic_qos(state, channel, 0, UInt16(clamping: prefetch), 0)
        try checkLastReply(channel: channel, "basic.qos \(prefetch)")
    }

    /// Starts consuming `queue` with manual acknowledgements; returns the consumer tag.
    public func consume(_ queue: String, channel: UInt16) throws(AMQPError) -> String {
        let result = withArena { arena in
            amqp_basic_consume(state, channel, arena.bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        }
        try checkLastReply(channel: channel, "basic.consume \(queue)")
        return result?.pointee.consumer_tag.string ?? ""
    }

    /// Cancels a consumer; the broker stops sending it deliveries.
    public func cancel(consumerTag: String, channel: UInt16) throws(AMQPError) {
        withArena { arena in _ = amqp_basic_cancel(state, channel, arena.bytes(consumerTag)) }
        try checkLastReply(channel: channel, "basic.cancel \(consumerTag)")
    }

    /// Turns on publisher confirms: from here on the broker acks (or nacks) every publish on
    /// `channel`, numbering them from 1.
    public func enableConfirms(channel: UInt16) throws(AMQPError) {
        amqp_confirm_select(state, channel)
        try checkLastReply(channel: channel, "confirm.select")
    }
}
