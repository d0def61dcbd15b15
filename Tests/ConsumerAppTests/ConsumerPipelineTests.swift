@testable import ConsumerApp
import Counters
import Messaging
import Producer
import TestSupport
import Testing

@Suite("Consumer pipeline: batches")
struct ConsumerPipelineBatchTests {
    @Test func countsRepliesAndAcknowledgesOnceConfirmed() {
        var harness = PipelineHarness()
        harness.deliver(["a", "b", "c"])
        #expect(harness.store.received == 3)
        #expect(harness.published.map { $0.message.messageID } == ["reply-a", "reply-b", "reply-c"])
        #expect(harness.published.allSatisfy { $0.destination == Destination(exchange: "x", routingKey: "replies") })
        #expect(harness.acks.isEmpty, "nothing is acknowledged before its reply is confirmed")
        #expect(harness.store.sent == 0)

        harness.resolve()
        #expect(harness.store.sent == 3)
        #expect(harness.acks.map(\.tag) == [3] && harness.acks[0].multiple)
        #expect(harness.counts[.hello] == 3 && harness.replyCounts[.confirmed] == 3)
        #expect(harness.pipeline.isSettled && harness.pipeline.unsettledCount == 0)
    }

    @Test func batchesSettleOldestFirst() {
        var harness = PipelineHarness()
        harness.deliver(["a", "b"])
        harness.deliver(["c", "d"])
        #expect(harness.outstanding == [1, 2, 3, 4])
        harness.resolve([3, 4])
        #expect(harness.acks.isEmpty, "the newer batch waits for the older one")
        #expect(harness.store.sent == 0)
        harness.resolve([1, 2])
        #expect(harness.acks.map(\.tag) == [2, 4])
        #expect(harness.store.sent == 4)
    }

    @Test func notHellosAreAcknowledgedUncounted() {
        var harness = PipelineHarness()
        harness.deliver(["x"], type: "other")
        #expect(harness.store.received == 0 && harness.published.isEmpty)
        #expect(harness.acknowledged == [1])
        #expect(harness.counts[.ignored] == 1)
    }

    @Test func duplicatesInABatchGetOneCountAndOneReply() {
        var harness = PipelineHarness()
        harness.deliver(["same", "same", "other"])
        #expect(harness.store.received == 2)
        #expect(harness.published.count == 2)
        #expect(harness.counts[.duplicate] == 1)
        harness.resolve()
        #expect(harness.acknowledged.sorted() == [1, 2, 3])
    }

    @Test func aHelloStillBeingAnsweredIsADuplicate() {
        var harness = PipelineHarness()
        harness.deliver(["a"])
        harness.deliver(["a"])
        #expect(harness.published.count == 1)
        #expect(harness.acknowledged.isEmpty, "batches settle oldest first, the duplicate's too")
        harness.resolve()
        #expect(harness.acknowledged.sorted() == [1, 2])
        #expect(harness.store.sent == 1)
    }

    @Test func aHelloAnsweredBeforeIsAcknowledgedWithoutAReply() {
        var harness = PipelineHarness()
        harness.deliver(["a"])
        harness.resolve()
        harness.deliver(["a"])
        #expect(harness.published.count == 1)
        #expect(harness.acknowledged == [1, 2])
        #expect(harness.store.received == 1 && harness.store.sent == 1)
        #expect(harness.counts[.duplicate] == 1)
    }

    @Test func helloesWithoutIdsAreCountedEachTime() {
        var harness = PipelineHarness()
        harness.deliver([nil, nil, ""])
        #expect(harness.store.received == 3)
        harness.resolve()
        #expect(harness.store.sent == 3)
    }

    @Test func aReplyGoesToTheRequestersQueue() {
        var harness = PipelineHarness()
        harness.deliver(["a"], replyTo: "mine")
        #expect(harness.published[0].destination == .queue("mine"))
    }

    @Test func aReplyToTheInboundQueueGoesToTheReplyExchange() {
        var harness = PipelineHarness()
        harness.deliver(["a"], replyTo: "in")
        #expect(harness.published[0].destination == Destination(exchange: "x", routingKey: "replies"))
        #expect(harness.faults == ["reply_to_refused"])
    }

