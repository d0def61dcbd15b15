import AMQP
import Messaging

extension Message {
    /// The application's view of an AMQP message.
    init(properties: AMQPProperties, body: [UInt8]) {
        self.init(
            body: body,
            contentType: properties.contentType,
            messageID: properties.messageID,
            correlationID: properties.correlationID,
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
        AMQPProperties(
            contentType: contentType,
            headers: headers.isEmpty ? nil : AMQPTable(headers.map { ($0.name, $0.value.fieldValue) }),
            deliveryMode: persistent ? 2 : 1,
            correlationID: correlationID,
            replyTo: replyTo,
            messageID: messageID,
            timestamp: timestamp,
            type: type,
            appID: appID
        )
    }
}

extension HeaderValue {
    init(_ value: AMQPFieldValue) {
        switch value {
        case .string(let bytes): self = .string(String(decoding: bytes, as: UTF8.self))
        case .bytes(let bytes): self = .bytes(bytes)
        default: self = .other
        }
    }

    var fieldValue: AMQPFieldValue {
        switch self {
        case .string(let text): .text(text)
        case .bytes(let bytes): .bytes(bytes)
        case .other: .void
        }
    }
}

extension MessagingError {
    init(_ error: AMQPError) {
        self.init(reason: error.description, isPermanent: error.isPermanent)
    }
}
