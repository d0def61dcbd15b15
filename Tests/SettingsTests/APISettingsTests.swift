import Foundation
import Settings
import Testing

/// Loads `APISettings` from the given layers.
func loadAPISettings(
    flags: [String] = [],
    environment: [String: String] = [:],
    file: String? = nil
) async throws(SettingsError) -> APISettings {
    var path: String?
    if let file {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("biggoal-\(UUID().uuidString).json").path
        FileManager.default.createFile(atPath: path!, contents: Data(file.utf8))
    }
    defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
    let source = try await SettingsSource.load(knownKeys: APISettings.keys, flags: flags, environment: environment, filePath: path)
    return try APISettings(source)
}

/// The error loading fails with, or nil.
func loadError(flags: [String] = [], environment: [String: String] = [:], file: String? = nil) async -> SettingsError? {
    do {
        _ = try await loadAPISettings(flags: flags, environment: environment, file: file)
        return nil
    } catch {
        return error
    }
}

/// The package root, for reading config.example.json.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("API settings")
struct APISettingsTests {
    @Test func defaultsWithNoLayers() async throws {
        let settings = try await loadAPISettings()
        #expect(settings == APISettings())
        #expect(settings.http.port == 3000)
        #expect(settings.http.host == "127.0.0.1")
        #expect(settings.redis.url.port == 6379)
        #expect(settings.redis.receivedKey == "received_hello")
        #expect(settings.redis.sentKey == "sent_hello")
        #expect(settings.redis.timeoutMs == 1000)
    }

    @Test func fileThenEnvironmentThenFlagsLaterWins() async throws {
        let file = #"{"http": {"port": 4000, "host": "0.0.0.0"}, "redis": {"timeoutMs": 250}}"#
        let fileOnly = try await loadAPISettings(file: file)
        #expect(fileOnly.http.port == 4000)
        #expect(fileOnly.redis.timeoutMs == 250)

        let environment = ["BIGGOAL_HTTP_PORT": "5000", "BIGGOAL_REDIS_RECEIVED_KEY": "r"]
        let withEnvironment = try await loadAPISettings(environment: environment, file: file)
        #expect(withEnvironment.http.port == 5000)
        #expect(withEnvironment.http.host == "0.0.0.0")
        #expect(withEnvironment.redis.receivedKey == "r")

        let all = try await loadAPISettings(flags: ["--http-port", "6000", "--http-event-loops=3"], environment: environment, file: file)
        #expect(all.http.port == 6000)
        #expect(all.http.eventLoops == 3)
        #expect(all.redis.receivedKey == "r")
        #expect(all.redis.timeoutMs == 250)
    }

    @Test func environmentNamesFollowTheKeyPath() {
        #expect(SettingsSource.environmentName(for: "http.port") == "BIGGOAL_HTTP_PORT")
        #expect(SettingsSource.environmentName(for: "redis.url") == "BIGGOAL_REDIS_URL")
        #expect(SettingsSource.environmentName(for: "amqp.reply.routingKey") == "BIGGOAL_AMQP_REPLY_ROUTING_KEY")
        #expect(SettingsSource.flagName(for: "http.maxConnections") == "--http-max-connections")
    }

    @Test func redisURLWithCredentialsAndDatabase() async throws {
        let settings = try await loadAPISettings(environment: ["BIGGOAL_REDIS_URL": "redis://me:s%40cret@redis.example:6380/3"])
        #expect(settings.redis.url.host == "redis.example")
        #expect(settings.redis.url.port == 6380)
        #expect(settings.redis.url.username == "me")
        #expect(settings.redis.url.password == "s@cret")
        #expect(settings.redis.url.database == 3)
        #expect(!settings.loggable.values.joined().contains("cret"))
        #expect(settings.redis.url.description == "redis://me:***@redis.example:6380/3")
    }

    @Test func exampleFileListsEveryKeyWithItsDefault() async throws {
        let path = packageRoot.appendingPathComponent("config.example.json").path
        let source = try await SettingsSource.load(knownKeys: APISettings.keys, flags: [], environment: [:], filePath: path)
        #expect(try APISettings(source) == APISettings())
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in APISettings.keys {
            #expect(text.contains("\"\(key.split(separator: ".").last!)\""), "config.example.json lacks \(key)")
        }
    }
}

