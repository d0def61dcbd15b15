import SettingKeys
import Settings
import Testing

@Suite("Consumer settings")
struct ConsumerSettingsTests {
    func load(flags: [String] = [], environment: [String: String] = [:]) async throws(SettingsError) -> ConsumerSettings {
        try await ConsumerSettings.load(flags: flags, configPath: nil, environment: environment)
    }

    @Test func defaultsAreTheOriginalDeploymentsNames() async throws {
        let settings = try await load()
        #expect(settings.amqp.broker.url.host == "127.0.0.1")
        #expect(settings.amqp.broker.url.port == 5672)
        #expect(settings.amqp.broker.url.virtualHost == "/")
        #expect(settings.amqp.queue == "TestQueue")
        #expect(settings.amqp.prefetch == 100)
        #expect(settings.amqp.broker.heartbeatSeconds == 30)
        #expect(settings.amqp.declare)
        #expect(settings.amqp.replyExchange == "Meow")
        #expect(settings.amqp.replyRoutingKey == "meow1")
        #expect(settings.amqp.replyQueue == "TestSentQueue")
        #expect(settings.amqp.replyBody == "И тебе привет!")
        #expect(settings.amqp.deadLetterQueue == "TestQueue.dead")
        #expect(settings.amqp.reconnect.initial == .milliseconds(500) && settings.amqp.reconnect.maximum == .seconds(30))
        #expect(settings.serviceName == "biggoal-consumer")
    }

    /// `amqp.prefetch` is what the consumer holds as a whole, shared out between its channels.
    @Test func thePrefetchIsSharedOutBetweenTheChannels() async throws {
        let defaults = try await load()
        #expect(defaults.amqp.channels == 1 && defaults.amqp.prefetch(ofChannel: 0) == 100)
        let two = try await load(flags: ["--amqp-channels", "2"])
        #expect(two.amqp.prefetch(ofChannel: 0) == 50 && two.amqp.prefetch(ofChannel: 1) == 50)
        let uneven = try await load(flags: ["--amqp-prefetch", "37", "--amqp-channels", "3"])
        #expect((0..<3).map(uneven.amqp.prefetch(ofChannel:)) == [13, 12, 12])
        #expect(try await load(flags: ["--amqp-prefetch", "1"]).amqp.channels == 1)
        do {
            _ = try await load(flags: ["--amqp-prefetch", "2", "--amqp-channels", "3"])
            Issue.record("three channels sharing a prefetch of two were accepted")
        } catch {
            #expect(error.key == "amqp.channels")
        }
    }

    @Test func theDeadLetterQueueFollowsTheInboundQueueUnlessSet() async throws {
        #expect(try await load(flags: ["--amqp-queue", "In"]).amqp.deadLetterQueue == "In.dead")
        #expect(try await load(flags: ["--amqp-dead-letter-queue", "Elsewhere"]).amqp.deadLetterQueue == "Elsewhere")
        #expect(try await load(environment: ["BIGGOAL_AMQP_DEAD_LETTER_QUEUE": ""]).amqp.deadLetterQueue == nil)
        await #expect(throws: SettingsError.self) { try await load(flags: ["--amqp-dead-letter-queue", "TestQueue"]) }
    }

    @Test func environmentAndFlags() async throws {
        let settings = try await load(
            flags: ["--amqp-prefetch", "10", "--amqp-declare", "false"],
            environment: ["BIGGOAL_AMQP_REPLY_ROUTING_KEY": "k2", "BIGGOAL_AMQP_URL": "amqp://u:p%40ss@broker:5673/my%2Fvhost"]
        )
        #expect(settings.amqp.prefetch == 10)
        #expect(!settings.amqp.declare)
        #expect(settings.amqp.replyRoutingKey == "k2")
        #expect(settings.amqp.broker.url.user == "u")
        #expect(settings.amqp.broker.url.password == "p@ss")
        #expect(settings.amqp.broker.url.virtualHost == "my/vhost")
        #expect(!settings.loggable.description.contains("p@ss"))
        // The start-up line carries one value per setting key.
        #expect(settings.loggable["amqp.reply.routingKey"] == "k2")
        #expect(settings.loggable["amqp.urls"] == .array([.string(settings.amqp.broker.url.description)]))
    }

    @Test(arguments: [
        (["BIGGOAL_AMQP_URL": "http://x"], "amqp.url"),
        (["BIGGOAL_AMQP_PREFETCH": "0"], "amqp.prefetch"),
        (["BIGGOAL_AMQP_DECLARE": "perhaps"], "amqp.declare"),
        (["BIGGOAL_AMQP_HEARTBEAT_SECONDS": "often"], "amqp.heartbeatSeconds"),
        (["BIGGOAL_AMQP_QUEUE": ""], "amqp.queue"),
    ])
    func badValuesNameTheKey(environment: [String: String], key: String) async {
        do {
            _ = try await load(environment: environment)
            Issue.record("accepted \(environment)")
        } catch {
            #expect(error.key == key)
            #expect(error.source.hasPrefix("environment variable"))
        }
    }
}

