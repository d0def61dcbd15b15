internal import CRabbitMQ
import Glibc

/// One AMQP 0-9-1 connection through librabbitmq, with blocking calls that all have a
/// deadline.
///
/// Thread-confined: a librabbitmq connection and its channels belong to one thread.
/// Heartbeats are serviced only inside library calls, so the owner must call
/// `nextEvent(timeoutMilliseconds:)` (or publish) well within the heartbeat interval.
public final class AMQPConnection {
    /// Where and how to connect.
    public struct Options: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String
        public var virtualHost: String
        public var heartbeatSeconds: Int
        /// Shown in the management UI.
        public var connectionName: String
        /// The deadline of connecting and of every RPC (declare, consume, close).
        public var timeoutMilliseconds: Int

        public init(host: String, port: Int, user: String, password: String, virtualHost: String,
                    heartbeatSeconds: Int, connectionName: String, timeoutMilliseconds: Int = 5000) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.virtualHost = virtualHost
            self.heartbeatSeconds = heartbeatSeconds
            self.connectionName = connectionName
            self.timeoutMilliseconds = timeoutMilliseconds
        }
    }

    let state: amqp_connection_state_t
    private let options: Options
    private var isOpen = false
    /// Events read while a message's frames were expected, handed out first.
    private var pendingEvents: [AMQPEvent] = []

    /// Connects, logs in and negotiates the heartbeat. Asks for consumer-cancel
    /// notifications, `connection.blocked`, publisher confirms and an explicit close on
    /// failed authentication, so every refusal arrives with the broker's reason.
    public init(_ options: Options) throws(AMQPError) {
        guard let state = amqp_new_connection() else {
            throw AMQPError(kind: .library, message: "out of memory", operation: "amqp_new_connection")
        }
        self.state = state
        self.options = options
        guard let socket = amqp_tcp_socket_new(state) else {
            throw AMQPError(kind: .library, message: "could not create a socket", operation: "connect")
        }
        var timeout = timeval(milliseconds: options.timeoutMilliseconds)
        let address = "\(options.host):\(options.port)"
        try check(status: amqp_socket_open_noblock(socket, options.host, Int32(options.port), &timeout), "connect \(address)")
        _ = amqp_set_rpc_timeout(state, &timeout)
        _ = amqp_set_handshake_timeout(state, &timeout)

        let capabilities = AMQPTable([
            ("consumer_cancel_notify", .bool(true)),
            ("connection.blocked", .bool(true)),
            ("publisher_confirms", .bool(true)),
            ("basic.nack", .bool(true)),
            ("authentication_failure_close", .bool(true)),
        ])
        let clientProperties = AMQPTable([
            ("connection_name", .text(options.connectionName)),
            ("product", .text("BigGoal")),
            ("capabilities", .table(capabilities)),
        ])
        let reply = withArena { arena in
            var table = clientProperties.cTable(in: arena)
            return CRabbitMQ_login(state, options.virtualHost, Int32(options.heartbeatSeconds), &table, options.user, options.password)
        }
        try check(reply, "login to \(address) as \(options.user)")
        isOpen = true
    }

    deinit {
        amqp_destroy_connection(state)
    }

    // MARK: Channels and topology

    public func openChannel(_ channel: UInt16) throws(AMQPError) {
        amqp_channel_open(state, channel)
        try checkLastReply(channel: channel, "channel.open \(channel)")
    }

    /// Declares a queue (idempotent when the arguments match; 406 when they do not).
    public func declareQueue(_ name: String, durable: Bool, channel: UInt16) throws(AMQPError) {
        withArena { arena in
            _ = amqp_queue_declare(state, channel, arena.bytes(name), 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
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

    public func unbindQueue(_ queue: String, exchange: String, routingKey: String, channel: UInt16) throws(AMQPError) {
        withArena { arena in
            _ = amqp_queue_unbind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_empty_table)
        }
        try checkLastReply(channel: channel, "queue.unbind \(queue) from \(exchange)")
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

    /// Empties a queue.
    public func purgeQueue(_ name: String, channel: UInt16) throws(AMQPError) {
        withArena { arena in _ = amqp_queue_purge(state, channel, arena.bytes(name)) }
        try checkLastReply(channel: channel, "queue.purge \(name)")
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

    // MARK: Messages

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
            throw AMQPError(kind: .unencodable, message: "\(tooLong) is longer than \(AMQPProperties.maxShortStringBytes) bytes",
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

    /// Waits up to `timeoutMilliseconds` (0: only what has already arrived) for the next
    /// thing the broker says. Deliveries, confirms, returns, cancellations and flow control
    /// come back as events; a channel or connection close is answered and thrown.
    ///
    /// A delivery's body is kept only when it is at most `keepingBodiesUpTo` bytes; a longer
    /// one is read frame by frame and let go of, so a consumer that needs properties only
    /// holds one frame of it at a time whatever a publisher sends (`bodySize` says how long
    /// it was).
    public func nextEvent(timeoutMilliseconds: Int, keepingBodiesUpTo bodyLimit: Int = .max) throws(AMQPError) -> AMQPEvent? {
        if !pendingEvents.isEmpty { return pendingEvents.removeFirst() }
        amqp_maybe_release_buffers(state)
        var frame = amqp_frame_t()
        var timeout = timeval(milliseconds: timeoutMilliseconds)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try check(status: status, "waiting for the broker")
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return nil }
        if frame.payload.method.id == AMQP_BASIC_DELIVER_METHOD {
            return .delivery(try readDelivery(frame, bodyLimit: bodyLimit))
        }
        return try event(forMethodFrame: frame)
    }

    /// Reads the header and body frames that follow a `basic.deliver`, copying out the
    /// properties, and the body only while it is within `bodyLimit`.
    private func readDelivery(_ frame: amqp_frame_t, bodyLimit: Int) throws(AMQPError) -> AMQPDelivery {
        let channel = frame.channel
        let deliver = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
        var delivery = AMQPDelivery(channel: channel, deliveryTag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
                                    exchange: deliver.exchange.string, routingKey: deliver.routing_key.string,
                                    properties: AMQPProperties(), body: [])
        let header = try nextContentFrame(on: channel)
        guard header.frame_type == UInt8(AMQP_FRAME_HEADER) else {
            throw AMQPError(kind: .library, message: "a delivery without a content header", operation: "reading a delivery")
        }
        let decoded = header.payload.properties.decoded.assumingMemoryBound(to: amqp_basic_properties_t.self)
        delivery.properties = AMQPProperties(decoded.pointee)
        let size = header.payload.properties.body_size
        delivery.bodySize = size
        let keep = size <= UInt64(max(bodyLimit, 0))
        if keep { delivery.body.reserveCapacity(Int(size)) }
        var read: UInt64 = 0
        while read < size {
            // What was read so far is copied out: let librabbitmq reuse that memory.
            amqp_maybe_release_buffers_on_channel(state, channel)
            let body = try nextContentFrame(on: channel)
            guard body.frame_type == UInt8(AMQP_FRAME_BODY) else {
                throw AMQPError(kind: .library, message: "a content header where a body frame belongs", operation: "reading a delivery")
            }
            let fragment = body.payload.body_fragment
            read += UInt64(fragment.len)
            if keep, fragment.len > 0, let bytes = fragment.bytes {
                delivery.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: fragment.len))
            }
        }
        return delivery
    }

    /// The next frame of a message on `channel`. The broker writes a message's frames
    /// together, so what comes in between can only be a method on another channel (a
    /// confirm, say): it is kept for the following `nextEvent` calls.
    private func nextContentFrame(on channel: UInt16) throws(AMQPError) -> amqp_frame_t {
        while true {
            var frame = amqp_frame_t()
            var timeout = timeval(milliseconds: options.timeoutMilliseconds)
            try check(status: amqp_simple_wait_frame_noblock(state, &frame, &timeout), "reading a message")
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return frame }
            if frame.channel == channel || [AMQP_BASIC_DELIVER_METHOD, AMQP_BASIC_RETURN_METHOD].contains(frame.payload.method.id) {
                // A close is answered and thrown here; anything else cannot be in a message.
                _ = try event(forMethodFrame: frame)
                throw AMQPError(kind: .library, message: "a method frame inside a message", operation: "reading a message")
            }
            if let event = try event(forMethodFrame: frame) { pendingEvents.append(event) }
        }
    }

    /// What a method frame other than `basic.deliver` says.
    private func event(forMethodFrame frame: amqp_frame_t) throws(AMQPError) -> AMQPEvent? {
        let method = frame.payload.method
        let channel = frame.channel
        switch method.id {
        case AMQP_BASIC_ACK_METHOD:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .ack(channel: channel, tag: ack.delivery_tag, multiple: ack.multiple != 0)
        case AMQP_BASIC_NACK_METHOD:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .nack(channel: channel, tag: nack.delivery_tag, multiple: nack.multiple != 0)
        case AMQP_BASIC_RETURN_METHOD:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let replyText = returned.reply_text.string
            let exchange = returned.exchange.string
            let routingKey = returned.routing_key.string
            var message = amqp_message_t()
            let read = amqp_read_message(state, channel, &message, 0)
            try check(read, "reading a returned message", channel: channel)
            defer { amqp_destroy_message(&message) }
            return .returned(channel: channel, replyCode: Int(returned.reply_code), replyText: replyText,
                             exchange: exchange, routingKey: routingKey, properties: AMQPProperties(message.properties))
        case AMQP_BASIC_CANCEL_METHOD:
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            return .consumerCancelled(channel: channel, consumerTag: cancel.consumer_tag.string)
        case AMQP_CONNECTION_BLOCKED_METHOD:
            let blocked = method.decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee
            return .blocked(reason: blocked.reason.string)
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
            return .unblocked
        case AMQP_CHANNEL_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            var closeOK = amqp_channel_close_ok_t()
            _ = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &closeOK)
            throw AMQPError(kind: .channelClosed, replyCode: Int(close.reply_code), message: close.reply_text.string,
                            operation: "channel \(channel) closed by the broker")
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var closeOK = amqp_connection_close_ok_t()
            _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOK)
            isOpen = false
            throw AMQPError(kind: .connectionClosed, replyCode: Int(close.reply_code), message: close.reply_text.string,
                            operation: "connection closed by the broker")
        default:
            return nil
        }
    }

    /// Closes the channels and the connection politely; unacknowledged deliveries go back
    /// to their queues. Errors are ignored: the connection is going away either way.
    public func close(channels: [UInt16] = [1]) {
        guard isOpen else { return }
        isOpen = false
        for channel in channels {
            _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        }
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
    }

    // MARK: Checking results

    private func checkLastReply(channel: UInt16, _ operation: String) throws(AMQPError) {
        try check(amqp_get_rpc_reply(state), operation, channel: channel)
    }

    /// Turns an RPC reply into an error carrying the broker's reason, answering a close (on
    /// the channel the operation used) so the broker can finish it.
    private func check(_ reply: amqp_rpc_reply_t, _ operation: String, channel: UInt16 = 0) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_NONE:
            throw AMQPError(kind: .library, message: "no reply from the broker", operation: operation)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            let kind: AMQPError.Kind = reply.library_error == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .library
            throw AMQPError(kind: kind, message: String(cString: amqp_error_string2(reply.library_error)), operation: operation)
        default:
            switch reply.reply.id {
            case AMQP_CONNECTION_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                var closeOK = amqp_connection_close_ok_t()
                _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOK)
                isOpen = false
                throw AMQPError(kind: .connectionClosed, replyCode: Int(close.reply_code), message: close.reply_text.string, operation: operation)
            case AMQP_CHANNEL_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                var closeOK = amqp_channel_close_ok_t()
                _ = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &closeOK)
                throw AMQPError(kind: .channelClosed, replyCode: Int(close.reply_code), message: close.reply_text.string, operation: operation)
            default:
                throw AMQPError(kind: .library, message: "unexpected reply method \(reply.reply.id)", operation: operation)
            }
        }
    }

    private func check(status: Int32, _ operation: String) throws(AMQPError) {
        guard status < 0 else { return }
        let kind: AMQPError.Kind = status == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .library
        throw AMQPError(kind: kind, message: String(cString: amqp_error_string2(status)), operation: operation)
    }
}

extension timeval {
    init(milliseconds: Int) {
        self.init(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
    }
}
