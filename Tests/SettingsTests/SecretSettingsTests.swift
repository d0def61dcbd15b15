import Foundation
import Glibc
import SettingKeys
import Settings
import Testing

/// Passwords and tokens from files, URLs that would misplace a secret, and TLS keys.
@Suite("Settings: secrets and TLS")
struct SecretSettingsTests {
    /// A file holding `text` for the duration of `body`, with `mode`.
    func withFile<Result>(_ text: String, mode: mode_t = 0o600, _ body: (String) async throws -> Result) async rethrows -> Result {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("biggoal-secret-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        chmod(path, mode)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    func consumerError(flags: [String] = [], environment: [String: String] = [:]) async -> SettingsError? {
        do {
            _ = try await ConsumerSettings.load(flags: flags, configPath: nil, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func aUserWithoutAPasswordIsAnErrorThatNamesTheKey() async throws {
        let amqp = await consumerError(environment: ["BIGGOAL_AMQP_URL": "amqp://app@broker/%2F"])
        #expect(amqp?.key == "amqp.url")
        #expect(amqp?.problem.contains("no password") == true)
        let redis = await loadError(environment: ["BIGGOAL_REDIS_URL": "redis://S3CRET@127.0.0.1:6379/0"])
        #expect(redis?.key == "redis.url")
        #expect(redis?.description.contains("S3CRET") == false, "the error never repeats what may be a password")
        // A password alone, and no credentials at all, stay as they were.
        #expect(try await loadAPISettings(environment: ["BIGGOAL_REDIS_URL": "redis://:pw@127.0.0.1/0"]).redis.password == "pw")
        let guest = try await ConsumerSettings.load(flags: [], configPath: nil, environment: ["BIGGOAL_AMQP_URL": "amqp://broker"])
        #expect(guest.amqp.broker.url.user == "guest" && guest.amqp.broker.url.password == "guest")
    }

    @Test func passwordFilesGiveThePasswordItsFirstLine() async throws {
        try await withFile("from-file\nignored\n") { path in
            let consumer = try await ConsumerSettings.load(flags: [], configPath: nil, environment: [
                "BIGGOAL_AMQP_URL": "amqp://app@broker/%2F", "BIGGOAL_AMQP_PASSWORD_FILE": path,
                "BIGGOAL_REDIS_URL": "redis://default@127.0.0.1/0", "BIGGOAL_REDIS_PASSWORD_FILE": path,
            ])
            #expect(consumer.amqp.broker.url.user == "app")
            #expect(consumer.amqp.broker.url.password == "from-file")
            #expect(consumer.redis.username == "default" && consumer.redis.password == "from-file")
            #expect(!consumer.loggable.description.contains("from-file"))
            #expect(consumer.secretFiles.map(\.key) == ["amqp.passwordFile", "redis.passwordFile"])
            // The file wins over a password in the URL.
            let api = try await loadAPISettings(environment: ["BIGGOAL_REDIS_URL": "redis://:url-pw@127.0.0.1/0",
                                                              "BIGGOAL_REDIS_PASSWORD_FILE": path])
            #expect(api.redis.password == "from-file")
        }
    }

    @Test func aMissingOrEmptyPasswordFileNamesItsKey() async throws {
        let missing = await consumerError(environment: ["BIGGOAL_AMQP_PASSWORD_FILE": "/nonexistent/password"])
        #expect(missing?.key == "amqp.passwordFile")
        await withFile("\n\n") { path in
            let empty = await loadError(environment: ["BIGGOAL_REDIS_PASSWORD_FILE": path])
            #expect(empty?.key == "redis.passwordFile")
            #expect(empty?.problem.contains("empty") == true)
        }
    }

    @Test func aSecretFileOthersMayReadIsWarnedAbout() async throws {
        try await withFile("pw\n", mode: 0o644) { path in
            let warning = try #require(SecretFile(key: "redis.passwordFile", path: path).exposureWarning)
            #expect(warning.contains("redis.passwordFile") && warning.contains("644"))
        }
        await withFile("pw\n", mode: 0o640) { path in
            #expect(SecretFile(key: "redis.passwordFile", path: path).exposureWarning == nil)
        }
    }

    @Test func amqpsTurnsTLSOnWithItsOwnDefaultPort() async throws {
        let plain = try await ConsumerSettings.load(flags: [], configPath: nil, environment: [:])
        #expect(plain.amqp.broker.tls == nil)
        let secure = try await ConsumerSettings.load(flags: ["--amqp-tls-verify-hostname", "false"], configPath: nil,
                                                     environment: ["BIGGOAL_AMQP_URL": "amqps://u:p@broker/%2F"])
        #expect(secure.amqp.broker.url.port == 5671)
        #expect(secure.amqp.broker.tls == TLSOptions(verifyPeer: true, verifyHostname: false))
        #expect(secure.amqp.broker.url.description.hasPrefix("amqps://"))
    }

    @Test func tlsFilesWithoutTLSOrWithoutTheirPairAreErrors() async throws {
        await withFile("not really PEM") { path in
            let plain = await consumerError(environment: ["BIGGOAL_AMQP_TLS_CA_FILE": path])
            #expect(plain?.key == "amqp.tls.caFile")
            #expect(plain?.problem.contains("not amqps://") == true)
            let unpaired = await consumerError(environment: ["BIGGOAL_AMQP_URL": "amqps://broker", "BIGGOAL_AMQP_TLS_CERT_FILE": path])
            #expect(unpaired?.key == "amqp.tls.keyFile")
        }
        let unreadable = await consumerError(environment: ["BIGGOAL_AMQP_URL": "amqps://broker", "BIGGOAL_AMQP_TLS_CA_FILE": "/nonexistent/ca.pem"])
        #expect(unreadable?.key == "amqp.tls.caFile")
    }
}
