import Foundation
import Glibc
import ServiceTestSupport
import Testing

/// Who may count, through the built `api` against the test Redis: GET never counts unless
/// configured to, bearer tokens (from a setting and from a file re-read on SIGHUP), the
/// Origin rule and the headers every response carries.
@Suite("api: access rules")
struct APIAccessTests {
    @Test func getDoesNotCountUnlessConfiguredTo() throws {
        let redis = try TestServices.redis()
        let strict = try APIProcess()
        let refused = try strict.connect().request("GET", "/receive")
        #expect(refused.status == 405)
        #expect(refused.header("Allow") == "POST")
        #expect(try redis.count(strict.receivedKey) == 0)

        let lenient = try APIProcess(arguments: ["--http-count-on-get", "true"])
        let client = try lenient.connect()
        #expect(try client.request("GET", "/receive").body == #"{"count":1}"#)
        #expect(try client.request("GET", "/sent?from=curl").body == #"{"count":1}"#)
        #expect(try client.request("HEAD", "/receive").status == 405, "HEAD never counts")
        #expect(try redis.count(lenient.receivedKey) == 1)
    }

    @Test func countingNeedsAValidBearerTokenOnceOneIsSet() throws {
        let redis = try TestServices.redis()
        let token = "t0ken-\(UUID().uuidString)"
        let api = try APIProcess(environment: ["BIGGOAL_HTTP_AUTH_TOKENS": "other-token, \(token)"])
        let client = try api.connect()

        let missing = try client.request("POST", "/receive")
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate") == #"Bearer realm="biggoal""#)
        let wrong = try client.request("POST", "/receive", headers: "Authorization: Bearer \(token)x\r\n")
        #expect(wrong.status == 401)
        #expect(wrong.header("WWW-Authenticate") == #"Bearer realm="biggoal", error="invalid_token""#)
        #expect(!wrong.body.contains(token))
        #expect(try client.request("POST", "/receive", headers: "Authorization: Basic Zm9vOmJhcg==\r\n").status == 401)
        #expect(try client.request("POST", "/receive", headers: "Authorization: Bearer\r\n").status == 401)
        #expect(try redis.count(api.receivedKey) == 0)

        #expect(try client.request("POST", "/receive", headers: "Authorization: Bearer \(token)\r\n").body == #"{"count":1}"#)
        #expect(try client.request("POST", "/sent", headers: "authorization: bEaReR  other-token\r\n").body == #"{"count":1}"#)
        // Reads, health and the page stay open with the default protection.
        #expect(try client.request("GET", "/api/v1/receive/messages/hello").body == #"{"count":1}"#)
        #expect(try client.request("GET", "/health").status == 200)

        let samples = try parsePrometheus(try client.request("GET", "/metrics").body)
        #expect(samples.value("biggoal_http_requests_total", ["route": "/receive", "status": "401"]) == 4)
        #expect(api.terminate() == 0)
        #expect(!api.standardError().contains(token), "a token never appears in the log")
    }

    @Test func protectAllGuardsEveryRouteButPing() throws {
        _ = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-auth-tokens", "s3cret", "--http-auth-protect", "all"])
        let client = try api.connect()
        #expect(try client.request("GET", "/ping").status == 200)
        for path in ["/health", "/metrics", "/", "/api/v1/sent/messages/hello"] {
            #expect(try client.request("GET", path).status == 401, "\(path)")
            #expect(try client.request("GET", path, headers: "Authorization: Bearer s3cret\r\n").status == 200, "\(path)")
        }
    }

