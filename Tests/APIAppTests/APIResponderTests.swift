import APIApp
import Counters
import CountersTestSupport
import HTTP1
import Settings
import Testing

/// Sends one request through the responder and returns its response.
func respond(_ responder: APIResponder, _ method: HTTPMethod, _ target: String, headers: [(String, String)] = []) throws -> HTTPResponse {
    let fields = headers.map { HTTPField(name: $0.0, value: $0.1) }
    let request = HTTPRequest(method: method, target: target, version: .http1_1, headers: fields, keepAlive: true, bodyLength: 0)
    var answer: HTTPResponse?
    responder.respond(to: request) { answer = $0 }
    return try #require(answer, "the responder did not answer synchronously")
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    func field(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

@Suite("API routes")
struct APIResponderTests {
    let store = MemoryCounterStore()
    var responder: APIResponder { APIResponder(store: store) }

    /// Heartbeats come from Redis, which anyone with access may have written to: every text
    /// is escaped, so the JSON stays JSON.
    @Test func consumersAreListedWithEveryTextEscaped() throws {
        store.presences = [
            ConsumerPresence(instance: #"evil"},{"x":"<script>"#, node: "n:1", inFlight: 1, receivedPerSecond: 2.5, sentPerSecond: 2,
                             queue: "hello", queueMessages: 3, deadLetterQueue: "", deadLetterMessages: nil, sentAtMilliseconds: 9),
        ]
        let response = try respond(responder, .get, "/api/v1/consumers")
        #expect(response.status == .ok)
        #expect(response.field("Cache-Control") == "no-store")
        #expect(response.text == #"{"consumers":[{"instance":"evil\"},{\"x\":\"<script>","node":"n:1","inFlight":1,"#
            + #""receivedPerSecond":2.5,"sentPerSecond":2.0,"queue":"hello","queueMessages":3,"deadLetterQueue":"","#
            + #""deadLetterMessages":null,"sentAt":9}]}"#)
        store.failure = CounterStoreError(reason: "down")
        #expect(try respond(responder, .get, "/api/v1/consumers").status == .serviceUnavailable)
    }

    @Test func ping() throws {
        for method in [HTTPMethod.get, .head] {
            let response = try respond(responder, method, "/ping")
            #expect(response.status == .ok)
            #expect(response.contentType == "text/plain; charset=utf-8")
            #expect(response.text == "pong")
        }
    }

    @Test(arguments: [("/receive", Counter.received), ("/sent", Counter.sent)])
    func incrementWithPost(path: String, counter: Counter) throws {
        let first = try respond(responder, .post, path)
        #expect(first.status == .ok)
        #expect(first.contentType == "application/json")
        #expect(first.field("Cache-Control") == "no-store")
        #expect(first.text == #"{"count":1}"#)
        #expect(try respond(responder, .post, path + "?ignored=1").text == #"{"count":2}"#)
        #expect(store.counts[counter] == 2)
    }

    @Test(arguments: ["/receive", "/sent"])
    func getCountsOnlyWhenConfiguredTo(path: String) throws {
        let refused = try respond(responder, .get, path)
        #expect(refused.status == .methodNotAllowed)
        #expect(refused.field("Allow") == "POST")
        #expect(store.counts.isEmpty)

        let lenient = APIResponder(store: store, access: AccessSettings(countOnGet: true))
        #expect(try respond(lenient, .get, path).text == #"{"count":1}"#)
        #expect(try respond(lenient, .delete, path).field("Allow") == "GET, POST")
    }

    @Test(arguments: ["/receive", "/sent"])
    func headNeverCounts(path: String) throws {
        let response = try respond(responder, .head, path)
        #expect(response.status == .methodNotAllowed)
        #expect(response.field("Allow") == "POST")
        #expect(store.counts.isEmpty)
    }

    /// QUERY is a registered method: a route that does not serve it says 405 and what it
    /// does serve, as for any known method (501 is for methods nobody registered).
    @Test(arguments: ["/ping", "/receive", "/api/v1/consumers", "/health"])
    func queryIsAKnownMethodNoRouteServes(path: String) throws {
        let response = try respond(responder, .query, path)
        #expect(response.status == .methodNotAllowed)
        #expect(response.field("Allow") != nil)
    }

    @Test func readsCounters() throws {
        #expect(try respond(responder, .get, "/api/v1/receive/messages/hello").text == #"{"count":0}"#)
        _ = try respond(responder, .post, "/receive")
        _ = try respond(responder, .post, "/sent")
        _ = try respond(responder, .post, "/sent")
        #expect(try respond(responder, .get, "/api/v1/receive/messages/hello").text == #"{"count":1}"#)
        #expect(try respond(responder, .get, "/api/v1/sent/messages/hello").text == #"{"count":2}"#)
        let head = try respond(responder, .head, "/api/v1/sent/messages/hello")
        #expect(head.status == .ok)
        #expect(store.counts[.sent] == 2)
    }

    @Test func health() throws {
        let response = try respond(responder, .get, "/health")
        #expect(response.status == .ok)
        #expect(response.text == #"{"status":"ok"}"#)
    }

    @Test func statusPageIsSelfContained() throws {
        let page = try respond(responder, .get, "/")
        #expect(page.status == .ok)
        #expect(page.contentType == "text/html; charset=utf-8")
        #expect(page.text.contains("/api/v1/receive/messages/hello"))
        #expect(!page.text.contains("http://") && !page.text.contains("https://"), "no external assets")
    }

    @Test(arguments: ["/index.html", "/pingx", "/api/v1/receive/messages", "/receive/", "/PING"])
    func unknownPaths(path: String) throws {
        let response = try respond(responder, .get, path)
        #expect(response.status == .notFound)
        #expect(response.text == #"{"error":"not found"}"#)
    }

    @Test(arguments: [
        (HTTPMethod.post, "/ping", "GET, HEAD"), (.delete, "/receive", "POST"), (.put, "/sent", "POST"),
        (.post, "/api/v1/receive/messages/hello", "GET, HEAD"), (.post, "/health", "GET, HEAD"),
    ])
    func otherMethods(method: HTTPMethod, path: String, allow: String) throws {
        let response = try respond(responder, method, path)
        #expect(response.status == .methodNotAllowed)
        #expect(response.text == #"{"error":"method not allowed"}"#)
        #expect(response.field("Allow") == allow)
    }

    @Test func storeDownGives503() throws {
        store.failure = CounterStoreError(reason: "connection refused \"quoted\"")
        for (method, path) in [(HTTPMethod.post, "/receive"), (.get, "/api/v1/sent/messages/hello")] {
            let response = try respond(responder, method, path)
            #expect(response.status == .serviceUnavailable)
            #expect(response.text == #"{"error":"counter store unavailable"}"#)
        }
        let health = try respond(responder, .get, "/health")
        #expect(health.status == .serviceUnavailable)
        #expect(health.text == #"{"status":"unavailable","reason":"connection refused \"quoted\""}"#)
        #expect(try respond(responder, .get, "/ping").status == .ok)
    }
}
