@testable import ConsumerApp
import Counters
import Testing

@Suite("Consumer heartbeat")
struct PresenceReporterTests {
    @Test func ratesCoverTheTimeSinceTheLastReport() {
        let reporter = PresenceReporter(serviceName: "c", queue: "hello", deadLetterQueue: "hello.dead", interval: .seconds(2))
        let start = ContinuousClock.now
        #expect(reporter.isDue(at: start))
        let first = reporter.report(at: start, node: "n:1", inFlight: 0, depths: [:], wallClockMilliseconds: 1)
        #expect(first.receivedPerSecond == 0 && first.sentPerSecond == 0)
        #expect(!reporter.isDue(at: start + .seconds(1)))
        #expect(reporter.isDue(at: start + .seconds(2)))

        reporter.counted(.hello, 30)
        reporter.counted(.duplicate, 100)
        for _ in 0..<10 { reporter.counted(.confirmed) }
        reporter.counted(.nacked)
        let second = reporter.report(at: start + .seconds(2), node: "n:1", inFlight: 4, depths: ["hello": 9, "hello.dead": 1],
                                     wallClockMilliseconds: 2)
        #expect(second.receivedPerSecond == 15)
        #expect(second.sentPerSecond == 5)
        #expect(second.inFlight == 4)
        #expect(second.queueMessages == 9 && second.deadLetterMessages == 1)
        #expect(second.instance.hasPrefix("c@"))
        #expect(reporter.ttlMilliseconds == 6000)
        #expect(reporter.queues == ["hello", "hello.dead"])
    }

    /// The lanes of `amqp.channels` share one reporter: what they hold adds up, and what any
    /// of them counts is in the one heartbeat.
    @Test func theChannelsOfOneProcessReportTogether() {
        let reporter = PresenceReporter(serviceName: "c", queue: "hello", deadLetterQueue: nil)
        let start = ContinuousClock.now
        _ = reporter.report(at: start, node: "n:1", inFlight: 0, depths: [:])
        #expect(reporter.inFlight(lane: 0, 40) == 40)
        #expect(reporter.inFlight(lane: 1, 25) == 65)
        #expect(reporter.inFlight(lane: 0, 10) == 35)
        reporter.counted(.hello, 6)
        reporter.counted(.hello, 4)
        let presence = reporter.report(at: start + .seconds(2), node: "n:1", inFlight: 35, depths: [:])
        #expect(presence.receivedPerSecond == 5 && presence.inFlight == 35)
    }

    @Test func theConsumerWorksWhenEveryChannelDoes() {
        let health = ConsumerHealth(channels: 2)
        #expect(health.currentProblem == "channel 1 of 2: starting")
        health.set(nil, lane: 0)
        #expect(health.currentProblem == "channel 2 of 2: starting")
        health.set(nil, lane: 1)
        #expect(health.currentProblem == nil)
        health.set("broker: connection refused", lane: 1)
        #expect(health.currentProblem == "channel 2 of 2: broker: connection refused")
        let single = ConsumerHealth()
        single.set("redis: timed out")
        #expect(single.currentProblem == "redis: timed out", "one channel is not numbered")
    }

    @Test func aQueueTheBrokerDidNotDescribeHasNoDepth() {
        let reporter = PresenceReporter(serviceName: "c", queue: "hello", deadLetterQueue: nil)
        let presence = reporter.report(at: .now, node: "", inFlight: 0, depths: [:])
        #expect(presence.queueMessages == nil && presence.deadLetterMessages == nil && presence.deadLetterQueue == "")
        #expect(reporter.queues == ["hello"])
    }

    @Test func aHeartbeatSurvivesTheRoundTripThroughItsFields() {
        let presence = ConsumerPresence(instance: "c@h/1", node: "n:1", inFlight: 2, receivedPerSecond: 3.25, sentPerSecond: 0,
                                        queue: "q", queueMessages: nil, deadLetterQueue: "", deadLetterMessages: 5,
                                        sentAtMilliseconds: 42)
        let read = ConsumerPresence(fields: Dictionary(uniqueKeysWithValues: presence.fields))
        #expect(read?.receivedPerSecond == 3.3)
        #expect(read?.queueMessages == nil && read?.deadLetterMessages == 5 && read?.sentAtMilliseconds == 42)
        #expect(ConsumerPresence(fields: ["node": "n"]) == nil)
        #expect(ConsumerPresence(fields: ["instance": "x", "receivedPerSecond": "-4", "sentPerSecond": "inf"])?.receivedPerSecond == 0)
    }
}
