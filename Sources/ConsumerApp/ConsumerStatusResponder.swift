import HTTP1
import HTTPServer
import MetricsSetup

/// The consumer's small HTTP side: `/metrics` and `/health`, served by the project's HTTP
/// server on `consumer.metricsPort`.
public final class ConsumerStatusResponder: HTTPResponder {
    private let metrics: MetricsExposition
    private let health: ConsumerHealth

    public init(metrics: MetricsExposition, health: ConsumerHealth) {
        self.metrics = metrics
        self.health = health
    }

    public func respond(to request: HTTPRequest, _ respond: @escaping (HTTPResponse) -> Void) {
        let allowed = [HTTPMethod.get, .head]
        switch request.path {
        case "/metrics" where allowed.contains(request.method):
            respond(HTTPResponse(status: .ok, contentType: MetricsExposition.contentType, body: metrics.render()))
        case "/health" where allowed.contains(request.method):
            if let problem = health.currentProblem {
                respond(.json(.serviceUnavailable, #"{"status":"unavailable","reason":\#(JSONString.quote(problem))}"#))
            } else if let degradation = health.currentDegradation {
                respond(.json(.ok, #"{"status":"degraded","reason":\#(JSONString.quote(degradation))}"#))
            } else {
                respond(.json(.ok, #"{"status":"ok"}"#))
            }
        case "/metrics", "/health":
            respond(.error(.methodNotAllowed, "method not allowed", headers: [HTTPField(name: "Allow", value: "GET, HEAD")]))
        default:
            respond(.error(.notFound, "not found"))
        }
    }
}
