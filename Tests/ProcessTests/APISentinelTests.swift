import Foundation
import Glibc
import ServiceTestSupport
import Testing

/// The api behind Sentinel: a private master, its replica and one Sentinel watching them.
@Suite("api: Redis with Sentinel")
struct APISentinelTests {
    @Test func aFailoverIsFollowedWithoutARestart() throws {
        let master = try RedisServerProcess()
        let replica = try RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(master.port)"])
        let sentinelPort = try freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestServices.uniqueName("sentinel"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = directory.appendingPathComponent("sentinel.conf").path
        try """
        port \(sentinelPort)
        bind 127.0.0.1
        dir \(directory.path)
        sentinel monitor mymaster 127.0.0.1 \(master.port) 1
        sentinel down-after-milliseconds mymaster 500
        sentinel failover-timeout mymaster 3000

        """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let sentinel = Process()
        sentinel.executableURL = try findExecutable("redis-server")
        sentinel.arguments = [configuration, "--sentinel"]
        sentinel.standardOutput = FileHandle.nullDevice
        try sentinel.run()
        defer { stopProcess(sentinel, signal: SIGKILL) }
        try waitForPort(sentinelPort, seconds: 10)
        // The replica must be in sync before the master dies, or the failover has nothing to promote.
        let replicaClient = try RedisTestClient(host: "127.0.0.1", port: replica.port)
        #expect(try AMQPTestClient.waitUntil(seconds: 10) {
            guard case .bulk(let info) = try replicaClient.run("INFO", "replication") else { return false }
            return String(decoding: info, as: UTF8.self).contains("master_link_status:up")
        })

        let api = try APIProcess(redisURL: master.url, arguments: ["--redis-sentinels", "127.0.0.1:\(sentinelPort)", "--redis-timeout-ms", "300"])
        let client = try api.connect()
        #expect(try client.request("POST", "/receive").body == #"{"count":1}"#)
        Thread.sleep(forTimeInterval: 0.3)  // the replica catches up

        master.kill()
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try client.request("POST", "/receive").status == 200 },
                "the api writes to the promoted replica")
        // A fresh client: Sentinel drops the promoted replica's clients as it reconfigures it.
        #expect(try RedisTestClient(host: "127.0.0.1", port: replica.port).count(api.receivedKey) >= 2)
        #expect(api.terminate() == 0)
        let log = api.standardError()
        #expect(log.contains("from=+switch-master") || log.contains("address=127.0.0.1:\(replica.port)"), "\(log)")
    }
}
