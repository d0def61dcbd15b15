import SettingKeys
import Settings
import Testing

@Suite("Settings layers")
struct SettingsSourceTests {
    @Test func fileThenEnvironmentThenFlagsLaterWins() async throws {
        let file = #"{"http": {"port": 4000, "host": "0.0.0.0"}, "redis": {"timeoutMs": 250}}"#
        let fileOnly = try await loadAPISettings(file: file)
        #expect(fileOnly.http.port == 4000)
        #expect(fileOnly.redis.timeoutMilliseconds == 250)

        let environment = ["BIGGOAL_HTTP_PORT": "5000", "BIGGOAL_REDIS_RECEIVED_KEY": "r"]
        let withEnvironment = try await loadAPISettings(environment: environment, file: file)
        #expect(withEnvironment.http.port == 5000)
        #expect(withEnvironment.http.host == "0.0.0.0")
        #expect(withEnvironment.redis.receivedKey == "r")

        let all = try await loadAPISettings(flags: ["--http-port", "6000", "--http-event-loops=3"], environment: environment, file: file)
        #expect(all.http.port == 6000)
        #expect(all.http.eventLoops == 3)
        #expect(all.redis.receivedKey == "r")
        #expect(all.redis.timeoutMilliseconds == 250)
    }

    /// The file's JSON is read by the project's own snapshot (FoundationEssentials): nested
    /// and dotted keys, booleans, lists as arrays and whole numbers written with a fraction.
    @Test func theFileTakesEveryKindOfValue() async throws {
        let file = #"""
            {"http.port": 4100, "http": {"countOnGet": true, "allowedOrigins": ["https://a.example", "https://b.example:8443"]},
             "redis": {"timeoutMs": 250.0, "receivedKey": "r\u00e9\"q"}, "log": {"level": null}}
            """#
        let settings = try await loadAPISettings(file: file)
        #expect(settings.http.port == 4100)
        #expect(settings.access.countOnGet)
        #expect(settings.access.allowedOrigins == ["https://a.example", "https://b.example:8443"])
        #expect(settings.redis.timeoutMilliseconds == 250)
        #expect(settings.redis.receivedKey == "r\u{e9}\"q")
    }

    @Test func environmentNamesFollowTheKeyPath() {
        #expect(SettingNames.environmentVariable(for: "http.port") == "BIGGOAL_HTTP_PORT")
        #expect(SettingNames.environmentVariable(for: "redis.url") == "BIGGOAL_REDIS_URL")
        #expect(SettingNames.environmentVariable(for: "amqp.reply.routingKey") == "BIGGOAL_AMQP_REPLY_ROUTING_KEY")
        #expect(SettingNames.flag(for: "http.maxConnections") == "--http-max-connections")
    }

    @Test func oneFileServesBothServices() async throws {
        let file = #"{"http": {"port": 4000}, "amqp": {"queue": "Q", "prefetch": 7}, "consumer": {"metricsPort": 0}}"#
        let api = try await load(APISettings.self, file: file)
        #expect(api.http.port == 4000)
        let consumer = try await load(ConsumerSettings.self, file: file)
        #expect(consumer.amqp.queue == "Q" && consumer.amqp.prefetch == 7 && consumer.metricsPort == 0)
        let publish = try await load(PublishSettings.self, file: file)
        #expect(publish.queue == "Q")
    }

    @Test func aFlagForAnotherProgramsKeyIsStillRefused() async {
        let error = await loadError(flags: ["--amqp-queue", "Q"])
        #expect(error?.key == "amqp-queue")
        #expect(error?.problem == "unknown option")
    }
}

@Suite("Settings: every validation error names the key and the source")
struct SettingsValidationTests {
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
        Case(name: "fraction where an integer goes (file)", file: #"{"http": {"port": 80.5}}"#, key: "http.port", source: "file"),
        Case(name: "number where a boolean goes (file)", file: #"{"http": {"countOnGet": 1}}"#, key: "http.countOnGet", source: "file"),
        Case(name: "list of numbers where names go (file)", file: #"{"http": {"allowedOrigins": [1]}}"#, key: "http.allowedOrigins",
             source: "file"),
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
            _ = try await APISettings.load(flags: [], configPath: missing, environment: [:])
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

