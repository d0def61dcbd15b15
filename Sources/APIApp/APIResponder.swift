import Counters
import HTTP1
import HTTPServer

/// The API's routes. One per event loop, with that loop's counter store.
///
/// | path | methods | effect |
/// |---|---|---|
/// | `/ping` | GET, HEAD | `pong` |
/// | `/receive`, `/sent` | POST, GET | increment, answer the new count |
/// | `/api/v1/{receive,sent}/messages/hello` | GET, HEAD | read the count |
/// | `/health` | GET, HEAD | PING the store |
public final class APIResponder: HTTPResponder {
    private let store: CounterStore

    public init(store: CounterStore) {
        self.store = store
    }

    public func respond(to request: HTTPRequest, _ respond: @escaping (HTTPResponse) -> Void) {
        guard let route = Route(path: request.path) else {
            return respond(Responses.notFound)
        }
        guard route.allowedMethods.contains(request.method) else {
            return respond(Responses.methodNotAllowed(allow: route.allowHeader))
        }
        switch route {
        case .ping:
            respond(Responses.pong)
        case .increment(let counter):
            store.increment(counter) { respond(Responses.count($0)) }
        case .read(let counter):
            store.value(of: counter) { respond(Responses.count($0)) }
        case .health:
            store.checkHealth { respond(Responses.health($0)) }
        }
    }
}

/// The known paths. Query strings never take part in routing.
enum Route: Equatable {
    case ping
    case increment(Counter)
    case read(Counter)
    case health

    init?(path: Substring) {
        switch path {
        case "/ping": self = .ping
        case "/receive": self = .increment(.received)
        case "/sent": self = .increment(.sent)
        case "/api/v1/receive/messages/hello": self = .read(.received)
        case "/api/v1/sent/messages/hello": self = .read(.sent)
        case "/health": self = .health
        default: return nil
        }
    }

    var allowedMethods: [HTTPMethod] {
        switch self {
        // POST is the documented form; GET stays because existing users call these with a
        // bare curl. HEAD must never count, so it is not allowed here.
        case .increment: [.get, .post]
        case .ping, .read, .health: [.get, .head]
        }
    }

    var allowHeader: String {
        allowedMethods.map(\.rawValue).joined(separator: ", ")
    }
}

/// The response bodies, built once where they never change.
enum Responses {
    static let pong = HTTPResponse.text(.ok, "pong")
    static let notFound = HTTPResponse.error(.notFound, "not found")
    static let storeUnavailable = HTTPResponse.error(.serviceUnavailable, "counter store unavailable")
    static let healthy = HTTPResponse.json(.ok, #"{"status":"ok"}"#)

    static func methodNotAllowed(allow: String) -> HTTPResponse {
        .error(.methodNotAllowed, "method not allowed", headers: [HTTPField(name: "Allow", value: allow)])
    }

    static func count(_ result: Result<Int, CounterStoreError>) -> HTTPResponse {
        switch result {
        case .success(let count): .json(.ok, #"{"count":\#(count)}"#)
        case .failure: storeUnavailable
        }
    }

    static func health(_ result: Result<Void, CounterStoreError>) -> HTTPResponse {
        switch result {
        case .success: healthy
        case .failure(let error):
            .json(.serviceUnavailable, #"{"status":"unavailable","reason":\#(JSONString.quote(error.reason))}"#)
        }
    }
}
