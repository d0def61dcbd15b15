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
        let reply = policy.reply(to: hello, now: 1_700_000_000)
        #expect(reply.message.body == Array("И тебе привет!".utf8))
        #expect(reply.message.contentType == "text/plain; charset=utf-8")
        #expect(reply.message.type == "hello")
        #expect(reply.message.header("type") == .string("hello"))
        #expect(reply.message.persistent)
        #expect(reply.message.appID == "svc")
        #expect(reply.message.timestamp == 1_700_000_000)
        #expect(reply.message.messageID == "reply-m-1")
        #expect(reply.message.correlationID == "m-1")
        #expect(reply.destination == Destination(exchange: "Meow", routingKey: "meow1"))
        #expect(!reply.isToRequester)
    }

    @Test func correlationPrefersTheHellosCorrelationID() {
        let reply = policy.reply(to: Message(messageID: "m-1", correlationID: "c-9"), now: 0)
        #expect(reply.message.correlationID == "c-9")
    }

    @Test func replyToGoesThroughTheDefaultExchange() {
        let reply = policy.reply(to: Message(messageID: "m", replyTo: "amq.gen-abc"), now: 0)
        #expect(reply.destination == Destination(exchange: "", routingKey: "amq.gen-abc"))
        #expect(reply.isToRequester)
    }

    @Test func aReplyToNamingTheInboundQueueIsNotUsed() {
        let guarded = ReplyPolicy(serviceName: "svc", body: "b", destination: policy.destination, refusedReplyTo: ["TestQueue"])
        let reply = guarded.reply(to: Message(messageID: "m", replyTo: "TestQueue"), now: 0)
        #expect(reply.destination == policy.destination)
        #expect(!reply.isToRequester)
        #expect(reply.refusedReplyTo == "TestQueue")
    }
}

@Suite("Reply and counting ids")
struct MessageIDRuleTests {
    @Test func aShortUTF8IDIsPrefixed() {
        #expect(ReplyPolicy.replyID(for: Message(messageID: "abc")) == "reply-abc")
    }

    @Test(arguments: [249, 250, 255])
    func anIDTooLongForReplyDashIsHashed(length: Int) {
        let id = MessageID(String(repeating: "x", count: length))
        let replyID = ReplyPolicy.replyID(for: Message(messageID: id))
        if length <= 249 {
            #expect(replyID.bytes.count == 6 + length)
        } else {
            #expect(replyID.text?.hasPrefix("reply-sha256:") == true)
            #expect(replyID.bytes.count == 13 + 64)
        }
        #expect(replyID.bytes.count <= ReplyPolicy.maxIDBytes)
        #expect(ReplyPolicy.replyID(for: Message(messageID: id)) == replyID, "stable")
    }

    @Test func theHashIsSHA256OfTheRawBytes() {
        // sha256("abc"), from FIPS 180-2's example.
        let long = MessageID(bytes: [0xFF] + Array("abc".utf8))
        let replyID = ReplyPolicy.replyID(for: Message(messageID: long))
        #expect(replyID.text?.hasPrefix("reply-sha256:") == true)
        #expect(ReplyPolicy.replyID(for: Message(messageID: MessageID(bytes: Array(String(repeating: "a", count: 250).utf8))))
            != replyID)
        let abc = ReplyPolicy.replyID(for: Message(messageID: MessageID(String(repeating: "", count: 0) + String(repeating: "q", count: 250))))
        #expect(abc.text?.count == 13 + 64)
    }

    @Test func invalidUTF8IDsStayDistinct() {
        let first = ReplyPolicy.replyID(for: Message(messageID: MessageID(bytes: [0xFF, 0xFE])))
        let second = ReplyPolicy.replyID(for: Message(messageID: MessageID(bytes: [0xFD, 0xFC])))
        #expect(first != second)
        #expect(first.text != nil, "a reply id is always valid UTF-8")
    }

    @Test func anEmptyIDIsNoID() {
        #expect(Hello.countingID(of: Message(messageID: "")) == nil)
        #expect(Hello.countingID(of: Message()) == nil)
        #expect(Hello.countingID(of: Message(messageID: "x")) == "x")
        let first = ReplyPolicy.replyID(for: Message(messageID: ""))
        let second = ReplyPolicy.replyID(for: Message(messageID: ""))
        #expect(first != second, "id-less hellos get replies of their own")
    }

    @Test func theCorrelationIDComesBackByteForByte() {
        let policy = ReplyPolicy(serviceName: "s", body: "b", destination: .queue("q"))
        let raw = MessageID(bytes: [0xC3, 0x28, 0x00, 0xFF])
        #expect(policy.reply(to: Message(messageID: "m", correlationID: raw), now: 0).message.correlationID == raw)
        #expect(policy.reply(to: Message(messageID: raw), now: 0).message.correlationID == raw)
    }
}