    @Test func theTokenFileIsReReadOnSighup() throws {
        let redis = try TestServices.redis()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestServices.uniqueName("tokens"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tokens").path
        try "old-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)

        let api = try APIProcess(arguments: ["--http-auth-token-file", file])
        let client = try api.connect()
        var counted = 0
        func post(_ token: String? = nil) throws -> Int {
            let status = try client.request("POST", "/receive", headers: token.map { "Authorization: Bearer \($0)\r\n" } ?? "").status
            if status == 200 { counted += 1 }
            return status
        }
        #expect(try post("old-token") == 200)
        #expect(try post("new-token") == 401)

        // A rotation: both tokens valid for a while, then only the new one.
        try "old-token\nnew-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(api.pid, SIGHUP)
        #expect(try AMQPTestClient.waitUntil(seconds: 5) { try post("new-token") == 200 })
        #expect(try post("old-token") == 200)
        try "new-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(api.pid, SIGHUP)
        #expect(try AMQPTestClient.waitUntil(seconds: 5) { try post("old-token") == 401 })

        // An emptied file is a mistake, not an opening: the tokens stay as they were.
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        kill(api.pid, SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try post() == 401)
        #expect(try post("new-token") == 200)
        #expect(try redis.count(api.receivedKey) == counted)

        #expect(api.terminate() == 0)
        let log = api.standardError()
        #expect(log.contains("re-read the token file"), "\(log)")
        #expect(log.contains("kept the previous tokens"), "\(log)")
        #expect(log.contains("which every user of this machine may read"), "\(log)")
        #expect(!log.contains("old-token") && !log.contains("new-token"), "\(log)")
    }

    @Test func aMissingOrMalformedTokenSettingStopsTheStartWithTheKey() throws {
        let missing = try runAPI(arguments: ["--http-auth-token-file", "/nonexistent/tokens"])
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("http.auth.tokenFile"), "\(missing.standardError)")
        let malformed = try runAPI(arguments: [], environment: ["BIGGOAL_HTTP_AUTH_TOKENS": "good,bad token\u{7F}"])
        #expect(malformed.status == 2)
        #expect(malformed.standardError.contains("http.auth.tokens"), "\(malformed.standardError)")
        #expect(malformed.standardError.contains("element 2"), "\(malformed.standardError)")
        #expect(!malformed.standardError.contains("bad token"), "the error never quotes a token")
    }

    @Test func aPageOnAnotherOriginCannotCount() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess(arguments: ["--http-allowed-origins", "https://dashboard.example", "--http-count-on-get", "true"])
        let client = try api.connect()
        let foreign = try client.request("POST", "/receive", headers: "Origin: https://evil.example\r\n")
        #expect(foreign.status == 403)
        #expect(try client.request("POST", "/receive", headers: "Origin: null\r\n").status == 403)
        // An <img> sends a GET with no Origin, but says it is cross-site.
        #expect(try client.request("GET", "/receive", headers: "Sec-Fetch-Site: cross-site\r\n").status == 403)
        #expect(try redis.count(api.receivedKey) == 0)

        #expect(try client.request("POST", "/receive", headers: "Origin: http://localhost\r\n").status == 200, "own host")
        #expect(try client.request("POST", "/receive", headers: "Origin: HTTPS://Dashboard.Example\r\n").status == 200)
        #expect(try client.request("POST", "/receive", headers: "Sec-Fetch-Site: same-origin\r\n").status == 200)
        #expect(try client.request("POST", "/receive").status == 200, "programs send no Origin")
        // A page on the allowed origin passes the browser's preflight and may read the count.
        let preflight = try client.request("OPTIONS", "/receive",
                                           headers: "Origin: https://dashboard.example\r\nAccess-Control-Request-Method: POST\r\n")
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://dashboard.example")
        let fromDashboard = try client.request("POST", "/receive", headers: "Origin: https://dashboard.example\r\n")
        #expect(fromDashboard.header("Access-Control-Allow-Origin") == "https://dashboard.example")
        // Reading is not counting: any page may read.
        #expect(try client.request("GET", "/api/v1/receive/messages/hello", headers: "Origin: https://evil.example\r\n").status == 200)
        #expect(try redis.count(api.receivedKey) == 5)
    }

    @Test func responsesSayWhatTheyAreAndWhetherToKeepThem() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        let client = try api.connect()
        for (method, path) in [("GET", "/ping"), ("POST", "/receive"), ("GET", "/nowhere"), ("GET", "/")] {
            #expect(try client.request(method, path).header("X-Content-Type-Options") == "nosniff", "\(path)")
        }
        for (method, path) in [("POST", "/receive"), ("GET", "/api/v1/sent/messages/hello"), ("GET", "/health")] {
            #expect(try client.request(method, path).header("Cache-Control") == "no-store", "\(path)")
        }
        let page = try client.request("GET", "/")
        let policy = try #require(page.header("Content-Security-Policy"))
        #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"))
        #expect(policy.contains("script-src 'sha256-"))
        try client.send("GET /\u{1}bad HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().header("X-Content-Type-Options") == "nosniff", "the server's own 400 too")
    }
}
