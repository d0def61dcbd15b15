import Counters
import HTTP1
import HTTPServer
import LinuxIO
import Settings

/// The API's routes. One per event loop, with that loop's counter store.
///
/// | path | methods | effect |
/// |---|---|---|
/// | `/ping` | GET, HEAD | `pong` |
/// | `/receive`, `/sent` | POST (GET with `http.countOnGet`) | increment, answer the new count |
/// | `/api/v1/{receive,sent}/messages/hello` | GET, HEAD | read the count |
/// | `/health` | GET, HEAD | PING the store |
/// | `/metrics` | GET, HEAD | the Prometheus exposition |
/// | `/` | GET, HEAD | the status page |
///
/// Before a route sees a request, the access rules may refuse it (405, 403, 401).
public final class APIResponder: HTTPResponder {
    private let store: CounterStore
    private let metrics: APIMetrics?
    private let access: AccessRules

    /// A responder over `store`; with `metrics`, requests are counted and `/metrics` served.
    init(store: CounterStore, metrics: APIMetrics?, access: AccessRules) {
        self.store = store
        self.metrics = metrics
        self.access = access
    }

    /// A responder without metrics, for tests of the routes.
    public convenience init(store: CounterStore, access: AccessSettings = AccessSettings(), tokens: [String] = []) {
        self.init(store: store, metrics: nil, access: AccessRules(settings: access, tokens: ValidTokens(tokens)))
    }

    public func respond(to request: HTTPRequest, _ respond: @escaping (HTTPResponse) -> Void) {
        let route = Route(path: request.path)
        var respond = respond
        if let origin = access.allowedCrossOrigin(of: request) {
            // A page on an allowed origin may read the answer (CORS).
            respond = { [respond] response in
                var response = response
                response.headers += Responses.crossOriginFields(origin)
                respond(response)
            }
        }
        guard let metrics else { return answer(request, on: route, respond) }
        let startedAt = MonotonicClock.nanoseconds()
        answer(request, on: route) { response in
            metrics.record(route: route, status: response.status.code, startedAt: startedAt)
            respond(response)
        }
    }

    /// Requests the server answered itself (400, 408, 413, …) count under route `other`.
    public func rejected(_ error: HTTPParseError) {
        metrics?.record(route: nil, status: error.status.code, startedAt: MonotonicClock.nanoseconds())
    }

    private func answer(_ request: HTTPRequest, on route: Route?, _ respond: @escaping (HTTPResponse) -> Void) {
        guard let route else {
            return respond(Responses.notFound)
        }
        if request.method == .options, let preflight = access.preflight(request) {
            return respond(preflight == .allowed ? Responses.preflight(allow: access.allowedMethods(on: route)) : Responses.crossOrigin)
        }
        guard route.allows(request.method) else {
            return respond(Responses.methodNotAllowed(allow: access.allowedMethods(on: route)))
        }
        if let refusal = access.refusal(of: request, on: route) {
            return respond(Responses.refused(refusal, allow: access.allowedMethods(on: route)))
        }
        switch route {
        case .ping:
            respond(Responses.pong)
        case .increment(let counter):
            switch IdempotencyKey.read(request) {
            case .none:
                store.increment(counter) { [metrics] result in
                    if case .success(let value) = result { metrics?.observe(counter, value: value) }
                    respond(Responses.count(result))
                }
            case .key(let key):
                store.increment(counter, idempotencyKey: key) { [metrics] result in
                    if case .success(let count) = result, !count.isReplay { metrics?.observe(counter, value: count.value) }
                    respond(Responses.idempotentCount(result))
                }
            case .invalid(let reason):
                respond(Responses.badIdempotencyKey(reason))
            }
        case .read(let counter):
            store.value(of: counter) { [metrics] result in
                if case .success(let value) = result { metrics?.observe(counter, value: value) }
                respond(Responses.count(result))
            }
        case .health:
            store.checkHealth { respond(Responses.health($0)) }
        case .consumers:
            store.consumerPresences { respond(Responses.consumers($0)) }
        case .metrics:
            respond(metrics?.render() ?? Responses.notFound)
        case .statusPage:
            respond(StatusPage.response)
        }
    }
}

/// The known paths. Query strings never take part in routing.
enum Route: Equatable {
    case ping
    case increment(Counter)
    case read(Counter)
    case health
    case consumers
    case metrics
    case statusPage

    init?(path: Substring) {
        switch path {
        case "/": self = .statusPage
        case "/ping": self = .ping
        case "/receive": self = .increment(.received)
        case "/sent": self = .increment(.sent)
        case "/api/v1/receive/messages/hello": self = .read(.received)
        case "/api/v1/sent/messages/hello": self = .read(.sent)
        case "/health": self = .health
        case "/api/v1/consumers": self = .consumers
        case "/metrics": self = .metrics
        default: return nil
        }
    }

    /// Whether the route answers `method` at all. A switch rather than a list, so the
    /// request path builds no array. GET on a counting route is here for the callers that
    /// `http.countOnGet` serves; the access rules refuse it otherwise. HEAD must never count.
    func allows(_ method: HTTPMethod) -> Bool {
        switch self {
        case .increment: method == .get || method == .post
        case .ping, .read, .health, .consumers, .metrics, .statusPage: method == .get || method == .head
        }
    }

    /// Whether a request to the route changes data.
    var isCounting: Bool {
        if case .increment = self { return true }
        return false
    }

    /// A small number per route, for cheap metric lookups.
    var index: Int {
        switch self {
        case .ping: 1
        case .increment(.received): 2
        case .increment(.sent): 3
        case .read(.received): 4
        case .read(.sent): 5
        case .health: 6
        case .metrics: 7
        case .statusPage: 8
        case .consumers: 9
        }
    }

