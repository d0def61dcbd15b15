import Foundation
import ServiceTestSupport
import Testing

/// Redis that refuses us or holds bad data: the api says so plainly, keeps its log short,
/// and recovers once the cause is fixed.
@Suite("api: a refusing Redis and bad data in it")
struct APIBadRedisDataTests {
    @Test func aRefusedPasswordBacksOffAndIsLoggedOnce() throws {
        // The test Redis has no password, so any AUTH is refused.
        let redis = try RedisServerProcess()
        let url = "redis://:wrong-password@127.0.0.1:\(redis.port)/0"
        let api = try APIProcess(redisURL: url, arguments: ["--http-event-loops", "1"])
        Thread.sleep(forTimeInterval: 3)
        let health = try api.connect().request("GET", "/health")
        #expect(health.status == 503)
        #expect(health.body.contains("refused"), "\(health.body)")
        #expect(!health.body.contains("wrong-password"))
        #expect(api.terminate() == 0)
        let log = api.standardError()
        let lines = log.split(separator: "\n").filter { $0.contains("Redis") && !$0.contains("starting") }
        // 50 ms doubling to 2 s: about eight attempts in 3 s; the connect and the refusal are
        // logged once (per event loop: one here), not once per attempt.
        #expect(lines.count <= 2, "\(lines.count) lines:\n\(lines.joined(separator: "\n"))")
        #expect(!log.contains("wrong-password"))
    }

    @Test func aCounterHoldingANonNumberIsA500NamingTheKey() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess()
        try redis.run("SET", api.receivedKey, "not a number")
        defer { try? redis.delete(api.receivedKey) }
        let client = try api.connect()
        let post = try client.request("POST", "/receive")
        #expect(post.status == 500)
        #expect(post.body == #"{"error":"counter \#(api.receivedKey) holds a non-integer value"}"#)
        let read = try client.request("GET", "/api/v1/receive/messages/hello")
        #expect(read.status == 500)
        let health = try client.request("GET", "/health")
        #expect(health.status == 503)
        #expect(health.body.contains("holds a non-integer value"), "\(health.body)")
        let metrics = try client.request("GET", "/metrics")
        let errors = metrics.body.split(separator: "\n").first { $0.hasPrefix("biggoal_redis_errors_total") }
        #expect(errors.map { Double($0.split(separator: " ").last ?? "0") ?? 0 } ?? 0 >= 2, "\(errors ?? "no line")")
        #expect(try redis.run("GET", api.receivedKey) == .bulk(Array("not a number".utf8)), "nothing written")

        // Repaired, it counts again.
        try redis.delete(api.receivedKey)
        #expect(try client.request("POST", "/receive").body == #"{"count":1}"#)
    }
}
