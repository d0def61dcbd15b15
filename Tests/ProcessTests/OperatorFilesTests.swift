import Foundation
import ServiceTestSupport
import Testing

extension BrokerTests {
    /// The Grafana dashboard and the Prometheus alerts query metrics by name; a renamed or
    /// dropped metric would leave a panel empty or an alert silent without anyone noticing.
    /// Every name they use must be in what a live api and consumer expose.
    @Suite("Dashboard and alerts query live metrics")
    struct OperatorFilesTests {
        static let files = ["ops/grafana/biggoal.json", "ops/prometheus/alerts.yml"]

        @Test(arguments: files)
        func everyQueriedMetricExists(file: String) throws {
            let redisServer = try RedisServerProcess()
            let port = try freePort()
            let consumer = try ConsumerProcess(redisURL: redisServer.url, metricsPort: port)
            let api = try APIProcess(redisURL: redisServer.url)
            let client = try api.connect()
            #expect(try client.request("POST", "/receive").status == 200)
            // The first heartbeat (with the queue depths) is written as the consumer starts.
            #expect(try AMQPTestClient.waitUntil(seconds: 5) {
                try HTTPTestClient(port: port).request("GET", "/metrics").body.contains("biggoal_consumer_queue_messages")
            })
            let exposed = Set(try parsePrometheus(try client.request("GET", "/metrics").body).map(\.name))
                .union(try parsePrometheus(try HTTPTestClient(port: port).request("GET", "/metrics").body).map(\.name))

            let text = try String(contentsOf: TestServices.packageRoot.appendingPathComponent(file), encoding: .utf8)
            let queried = Set(text.matches(of: /\b(?:biggoal|process)_[a-z_]+\b/).map { String($0.output) })
            #expect(queried.count >= 5, "\(file) queries \(queried.count) metrics")
            // A histogram's family name (in a description, say) stands for its samples.
            let missing = queried.filter { name in
                !exposed.contains(name) && !["_bucket", "_count", "_sum"].contains { exposed.contains(name + $0) }
            }.sorted()
            #expect(missing.isEmpty, "\(file) queries metrics no live service exposes: \(missing)")
            _ = consumer
        }
    }
}
