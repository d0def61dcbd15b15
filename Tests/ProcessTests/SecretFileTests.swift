import Foundation
import Glibc
import ServiceTestSupport
import Testing

// Inside the serialized broker suite: a test there restarts the broker.
extension BrokerTests {
/// Passwords from files, as container platforms hand them over, and URLs that would
/// misplace a secret, through the built binaries.
@Suite("secrets from files")
struct SecretFileTests {
    /// A file in a fresh folder, removed with the folder by the returned closure.
    func secretFile(_ text: String, mode: mode_t = 0o600) throws -> (path: String, remove: () -> Void) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestServices.uniqueName("secret"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("password").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode)
        return (path, { try? FileManager.default.removeItem(at: directory) })
    }

    @Test func aRedisPasswordFileIsReadAgainForEachConnection() throws {
        let redisServer = try RedisServerProcess(arguments: ["--requirepass", "first-password"])
        let file = try secretFile("first-password\n")
        defer { file.remove() }
        let api = try APIProcess(redisURL: redisServer.url, arguments: ["--redis-password-file", file.path, "--redis-timeout-ms", "500"])
        let client = try api.connect()
        #expect(try client.request("POST", "/receive").status == 200)

        // The password rotates: Redis takes the new one and drops its clients; the api
        // reconnects with what the file says now, without a restart or a signal.
        try "second-password\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        let admin = try RedisTestClient(host: "127.0.0.1", port: redisServer.port)
        _ = try admin.run("AUTH", "first-password")
        _ = try admin.run("CONFIG", "SET", "requirepass", "second-password")
        _ = try? admin.run("CLIENT", "KILL", "TYPE", "normal")
        #expect(try AMQPTestClient.waitUntil(seconds: 10) { try client.request("POST", "/receive").status == 200 })

        #expect(api.terminate() == 0)
        let log = api.standardError()
        #expect(!log.contains("first-password") && !log.contains("second-password"), "\(log)")
    }

    @Test func aSecretFileOthersMayReadIsWarnedAboutAtStart() throws {
        _ = try TestServices.redis()
        let file = try secretFile("unused\n", mode: 0o644)
        defer { file.remove() }
        let api = try APIProcess(arguments: ["--http-auth-token-file", file.path])
        #expect(api.terminate() == 0)
        let log = api.standardError()
        #expect(log.contains("http.auth.tokenFile names \(file.path), which every user of this machine may read"), "\(log)")
    }

    @Test(arguments: [
        ("api", ["--redis-url", "redis://S3CRET@127.0.0.1:6379/0"], "redis.url"),
        ("consumer", ["--amqp-url", "amqp://app@127.0.0.1:5672/%2F"], "amqp.url"),
        ("publish", ["--amqp-url", "amqp://app@127.0.0.1:5672/%2F", "--count", "1"], "amqp.url"),
        ("consumer", ["--amqp-password-file", "/nonexistent/password"], "amqp.passwordFile"),
    ])
    func aURLWithAUserButNoPasswordStopsTheStartWithTheKey(program: String, arguments: [String], key: String) throws {
        let (status, output) = try runBinary(program, arguments: arguments)
        #expect(status == 2, "\(program) \(arguments): \(output)")
        #expect(output.contains(key), "\(output)")
        #expect(!output.contains("S3CRET"), "the error never repeats what may be a password")
    }

    @Test func aBrokerPasswordFromAFile() throws {
        let file = try secretFile("guest\n")
        defer { file.remove() }
        let url = TestServices.amqpURL.replacingOccurrences(of: "guest:guest@", with: "guest@")
        let queue = TestServices.uniqueName("password-file")
        let published = try runBinary("publish", arguments: ["--amqp-url", url, "--amqp-password-file", file.path, "--queue", queue, "--count", "3"])
        #expect(published.status == 0, "\(published.output)")
        try "wrong\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        let refused = try runBinary("publish", arguments: ["--amqp-url", url, "--amqp-password-file", file.path, "--queue", queue, "--count", "1"])
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.output.contains("ACCESS_REFUSED") || refused.output.contains("403"), "\(refused.output)")
        try? AMQPTestClient().deleteQueue(queue)
    }
}
}
