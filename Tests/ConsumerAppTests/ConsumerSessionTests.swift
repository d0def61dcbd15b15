import ConsumerApp
import Counters
import CountersTestSupport
import Logging
import Messaging
import MessagingTestSupport
import Testing

@Suite("Consumer session with in-memory broker and store")
struct ConsumerSessionTests {
    let logger = Logger(label: "test")

    private func session(_ source: ScriptedDeliverySource, _ channel: ScriptedChannel, _ store: MemoryBatchCounterStore) -> ConsumerSession {
        ConsumerSession(source: source, channel: channel, counter: store, rules: .test(), logger: logger)
    }

    @Test func drainsABacklogPastThePrefetch() throws {
        let source = ScriptedDeliverySource()
        let channel = ScriptedChannel()
        let store = MemoryBatchCounterStore()
        source.enqueueHellos(250, idPrefix: "drain")
        let session = session(source, channel, store)
        try session.serve { session.settledCount >= 250 }
        #expect(store.received == 250 && store.sent == 250)
        #expect(channel.published.count == 250)
        #expect(source.acknowledged.count == 250 && source.unsettled.isEmpty)
        #expect(source.closed && channel.closed)
        #expect(source.subscriptionCancelled, "a clean stop cancels the subscription first")
    }

    @Test func aConnectionFailureEndsTheSessionAndClosesBoth() {
        let source = ScriptedDeliverySource()
        let channel = ScriptedChannel()
        source.enqueueHellos(3, idPrefix: "fail")
        channel.failure = MessagingError(reason: "connection reset")
        let session = session(source, channel, MemoryBatchCounterStore())
        #expect(throws: MessagingError(reason: "connection reset")) { try session.serve { false } }
        #expect(source.closed && channel.closed)
    }

    @Test func aNewSessionIgnoresAnswersToTheRequestsOfTheOneBefore() throws {
        let source = ScriptedDeliverySource()
        let channel = ScriptedChannel()
        let store = MemoryBatchCounterStore()
        // The session before ended on a lost connection with these still with Redis; the
        // store lives on for the lane's next session.
        store.send(.received([Array("earlier".utf8)]))
        store.send(.probe)
        source.enqueueHellos(3, idPrefix: "after")
        let session = session(source, channel, store)
        try session.serve { session.settledCount >= 3 }
        #expect(channel.published.count == 3)
        #expect(source.acknowledged.count == 3)
        #expect(store.sent == 3)
    }

    @Test func aCancelledSubscriptionEndsTheSession() {
        let source = ScriptedDeliverySource()
        source.cancelled = true
        let session = session(source, ScriptedChannel(), MemoryBatchCounterStore())
        #expect(throws: MessagingError.self) { try session.serve { false } }
    }

    @Test func stoppingSettlesRepliesAlreadyOut() throws {
        let source = ScriptedDeliverySource()
        let channel = ScriptedChannel()
        let store = MemoryBatchCounterStore()
        // The broker confirms nothing until asked twice: the stop comes with replies out.
        var polls = 0
        channel.respond = { _, _ in [] }
        source.enqueueHellos(5, idPrefix: "stop")
        let session = session(source, channel, store)
        try session.serve {
            polls += 1
            if polls == 3 {
                channel.events = (1...5).map { .ack(sequence: UInt64($0), multiple: false) }
            }
            return polls >= 3
        }
        #expect(store.sent == 5)
        #expect(source.acknowledged.count == 5)
    }

    @Test func aBrokerAlarmHoldsDeliveriesUntilLifted() throws {
        let source = ScriptedDeliverySource()
        let channel = ScriptedChannel()
        channel.blockedReason = "memory alarm"
        source.enqueueHellos(4, idPrefix: "alarm")
        let session = session(source, channel, MemoryBatchCounterStore())
        var turns = 0
        try session.serve {
            turns += 1
            if turns == 5 {
                #expect(channel.published.isEmpty)
                channel.blockedReason = nil
            }
            return session.settledCount >= 4
        }
        #expect(channel.published.count == 4)
    }
}
