import Foundation
import ServiceTestSupport
import Testing

/// `--check-health`, which container health checks run: exit 0 when the service's
/// `/health` answers 2xx, 1 when it answers otherwise or not at all.
@Suite("--check-health")
struct HealthCheckTests {
    @Test func apiAnswersWithItsReadiness() throws {
        let redisServer = try RedisServerProcess()
        let api = try APIProcess(redisURL: redisServer.url, arguments: ["--redis-timeout-ms", "300"])
        let ready = try runBinary("api", arguments: ["--check-health", "--http-port", "\(api.port)"])
        #expect(ready.status == 0)
        #expect(ready.output.hasPrefix("healthy: 200 "))

        redisServer.kill()
        let unready = try runBinary("api", arguments: ["--check-health", "--http-port", "\(api.port)"])
        #expect(unready.status == 1)
        #expect(unready.output.contains("unhealthy: 503"))
    }

    /// The check reads the same settings as the service: the port from the environment, a
    /// wildcard listening address probed on loopback, the token when every route needs one.
    @Test func theCheckFindsTheServiceWhereItsSettingsPlaceIt() throws {
        _ = try TestServices.redis()
        let token = "health-check-token-0123456789"
        let arguments = ["--http-host", "0.0.0.0", "--http-auth-tokens", token, "--http-auth-protect", "all"]
        let api = try APIProcess(arguments: arguments)
        let environment = ["BIGGOAL_HTTP_PORT": "\(api.port)"]
        let withToken = try runBinary("api", arguments: ["--check-health"] + arguments, environment: environment)
        #expect(withToken.status == 0, "\(withToken.output)")
        let withoutToken = try runBinary("api", arguments: ["--check-health", "--http-host", "0.0.0.0"], environment: environment)
        #expect(withoutToken.status == 1)
        #expect(withoutToken.output.contains("unhealthy: 401"))
    }

    @Test func nothingListeningIsUnhealthy() throws {
        let port = try freePort()
        let result = try runBinary("api", arguments: ["--check-health", "--http-port", "\(port)"])
        #expect(result.status == 1)
        #expect(result.output.contains("unhealthy: http://127.0.0.1:\(port)/health"))
        #expect(result.output.contains("refused"))
    }

    @Test func aConsumerWithoutAStatusPortCannotBeChecked() throws {
        let result = try runBinary("consumer", arguments: ["--check-health", "--consumer-metrics-port", "0"])
        #expect(result.status == 1)
        #expect(result.output.contains("consumer.metricsPort is 0"))
    }
}

extension BrokerTests {
    @Suite("consumer --check-health")
    struct ConsumerHealthCheckTests {
        @Test func consumerAnswersWithItsReadiness() throws {
            let redisServer = try RedisServerProcess()
            let port = try freePort()
            let consumer = try ConsumerProcess(redisURL: redisServer.url, metricsPort: port)
            let ready = try runBinary("consumer", arguments: ["--check-health", "--consumer-metrics-port", "\(port)"])
            #expect(ready.status == 0, "\(ready.output)")
            #expect(ready.output.contains(#"{"status":"ok"}"#))
            _ = consumer
        }
    }
}
