import HTTP1
import Testing

@Suite("Request decoding: valid requests")
struct ValidRequestTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let raw: String
        let method: HTTPMethod
        let path: String
        let keepAlive: Bool
        let bodyLength: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "simple GET", raw: "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n",
             method: .get, path: "/ping", keepAlive: true, bodyLength: 0),
        Case(name: "query ignored for the path", raw: "GET /receive?x=1&y=2 HTTP/1.1\r\nHost: a:3000\r\n\r\n",
             method: .get, path: "/receive", keepAlive: true, bodyLength: 0),
        Case(name: "HTTP/1.0 without Host closes", raw: "GET /ping HTTP/1.0\r\n\r\n",
             method: .get, path: "/ping", keepAlive: false, bodyLength: 0),
        Case(name: "HTTP/1.0 keep-alive", raw: "GET /ping HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
             method: .get, path: "/ping", keepAlive: true, bodyLength: 0),
        Case(name: "Connection: close", raw: "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             method: .get, path: "/ping", keepAlive: false, bodyLength: 0),
        Case(name: "POST with a body", raw: "POST /receive HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
             method: .post, path: "/receive", keepAlive: true, bodyLength: 5),
        Case(name: "identical Content-Length list", raw: "POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
             method: .post, path: "/r", keepAlive: true, bodyLength: 3),
        Case(name: "chunked with extension and trailer",
             raw: "POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
             method: .post, path: "/r", keepAlive: true, bodyLength: 11),
        Case(name: "absolute-form target", raw: "GET http://example.com/ping?q HTTP/1.1\r\nHost: example.com\r\n\r\n",
             method: .get, path: "/ping", keepAlive: true, bodyLength: 0),
        Case(name: "absolute-form without a path", raw: "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
             method: .get, path: "/", keepAlive: true, bodyLength: 0),
        Case(name: "query and fragment are not part of the path", raw: "GET /api/v1/x?y=1#z HTTP/1.1\r\nHost: x\r\n\r\n",
             method: .get, path: "/api/v1/x", keepAlive: true, bodyLength: 0),
        Case(name: "leading empty line ignored", raw: "\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
             method: .get, path: "/ping", keepAlive: true, bodyLength: 0),
        Case(name: "HEAD", raw: "HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\n",
             method: .head, path: "/ping", keepAlive: true, bodyLength: 0),
        Case(name: "HTTP/1.2 served as 1.1", raw: "GET /ping HTTP/1.2\r\nHost: x\r\n\r\n",
             method: .get, path: "/ping", keepAlive: true, bodyLength: 0),
        Case(name: "IPv6 host with port", raw: "GET / HTTP/1.1\r\nHost: [::1]:3000\r\n\r\n",
             method: .get, path: "/", keepAlive: true, bodyLength: 0),
        Case(name: "empty Host value", raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n",
             method: .get, path: "/", keepAlive: true, bodyLength: 0),
        Case(name: "OPTIONS *", raw: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
             method: .options, path: "*", keepAlive: true, bodyLength: 0),
        Case(name: "field value with obs-text and tabs", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: \tva\u{e9}lue\t \r\n\r\n",
             method: .get, path: "/", keepAlive: true, bodyLength: 0),
    ]

    @Test(arguments: cases)
    func decodesWhole(_ testCase: Case) throws {
        let outcome = decode(testCase.raw)
        #expect(outcome.error == nil)
        let request = try #require(outcome.requests.first)
        #expect(outcome.requests.count == 1)
        #expect(request.method == testCase.method)
        #expect(request.path == testCase.path)
        #expect(request.keepAlive == testCase.keepAlive)
        #expect(request.bodyLength == testCase.bodyLength)
    }

    @Test("gives the same result fed one byte at a time and split at every point", arguments: cases)
    func decodesSplit(_ testCase: Case) {
        let bytes = Array(testCase.raw.utf8)
        let whole = decode([bytes])
        #expect(decode(bytes.map { [$0] }) == whole)
        for point in 0...bytes.count {
            #expect(decode(split(bytes, at: point)) == whole, "split at \(point)")
        }
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let raw = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nokGET /c HTTP/1.1\r\nHost: x\r\n\r\n"
        let outcome = decode(raw)
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.path) == ["/a", "/b", "/c"])
    }

    @Test func keepsHeadersWithTheirCase() throws {
        let request = try #require(decode("GET / HTTP/1.1\r\nHost: x\r\nX-Thing:  a b  \r\n\r\n").requests.first)
        #expect(request.header("x-thing") == "a b")
        #expect(request.headers.contains(HTTPField(name: "X-Thing", value: "a b")))
    }

    @Test func partialRequestIsReported() throws {
        var decoder = RequestDecoder()
        #expect(!decoder.hasPartialRequest)
        decoder.append(contentsOf: Array("GET / HT".utf8))
        #expect(try decoder.next() == nil)
        #expect(decoder.hasPartialRequest)
        decoder.append(contentsOf: Array("TP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(try decoder.next() != nil)
        #expect(!decoder.hasPartialRequest)
    }
}

@Suite("Request decoding: every class of bad input")
struct InvalidRequestTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let raw: String
        let status: Int
        var testDescription: String { "\(name) → \(status)" }
    }

    static let longTarget = "/" + String(repeating: "a", count: 9000)
    static let manyFields = (0..<101).map { "X-\($0): v\r\n" }.joined()
    static let bigField = "X-Big: " + String(repeating: "b", count: 17_000) + "\r\n"

    static let cases: [Case] = [
        Case(name: "garbage request line", raw: "HELLO\r\n\r\n", status: 400),
        Case(name: "two spaces in request line", raw: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "missing version", raw: "GET /\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "lowercase version", raw: "GET / http/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "target not origin-form", raw: "GET ping HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "bare LF line ends", raw: "GET / HTTP/1.1\nHost: x\n\n", status: 400),
        Case(name: "bare LF in a field", raw: "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", status: 400),
        Case(name: "bare CR in a field", raw: "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", status: 400),
        Case(name: "missing Host on 1.1", raw: "GET / HTTP/1.1\r\n\r\n", status: 400),
        Case(name: "two Hosts", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        Case(name: "invalid Host", raw: "GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n", status: 400),
        Case(name: "Host with a bad port", raw: "GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", status: 400),
        Case(name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: 505),
        Case(name: "HTTP/0.9 style version", raw: "GET / HTTP/0.9\r\nHost: x\r\n\r\n", status: 505),
        Case(name: "unknown method", raw: "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", status: 501),
        Case(name: "invalid method characters", raw: "GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "whitespace before colon", raw: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", status: 400),
        Case(name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", status: 400),
        Case(name: "NUL in a field value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n", status: 400),
        Case(name: "control character in a field value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{1}b\r\n\r\n", status: 400),
        Case(name: "field without colon", raw: "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", status: 400),
        Case(name: "empty field name", raw: "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", status: 400),
        Case(name: "non-numeric Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", status: 400),
        Case(name: "negative Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", status: 400),
        Case(name: "plus-signed Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", status: 400),
        Case(name: "conflicting Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", status: 400),
        Case(name: "conflicting Content-Length list", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab", status: 400),
        Case(name: "Content-Length and Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
        Case(name: "gzip transfer coding", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501),
        Case(name: "unknown transfer coding", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: magic\r\n\r\n", status: 501),
        Case(name: "chunked twice", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", status: 400),
        Case(name: "empty Transfer-Encoding with Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\nContent-Length: 1\r\n\r\na", status: 400),
        Case(name: "empty Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , \r\n\r\n", status: 400),
        // KELVIN SIGN: Unicode lowercasing makes it `chunked`; a byte-exact proxy does not.
        Case(name: "chunked spelled with a Kelvin sign", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chun\u{212A}ed\r\n\r\n0\r\n\r\n", status: 501),
        Case(name: "Transfer-Encoding on 1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
        Case(name: "bad chunk size", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 400),
        Case(name: "chunk data without CRLF", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n", status: 400),
        Case(name: "request line over 8 KiB", raw: "GET \(longTarget) HTTP/1.1\r\nHost: x\r\n\r\n", status: 414),
        Case(name: "request line over 8 KiB, unfinished", raw: "GET \(longTarget)", status: 414),
        Case(name: "more than 100 fields", raw: "GET / HTTP/1.1\r\nHost: x\r\n\(manyFields)\r\n", status: 431),
        Case(name: "header section over 16 KiB", raw: "GET / HTTP/1.1\r\nHost: x\r\n\(bigField)\r\n", status: 431),
        Case(name: "header section over 16 KiB, unfinished", raw: "GET / HTTP/1.1\r\nHost: x\r\n\(bigField)", status: 431),
        Case(name: "Content-Length over 1 MiB", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", status: 413),
        Case(name: "huge Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", status: 413),
        Case(name: "chunked body over 1 MiB", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", status: 413),
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: Case) {
        let outcome = decode(testCase.raw)
        #expect(outcome.requests.isEmpty)
        #expect(outcome.error?.status.code == testCase.status, "got \(String(describing: outcome.error))")
    }

    @Test("rejects the same way one byte at a time", arguments: cases)
    func rejectsSplit(_ testCase: Case) {
        let bytes = Array(testCase.raw.utf8)
        let outcome = decode(bytes.map { [$0] })
        #expect(outcome.error?.status.code == testCase.status)
    }

    @Test func uppercaseASCIITokensStillCount() {
        #expect(decode("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n").requests.count == 1)
        #expect(decode("GET / HTTP/1.1\r\nHost: x\r\nConnection: CLOSE\r\n\r\n").requests.first?.keepAlive == false)
    }

    @Test func noClientBytesInTheErrorsMessage() {
        let outcome = decode("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: <script>alert(1)</script>\r\n\r\n")
        #expect(outcome.error?.status.code == 501)
        #expect(outcome.error.map { !"\($0)".contains("script") } == true)
    }

    @Test func staysFailedAfterAnError() throws {
        var decoder = RequestDecoder()
        decoder.append(contentsOf: Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try decoder.next() }
        #expect(try decoder.next() == nil)
    }

    @Test func limitsAreConfigurable() {
        let limits = HTTPLimits(maxRequestLineBytes: 64, maxHeaderBytes: 256, maxHeaderCount: 2, maxBodyBytes: 4)
        #expect(decode("GET /\(String(repeating: "a", count: 80)) HTTP/1.1\r\nHost: x\r\n\r\n", limits: limits).error?.status.code == 414)
        #expect(decode("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits).error?.status.code == 431)
        #expect(decode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", limits: limits).error?.status.code == 413)
        #expect(decode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nhell", limits: limits).requests.count == 1)
    }
}
