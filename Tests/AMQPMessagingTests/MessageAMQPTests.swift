import AMQP
@testable import AMQPMessaging
import Messaging
import Testing

@Suite("Messages as AMQP carries them")
struct MessageAMQPTests {
    @Test func everyPropertyTheApplicationUsesSurvivesTheRoundTrip() {
        let message = Message(
            body: Array("hi".utf8), contentType: "text/plain", messageID: MessageID(bytes: [0xFF, 0x00, 0x41]), correlationID: "c-1",
            replyTo: "requester", type: "hello", appID: "test", timestamp: 1_800_000_000, persistent: true,
            headers: [("type", .string("hello")), ("raw", .bytes([1, 2])), ("n", .integer(-7)), ("when", .timestamp(42))]
        )
        #expect(Message(properties: message.amqpProperties, body: message.body) == message)
    }

    @Test func deliveryModeTwoIsPersistent() {
        #expect(Message(persistent: true).amqpProperties.deliveryMode == 2)
        #expect(Message(persistent: false).amqpProperties.deliveryMode == 1)
    }

    @Test func integerHeadersOfEveryWidthAreIntegers() {
        let widths: [AMQPFieldValue] = [.int8(-1), .int16(-2), .int32(-3), .int64(-4), .uint8(1), .uint16(2), .uint32(3)]
        #expect(widths.map(HeaderValue.init) == [-1, -2, -3, -4, 1, 2, 3].map { .integer($0) })
    }

    @Test func kindsTheApplicationDoesNotReadAreOther() {
        #expect(HeaderValue(.bool(true)) == .other)
        #expect(HeaderValue(.double(1.5)) == .other)
        #expect(HeaderValue(.void) == .other)
    }
}

@Suite("Broker errors as messaging errors")
struct MessagingErrorMappingTests {
    @Test func aClosedChannelStaysAChannelClose() {
        let error = MessagingError(AMQPError(.channelClosed, replyCode: 404, message: "NOT_FOUND - no queue 'q'", operation: "basic.publish"))
        #expect(error.code == .channelClosed)
        #expect(!error.isPermanent)
        #expect((error.underlying as? AMQPError)?.replyCode == 404, "the broker's own error is kept")
    }

    @Test func anUnencodableMessageIsUnsendable() {
        #expect(MessagingError(AMQPError(.unencodable, message: "message_id too long", operation: "basic.publish")).code == .unsendable)
    }

    @Test(arguments: [AMQPError.Code.connectionClosed, .library, .timeout])
    func everythingElseIsTheConnection(code: AMQPError.Code) {
        #expect(MessagingError(AMQPError(code, message: "x", operation: "y")).code == .connection)
    }

    @Test(arguments: [(403, true), (406, true), (530, true), (320, false), (404, false), (0, false)])
    func refusalsRetryingCannotFixArePermanent(replyCode: Int, permanent: Bool) {
        let error = AMQPError(.connectionClosed, replyCode: replyCode, message: "x", operation: "y")
        #expect(error.isPermanent == permanent)
        #expect(MessagingError(error).isPermanent == permanent)
    }
}