    @Test func theHandNeverPassesThePrefetch() {
        var harness = PipelineHarness()
        harness.deliver((1...60).map { "h\($0)" })
        #expect(harness.pipeline.room == 40)
        harness.deliver((61...100).map { "h\($0)" })
        #expect(harness.pipeline.room == 1, "at least one, so that asking services the connection")
        harness.resolve()
        #expect(harness.pipeline.room == 100)
    }
}

@Suite("Consumer pipeline: outcomes")
struct ConsumerPipelineOutcomeTests {
    @Test func aReturnToAGoneRequesterIsDropped() {
        var harness = PipelineHarness()
        harness.deliver(["a"], replyTo: "gone")
        harness.resolve(as: .returned)
        #expect(harness.acknowledged == [1])
        #expect(harness.store.sent == 0)
        #expect(harness.faults == ["requester_gone"])
    }

    @Test func anUnroutableReplyIsRetriedUntilRouted() {
        var harness = PipelineHarness()
        harness.deliver(["a", "b"])
        harness.resolve([1], as: .returned)
        harness.resolve([2])
        #expect(harness.acknowledged == [2], "b is done; a waits for its retry")
        #expect(harness.degradations.count == 1)
        harness.advance(.milliseconds(500))
        #expect(harness.published.count == 2, "not before the retry delay")
        harness.advance(.milliseconds(600))
        #expect(harness.published.count == 3)
        #expect(harness.published[2].message.messageID == "reply-a")
        harness.resolve()
        #expect(harness.acknowledged == [2, 1])
        #expect(harness.store.sent == 2)
    }

    @Test func aRequesterThatRefusesIsDeadLetteredAfterMaxAttempts() {
        var harness = PipelineHarness()
        harness.deliver(["a"], replyTo: "full")
        for attempt in 1...3 {
            #expect(harness.published.count == attempt)
            harness.resolve(as: .nacked)
            harness.advance(.seconds(11))
        }
        #expect(harness.store.attempts[Array("a".utf8)]?.count == 3)
        let deadLetter = harness.published.last!
        #expect(deadLetter.destination == .queue("in.dead"))
        #expect(deadLetter.message.header("x-biggoal-reason") == .string("reply_refused"))
        #expect(deadLetter.message.header("x-biggoal-attempts") == .integer(3))
        #expect(harness.acknowledged.isEmpty, "not before the dead-letter queue confirms")
        harness.resolve()
        #expect(harness.acknowledged == [1])
        #expect(harness.counts[.deadLettered] == 1)
        #expect(harness.store.sent == 0)
    }

    @Test func refusedRepliesWaitLongerEachTime() {
        var harness = PipelineHarness(rules: .test(maxAttempts: 10))
        harness.deliver(["a"], replyTo: "full")
        harness.resolve(as: .nacked)
        harness.advance(.milliseconds(240))
        #expect(harness.published.count == 1)
        harness.advance(.milliseconds(20))
        #expect(harness.published.count == 2, "0.25 s after the first refusal")
        harness.resolve(as: .nacked)
        harness.advance(.milliseconds(490))
        #expect(harness.published.count == 2)
        harness.advance(.milliseconds(20))
        #expect(harness.published.count == 3, "0.5 s after the second")
    }

    @Test func aNackOnTheReplyExchangeIsRetriedWithoutCountingAttempts() {
        var harness = PipelineHarness()
        harness.deliver(["a"])
        harness.resolve(as: .nacked)
        #expect(harness.store.attempts.isEmpty)
        harness.advance(.seconds(2))
        harness.resolve()
        #expect(harness.acknowledged == [1] && harness.store.sent == 1)
    }

    @Test func repliesRefusedForTwoSecondsRenewTheConnection() {
        var harness = PipelineHarness()
        harness.deliver(["a"])
        harness.resolve(as: .nacked)
        harness.advance(.seconds(1))
        harness.resolve(as: .nacked)
        #expect(harness.renewals.isEmpty, "one second of refusals may be a passing election")
        harness.advance(.milliseconds(1100))
        harness.resolve(as: .nacked)
        #expect(harness.renewals.count == 1)
        #expect(harness.acknowledged.isEmpty, "the hello waits for its reply, on the next connection")

        // A confirm in between starts the clock again.
        var recovering = PipelineHarness()
        recovering.deliver(["b", "c"])
        recovering.resolve(as: .nacked)
        recovering.advance(.milliseconds(1500))
        recovering.resolve()
        recovering.advance(.milliseconds(1500))
        recovering.deliver(["d"])
        recovering.resolve(as: .nacked)
        #expect(recovering.renewals.isEmpty)
    }

