import Foundation
import Messaging
import Producer
import MessagingTestSupport
import Testing

@Suite("Publisher-confirm bookkeeping")
struct ConfirmTrackerTests {
    @Test func singleAndMultipleAcks() {
        var tracker = ConfirmTracker()
        let first = tracker.published(messageID: "a")
        let second = tracker.published(messageID: "b")
        let third = tracker.published(messageID: "c")
        #expect([first, second, third] == [1, 2, 3])
        tracker.apply(.ack(sequence: 2, multiple: true))
        #expect(tracker.takeOutcome(of: 1) == .confirmed)
        #expect(tracker.takeOutcome(of: 2) == .confirmed)
        #expect(tracker.takeOutcome(of: 3) == nil)
        #expect(tracker.pendingCount == 1)
        tracker.apply(.ack(sequence: 3, multiple: false))
        #expect(tracker.takeOutcome(of: 3) == .confirmed)
        #expect(tracker.pendingCount == 0)
    }

    @Test func returnThenAckIsReturned() {
        var tracker = ConfirmTracker()
        _ = tracker.published(messageID: "a")
        _ = tracker.published(messageID: "b")
        tracker.apply(.returned(messageID: "b"))
        tracker.apply(.ack(sequence: 2, multiple: true))
        #expect(tracker.takeOutcome(of: 1) == .confirmed)
        #expect(tracker.takeOutcome(of: 2) == .returned)
    }

    @Test func nacks() {
        var tracker = ConfirmTracker()
        _ = tracker.published(messageID: "a")
        _ = tracker.published(messageID: nil)
        tracker.apply(.nack(sequence: 2, multiple: true))
        #expect(tracker.takeOutcome(of: 1) == .nacked)
        #expect(tracker.takeOutcome(of: 2) == .nacked)
    }

    @Test func unknownSequencesAreIgnored() {
        var tracker = ConfirmTracker()
        tracker.apply(.ack(sequence: 7, multiple: false))
        #expect(tracker.pendingCount == 0)
        #expect(tracker.takeOutcome(of: 7) == nil)
    }
}
