import HTTP1

/// The `Idempotency-Key` of a counting request (as the IETF httpapi draft describes it): a
/// client that may retry sends the same key with each try, and only the first one counts.
enum IdempotencyKey {
    /// Longer keys are refused: each is kept in Redis for the dedupe window.
    static let maximumLength = 255

    enum Reading: Equatable {
        case none
        case key(String)
        /// Why the field cannot be used, for the 400's body.
        case invalid(String)
    }

    /// The request's key. The draft gives it as a structured-field string (`"abc"`); a bare
    /// token is taken as it is too, as most clients send one.
    static func read(_ request: HTTPRequest) -> Reading {
        // Most requests carry none: looked up without building a list first.
        guard let value = request.header("Idempotency-Key") else { return .none }
        guard request.headers(named: "Idempotency-Key").count == 1 else { return .invalid("a request may carry one Idempotency-Key") }
        var key = Substring(value)
        if key.count >= 2, key.first == "\"", key.last == "\"" { key = key.dropFirst().dropLast() }
        guard !key.isEmpty else { return .invalid("Idempotency-Key is empty") }
        guard key.utf8.count <= maximumLength else { return .invalid("Idempotency-Key is longer than \(maximumLength) bytes") }
        guard key.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            return .invalid("Idempotency-Key may hold printable ASCII only")
        }
        return .key(String(key))
    }
}