    @Test func anUnsendableReplyIsDeadLettered() {
        var harness = PipelineHarness()
        harness.deliver(["a"])
        harness.resolve(as: .unsendable("reply_to is longer than 255 bytes"))
        #expect(harness.published.last?.destination == .queue("in.dead"))
        #expect(harness.published.last?.message.header("x-biggoal-reason") == .string("reply_unsendable"))
        harness.resolve()
        #expect(harness.acknowledged == [1])
    }

    @Test func withoutADeadLetterQueueAHopelessHelloIsDropped() {
        var harness = PipelineHarness(rules: .test(deadLetterQueue: nil))
        harness.deliver(["a"])
        harness.resolve(as: .unsendable("too long"))
        #expect(harness.acknowledged == [1])
        #expect(harness.counts[.deadLettered] == 1)
        #expect(harness.faults.contains("dropped"))
    }

    @Test func tooLargeHellosAreDeadLetteredUncounted() {
        var harness = PipelineHarness()
        harness.deliver(["big"], bodySize: 4096)
        #expect(harness.store.received == 0)
        #expect(harness.published.map(\.destination) == [.queue("in.dead")])
        #expect(harness.published[0].message.header("x-biggoal-body-bytes") == .integer(4096))
        harness.resolve()
        #expect(harness.acknowledged == [1])
    }

    @Test func aDeadLetterQueueThatRefusesIsRetried() {
        var harness = PipelineHarness()
        harness.deliver(["big"], bodySize: 4096)
        harness.resolve(as: .nacked)
        #expect(harness.acknowledged.isEmpty)
        harness.advance(.seconds(1))
        #expect(harness.published.count == 2)
        harness.resolve()
        #expect(harness.acknowledged == [1])
    }

    @Test func aClosedChannelsRepliesAreSentAgainOneAtATime() {
        var harness = PipelineHarness()
        harness.deliver(["a", "b", "c"])
        harness.resolve(as: .lost("406 PRECONDITION_FAILED"))
        #expect(harness.published.count == 4, "one at a time")
        harness.resolve()
        #expect(harness.published.count == 5)
        harness.resolve(as: .lost("406 PRECONDITION_FAILED"))
        // b was the cause: c goes on alone, then b's dead-letter copy.
        #expect(harness.published.count == 6)
        harness.resolve()
        let deadLetter = harness.published.first { $0.destination == .queue("in.dead") }
        #expect(deadLetter?.message.messageID == "b")
        #expect(deadLetter?.message.header("x-biggoal-reason") == .string("reply_closed_channel"))
        harness.resolve()
        #expect(Set(harness.acknowledged) == [1, 2, 3])
        #expect(harness.store.sent == 2)
    }

    @Test func directReplyToNamesAreSentAlone() {
        var harness = PipelineHarness()
        harness.deliver(["a"])
        harness.deliver(["b"], replyTo: "amq.rabbitmq.reply-to.g2gDZA.x")
        #expect(harness.published.count == 1, "it waits until the batch before it settles")
        #expect(harness.pipeline.destinationToPoison == nil)
        harness.resolve()
        #expect(harness.published.count == 2)
        #expect(harness.pipeline.destinationToPoison == "amq.rabbitmq.reply-to.g2gDZA.x")
    }

    @Test func poisonedDestinationsAreDeadLetteredOnSight() {
        var harness = PipelineHarness(poisoned: ["amq.rabbitmq.reply-to.bad"])
        harness.deliver(["a"], replyTo: "amq.rabbitmq.reply-to.bad")
        #expect(harness.published.map(\.destination) == [.queue("in.dead")])
    }
}

