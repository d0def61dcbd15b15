@testable import APIApp
import Counters
import CountersTestSupport
import Crypto
import Foundation
import HTTP1
import SettingKeys
import Settings
import Testing

@Suite("API access rules")
struct AccessTests {
    let store = MemoryCounterStore()

    @Test func tokensGuardCountingOnlyByDefault() throws {
        let responder = APIResponder(store: store, access: AccessSettings(tokens: ["abc"]), tokens: ["abc", "second"])
        #expect(try respond(responder, .post, "/receive").status == .unauthorized)
        #expect(try respond(responder, .post, "/receive", headers: [("Authorization", "Bearer abd")]).status == .unauthorized)
        #expect(try respond(responder, .post, "/receive", headers: [("Authorization", "Bearer abc")]).status == .ok)
        #expect(try respond(responder, .post, "/sent", headers: [("AUTHORIZATION", "bearer second")]).status == .ok)
        #expect(try respond(responder, .get, "/health").status == .ok)
        #expect(try respond(responder, .get, "/").status == .ok)
        #expect(store.counts == [.received: 1, .sent: 1])
    }

    @Test func missingAndInvalidAreToldApart() throws {
        let responder = APIResponder(store: store, access: AccessSettings(tokens: ["abc"]), tokens: ["abc"])
        let cases: [(String?, String)] = [
            (nil, #"Bearer realm="biggoal""#),
            ("Basic YWJjOmRlZg==", #"Bearer realm="biggoal""#),
            ("Bearer", #"Bearer realm="biggoal", error="invalid_token""#),
            ("Bearer ", #"Bearer realm="biggoal", error="invalid_token""#),
            ("Bearer a b", #"Bearer realm="biggoal", error="invalid_token""#),
            ("Bearerabc", #"Bearer realm="biggoal""#),
            ("Bearer ab", #"Bearer realm="biggoal", error="invalid_token""#),
            ("Bearer abcd", #"Bearer realm="biggoal", error="invalid_token""#),
        ]
        for (authorization, challenge) in cases {
            let headers = authorization.map { [("Authorization", $0)] } ?? []
            let response = try respond(responder, .post, "/receive", headers: headers)
            #expect(response.status == .unauthorized, "\(authorization ?? "none")")
            #expect(response.field("WWW-Authenticate") == challenge, "\(authorization ?? "none")")
            #expect(response.field("Cache-Control") == "no-store")
        }
        #expect(store.counts.isEmpty)
    }

    @Test func protectAllLeavesOnlyPingOpen() throws {
        let responder = APIResponder(store: store, access: AccessSettings(tokens: ["abc"], protect: .all), tokens: ["abc"])
        #expect(try respond(responder, .get, "/ping").status == .ok)
        for path in ["/", "/health", "/api/v1/receive/messages/hello"] {
            #expect(try respond(responder, .get, path).status == .unauthorized)
            #expect(try respond(responder, .get, path, headers: [("Authorization", "Bearer abc")]).status == .ok)
        }
    }

    @Test func aTokenFileThatFailsStillRequiresATokenFromNobody() throws {
        let settings = AccessSettings(tokenFile: SecretFile(key: "http.auth.tokenFile", path: "/nonexistent"))
        #expect(settings.requiresToken)
        let responder = APIResponder(store: store, access: settings, tokens: [])
        #expect(try respond(responder, .post, "/receive", headers: [("Authorization", "Bearer anything")]).status == .unauthorized)
    }

    @Test func validTokensCompareWholeTokensOnly() {
        let tokens = ValidTokens(["abc", "longer-token"])
        for (candidate, expected) in [("abc", true), ("longer-token", true), ("ab", false), ("abcabc", false),
                                      ("longer-tokem", false), ("", false), ("ABC", false)] {
            #expect(Array(candidate.utf8).withUnsafeBufferPointer(tokens.accepts) == expected, "\(candidate)")
        }
        tokens.replace(with: ["new"])
        #expect(!Array("abc".utf8).withUnsafeBufferPointer(tokens.accepts))
        #expect(Array("new".utf8).withUnsafeBufferPointer(tokens.accepts))
    }

    @Test func originsMatchTheHostWithDefaultPortsLeftOut() {
        let cases: [(String, String?, Bool)] = [
            ("http://localhost:3000", "localhost:3000", true),
            ("http://LOCALHOST:3000", "localhost:3000", true),
            ("http://localhost", "localhost:80", true),
            ("http://localhost:80", "localhost", true),
            ("https://example.com", "example.com", true),
            ("https://example.com:443", "example.com", true),
            ("http://localhost:3001", "localhost:3000", false),
            ("http://evil.example", "localhost", false),
            ("http://localhost.evil.example", "localhost", false),
            ("null", "localhost", false),
            ("http://localhost", nil, false),
        ]
        for (origin, host, expected) in cases {
            #expect(AccessRules.origin(origin, isHost: host) == expected, "\(origin) vs \(host ?? "nil")")
        }
    }

    @Test func crossSiteCountingIsRefusedButReadingIsNot() throws {
        let responder = APIResponder(store: store, access: AccessSettings(countOnGet: true, allowedOrigins: ["https://ok.example"]))
        let host = ("Host", "api:3000")
        #expect(try respond(responder, .post, "/receive", headers: [host, ("Origin", "https://evil.example")]).status == .forbidden)
        #expect(try respond(responder, .get, "/receive", headers: [host, ("Sec-Fetch-Site", "cross-site")]).status == .forbidden)
        #expect(try respond(responder, .get, "/receive", headers: [host, ("Sec-Fetch-Site", "same-site")]).status == .forbidden)
        #expect(store.counts.isEmpty)
        #expect(try respond(responder, .post, "/receive", headers: [host, ("Origin", "http://api:3000")]).status == .ok)
        #expect(try respond(responder, .post, "/receive", headers: [host, ("Origin", "https://ok.example")]).status == .ok)
        #expect(try respond(responder, .get, "/receive", headers: [host, ("Sec-Fetch-Site", "none")]).status == .ok)
        #expect(try respond(responder, .get, "/api/v1/receive/messages/hello", headers: [host, ("Origin", "https://evil.example")]).status == .ok)
        #expect(store.counts[.received] == 3)
    }

    @Test func anAllowedOriginGetsItsPreflightAndMayReadTheAnswer() throws {
        let responder = APIResponder(store: store, access: AccessSettings(tokens: ["abc"], allowedOrigins: ["https://ok.example"]),
                                     tokens: ["abc"])
        let preflight = try respond(responder, .options, "/receive", headers: [
            ("Origin", "https://ok.example"), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization"),
        ])
        #expect(preflight.status == .noContent)
        #expect(preflight.field("Access-Control-Allow-Origin") == "https://ok.example")
        #expect(preflight.field("Access-Control-Allow-Methods") == "POST")
        #expect(preflight.field("Access-Control-Allow-Headers") == "Authorization, Idempotency-Key")
        #expect(preflight.field("Vary") == "Origin")

        let refused = try respond(responder, .options, "/receive", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")])
        #expect(refused.status == .forbidden)
        #expect(refused.field("Access-Control-Allow-Origin") == nil)
        #expect(try respond(responder, .options, "/receive").status == .methodNotAllowed, "an OPTIONS that is no preflight")

        let counted = try respond(responder, .post, "/receive", headers: [("Origin", "https://ok.example"), ("Authorization", "Bearer abc")])
        #expect(counted.status == .ok)
        #expect(counted.field("Access-Control-Allow-Origin") == "https://ok.example")
        let sameOrigin = try respond(responder, .post, "/receive", headers: [("Host", "api:3000"), ("Origin", "http://api:3000"),
                                                                              ("Authorization", "Bearer abc")])
        #expect(sameOrigin.status == .ok)
        #expect(sameOrigin.field("Access-Control-Allow-Origin") == nil, "the api's own pages need no CORS")
    }

    @Test func theStatusPagePolicyNamesItsOwnStyleAndScript() throws {
        let page = try respond(APIResponder(store: store), .get, "/")
        let policy = try #require(page.field("Content-Security-Policy"))
        for (tag, hash) in [("style", StatusPage.styleHash), ("script", StatusPage.scriptHash)] {
            let html = page.text
            let start = try #require(html.range(of: "<\(tag)>")).upperBound
            let end = try #require(html.range(of: "</\(tag)>", range: start..<html.endIndex)).lowerBound
            let digest = Data(SHA256.hash(data: Data(html[start..<end].utf8))).base64EncodedString()
            #expect(hash == "sha256-\(digest)", "\(tag): update StatusPage.\(tag)Hash after changing the \(tag)")
            #expect(policy.contains("'\(hash)'"))
        }
        #expect(page.text.components(separatedBy: "<script").count == 2, "one script, the hashed one")
    }
}
