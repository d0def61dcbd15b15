import Messaging
import Testing

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
