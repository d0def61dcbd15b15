import Resilience
import Testing
import TestSupport

@Suite("Endpoint rotation")
struct EndpointRotationTests {
    @Test func orderedTriesEachNodeOnceBeforeBackingOff() {
        var rotation = EndpointRotation(count: 3, order: .ordered)
        #expect(rotation.current == 0)
        #expect(rotation.failed() == nil)
        #expect(rotation.current == 1)
        #expect(rotation.failed() == nil)
        #expect(rotation.current == 2)
        #expect(rotation.failed() == 1, "a full round failed: back off once")
        #expect(rotation.current == 0)
        #expect(rotation.failed() == nil)
        #expect(rotation.failed() == nil)
        #expect(rotation.failed() == 2, "the second round: a longer back-off")
    }

    @Test func aSuccessStartsANewRoundFromTheNodeThatAnswered() {
        var rotation = EndpointRotation(count: 3, order: .ordered)
        _ = rotation.failed()
        rotation.succeeded()
        #expect(rotation.current == 1, "stays on the node that answered")
        // Losing it moves on to the next, and a full round is three failures again.
        #expect(rotation.failed() == nil)
        #expect(rotation.current == 2)
        #expect(rotation.failed() == nil)
        #expect(rotation.failed() == 1)
    }

    @Test func shuffledOrdersAreAPermutationAndSpreadProcesses() {
        var generator = SplitMix(seed: 7)
        var firsts = Set<Int>()
        for _ in 0..<50 {
            let rotation = EndpointRotation(count: 3, order: .shuffle, using: &generator)
            #expect(rotation.order.sorted() == [0, 1, 2])
            firsts.insert(rotation.current)
        }
        #expect(firsts == [0, 1, 2], "processes start on different nodes")
    }

    @Test func oneEndpointBacksOffAfterEachFailure() {
        var rotation = EndpointRotation(count: 1, order: .shuffle)
        #expect(rotation.failed() == 1)
        #expect(rotation.failed() == 2)
        #expect(rotation.current == 0)
    }
}
