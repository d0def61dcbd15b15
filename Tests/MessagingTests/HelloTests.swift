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

@Suite("Replies")
struct ReplyPolicyTests {
    let policy = ReplyPolicy(serviceName: "svc", body: "И тебе привет!", destination: Destination(exchange: "Meow", routingKey: "meow1"))

    @Test func replyContract() {
        let hello = Message(messageID: "m-1", type: "hello")
        let reply = policy.reply(to: hello, messageID: "r-1", now: 1_700_000_000)
        #expect(reply.message.body == Array("И тебе привет!".utf8))
        #expect(reply.message.contentType == "text/plain; charset=utf-8")
        #expect(reply.message.type == "hello")
        #expect(reply.message.header("type") == .string("hello"))
        #expect(reply.message.persistent)
        #expect(reply.message.appID == "svc")
        #expect(reply.message.timestamp == 1_700_000_000)
        #expect(reply.message.messageID == "r-1")
        #expect(reply.message.correlationID == "m-1")
        #expect(reply.destination == Destination(exchange: "Meow", routingKey: "meow1"))
        #expect(!reply.isToRequester)
    }

    @Test func correlationPrefersTheHellosCorrelationID() {
        let reply = policy.reply(to: Message(messageID: "m-1", correlationID: "c-9"), messageID: "r", now: 0)
        #expect(reply.message.correlationID == "c-9")
    }

    @Test func replyToGoesThroughTheDefaultExchange() {
        let reply = policy.reply(to: Message(messageID: "m", replyTo: "amq.gen-abc"), messageID: "r", now: 0)
        #expect(reply.destination == Destination(exchange: "", routingKey: "amq.gen-abc"))
        #expect(reply.isToRequester)
    }
}
