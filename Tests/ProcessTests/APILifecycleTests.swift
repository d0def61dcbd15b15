import Foundation
import Glibc
import ServiceTestSupport
import Testing

@Suite("api: Redis faults, signals and configuration errors")
struct APILifecycleTests {
    /// Times one request on a new connection.
    func timed(_ api: APIProcess, _ method: String, _ path: String) throws -> (TestResponse, TimeInterval) {
        let started = Date()
        let response = try api.connect().request(method, path)
        return (response, Date().timeIntervalSince(started))
    }

    func waitForStatus(_ api: APIProcess, _ path: String, _ status: Int, within seconds: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try api.connect().request(method(path), path).status == status { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    private func method(_ path: String) -> String { path == "/receive" ? "POST" : "GET" }

    @Test func frozenRedis() throws {
        let redis = try RedisServerProcess()
        let api = try APIProcess(redisURL: redis.url, arguments: ["--redis-timeout-ms", "500"])
        #expect(try waitForStatus(api, "/receive", 200, within: 5))

        redis.freeze()
        let (counter, counterTime) = try timed(api, "POST", "/receive")
        #expect(counter.status == 503)
        #expect(counter.body == #"{"error":"counter store unavailable"}"#)
        #expect(counterTime < 1.0, "503 took \(counterTime) s with a 500 ms timeout")
        for _ in 0..<10 {
            let (ping, pingTime) = try timed(api, "GET", "/ping")
            #expect(ping.status == 200)
            #expect(pingTime < 0.1, "/ping took \(pingTime) s while Redis was frozen")
        }
        let (health, _) = try timed(api, "GET", "/health")
        #expect(health.status == 503)
        #expect(health.body.hasPrefix(#"{"status":"unavailable","reason":"#))

        redis.thaw()
        #expect(try waitForStatus(api, "/receive", 200, within: 2.5))
        #expect(try waitForStatus(api, "/health", 200, within: 2.5))
        #expect(api.isRunning)
    }

    @Test func killedRedisComesBack() throws {
        let redis = try RedisServerProcess()
        // One loop, so one Redis connection: with several, each reconnects on its own
        // jittered back-off, and a request may reach a loop that is not back yet.
        let api = try APIProcess(redisURL: redis.url, arguments: ["--redis-timeout-ms", "500", "--http-event-loops", "1"])
        #expect(try waitForStatus(api, "/receive", 200, within: 5))
        #expect(try api.connect().request("POST", "/receive").body == #"{"count":2}"#)

        redis.kill()
        #expect(try waitForStatus(api, "/receive", 503, within: 1))
        let (ping, pingTime) = try timed(api, "GET", "/ping")
        #expect(ping.status == 200)
        #expect(pingTime < 0.1)
        let (counter, counterTime) = try timed(api, "GET", "/api/v1/receive/messages/hello")
        #expect(counter.status == 503)
        #expect(counterTime < 1.0)

        try redis.start()
        #expect(try waitForStatus(api, "/api/v1/receive/messages/hello", 200, within: 5))
        // The append-only file kept the count; the api never restarted.
        let after = try api.connect().request("GET", "/api/v1/receive/messages/hello")
        #expect(after.body == #"{"count":2}"#, "\(after.status) \(after.body)")
    }

    @Test func redisDownAtStartThenUp() throws {
        let redis = try RedisServerProcess()
        redis.kill()
        let api = try APIProcess(redisURL: redis.url)
        #expect(try api.connect().request("GET", "/ping").status == 200)
        #expect(try api.connect().request("POST", "/receive").status == 503)
        try redis.start()
        #expect(try waitForStatus(api, "/receive", 200, within: 5))
    }

    /// Under a small open-files limit the connection cap comes down to fit, the start-up log
    /// says so, and connections past it are closed at once rather than left hanging.
    @Test func aSmallOpenFilesLimitLowersTheCapAndNothingHangs() throws {
        _ = try TestServices.redis()
        let port = try freePort()
        let errorPipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"ulimit -n 100 && exec "$0" "$@""#,
                             TestServices.binaryDirectory.appendingPathComponent("api").path,
                             "--http-port", "\(port)", "--redis-url", TestServices.redisURL]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BIGGOAL_") }
        process.standardError = errorPipe
        try process.run()
        defer { stopProcess(process, signal: SIGKILL) }
        try waitForPort(port, seconds: 10)

        var clients: [HTTPTestClient] = []
        var served = 0, closed = 0
        let started = Date()
        for _ in 0..<150 {
            let client = try HTTPTestClient(port: port, timeoutMilliseconds: 2000)
            do {
                if try client.request("GET", "/ping").status == 200 { served += 1 }
                clients.append(client)
            } catch {
                closed += 1
            }
        }
        #expect(served > 0 && closed > 0 && served + closed == 150, "served \(served), closed \(closed)")
        #expect(Date().timeIntervalSince(started) < 20, "no connection was left to time out")
        clients.removeAll()
        #expect(try AMQPTestClient.waitUntil(seconds: 5) { try HTTPTestClient(port: port).request("GET", "/ping").status == 200 })
        stopProcess(process, signal: SIGTERM)
        let log = String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("http.maxConnections lowered"), "\(log)")
    }