@Suite("Consumer pipeline: Redis, blocking and stopping")
struct ConsumerPipelineFaultTests {
    @Test func helloesWaitWhileRedisIsDown() {
        var harness = PipelineHarness()
        harness.store.failuresLeft = 1
        harness.deliver(["a", "b"])
        #expect(harness.published.isEmpty && harness.acks.isEmpty)
        #expect(harness.problems.last == "Redis: connection refused")
        harness.store.failuresLeft = 2
        harness.advance(.milliseconds(60))
        #expect(harness.store.probes == 1, "an outage is probed before a batch is spent on it")
        harness.advance(.milliseconds(60))
        #expect(harness.store.probes == 1, "the back-off grew to 100 ms")
        harness.advance(.milliseconds(50))
        #expect(harness.store.probes == 2)
        harness.advance(.milliseconds(200))
        #expect(harness.store.probes == 3)
        #expect(harness.published.count == 2)
        #expect(harness.problems.last == .some(nil))
        harness.resolve()
        #expect(harness.store.received == 2 && harness.store.sent == 2)
    }

    @Test func badDataIsRetriedByCountingNotProbing() {
        var harness = PipelineHarness()
        harness.store.failure = CounterStoreError(.invalidData, reason: "counter received holds a non-integer value")
        harness.deliver(["a"])
        harness.advance(.milliseconds(60))
        #expect(harness.store.probes == 0)
        harness.store.failure = nil
        harness.advance(.milliseconds(200))
        #expect(harness.published.count == 1)
    }

    @Test func repliesNotCountedAsSentGoBackToTheQueue() {
        var harness = PipelineHarness()
        harness.deliver(["a", "b"])
        harness.store.failuresLeft = 1
        harness.resolve()
        #expect(harness.requeued == [1, 2])
        #expect(harness.acks.isEmpty)
        #expect(harness.counts[.failed] == 2)
        #expect(harness.pipeline.isSettled)
    }

    @Test func aBlockedBrokerHoldsDeliveries() {
        var harness = PipelineHarness()
        harness.pipeline.brokerBlocked("memory alarm")
        harness.deliver(["a"])
        #expect(harness.published.isEmpty)
        #expect(harness.problems.last == "broker: publishing blocked (memory alarm)")
        harness.pipeline.brokerBlocked(nil)
        harness.run()
        #expect(harness.published.count == 1)
        #expect(harness.problems.last == .some(nil))
    }

    @Test func stoppingSettlesWhatIsOutAndStartsNothing() {
        var harness = PipelineHarness()
        harness.deliver(["a"])
        harness.pipeline.stop()
        harness.deliver(["b"])
        #expect(harness.published.count == 1)
        #expect(!harness.pipeline.isSettled)
        harness.resolve()
        #expect(harness.pipeline.isSettled)
        #expect(harness.acknowledged == [1], "b goes back to the queue when the session closes")
    }

    @Test func aRedisFailureWhileRecordingAnAttemptRetriesTheReply() {
        var harness = PipelineHarness()
        harness.deliver(["a"], replyTo: "full")
        harness.store.failuresLeft = 1
        harness.resolve(as: .nacked)
        #expect(harness.store.attempts.isEmpty)
        harness.advance(.seconds(1))
        #expect(harness.published.count == 2)
        harness.resolve()
        #expect(harness.acknowledged == [1])
    }
}

@Suite("Consumer pipeline: Redis answering later")
struct ConsumerPipelineLateRedisTests {
    @Test func theBrokerWorkGoesOnWhileRedisCounts() {
        var harness = PipelineHarness()
        harness.holdsRedisAnswers = true
        harness.deliver(["a", "b"])
        #expect(harness.unansweredRedis == [.received([Array("a".utf8), Array("b".utf8)])])
        #expect(harness.published.isEmpty, "no reply before the hello is counted")
        harness.answerRedis()
        #expect(harness.published.count == 2)
        harness.deliver(["c"])
        harness.resolve([1, 2])
        #expect(harness.unansweredRedis.count == 2, "the replies' count is asked while c's is with Redis")
        #expect(harness.acks.isEmpty, "nothing is acknowledged before its reply is counted")
        harness.answerRedis(1)
        #expect(harness.published.count == 3)
        harness.answerRedis(1)
        #expect(harness.acks.map(\.tag) == [2] && harness.acks[0].multiple)
        #expect(harness.store.sent == 2)
    }

