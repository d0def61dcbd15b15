import Messaging
import Testing

@Suite("Hello classification")
struct HelloTests {
    static let cases: [(String, Message, Bool)] = [
        ("type header string", Message(headers: [("type", .string("hello"))]), true),
        ("type header bytes", Message(headers: [("type", .bytes(Array("hello".utf8)))]), true),
        ("type property", Message(type: "hello"), true),
        ("type header of another kind, no property", Message(headers: [("type", .other)]), false),
        ("type header of another kind, property hello", Message(type: "hello", headers: [("type", .other)]), true),
        ("another type", Message(type: "goodbye", headers: [("type", .string("goodbye"))]), false),
        ("case matters", Message(headers: [("type", .string("Hello"))]), false),
        ("no type at all", Message(body: Array("hello".utf8)), false),
        ("hello only in another header", Message(headers: [("kind", .string("hello"))]), false),
        ("bytes that are not hello", Message(headers: [("type", .bytes([0xFF, 0xFE]))]), false),
    ]

    @Test(arguments: cases)
    func classifies(name: String, message: Message, isHello: Bool) {
        #expect(Hello.isHello(message) == isHello, "\(name)")
    }
}
