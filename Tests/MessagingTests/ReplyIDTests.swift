import Messaging
import Testing

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