    @Test func aCopyTakenWhileRedisCountsTheFirstIsADuplicate() {
        var harness = PipelineHarness()
        harness.holdsRedisAnswers = true
        harness.deliver(["a"])
        harness.deliver(["a"])
        #expect(harness.unansweredRedis.count == 1)
        #expect(harness.counts[.duplicate] == 1)
        harness.answerRedis()
        harness.resolve()
        harness.answerRedis()
        #expect(harness.published.count == 1)
        #expect(harness.acknowledged.sorted() == [1, 2])
        #expect(harness.store.received == 1 && harness.store.sent == 1)
    }

    @Test func noMultipleAckCoversABatchWhoseRepliesRedisIsCounting() {
        var harness = PipelineHarness()
        harness.holdsRedisAnswers = true
        harness.deliver(["a"])
        harness.answerRedis()
        harness.resolve()
        #expect(harness.unansweredRedis == [.sent([Array("a".utf8)])])
        harness.deliver(["x"], type: "other")
        #expect(harness.acks.count == 1 && harness.acks[0].tag == 2 && !harness.acks[0].multiple,
                "tag 1 waits for its reply's count")
        harness.answerRedis()
        #expect(harness.acknowledged.sorted() == [1, 2])
        #expect(harness.pipeline.isSettled)
    }

    @Test func anIsolatedReplyWaitsForABatchRedisIsCounting() {
        var harness = PipelineHarness()
        harness.holdsRedisAnswers = true
        harness.deliver(["a"])
        harness.answerRedis()
        harness.deliver(["b"])
        // The channel closed on a's reply: it is to be sent again alone.
        harness.resolve(as: .lost("channel closed"))
        #expect(harness.published.count == 1, "b's reply would go with it once counted")
        harness.answerRedis()
        #expect(harness.published.count == 2)
        harness.resolve([2])
        harness.answerRedis()
        #expect(harness.published.count == 3 && harness.published[2].message.messageID == "reply-a")
    }

    @Test func anIsolatedReplyWaitsForTheAcksOfABatchRedisIsCounting() {
        var harness = PipelineHarness()
        harness.holdsRedisAnswers = true
        harness.deliver(["a"])
        harness.answerRedis()
        harness.deliver(["b"])
        harness.answerRedis()
        harness.resolve([1], as: .lost("channel closed"))
        harness.resolve([2])
        #expect(harness.unansweredRedis == [.sent([Array("b".utf8)])])
        #expect(harness.published.count == 2, "a's reply goes alone only once b is acknowledged")
        harness.answerRedis()
        #expect(harness.acknowledged == [2])
        #expect(harness.published.count == 3 && harness.published[2].message.messageID == "reply-a")
    }

    @Test func failuresOfRequestsSentTogetherShareOneBackOff() {
        var harness = PipelineHarness()
        harness.holdsRedisAnswers = true
        harness.deliver(["a"])
        harness.deliver(["b"])
        harness.store.failuresLeft = 2
        harness.answerRedis()
        #expect(harness.problems.last == "Redis: connection refused")
        harness.advance(.milliseconds(60))
        #expect(harness.unansweredRedis == [.probe], "one back-off of 50 ms for both failures")
        harness.answerRedis()
        #expect(harness.unansweredRedis == [.received([Array("a".utf8), Array("b".utf8)])])
        harness.answerRedis()
        #expect(harness.published.count == 2)
    }

    @Test(arguments: 0..<40)
    func invariantsHoldWhenRedisAnswersLate(seed: UInt64) {
        var random = SplitMix(seed: seed + 1)
        var harness = PipelineHarness(rules: .test(maxAttempts: 2))
        harness.holdsRedisAnswers = true
        var delivered = 0
        let outcomes: [ConfirmTracker.Outcome] = [.confirmed, .confirmed, .confirmed, .returned, .nacked, .lost("closed")]
        for _ in 0..<100 {
            switch random.next() % 5 {
            case 0 where delivered < 100:
                let count = Int(random.next() % 5) + 1
                // Now and then a copy of an earlier hello, as a redelivery would bring.
                let ids = (0..<count).map { random.next() % 6 == 0 && delivered > 0 ? "id-\(random.next() % UInt64(delivered))" : "id-\(delivered + $0)" }
                harness.deliver(ids, replyTo: random.next() % 3 == 0 ? "requester" : nil)
                delivered += count
            case 1:
                harness.advance(.milliseconds(Int64(random.next() % 1500)))
            case 2:
                harness.store.failuresLeft = random.next() % 8 == 0 ? 1 : 0
                harness.answerRedis(Int(random.next() % 3))
            default:
                let chosen = harness.outstanding.filter { _ in random.next() % 2 == 0 }
                harness.resolve(chosen, as: outcomes[Int(random.next() % UInt64(outcomes.count))])
            }
            #expect(harness.acknowledgedWhileWithTheBroker.isEmpty)
            #expect(harness.acknowledgedWhileWithRedis.isEmpty)
        }
        harness.store.failuresLeft = 0
        for _ in 0..<60 where !harness.pipeline.isSettled || harness.pipeline.unsettledCount > 0 {
            harness.answerRedis()
            harness.resolve()
            harness.answerRedis()
            harness.advance(.seconds(11))
        }
        #expect(harness.acknowledgedWhileWithTheBroker.isEmpty)
        #expect(harness.pipeline.unsettledCount == 0 && harness.pipeline.isSettled)
        #expect(Set(harness.acknowledged).count == harness.acknowledged.count, "no tag acknowledged twice")
        #expect(harness.acknowledged.count + harness.requeued.count == delivered)
        let distinct = Set(harness.published.compactMap { $0.message.correlationID ?? $0.message.messageID })
        #expect(harness.store.received == harness.store.receivedIDs.count && harness.store.receivedIDs.count <= delivered)
        #expect(harness.store.sent <= distinct.count)
    }
}

