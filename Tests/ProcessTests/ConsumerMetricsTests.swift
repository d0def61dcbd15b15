import AMQP
import Foundation
import ServiceTestSupport
import Testing

extension BrokerTests {
@Suite("consumer: metrics and health")
struct ConsumerMetricsTests {
    @Test func knownTrafficMovesTheMetrics() throws {
        let redisServer = try RedisServerProcess()
        let broker = try AMQPTestClient()
        let port = try freePort()
        let presenceKey = TestServices.uniqueName("presence")
        let consumer = try ConsumerProcess(redisURL: redisServer.url, metricsPort: port, arguments: ["--redis-presence-key", presenceKey])
        let redis = try RedisTestClient(host: "127.0.0.1", port: redisServer.port)
        let prefix = TestServices.uniqueName("m")
        try broker.publishHellos(to: consumer.queue, count: 5, prefix: prefix)
        try broker.publish(to: consumer.queue, properties: AMQPProperties(type: "goodbye"), body: [], count: 2)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try redis.count(consumer.sentKey) == 5 })
        try broker.publishHellos(to: consumer.queue, count: 1, prefix: prefix)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try broker.depth(consumer.queue) == 0 })
        Thread.sleep(forTimeInterval: 0.3)

        let client = try HTTPTestClient(port: port)
        let health = try client.request("GET", "/health")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#)
        let scrape = try client.request("GET", "/metrics").body
        #expect(try undescribedPrometheusFamilies(scrape) == [])
        let samples = try parsePrometheus(scrape)
        #expect(samples.value("biggoal_build_info", ["program": "consumer"]) == 1)
        #expect((samples.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect(samples.value("biggoal_redis_errors_total") == 0)
        #expect(samples.value("biggoal_consumer_queue_messages", ["queue": consumer.queue, "role": "inbound"]) == 0)

        // Its heartbeat reaches the api's /api/v1/consumers, queue depth included.
        let api = try APIProcess(redisURL: redisServer.url, arguments: ["--redis-presence-key", presenceKey])
        let listed = try api.connect().request("GET", "/api/v1/consumers")
        #expect(listed.status == 200)
        let object = try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any]
        let consumers = try #require(object?["consumers"] as? [[String: Any]])
        #expect(consumers.count == 1)
        #expect((consumers.first?["instance"] as? String)?.hasPrefix("biggoal-consumer@") == true)
        #expect(consumers.first?["queue"] as? String == consumer.queue)
        #expect(consumers.first?["queueMessages"] as? Int == 0)
        let amqpPort = URLComponents(string: TestServices.amqpURL)?.port ?? 5672
        #expect(consumers.first?["node"] as? String == "127.0.0.1:\(amqpPort)")
        #expect(samples.value("biggoal_consumer_deliveries_total", ["outcome": "hello"]) == 5)
        #expect(samples.value("biggoal_consumer_deliveries_total", ["outcome": "ignored"]) == 2)
        #expect(samples.value("biggoal_consumer_deliveries_total", ["outcome": "duplicate"]) == 1)
        #expect(samples.value("biggoal_consumer_replies_total", ["outcome": "confirmed"]) == 5)
        #expect((samples.value("biggoal_consumer_processing_duration_seconds_count") ?? 0) >= 8)
        #expect(samples.value("biggoal_consumer_reconnects_total") == 0)
        #expect(samples.value("biggoal_consumer_prefetch_in_flight") == 0)

        // Redis down: the health endpoint says so, with the reason.
        redisServer.kill()
        try broker.publishHellos(to: consumer.queue, count: 1)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try HTTPTestClient(port: port).request("GET", "/health").status == 503 })
        #expect(try HTTPTestClient(port: port).request("GET", "/health").body.contains("Redis"))
        try redisServer.start()
        #expect(try AMQPTestClient.waitUntil(seconds: 15) { try HTTPTestClient(port: port).request("GET", "/health").status == 200 })
        let after = try parsePrometheus(try HTTPTestClient(port: port).request("GET", "/metrics").body)
        #expect((after.value("biggoal_redis_errors_total") ?? 0) >= 1)
        #expect((after.value("biggoal_redis_reconnects_total") ?? 0) >= 1)
    }
}
}