    /// The route's name in metrics: its path, so label values stay few.
    var label: String {
        switch self {
        case .ping: "/ping"
        case .increment(.received): "/receive"
        case .increment(.sent): "/sent"
        case .read(.received): "/api/v1/receive/messages/hello"
        case .read(.sent): "/api/v1/sent/messages/hello"
        case .health: "/health"
        case .metrics: "/metrics"
        case .statusPage: "/"
        case .consumers: "/api/v1/consumers"
        }
    }
}

/// The response bodies, built once where they never change. Counts, health and refusals
/// change from one request to the next, so no cache may keep them.
enum Responses {
    static let noStore = HTTPField(name: "Cache-Control", value: "no-store")
    static let pong = HTTPResponse.text(.ok, "pong")
    static let notFound = HTTPResponse.error(.notFound, "not found")
    static let storeUnavailable = HTTPResponse.error(.serviceUnavailable, "counter store unavailable", headers: [noStore])
    static let healthy = HTTPResponse.json(.ok, #"{"status":"ok"}"#, headers: [noStore])

    static let tokenNeeded = HTTPResponse.error(.unauthorized, "a bearer token is needed", headers: [
        HTTPField(name: "WWW-Authenticate", value: #"Bearer realm="biggoal""#), noStore,
    ])
    static let tokenInvalid = HTTPResponse.error(.unauthorized, "the bearer token is not valid", headers: [
        HTTPField(name: "WWW-Authenticate", value: #"Bearer realm="biggoal", error="invalid_token""#), noStore,
    ])
    static let crossOrigin = HTTPResponse.error(.forbidden, "cross-origin requests may not count", headers: [noStore])

    /// The answer to a CORS preflight from an allowed origin: which methods, that the
    /// `Authorization` header may be sent, for ten minutes.
    static func preflight(allow: String) -> HTTPResponse {
        HTTPResponse(status: .noContent, headers: [
            HTTPField(name: "Access-Control-Allow-Methods", value: allow),
            HTTPField(name: "Access-Control-Allow-Headers", value: "Authorization, Idempotency-Key"),
            HTTPField(name: "Access-Control-Max-Age", value: "600"),
        ])
    }

    static func crossOriginFields(_ origin: String) -> [HTTPField] {
        [HTTPField(name: "Access-Control-Allow-Origin", value: origin), HTTPField(name: "Vary", value: "Origin")]
    }

    static func methodNotAllowed(allow: String) -> HTTPResponse {
        .error(.methodNotAllowed, "method not allowed", headers: [HTTPField(name: "Allow", value: allow)])
    }

    static func refused(_ refusal: Refusal, allow: String) -> HTTPResponse {
        switch refusal {
        case .countingNeedsPost: methodNotAllowed(allow: allow)
        case .crossOrigin: crossOrigin
        case .missingToken: tokenNeeded
        case .invalidToken: tokenInvalid
        }
    }

    static func count(_ result: Result<Int, CounterStoreError>) -> HTTPResponse {
        switch result {
        case .success(let count): .json(.ok, #"{"count":\#(count)}"#, headers: [noStore])
        // Bad data in Redis is not an outage: retrying will not help until the key is repaired.
        case .failure(let error) where error.code == .invalidData:
            .json(.internalServerError, #"{"error":\#(JSONString.quote(error.reason))}"#, headers: [noStore])
        case .failure: storeUnavailable
        }
    }

    /// A count for a request with an `Idempotency-Key`: a repeat gets the first request's
    /// count, marked `Idempotent-Replayed: true` so a client can tell.
    static func idempotentCount(_ result: Result<IdempotentCount, CounterStoreError>) -> HTTPResponse {
        var response = count(result.map(\.value))
        if case .success(let count) = result, count.isReplay {
            response.headers.append(HTTPField(name: "Idempotent-Replayed", value: "true"))
        }
        return response
    }

    static func badIdempotencyKey(_ reason: String) -> HTTPResponse {
        .json(.badRequest, #"{"error":\#(JSONString.quote(reason))}"#, headers: [noStore])
    }

    /// The live consumer instances' heartbeats. Every text is escaped and every number
    /// re-formatted here: the hashes in Redis are trusted no more than a request.
    static func consumers(_ result: Result<[ConsumerPresence], CounterStoreError>) -> HTTPResponse {
        guard case .success(let presences) = result else { return storeUnavailable }
        func optional(_ value: Int?) -> String { value.map(String.init) ?? "null" }
        let entries = presences.map { presence in
            #"{"instance":\#(JSONString.quote(presence.instance)),"node":\#(JSONString.quote(presence.node)),"#
                + #""inFlight":\#(presence.inFlight),"receivedPerSecond":\#(presence.receivedPerSecond),"#
                + #""sentPerSecond":\#(presence.sentPerSecond),"queue":\#(JSONString.quote(presence.queue)),"#
                + #""queueMessages":\#(optional(presence.queueMessages)),"#
                + #""deadLetterQueue":\#(JSONString.quote(presence.deadLetterQueue)),"#
                + #""deadLetterMessages":\#(optional(presence.deadLetterMessages)),"sentAt":\#(presence.sentAtMilliseconds)}"#
        }
        return .json(.ok, #"{"consumers":[\#(entries.joined(separator: ","))]}"#, headers: [noStore])
    }

    static func health(_ result: Result<Void, CounterStoreError>) -> HTTPResponse {
        switch result {
        case .success: healthy
        case .failure(let error):
            .json(.serviceUnavailable, #"{"status":"unavailable","reason":\#(JSONString.quote(error.reason))}"#, headers: [noStore])
        }
    }
}
