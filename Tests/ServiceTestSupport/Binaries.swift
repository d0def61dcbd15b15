import Foundation
import Glibc

/// Starts one of the package's built executables the way a user would: the test runner's
/// environment without any `BIGGOAL_*` setting (tests pass their settings explicitly), plus
/// `environment`.
public func launchBinary(
    _ name: String,
    arguments: [String],
    environment: [String: String] = [:],
    standardOutput: Any = FileHandle.nullDevice,
    standardError: Any = FileHandle.nullDevice
) throws -> Process {
    let process = Process()
    process.executableURL = TestServices.binaryDirectory.appendingPathComponent(name)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BIGGOAL_") }
    merged.merge(environment) { $1 }
    process.environment = merged
    process.standardOutput = standardOutput
    process.standardError = standardError
    try process.run()
    return process
}

/// Runs a built executable to completion; its exit status and what it wrote to standard
/// output and error together.
public func runBinary(_ name: String, arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let pipe = Pipe()
    let process = try launchBinary(name, arguments: arguments, environment: environment, standardOutput: pipe, standardError: pipe)
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    while process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// Sends `signal` and waits (polling, which works from any thread, unlike
/// `Process.waitUntilExit` on Linux) until the process is gone; SIGKILL after `timeout`.
public func stopProcess(_ process: Process, signal: Int32, timeout: TimeInterval = 10) {
    let pid = process.processIdentifier
    guard isAlive(pid) else { return }
    Glibc.kill(pid, SIGCONT)
    Glibc.kill(pid, signal)
    let deadline = Date().addingTimeInterval(timeout)
    while isAlive(pid) {
        if Date() > deadline {
            Glibc.kill(process.processIdentifier, SIGKILL)
        }
        Thread.sleep(forTimeInterval: 0.01)
    }
}

/// Whether `pid` is running: not gone and not a zombie waiting to be reaped. Read from /proc,
/// because Foundation's own bookkeeping of child processes lags on Linux.
public func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Sends SIGTERM and returns the exit status once the process has ended, or nil when it is
/// still running after `timeout`.
public func terminateProcess(_ process: Process, timeout: TimeInterval) -> Int32? {
    Glibc.kill(process.processIdentifier, SIGTERM)
    return waitForExit(process, timeout: timeout)
}

/// The exit status once the process has ended by itself, or nil after `timeout`.
public func waitForExit(_ process: Process, timeout: TimeInterval) -> Int32? {
    let pid = process.processIdentifier
    let deadline = Date().addingTimeInterval(timeout)
    while isAlive(pid), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if isAlive(pid) { return nil }
    // The process has ended; give Foundation a moment to reap it and record the status.
    while process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
    return process.terminationStatus
}
