import HTTP1
import TestSupport
import Testing

/// Random and mutated input must never trap the decoder: every outcome is requests, an
/// error, or a wait for more bytes.
@Suite("Request decoding: fuzz")
struct DecoderFuzzTests {
    static let seeds: [String] = [
        "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        "POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "GET http://h/p?q HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ]

    static let interesting: [UInt8] = Array(" \r\n\t:;,0123456789abcdefABCDEF/?%\u{0}\u{7F}".utf8) + [0x80, 0xFF]

    @Test func mutatedRequestsNeverTrap() {
        var random = SplitMix(seed: 0xB16_60A1)
        var outcomes = 0
        for round in 0..<20_000 {
            var bytes = Array(Self.seeds[round % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[position] = Self.interesting.randomElement(using: &random)!
                case 1: bytes.insert(Self.interesting.randomElement(using: &random)!, at: position)
                case 2: if bytes.count > 1 { bytes.remove(at: position) }
                default: bytes[position] = UInt8.random(in: 0...255, using: &random)
                }
            }
            let cut = Int.random(in: 0...bytes.count, using: &random)
            let outcome = decode(split(bytes, at: cut))
            if outcome.error != nil || !outcome.requests.isEmpty { outcomes += 1 }
        }
        // Most mutations still give a definite answer (a request or an error).
        #expect(outcomes > 10_000)
    }

    @Test func randomBytesNeverTrap() {
        var random = SplitMix(seed: 42)
        var errors = 0
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 1...512, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if decode([bytes]).error != nil { errors += 1 }
        }
        // The rest are waiting for a line end that random bytes rarely bring.
        #expect(errors > 3_000)
    }
}
