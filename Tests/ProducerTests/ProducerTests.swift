import Foundation
import Messaging
import Producer
import MessagingTestSupport
import Testing

@Suite("Producer")
struct ProducerTests {
    let destination = Destination(exchange: "x", routingKey: "k")

    @Test func reportsEachOutcomeInOrder() throws {
        let channel = ScriptedChannel()
        channel.respond = { sequence, message in
            switch message.messageID {
            case "unroutable": [.returned(messageID: "unroutable"), .ack(sequence: UInt64(sequence), multiple: false)]
            case "refused": [.nack(sequence: UInt64(sequence), multiple: false)]
            default: [.ack(sequence: UInt64(sequence), multiple: false)]
            }
        }
        let producer = Producer(channel: channel)
        let outcomes = try producer.publish(["ok", "unroutable", "refused", "ok2"].map { (Message(messageID: $0), destination) })
        #expect(outcomes == [.confirmed, .returned, .nacked, .confirmed])
        #expect(channel.published.count == 4)
    }

    @Test func batchedMultipleAck() throws {
        let channel = ScriptedChannel()
        channel.respond = { sequence, _ in sequence == 3 ? [.ack(sequence: 3, multiple: true)] : [] }
        let outcomes = try Producer(channel: channel).publish((1...3).map { (Message(messageID: MessageID("\($0)")), destination) })
        #expect(outcomes == [.confirmed, .confirmed, .confirmed])
    }

    @Test func blockedTimeDoesNotCountAgainstTheDeadline() throws {
        let channel = ScriptedChannel()
        channel.respond = { _, _ in [] }
        channel.blockedReason = "memory alarm"
        var polls = 0
        let producer = Producer(channel: BlockedThenConfirming(channel: channel, unblockAfterPolls: 20, polls: { polls += 1 }),
                                confirmTimeoutMilliseconds: 30)
        let outcomes = try producer.publish([(Message(messageID: "a"), destination)])
        #expect(outcomes == [.confirmed])
        #expect(polls >= 20)
    }

    @Test func batchesInFlightSettleInTheirOwnTime() throws {
        let channel = ScriptedChannel()
        channel.respond = { _, _ in [] }
        let producer = Producer(channel: channel)
        let first = try producer.send((1...2).map { (Message(messageID: MessageID("a\($0)")), destination) })
        let second = try producer.send([(Message(messageID: "b"), destination)])
        #expect(producer.pendingCount == 3)

        channel.events = [.ack(sequence: 2, multiple: true)]
        try producer.collectConfirms(waitMilliseconds: 0)
        #expect(producer.takeOutcomes(of: second) == nil)
        #expect(producer.takeOutcomes(of: first) == [.confirmed, .confirmed])
        #expect(producer.takeOutcomes(of: first) == nil, "outcomes are handed out once")

        channel.events = [.nack(sequence: 3, multiple: false)]
        try producer.collectConfirms(waitMilliseconds: 0)
        #expect(producer.takeOutcomes(of: second) == [.nacked])
        #expect(producer.pendingCount == 0)
    }

    @Test func anEmptyBatchIsSettledAtOnce() throws {
        let producer = Producer(channel: ScriptedChannel())
        let sequences = try producer.send([])
        #expect(producer.takeOutcomes(of: sequences) == [])
    }

    @Test func aMessageThatCannotBeSentFailsAlone() throws {
        let channel = ScriptedChannel()
        channel.unsendableID = "too-long"
        let outcomes = try Producer(channel: channel).publish(["a", "too-long", "b"].map { (Message(messageID: $0), destination) })
        #expect(outcomes == [.confirmed, .unsendable("message_id is longer than 255 bytes"), .confirmed])
        #expect(channel.published.count == 2)
    }

    @Test func aClosedChannelIsReplacedAndItsUnconfirmedPublishesAreLost() throws {
        let channel = ScriptedChannel()
        channel.respond = { _, _ in [] }
        let producer = Producer(channel: channel)
        let before = try producer.send(["a", "b", "c"].map { (Message(messageID: $0), destination) })
        channel.events = [.ack(sequence: 1, multiple: false)]
        try producer.collectConfirms(waitMilliseconds: 0)
        channel.failure = MessagingError(.channelClosed, reason: "406 PRECONDITION_FAILED")
        try producer.collectConfirms(waitMilliseconds: 0)
        #expect(channel.reopened == 1)
        #expect(producer.pendingCount == 0)
        #expect(producer.takeOutcomes(of: before) == [.confirmed, .lost("406 PRECONDITION_FAILED"), .lost("406 PRECONDITION_FAILED")])

        // The new channel numbers from 1 again; tickets go on, and outcomes land on them.
        let after = try producer.send([(Message(messageID: "d"), destination)])
        #expect(after[0] > before[2])
        channel.events = [.ack(sequence: 1, multiple: false)]
        try producer.collectConfirms(waitMilliseconds: 0)
        #expect(producer.takeOutcomes(of: after) == [.confirmed])
    }

    @Test func aConnectionFailureIsThrown() {
        let channel = ScriptedChannel()
        channel.failure = MessagingError(reason: "connection reset")
        #expect(throws: MessagingError(reason: "connection reset")) { try Producer(channel: channel).collectConfirms(waitMilliseconds: 0) }
        #expect(channel.reopened == 0)
    }

    @Test func missingConfirmsTimeOut() {
        let channel = ScriptedChannel()
        channel.respond = { _, _ in [] }
        let producer = Producer(channel: channel, confirmTimeoutMilliseconds: 50)
        #expect(throws: MessagingError.self) { try producer.publish([(Message(messageID: "a"), destination)]) }
    }
}

/// Blocked for a while (each poll taking ~5 ms), then confirms everything.
final class BlockedThenConfirming: PublishChannel {
    let channel: ScriptedChannel
    let unblockAfterPolls: Int
    let polls: () -> Void
    private var count = 0
    private var acknowledged = 0

    init(channel: ScriptedChannel, unblockAfterPolls: Int, polls: @escaping () -> Void) {
        self.channel = channel
        self.unblockAfterPolls = unblockAfterPolls
        self.polls = polls
    }

    var blockedReason: String? { count < unblockAfterPolls ? "memory alarm" : nil }

    func close() {}

    func publish(_ message: Message, to destination: Destination) throws(MessagingError) {
        try channel.publish(message, to: destination)
    }

    func reopen() throws(MessagingError) {}

    func nextConfirmEvent(timeoutMilliseconds: Int) throws(MessagingError) -> ConfirmEvent? {
        count += 1
        polls()
        if isBlocked {
            Thread.sleep(forTimeInterval: 0.005)
            return nil
        }
        guard acknowledged < channel.published.count else { return nil }
        acknowledged = channel.published.count
        return .ack(sequence: UInt64(acknowledged), multiple: true)
    }
}
