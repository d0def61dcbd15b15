import Foundation
import Glibc

/// The built `api` binary, started the way a user starts it, on a free port and with its
/// own counter keys.
///
/// `@unchecked Sendable`: client threads call `connect()` and a stopper thread calls
/// `terminate()`, which read immutable state or go through Foundation's thread-safe
/// `Process`; `standardError()` is for the test's own thread.
public final class APIProcess: @unchecked Sendable {
    public let port: Int
    public let receivedKey: String
    public let sentKey: String
    /// Whether the keys were made here (and are deleted with the process) rather than given
    /// by a test that shares them with another process.
    private let ownsKeys: Bool
    private let process: Process
    private let errorPipe = Pipe()
    private var collectedOutput = Data()

    /// Starts `api` against `redisURL` and waits until `/ping` answers.
    public init(
        redisURL: String = TestServices.redisURL,
        receivedKey: String? = nil,
        sentKey: String? = nil,
        arguments: [String] = [],
        environment: [String: String] = [:]
    ) throws {
        port = try freePort()
        ownsKeys = receivedKey == nil && sentKey == nil
        self.receivedKey = receivedKey ?? TestServices.uniqueName("received")
        self.sentKey = sentKey ?? TestServices.uniqueName("sent")
        process = try launchBinary("api", arguments: [
            "--http-port", "\(port)", "--redis-url", redisURL,
            "--redis-received-key", self.receivedKey, "--redis-sent-key", self.sentKey,
        ] + arguments, environment: environment, standardError: errorPipe)
        try waitForPort(port, seconds: 10)
    }

    deinit {
        stopProcess(process, signal: SIGKILL)
        if ownsKeys, let redis = try? TestServices.redis() { try? redis.delete(receivedKey, sentKey) }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { isAlive(pid) }

    /// Sends SIGTERM and returns the exit status once the process has ended, or nil when it
    /// is still running after `timeout`.
    public func terminate(timeout: TimeInterval = 10) -> Int32? {
        terminateProcess(process, timeout: timeout)
    }

    /// What the process wrote to standard error so far (only once it has exited).
    public func standardError() -> String {
        collectedOutput.append(errorPipe.fileHandleForReading.readDataToEndOfFile())
        return String(decoding: collectedOutput, as: UTF8.self)
    }

    /// How many descriptors the process has open (from /proc).
    public func openDescriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// A new connection to the server.
    public func connect() throws -> HTTPTestClient {
        try HTTPTestClient(port: port)
    }
}

/// Runs the `api` binary to completion, for start-up failures.
public func runAPI(arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, standardError: String) {
    let (status, output) = try runBinary("api", arguments: arguments, environment: environment)
    return (status, output)
}