@Suite("Consumer pipeline: any ordering")
struct ConsumerPipelineOrderingTests {
    /// Random deliveries, confirm orders and outcomes, seeded so a failure repeats. Whatever
    /// the order: no ack ever covers a delivery whose publish is still with the broker, and
    /// every delivery ends exactly once — its reply confirmed and counted as sent, dropped
    /// because the requester is gone, or dead-lettered.
    @Test(arguments: 0..<40)
    func invariantsHoldForEveryOrdering(seed: UInt64) {
        var random = SplitMix(seed: seed + 1)
        var harness = PipelineHarness(rules: .test(maxAttempts: 2))
        var delivered = 0
        let outcomes: [ConfirmTracker.Outcome] = [.confirmed, .confirmed, .confirmed, .returned, .nacked, .lost("closed")]
        for _ in 0..<80 {
            switch random.next() % 4 {
            case 0 where delivered < 100:
                let count = Int(random.next() % 5) + 1
                let ids = (0..<count).map { "id-\(delivered + $0)" }
                harness.deliver(ids, replyTo: random.next() % 3 == 0 ? "requester" : nil)
                delivered += count
            case 1:
                harness.advance(.milliseconds(Int64(random.next() % 1500)))
            default:
                let chosen = harness.outstanding.filter { _ in random.next() % 2 == 0 }
                harness.resolve(chosen, as: outcomes[Int(random.next() % UInt64(outcomes.count))])
            }
            #expect(harness.acknowledgedWhileWithTheBroker.isEmpty)
        }
        // Then the broker confirms everything, and retries come due.
        for _ in 0..<40 where harness.pipeline.unsettledCount > 0 {
            harness.resolve()
            harness.advance(.seconds(11))
        }
        #expect(harness.acknowledgedWhileWithTheBroker.isEmpty)
        #expect(harness.pipeline.unsettledCount == 0 && harness.pipeline.isSettled)
        #expect(harness.acknowledged.count == delivered && Set(harness.acknowledged).count == delivered)
        #expect(harness.store.received == delivered)
        let requestersGone = harness.faults.filter { $0 == "requester_gone" }.count
        #expect(harness.store.sent + requestersGone + harness.counts[.deadLettered, default: 0] == delivered)
    }
}
