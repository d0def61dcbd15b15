internal import CRabbitMQ
import Glibc

/// What the broker says unasked: deliveries, confirms, returns, cancellations, flow control
/// and closes.
extension AMQPConnection {
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
            throw AMQPError(.library, message: "a delivery without a content header", operation: "reading a delivery")
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
                throw AMQPError(.library, message: "a content header where a body frame belongs", operation: "reading a delivery")
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
                throw AMQPError(.library, message: "a method frame inside a message", operation: "reading a message")
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
            throw AMQPError(.channelClosed, replyCode: Int(close.reply_code), message: close.reply_text.string,
                            operation: "channel \(channel) closed by the broker")
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var closeOK = amqp_connection_close_ok_t()
            _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOK)
            isOpen = false
            throw AMQPError(.connectionClosed, replyCode: Int(close.reply_code), message: close.reply_text.string,
                            operation: "connection closed by the broker")
        default:
            return nil
        }
    }
}
