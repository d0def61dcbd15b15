import Foundation
import ServiceTestSupport
import Testing

/// The built `api` binary over real sockets, against the test Redis.
@Suite("api: endpoints, keep-alive and pipelining")
struct APIEndpointTests {
    @Test func everyEndpoint() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess()
        let client = try api.connect()

        let ping = try client.request("GET", "/ping")
        #expect(ping.status == 200)
        #expect(ping.body == "pong")
        #expect(ping.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(ping.header("Content-Length") == "4")
        #expect(ping.header("Date")?.hasSuffix(" GMT") == true)
        let headPing = try client.request("HEAD", "/ping")
        #expect(headPing.status == 200)
        #expect(headPing.header("Content-Length") == "4")

        #expect(try client.request("GET", "/api/v1/receive/messages/hello").body == #"{"count":0}"#)
        let posted = try client.request("POST", "/receive", headers: "Content-Length: 0\r\n")
        #expect(posted.status == 200)
        #expect(posted.header("Content-Type") == "application/json")
        #expect(posted.body == #"{"count":1}"#)
        #expect(try client.request("POST", "/receive?from=curl").body == #"{"count":2}"#)
        #expect(try client.request("POST", "/sent").body == #"{"count":1}"#)
        #expect(try client.request("POST", "/sent").body == #"{"count":2}"#)

        let headReceive = try client.request("HEAD", "/receive")
        #expect(headReceive.status == 405)
        #expect(headReceive.header("Allow") == "POST")
        #expect(try client.request("HEAD", "/sent").status == 405)

        #expect(try client.request("GET", "/api/v1/receive/messages/hello").body == #"{"count":2}"#)
        #expect(try client.request("GET", "/api/v1/sent/messages/hello?x=1").body == #"{"count":2}"#)
        #expect(try client.request("HEAD", "/api/v1/sent/messages/hello").status == 200)
        #expect(try redis.count(api.receivedKey) == 2)
        #expect(try redis.count(api.sentKey) == 2)

        let health = try client.request("GET", "/health")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#)

        let missing = try client.request("GET", "/nope")
        #expect(missing.status == 404)
        #expect(missing.body == #"{"error":"not found"}"#)
        let wrongMethod = try client.request("DELETE", "/receive")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.body == #"{"error":"method not allowed"}"#)
        #expect(wrongMethod.header("Allow") == "POST")
        #expect(try client.request("POST", "/ping").header("Allow") == "GET, HEAD")
        try redis.delete(api.receivedKey, api.sentKey)
    }

    @Test func anIdempotencyKeyCountsOnceAcrossConnectionsAndInstances() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess()
        let other = try APIProcess(receivedKey: api.receivedKey, sentKey: api.sentKey)
        let key = "retry-\(UUID().uuidString)"
        defer { try? redis.deleteKeys(prefixed: "biggoal:dedupe:http:received:\(key)") }

        let first = try api.connect().request("POST", "/receive", headers: "Idempotency-Key: \(key)\r\n")
        #expect(first.status == 200)
        #expect(first.body == #"{"count":1}"#)
        #expect(try api.connect().request("POST", "/receive").body == #"{"count":2}"#)
        let retried = try other.connect().request("POST", "/receive", headers: "Idempotency-Key: \(key)\r\n")
        #expect(retried.status == 200)
        #expect(retried.body == #"{"count":1}"#)
        #expect(retried.header("Idempotent-Replayed") == "true")
        #expect(try redis.count(api.receivedKey) == 2)

        let tooLong = try api.connect().request("POST", "/receive", headers: "Idempotency-Key: \(String(repeating: "x", count: 256))\r\n")
        #expect(tooLong.status == 400)
        #expect(try redis.count(api.receivedKey) == 2)
    }

    @Test func startingNeverResetsTheCounters() throws {
        let redis = try TestServices.redis()
        let key = TestServices.uniqueName("preset")
        try redis.run("SET", key, "41")
        let api = try APIProcess(receivedKey: key)
        #expect(try api.connect().request("POST", "/receive").body == #"{"count":42}"#)
        try redis.delete(key)
    }

    @Test func keepAliveAndClose() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        let client = try api.connect()
        for _ in 0..<50 {
            #expect(try client.request("GET", "/ping").status == 200)
        }
        let closing = try client.request("GET", "/ping", headers: "Connection: close\r\n")
        #expect(closing.header("Connection") == "close")
        #expect(client.isClosedByServer())

        let old = try api.connect()
        try old.send("GET /ping HTTP/1.0\r\n\r\n")
        #expect(try old.readResponse().status == 200)
        #expect(old.isClosedByServer())

        let oldKeepAlive = try api.connect()
        try oldKeepAlive.send("GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try oldKeepAlive.readResponse().header("Connection") == "keep-alive")
        try oldKeepAlive.send("GET /ping HTTP/1.0\r\n\r\n")
        #expect(try oldKeepAlive.readResponse().status == 200)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess()
        let client = try api.connect()
        var batch = ""
        for _ in 0..<20 {
            batch += "POST /receive HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
        }
        batch += "GET /api/v1/receive/messages/hello HTTP/1.1\r\nHost: x\r\n\r\n"
        try client.send(batch)
        for expected in 1...20 {
            #expect(try client.readResponse().body == #"{"count":\#(expected)}"#)
            #expect(try client.readResponse().body == "pong")
        }
        #expect(try client.readResponse().body == #"{"count":20}"#)
        try redis.delete(api.receivedKey)
    }

    @Test func hundredConnectionsTimesHundredPostsCountExactly() throws {
        let redis = try TestServices.redis()
        let api = try APIProcess()
        let failures = FailureCount()
        let group = DispatchGroup()
        for _ in 0..<100 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let client = try api.connect()
                    for _ in 0..<100 where try client.request("POST", "/receive").status != 200 {
                        failures.add()
                    }
                } catch {
                    failures.add()
                }
            }.start()
        }
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(failures.value == 0)
        #expect(try redis.count(api.receivedKey) == 10_000)
        #expect(try api.connect().request("GET", "/api/v1/receive/messages/hello").body == #"{"count":10000}"#)
        try redis.delete(api.receivedKey)
    }

    @Test func descriptorsAreReleased() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        _ = try api.connect().request("GET", "/ping")
        Thread.sleep(forTimeInterval: 0.2)
        let baseline = api.openDescriptorCount()
        var clients: [HTTPTestClient] = []
        for _ in 0..<50 {
            let client = try api.connect()
            _ = try client.request("GET", "/ping")
            clients.append(client)
        }
        #expect(api.openDescriptorCount() >= baseline + 50)
        clients.forEach { $0.close() }
        let badOnes = try (0..<20).map { _ in try api.connect() }
        for client in badOnes { try client.send("BAD REQUEST\r\n\r\n") }
        for client in badOnes { _ = client.isClosedByServer() }
        let deadline = Date().addingTimeInterval(5)
        while api.openDescriptorCount() > baseline + 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(api.openDescriptorCount() <= baseline + 1)
    }
}

/// A counter shared by client threads.
final class FailureCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
