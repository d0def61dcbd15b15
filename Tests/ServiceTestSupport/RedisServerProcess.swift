import Foundation
import Glibc

/// A private `redis-server` for tests that stop, freeze or kill Redis, so the shared test
/// server stays untouched.
public final class RedisServerProcess {
    public let port: Int
    private let directory: URL
    private var process: Process?
    private let extraArguments: [String]

    /// Starts a server on a free port and waits until it accepts connections; `arguments`
    /// are added to its command line (`--requirepass`, TLS …).
    public init(arguments: [String] = []) throws {
        port = try freePort()
        extraArguments = arguments
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("biggoal-redis-\(port)-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        // SIGKILL: children of the test runner inherit its blocked signal mask, so a
        // SIGTERM would never arrive; this server holds nothing worth a clean stop.
        if let process { stopProcess(process, signal: SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `redis://127.0.0.1:PORT/0`.
    public var url: String { "redis://127.0.0.1:\(port)/0" }

    public var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Starts (again) with the same port and data folder; append-only on, so counts survive
    /// a kill.
    public func start() throws {
        let process = Process()
        process.executableURL = try findExecutable("redis-server")
        process.arguments = [
            "--bind", "127.0.0.1", "--port", "\(port)", "--dir", directory.path, "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--logfile", directory.appendingPathComponent("redis.log").path,
        ] + extraArguments
        try process.run()
        self.process = process
        try waitForPort(port, seconds: 10)
    }

    /// SIGSTOP: the server keeps its sockets but answers nothing.
    public func freeze() { Glibc.kill(pid, SIGSTOP) }

    /// SIGCONT after `freeze()`.
    public func thaw() { Glibc.kill(pid, SIGCONT) }

    /// SIGKILL, and waits for the process to be gone.
    public func kill() {
        guard let process else { return }
        stopProcess(process, signal: SIGKILL)
        self.process = nil
    }
}

/// The path of an executable on `PATH`.
public func findExecutable(_ name: String) throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin"] {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw ServiceUnavailable("\(name) is not installed; scripts/test installs it")
}