@Suite("API settings: every validation error names the key and the source")
struct APISettingsValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var flags: [String] = []
        var environment: [String: String] = [:]
        var file: String?
        let key: String
        let source: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "port out of range in the environment", environment: ["BIGGOAL_HTTP_PORT": "70000"],
             key: "http.port", source: "environment variable BIGGOAL_HTTP_PORT"),
        Case(name: "port out of range as a flag", flags: ["--http-port", "70000"], key: "http.port", source: "flag"),
        Case(name: "port out of range in the file", file: #"{"http": {"port": 70000}}"#, key: "http.port", source: "file"),
        Case(name: "string where a number goes (file)", file: #"{"http": {"port": "eighty"}}"#, key: "http.port", source: "file"),
        Case(name: "string where a number goes (environment)", environment: ["BIGGOAL_REDIS_TIMEOUT_MS": "soon"],
             key: "redis.timeoutMs", source: "environment variable"),
        Case(name: "malformed Redis URL", environment: ["BIGGOAL_REDIS_URL": "http://localhost"], key: "redis.url", source: "environment variable"),
        Case(name: "Redis URL without host", flags: ["--redis-url", "redis://:6379"], key: "redis.url", source: "flag"),
        Case(name: "Redis URL with bad database", file: #"{"redis": {"url": "redis://h:1/x"}}"#, key: "redis.url", source: "file"),
        Case(name: "negative timeout", environment: ["BIGGOAL_REDIS_TIMEOUT_MS": "-5"], key: "redis.timeoutMs", source: "environment variable"),
        Case(name: "unknown log level", environment: ["BIGGOAL_LOG_LEVEL": "loud"], key: "log.level", source: "environment variable"),
        Case(name: "empty counter key", file: #"{"redis": {"sentKey": ""}}"#, key: "redis.sentKey", source: "file"),
        Case(name: "unknown key in the file", file: #"{"http": {"prot": 1}}"#, key: "http.prot", source: "file"),
        Case(name: "unknown flag", flags: ["--http-prot", "1"], key: "http-prot", source: "flag --http-prot"),
        Case(name: "malformed JSON file", file: "{ not json", key: "config", source: "file"),
        Case(name: "JSON file that is not an object", file: "[1, 2]", key: "config", source: "file"),
    ]

    @Test(arguments: cases)
    func reports(_ testCase: Case) async throws {
        let error = try #require(await loadError(flags: testCase.flags, environment: testCase.environment, file: testCase.file))
        #expect(error.key == testCase.key)
        #expect(error.source.hasPrefix(testCase.source), "source was \(error.source)")
        #expect(!error.description.contains("\n"))
        #expect(error.description.contains(testCase.key))
    }

    @Test func unreadableFileIsNamed() async throws {
        let missing = "/nonexistent/biggoal.json"
        do {
            _ = try await SettingsSource.load(knownKeys: APISettings.keys, flags: [], environment: [:], filePath: missing)
            Issue.record("loading a missing file succeeded")
        } catch {
            #expect(error.key == "config")
            #expect(error.source == "file \(missing)")
        }
    }

    @Test func passwordNeverInTheError() async throws {
        let error = try #require(await loadError(environment: ["BIGGOAL_REDIS_URL": "redis://u:topsecret@:1/x"]))
        #expect(!error.description.contains("topsecret"))
    }
}

@Suite("Consumer settings")
struct ConsumerSettingsTests {
    func load(flags: [String] = [], environment: [String: String] = [:]) async throws(SettingsError) -> ConsumerSettings {
        let source = try await SettingsSource.load(knownKeys: ConsumerSettings.keys, flags: flags, environment: environment, filePath: nil)
        return try ConsumerSettings(source)
    }

    @Test func defaultsAreTheOriginalDeploymentsNames() async throws {
        let settings = try await load()
        #expect(settings.amqp.url.host == "127.0.0.1")
        #expect(settings.amqp.url.port == 5672)
        #expect(settings.amqp.url.virtualHost == "/")
        #expect(settings.amqp.queue == "TestQueue")
        #expect(settings.amqp.prefetch == 100)
        #expect(settings.amqp.heartbeatSeconds == 30)
        #expect(settings.amqp.declare)
        #expect(settings.amqp.replyExchange == "Meow")
        #expect(settings.amqp.replyRoutingKey == "meow1")
        #expect(settings.amqp.replyQueue == "TestSentQueue")
        #expect(settings.amqp.replyBody == "И тебе привет!")
    }

    @Test func environmentAndFlags() async throws {
        let settings = try await load(
            flags: ["--amqp-prefetch", "10", "--amqp-declare", "false"],
            environment: ["BIGGOAL_AMQP_REPLY_ROUTING_KEY": "k2", "BIGGOAL_AMQP_URL": "amqp://u:p%40ss@broker:5673/my%2Fvhost"]
        )
        #expect(settings.amqp.prefetch == 10)
        #expect(!settings.amqp.declare)
        #expect(settings.amqp.replyRoutingKey == "k2")
        #expect(settings.amqp.url.user == "u")
        #expect(settings.amqp.url.password == "p@ss")
        #expect(settings.amqp.url.virtualHost == "my/vhost")
        #expect(!settings.loggable.values.joined().contains("p@ss"))
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

@Suite("Consumer example configuration")
struct ConsumerExampleTests {
    @Test func exampleFileListsEveryKeyWithItsDefault() async throws {
        let path = packageRoot.appendingPathComponent("config.consumer.example.json").path
        let source = try await SettingsSource.load(knownKeys: ConsumerSettings.keys, flags: [], environment: [:], filePath: path)
        #expect(try ConsumerSettings(source) == ConsumerSettings())
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in ConsumerSettings.keys {
            #expect(text.contains("\"\(key.split(separator: ".").last!)\""), "config.consumer.example.json lacks \(key)")
        }
    }
}
