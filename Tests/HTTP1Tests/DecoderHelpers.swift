import HTTP1

/// What a decoder made of some bytes: the requests, then the error if one ended it.
struct DecodeOutcome: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPParseError?
}

/// Feeds `bytes` to a fresh decoder in the given pieces and collects the outcome.
func decode(_ pieces: [[UInt8]], limits: HTTPLimits = HTTPLimits()) -> DecodeOutcome {
    var decoder = RequestDecoder(limits: limits)
    var outcome = DecodeOutcome()
    for piece in pieces {
        decoder.append(contentsOf: piece)
        do {
            while let request = try decoder.next() { outcome.requests.append(request) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    return outcome
}

func decode(_ text: String, limits: HTTPLimits = HTTPLimits()) -> DecodeOutcome {
    decode([Array(text.utf8)], limits: limits)
}

/// Splits `bytes` at `point` into two pieces.
func split(_ bytes: [UInt8], at point: Int) -> [[UInt8]] {
    [Array(bytes[..<point]), Array(bytes[point...])]
}
