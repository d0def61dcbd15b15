import ArgumentParser
import LinuxIO
import Settings

/// `--check-health`: asks the running service's readiness endpoint and exits 0 on a 2xx,
/// 1 otherwise. Container health checks run it inside the slim image, which has no curl;
/// it reads the same settings (file, environment, flags) as the service it checks, so a
/// changed port needs no second place to change.
public struct HealthCheckOption: ParsableArguments {
    @Flag(
        name: .customLong("check-health"),
        help: "Ask the running service's /health (where the settings place it) and exit 0 when it answers 2xx, 1 otherwise."
    )
    public var requested = false

    public init() {}
}

extension SettingsCommand where Settings: ServiceSettings {
    /// Runs the check and ends the program with its answer.
    public func checkHealthAndExit() async throws -> Never {
        let settings = try await loadSettings()
        guard let probe = settings.readinessProbe else {
            printError("no readiness endpoint is configured (consumer.metricsPort is 0)")
            throw ExitCode(1)
        }
        switch HealthProbe.ask(probe, timeoutMilliseconds: 3000) {
        case .success(let answer) where (200..<300).contains(answer.status):
            print("healthy: \(answer.status) \(answer.body)")
            throw ExitCode.success
        case .success(let answer):
            printError("unhealthy: \(answer.status) \(answer.body)")
            throw ExitCode(1)
        case .failure(let problem):
            printError("unhealthy: \(problem.description)")
            throw ExitCode(1)
        }
    }
}

/// One blocking `GET` of a readiness endpoint over plain HTTP/1.1.
enum HealthProbe {
    struct Answer {
        var status: Int
        var body: String
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func ask(_ probe: ReadinessProbe, timeoutMilliseconds: Int) -> Result<Answer, Problem> {
        let authority = probe.host.contains(":") ? "[\(probe.host)]:\(probe.port)" : "\(probe.host):\(probe.port)"
        var request = "GET \(probe.path) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: biggoal-check-health\r\nConnection: close\r\n"
        if let token = probe.bearerToken { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        let received: [UInt8]
        do throws(IOError) {
            let socket = try Socket.connect(host: probe.host, port: probe.port)
            defer { socket.close() }
            try socket.setTimeouts(milliseconds: timeoutMilliseconds)
            try socket.sendAll(Array(request.utf8))
            received = try readUntilClosed(socket)
        } catch {
            return .failure(Problem(description: "http://\(authority)\(probe.path): \(error)"))
        }
        return parse(received).map { .success($0) }
            ?? .failure(Problem(description: "http://\(authority)\(probe.path) did not answer HTTP"))
    }

    /// Reads until the server closes (it was asked to), the timeout passes, or 64 KiB came.
    private static func readUntilClosed(_ socket: Socket) throws(IOError) -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < 65536 {
            let result = try chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(IOError) in try socket.read(into: buffer) }
            }.get()
            guard case .processed(let count) = result, count > 0 else { break }
            received += chunk[..<count]
        }
        return received
    }

    /// The status code and body of a response, or nil when it is not one.
    static func parse(_ bytes: [UInt8]) -> Answer? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), let space = text.firstIndex(of: " ") else { return nil }
        guard let status = Int(text[text.index(after: space)...].prefix(3)) else { return nil }
        let body = text.firstRange(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return Answer(status: status, body: body)
    }
}
