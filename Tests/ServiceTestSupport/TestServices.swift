import Foundation
import Glibc
import Redis

/// The services the integration and process tests use, as `scripts/test` describes them in
/// the environment; unset, the ports of the docker compose stack.
public enum TestServices {
    static let environment = ProcessInfo.processInfo.environment

    /// `BIGGOAL_TEST_REDIS_URL`, else the compose stack's Redis.
    public static var redisURL: String { environment["BIGGOAL_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0" }

    /// `BIGGOAL_TEST_AMQP_URL`, else the compose stack's RabbitMQ.
    public static var amqpURL: String { environment["BIGGOAL_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F" }

    /// The host and port of `redisURL`.
    public static var redisEndpoint: (host: String, port: Int) {
        let components = URLComponents(string: redisURL)
        return (components?.host ?? "127.0.0.1", components?.port ?? 6379)
    }

    /// Where the built executables are: `BIGGOAL_TEST_BIN_DIR`, else the debug build folder.
    public static var binaryDirectory: URL {
        if let directory = environment["BIGGOAL_TEST_BIN_DIR"] { return URL(fileURLWithPath: directory) }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    /// The package's root folder.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A client of the shared test Redis. Fails the test with a clear message when Redis is
    /// not there: tests that need a service never skip.
    public static func redis() throws -> RedisTestClient {
        let endpoint = redisEndpoint
        do {
            return try RedisTestClient(host: endpoint.host, port: endpoint.port)
        } catch {
            throw ServiceUnavailable(
                "Redis is not reachable at \(redisURL) (\(error)). Run scripts/test, or start the compose stack with `docker compose up -d`."
            )
        }
    }

    /// The certificates `scripts/test` made and the broker's TLS port. Fails the test with a
    /// clear message when they are not there: TLS tests never skip.
    public static func tls() throws -> TestTLS {
        guard let directory = environment["BIGGOAL_TEST_TLS_DIR"], let amqpsPort = environment["BIGGOAL_TEST_AMQPS_PORT"].flatMap(Int.init),
              let redissPort = environment["BIGGOAL_TEST_REDISS_PORT"].flatMap(Int.init)
        else {
            throw ServiceUnavailable(
                "no TLS test set-up: BIGGOAL_TEST_TLS_DIR, BIGGOAL_TEST_AMQPS_PORT and BIGGOAL_TEST_REDISS_PORT are set by scripts/test, which makes throw-away certificates and starts RabbitMQ and Redis with TLS listeners"
            )
        }
        return TestTLS(directory: directory, amqpsPort: amqpsPort, redissPort: redissPort)
    }

    /// A unique name for keys and queues, so tests running in parallel never share state.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// A service a test needs is not running.
public struct ServiceUnavailable: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A small blocking Redis client for checking and preparing state in tests.
public final class RedisTestClient {
    private let connection: RedisConnection

    public init(host: String, port: Int) throws {
        connection = try RedisConnection.connect(host: host, port: port, timeoutMilliseconds: 2000)
    }

    /// Runs one command and returns its reply.
    @discardableResult
    public func run(_ arguments: String...) throws -> RedisReply {
        try connection.roundTrip(RedisCommand(arguments), timeoutMilliseconds: 5000)
    }

    /// The integer value of `key`, 0 when absent.
    public func count(_ key: String) throws -> Int {
        try run("GET", key).integerValue ?? 0
    }

    /// Deletes `keys`.
    public func delete(_ keys: String...) throws {
        for key in keys { try run("DEL", key) }
    }

    /// Deletes every key that starts with `prefix` (a test's own dedupe marks, say).
    public func deleteKeys(prefixed prefix: String) throws {
        var cursor = "0"
        repeat {
            guard case .array(let reply) = try run("SCAN", cursor, "MATCH", Self.globEscaped(prefix) + "*", "COUNT", "1000"),
                  reply.count == 2, case .bulk(let next) = reply[0], case .array(let keys) = reply[1] else { return }
            cursor = String(decoding: next, as: UTF8.self)
            for case .bulk(let key) in keys { _ = try connection.roundTrip(RedisCommand([Array("DEL".utf8), key]), timeoutMilliseconds: 5000) }
        } while cursor != "0"
    }

    private static func globEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}

/// The throw-away certificates of a test run: an authority, a server certificate for
/// `localhost` only, a client certificate, and another authority that signed neither.
public struct TestTLS: Sendable {
    public let directory: String
    public let amqpsPort: Int
    /// The test Redis's TLS port (it asks for client certificates too).
    public let redissPort: Int

    public var caFile: String { directory + "/ca.pem" }
    public var otherCAFile: String { directory + "/other-ca.pem" }
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }

    /// A TLS server (OpenSSL's `s_server`) on a free loopback port that shows a certificate
    /// for localhost from the test authority which expired in 2025; it speaks no AMQP or
    /// RESP, which no client gets far enough to notice.
    public func expiredCertificateServer() throws -> TLSTestServer {
        try TLSTestServer(certificate: directory + "/expired.pem", key: directory + "/expired.key")
    }

    /// The broker's TLS listener; `localhost` matches its certificate, `127.0.0.1` does not.
    public func amqpsURL(host: String = "localhost") -> String {
        "amqps://guest:guest@\(host):\(amqpsPort)/%2F"
    }

    /// The test Redis over TLS.
    public func redissURL(host: String = "localhost") -> String {
        "rediss://\(host):\(redissPort)/0"
    }

    /// The flags of a TLS client of `link` (`amqp`, `redis`) that trusts `caFile` and,
    /// unless told otherwise, shows the client certificate.
    public func flags(_ link: String, caFile: String? = nil, clientCertificate: Bool = true) -> [String] {
        ["--\(link)-tls-ca-file", caFile ?? self.caFile]
            + (clientCertificate ? ["--\(link)-tls-cert-file", self.clientCertificate, "--\(link)-tls-key-file", clientKey] : [])
    }

    public func amqpFlags(caFile: String? = nil, clientCertificate: Bool = true) -> [String] {
        flags("amqp", caFile: caFile, clientCertificate: clientCertificate)
    }
}

/// `openssl s_server` showing one certificate, stopped with the value.
public final class TLSTestServer {
    public let port: Int
    private let process: Process

    init(certificate: String, key: String) throws {
        port = try freePort()
        process = Process()
        process.executableURL = try findExecutable("openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate, "-key", key, "-quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try waitForPort(port, seconds: 10)
    }

    deinit {
        stopProcess(process, signal: SIGKILL)
    }
}
