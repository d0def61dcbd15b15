import AMQP
import Messaging

extension Message {
    /// The application's view of an AMQP message.
    init(properties: AMQPProperties, body: [UInt8]) {
        self.init(
            body: body,
            contentType: properties.contentType,
            messageID: properties.messageIDBytes.map(MessageID.init(bytes:)),
            correlationID: properties.correlationIDBytes.map(MessageID.init(bytes:)),
            replyTo: properties.replyTo,
            type: properties.type,
            appID: properties.appID,
            timestamp: properties.timestamp,
            persistent: properties.deliveryMode == 2,
            headers: (properties.headers?.entries ?? []).map { ($0.key, HeaderValue($0.value)) }
        )
    }

    /// The AMQP properties that carry this message.
    var amqpProperties: AMQPProperties {
        var properties = AMQPProperties(
            contentType: contentType,
            headers: headers.isEmpty ? nil : AMQPTable(headers.map { ($0.name, $0.value.fieldValue) }),
            deliveryMode: persistent ? 2 : 1,
            replyTo: replyTo,
            timestamp: timestamp,
            type: type,
            appID: appID
        )
        properties.correlationIDBytes = correlationID?.bytes
        properties.messageIDBytes = messageID?.bytes
        return properties
    }
}

extension HeaderValue {
    init(_ value: AMQPFieldValue) {
        switch value {
        case .string(let bytes): self = .string(String(decoding: bytes, as: UTF8.self))
        case .bytes(let bytes): self = .bytes(bytes)
        case .int8(let number): self = .integer(Int64(number))
        case .int16(let number): self = .integer(Int64(number))
        case .int32(let number): self = .integer(Int64(number))
        case .int64(let number): self = .integer(number)
        case .uint8(let number): self = .integer(Int64(number))
        case .uint16(let number): self = .integer(Int64(number))
        case .uint32(let number): self = .integer(Int64(number))
        case .timestamp(let seconds): self = .timestamp(seconds)
        default: self = .other
        }
    }

    var fieldValue: AMQPFieldValue {
        switch self {
        case .string(let text): .text(text)
        case .bytes(let bytes): .bytes(bytes)
        case .integer(let number): .int64(number)
        case .timestamp(let seconds): .timestamp(seconds)
        case .other: .void
        }
    }
}

extension MessagingError {
    init(_ error: AMQPError) {
        let code: Code = error.code == .channelClosed ? .channelClosed : error.code == .unencodable ? .unsendable : .connection
        self.init(code, reason: error.description, isPermanent: error.isPermanent, underlying: error)
    }
}
