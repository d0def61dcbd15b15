@testable import AMQP
import Testing

@Suite("AMQP field tables and properties through C")
struct FieldTableTests {
    static let everyKind = AMQPTable([
        ("bool", .bool(true)), ("i8", .int8(-8)), ("u8", .uint8(8)), ("i16", .int16(-16)), ("u16", .uint16(16)),
        ("i32", .int32(-32)), ("u32", .uint32(32)), ("i64", .int64(-64)), ("u64", .uint64(64)),
        ("f32", .float(1.5)), ("f64", .double(-2.25)), ("decimal", .decimal(scale: 2, value: 12345)),
        ("string", .text("héllo")), ("bytes", .bytes([0, 1, 0xFF])), ("timestamp", .timestamp(1_700_000_000)),
        ("nested", .table(AMQPTable([("inner", .array([.int32(1), .text("two"), .table(AMQPTable([("deep", .void)]))]))]))),
        ("empty array", .array([])), ("void", .void), ("empty string", .string([])),
    ])

    @Test func everyFieldKindSurvivesTheRoundTrip() {
        let properties = AMQPProperties(headers: Self.everyKind)
        #expect(properties.roundTripThroughC().headers == Self.everyKind)
    }

    @Test func everyPropertySurvivesTheRoundTrip() {
        let properties = AMQPProperties(
            contentType: "text/plain; charset=utf-8", contentEncoding: "identity", headers: AMQPTable([("type", .text("hello"))]),
            deliveryMode: 2, priority: 5, correlationID: "c", replyTo: "r", expiration: "60000", messageID: "m",
            timestamp: 42, type: "hello", userID: "guest", appID: "app"
        )
        #expect(properties.roundTripThroughC() == properties)
    }

    @Test func absentPropertiesStayAbsent() {
        #expect(AMQPProperties().roundTripThroughC() == AMQPProperties())
    }
}
