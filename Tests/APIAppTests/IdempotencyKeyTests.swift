import APIApp
import Counters
import CountersTestSupport
import HTTP1
import Testing

@Suite("Idempotency-Key on the counting routes")
struct IdempotencyKeyTests {
    let store = MemoryCounterStore()
    var responder: APIResponder { APIResponder(store: store) }

    @Test(arguments: [("/receive", Counter.received), ("/sent", Counter.sent)])
    func aRepeatedKeyCountsOnceAndAnswersTheFirstCount(path: String, counter: Counter) throws {
        let first = try respond(responder, .post, path, headers: [("Idempotency-Key", "order-17")])
        #expect(first.status == .ok)
        #expect(first.text == #"{"count":1}"#)
        #expect(first.field("Idempotent-Replayed") == nil)
        _ = try respond(responder, .post, path)
        // The draft's structured-field form names the same key.
        let again = try respond(responder, .post, path, headers: [("idempotency-key", #""order-17""#)])
        #expect(again.status == .ok)
        #expect(again.text == #"{"count":1}"#)
        #expect(again.field("Idempotent-Replayed") == "true")
        #expect(again.field("Cache-Control") == "no-store")
        #expect(store.counts[counter] == 2)
    }

    @Test func aFailedFirstTryLeavesTheKeyFreeForTheRetry() throws {
        store.failure = CounterStoreError(reason: "down")
        #expect(try respond(responder, .post, "/receive", headers: [("Idempotency-Key", "k")]).status == .serviceUnavailable)
        store.failure = nil
        let retried = try respond(responder, .post, "/receive", headers: [("Idempotency-Key", "k")])
        #expect(retried.text == #"{"count":1}"#)
        #expect(retried.field("Idempotent-Replayed") == nil)
    }

    @Test(arguments: [
        ("", "empty"),
        (#""""#, "empty"),
        (String(repeating: "k", count: 256), "longer than 255 bytes"),
        ("clé", "printable ASCII"),
        ("tab\there", "printable ASCII"),
    ])
    func badKeysAreRefusedAndCountNothing(key: String, reason: String) throws {
        let response = try respond(responder, .post, "/receive", headers: [("Idempotency-Key", key)])
        #expect(response.status == .badRequest)
        #expect(response.text.contains(reason), "\(response.text)")
        #expect(store.counts.isEmpty)
    }

    @Test func theLongestKeyIsTaken() throws {
        let key = String(repeating: "k", count: 255)
        #expect(try respond(responder, .post, "/receive", headers: [("Idempotency-Key", key)]).status == .ok)
    }

    @Test func twoKeysInOneRequestAreRefused() throws {
        let response = try respond(responder, .post, "/sent", headers: [("Idempotency-Key", "a"), ("Idempotency-Key", "b")])
        #expect(response.status == .badRequest)
        #expect(store.counts.isEmpty)
    }
}
