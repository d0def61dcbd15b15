import SettingKeys
import Settings
import Testing

@Suite("API settings")
struct APISettingsTests {
    @Test func defaultsWithNoLayers() async throws {
        let settings = try await loadAPISettings()
        #expect(settings == APISettings.defaults)
        #expect(settings.serviceName == "biggoal-api")
        #expect(settings.http.port == 3000)
        #expect(settings.http.host == "127.0.0.1")
        #expect(settings.redis.port == 6379)
        #expect(settings.redis.receivedKey == "received_hello")
        #expect(settings.redis.sentKey == "sent_hello")
        #expect(settings.redis.timeoutMilliseconds == 1000)
        #expect(settings.redis.reconnect.initial == .milliseconds(50) && settings.redis.reconnect.maximum == .seconds(2))
    }

    @Test func redisURLWithCredentialsAndDatabase() async throws {
        let settings = try await loadAPISettings(environment: ["BIGGOAL_REDIS_URL": "redis://me:s%40cret@redis.example:6380/3"])
        #expect(settings.redis.host == "redis.example")
        #expect(settings.redis.port == 6380)
        #expect(settings.redis.username == "me")
        #expect(settings.redis.password == "s@cret")
        #expect(settings.redis.database == 3)
        #expect(!settings.loggable.description.contains("cret"))
        #expect(settings.redis.maskedURL == "redis://me:***@redis.example:6380/3")
    }

    @Test func reconnectBackOff() async throws {
        let settings = try await loadAPISettings(flags: ["--redis-reconnect-initial-ms", "10", "--redis-reconnect-max-ms", "500",
                                                         "--redis-reconnect-multiplier", "3", "--redis-reconnect-jitter", "false"])
        #expect(settings.redis.reconnect.initial == .milliseconds(10))
        #expect(settings.redis.reconnect.maximum == .milliseconds(500))
        #expect(settings.redis.reconnect.multiplier == 3)
        #expect(!settings.redis.reconnect.jitter)
    }

    @Test func aReconnectCapBelowItsStartIsRefused() async {
        let error = await loadError(flags: ["--redis-reconnect-initial-ms", "1000", "--redis-reconnect-max-ms", "10"])
        #expect(error?.key == "redis.reconnect.maxMs")
    }
}
