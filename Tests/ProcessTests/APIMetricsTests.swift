import Foundation
import ServiceTestSupport
import Testing

@Suite("api: metrics")
struct APIMetricsTests {
    @Test func knownTrafficMovesTheMetrics() throws {
        let redisServer = try RedisServerProcess()
        let api = try APIProcess(redisURL: redisServer.url, arguments: ["--redis-timeout-ms", "300"])
        let client = try api.connect()
        for _ in 0..<3 { #expect(try client.request("POST", "/receive").status == 200) }
        for _ in 0..<2 { #expect(try client.request("GET", "/ping").status == 200) }
        #expect(try client.request("GET", "/api/v1/sent/messages/hello").status == 200)
        #expect(try client.request("GET", "/nowhere").status == 404)
        #expect(try client.request("DELETE", "/receive").status == 405)

        let scrape = try client.request("GET", "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = try parsePrometheus(scrape.body)
        #expect(samples.value("biggoal_http_requests_total", ["route": "/receive", "status": "200"]) == 3)
        #expect(samples.value("biggoal_http_requests_total", ["route": "/ping", "status": "200"]) == 2)
        #expect(samples.value("biggoal_http_requests_total", ["route": "other", "status": "404"]) == 1)
        #expect(samples.value("biggoal_http_requests_total", ["route": "/receive", "status": "405"]) == 1)
        #expect(samples.value("biggoal_http_request_duration_seconds_count", ["route": "/receive"]) == 4)
        #expect(samples.value("biggoal_received_hello") == 3)
        #expect(samples.value("biggoal_sent_hello") == 0)
        #expect((samples.value("biggoal_http_open_connections") ?? 0) >= 1)
        // Every family is described, the latencies resolve below a millisecond, and the
        // build and process metrics are there.
        #expect(try undescribedPrometheusFamilies(scrape.body) == [])
        #expect(samples.value("biggoal_http_request_duration_seconds_bucket", ["route": "/ping", "le": "0.00005"]) != nil)
        #expect(samples.value("biggoal_build_info", ["program": "api"]) == 1)
        #expect((samples.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((samples.value("process_open_fds") ?? 0) >= 3)
        #expect(samples.value("process_cpu_seconds_total") != nil)
        #expect(samples.value("process_start_time_seconds") != nil)

        // Redis goes away: errors are counted, and a reconnect once it is back.
        redisServer.kill()
        #expect(try client.request("POST", "/receive").status == 503)
        try redisServer.start()
        #expect(try AMQPTestClient.waitUntil(seconds: 5) { try client.request("POST", "/receive").status == 200 })
        let after = try parsePrometheus(try client.request("GET", "/metrics").body)
        #expect((after.value("biggoal_redis_errors_total") ?? 0) >= 1)
        #expect((after.value("biggoal_redis_reconnects_total") ?? 0) >= 1)
        #expect(after.value("biggoal_http_requests_total", ["route": "/receive", "status": "503"]) ?? 0 >= 1)
    }

    /// Requests the server answers itself, before any route, are counted under `other`.
    @Test func rejectedRequestsAreCounted() throws {
        _ = try TestServices.redis()
        // One loop, so every connection lands on the loop whose metrics the scrape shows.
        let api = try APIProcess(arguments: ["--http-event-loops", "1"])
        for (raw, _) in [("GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400), ("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
                         ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505), ("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400)] {
            let client = try api.connect()
            try client.send(raw)
            _ = try client.readResponse()
        }
        let samples = try parsePrometheus(try api.connect().request("GET", "/metrics").body)
        #expect(samples.value("biggoal_http_requests_total", ["route": "other", "status": "400"]) == 2)
        #expect(samples.value("biggoal_http_requests_total", ["route": "other", "status": "501"]) == 1)
        #expect(samples.value("biggoal_http_requests_total", ["route": "other", "status": "505"]) == 1)
    }
}
