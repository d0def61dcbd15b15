import Foundation
import HTTP1
import Testing

@Suite("Responses")
struct ResponseTests {
    static let date = Array("Thu, 26 Nov 2026 10:00:00 GMT".utf8)

    func written(_ response: HTTPResponse, headOnly: Bool = false, version: HTTPVersion = .http1_1, keepAlive: Bool = true) -> String {
        var output: [UInt8] = []
        ResponseWriter.write(response, headOnly: headOnly, version: version, keepAlive: keepAlive, date: Self.date, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    @Test func writesStatusDateTypeLengthAndBody() {
        #expect(written(.json(.ok, #"{"count":7}"#)) ==
            "HTTP/1.1 200 OK\r\nDate: Thu, 26 Nov 2026 10:00:00 GMT\r\nX-Content-Type-Options: nosniff\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"count\":7}")
    }

    @Test func headKeepsTheLengthButNotTheBody() {
        let text = written(.text(.ok, "pong"), headOnly: true)
        #expect(text.hasSuffix("Content-Length: 4\r\n\r\n"))
    }

    @Test func closingAndHTTP10KeepAlive() {
        #expect(written(.text(.ok, "x"), keepAlive: false).contains("\r\nConnection: close\r\n"))
        let old = written(.text(.ok, "x"), version: .http1_0, keepAlive: true)
        #expect(old.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(old.contains("\r\nConnection: keep-alive\r\n"))
    }

    @Test func extraFieldsAndErrorBodies() {
        let text = written(.error(.methodNotAllowed, "method not allowed", headers: [HTTPField(name: "Allow", value: "GET, POST")]))
        #expect(text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(text.contains("\r\nAllow: GET, POST\r\n"))
        #expect(text.hasSuffix(#"{"error":"method not allowed"}"#))
    }

    @Test(arguments: [(0, "Thu, 01 Jan 1970 00:00:00 GMT"), (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
                      (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), (1_795_687_200, "Thu, 26 Nov 2026 10:00:00 GMT")])
    func imfFixdate(seconds: Int, expected: String) {
        #expect(HTTPDate.format(unixSeconds: seconds) == expected)
    }

    @Test func sequencerKeepsRequestOrder() throws {
        var sequencer = ResponseSequencer()
        let request = try #require(decode("GET / HTTP/1.1\r\nHost: x\r\n\r\n").requests.first)
        let first = sequencer.reserve(for: request)
        let second = sequencer.reserve(for: request)
        var output: [UInt8] = []
        sequencer.fulfil(second, with: .text(.ok, "second"))
        #expect(sequencer.drain(date: Self.date, into: &output) == false)
        #expect(output.isEmpty)
        sequencer.fulfil(first, with: .text(.ok, "first"))
        #expect(sequencer.drain(date: Self.date, into: &output) == false)
        let text = String(decoding: output, as: UTF8.self)
        let firstRange = try #require(text.range(of: "first"))
        let secondRange = try #require(text.range(of: "second"))
        #expect(firstRange.lowerBound < secondRange.lowerBound)
        #expect(sequencer.pendingCount == 0)
    }

    @Test func sequencerStopsAfterAClosingResponse() throws {
        var sequencer = ResponseSequencer()
        let request = try #require(decode("GET / HTTP/1.1\r\nHost: x\r\n\r\n").requests.first)
        let first = sequencer.reserveFinal()
        let second = sequencer.reserve(for: request)
        sequencer.fulfil(first, with: .error(.badRequest, "bad"))
        sequencer.fulfil(second, with: .text(.ok, "never"))
        var output: [UInt8] = []
        #expect(sequencer.drain(date: Self.date, into: &output) == true)
        #expect(!String(decoding: output, as: UTF8.self).contains("never"))
    }
}