    @Test func sighupReloadsInsteadOfEndingTheProcess() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        kill(api.pid, SIGHUP)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(api.isRunning, "SIGHUP's default action would have ended it")
        #expect(try api.connect().request("GET", "/ping").status == 200)
        #expect(api.terminate() == 0)
        #expect(api.standardError().contains("SIGHUP: reloading"))
    }

    @Test func sigtermExitsZero() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        let idle = try api.connect()
        #expect(try idle.request("GET", "/ping").status == 200)
        let started = Date()
        #expect(api.terminate() == 0)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(idle.isClosedByServer())
    }

    @Test func sigtermFinishesTheRequestInFlight() throws {
        let redis = try RedisServerProcess()
        let api = try APIProcess(redisURL: redis.url, arguments: ["--redis-timeout-ms", "2000"])
        #expect(try waitForStatus(api, "/receive", 200, within: 5))
        redis.freeze()
        let client = try api.connect()
        try client.send("POST /receive HTTP/1.1\r\nHost: x\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)
        let stopper = Thread { _ = api.terminate() }
        stopper.start()
        Thread.sleep(forTimeInterval: 0.3)
        redis.thaw()
        // The request in flight is answered before the server goes.
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body == #"{"count":2}"#)
    }

    @Test(arguments: [
        (["--http-port", "70000"], "http.port"),
        (["--redis-url", "mysql://x"], "redis.url"),
        (["--http-prot", "1"], "http-prot"),
        (["--redis-timeout-ms", "soon"], "redis.timeoutMs"),
    ])
    func badConfigurationExitsTwoNamingTheKey(arguments: [String], key: String) throws {
        let (status, output) = try runAPI(arguments: arguments)
        #expect(status == 2)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "\(output)")
        #expect(output.contains(key))
    }

    @Test func badEnvironmentValueExitsTwo() throws {
        let (status, output) = try runAPI(arguments: [], environment: ["BIGGOAL_HTTP_PORT": "70000"])
        #expect(status == 2)
        #expect(output.contains("BIGGOAL_HTTP_PORT"))
    }

    @Test func unknownKeyInTheFileExitsTwo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("biggoal-\(UUID()).json").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(#"{"http": {"portt": 3000}}"#.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, output) = try runAPI(arguments: ["--config", path])
        #expect(status == 2)
        #expect(output.contains("http.portt"))
    }

    @Test func passwordNeverLogged() throws {
        let redis = try RedisServerProcess()
        let api = try APIProcess(redisURL: "redis://user:hunter2@127.0.0.1:\(redis.port)/0")
        _ = try api.connect().request("GET", "/ping")
        #expect(api.terminate() == 0)
        #expect(!api.standardError().contains("hunter2"))
        #expect(api.standardError().contains("***"))
    }
}

extension APILifecycleTests {
    @Test func sigintExitsZeroToo() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        kill(api.pid, SIGINT)
        let deadline = Date().addingTimeInterval(5)
        while api.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!api.isRunning)
        #expect(api.terminate(timeout: 1) == 0)
    }

    @Test func oneEventLoopPerCoreAndTheFullDescriptorLimit() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        #expect(threads(of: api.pid, named: "http-loop-", atLeast: ProcessInfo.processInfo.activeProcessorCount) == ProcessInfo.processInfo.activeProcessorCount)
        let limits = try String(contentsOfFile: "/proc/\(api.pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count == 2 && numbers[0] == numbers[1], "\(line)")

        let single = try APIProcess(arguments: ["--http-event-loops", "1"])
        #expect(threads(of: single.pid, named: "http-loop-", atLeast: 1) == 1)
    }

    /// Every library the api maps is memory it holds: it must not carry the broker's client
    /// (librabbitmq and the OpenSSL it links), which only the consumer and publish need, nor
    /// full Foundation, whose start-up alone holds about 3 MB (FoundationEssentials is enough).
    @Test func theAPILoadsNoBrokerLibraryAndNoFullFoundation() throws {
        _ = try TestServices.redis()
        let api = try APIProcess()
        // Read to the end: procfs files report a size of 0, which a whole-file read trusts.
        let file = try #require(FileHandle(forReadingAtPath: "/proc/\(api.pid)/maps"))
        let maps = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        #expect(maps.contains("libhiredis"))
        #expect(!maps.contains("librabbitmq"))
        #expect(!maps.contains("libssl"))
        #expect(maps.contains("libFoundationEssentials"))
        #expect(!maps.contains("libFoundation.so"))
        #expect(!maps.contains("libFoundationInternationalization"))
        #expect(!maps.contains("_FoundationICU"))
    }
}

extension APILifecycleTests {
    @Test func jsonLogsAreOneObjectPerLine() throws {
        let redis = try RedisServerProcess()
        let api = try APIProcess(redisURL: "redis://u:sekret@127.0.0.1:\(redis.port)/0", arguments: ["--log-format", "json"])
        _ = try api.connect().request("GET", "/ping")
        #expect(api.terminate() == 0)
        let lines = api.standardError().split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["timestamp"] is String)
            // RFC 3339 in UTC with milliseconds, within a minute of now.
            let timestamp = try #require(object["timestamp"] as? String)
            #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(timestamp)")
            let parsed = try #require(try? Date(timestamp, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            #expect(abs(parsed.timeIntervalSinceNow) < 60, "\(timestamp)")
            #expect(object["level"] is String)
            #expect(object["label"] as? String == "biggoal-api")
            #expect(object["message"] is String)
            #expect(object["source"] is String, "swift-log's source (the module that logged)")
        }
        let starting = try #require(lines.first { $0.contains("\"starting\"") })
        #expect(starting.contains("redis.url"))
        #expect(!starting.contains("sekret"))
        // One value per key: the start-up line's settings are not packed into strings.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(starting.utf8)) as? [String: Any])
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["http.port"] as? String == "\(api.port)")
        #expect(metadata["http.host"] as? String == "127.0.0.1")
        #expect(metadata["redis.receivedKey"] as? String == api.receivedKey)
        // Each event loop says which it is when it logs (both connect to Redis).
        let connected = lines.filter { $0.contains("\"connected to Redis\"") }
        #expect(!connected.isEmpty)
        #expect(connected.allSatisfy { $0.contains(#""http.eventLoop":"http-loop-"#) })
    }
}
