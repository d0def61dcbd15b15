import Foundation

/// One sample of a Prometheus exposition.
public struct PrometheusSample: Sendable {
    public let name: String
    public let labels: [String: String]
    public let value: Double
}

/// Parses a Prometheus text exposition with the reference parser (Python's
/// `prometheus_client`, which `scripts/test` installs), so the format is checked by a real
/// consumer of it, not by our own reading.
public func parsePrometheus(_ text: String) throws -> [PrometheusSample] {
    let samples = try runPrometheusParser(text, """
    for family in text_string_to_metric_families(sys.stdin.read()):
        for sample in family.samples:
            out.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
    """)
    return samples.map {
        PrometheusSample(name: $0["name"] as? String ?? "", labels: $0["labels"] as? [String: String] ?? [:],
                         value: ($0["value"] as? NSNumber)?.doubleValue ?? .nan)
    }
}

/// The families of an exposition that lack a `# HELP` or a `# TYPE` line, as the reference
/// parser reads them (no help: empty documentation; no type: `unknown`).
public func undescribedPrometheusFamilies(_ text: String) throws -> [String] {
    try runPrometheusParser(text, """
    for family in text_string_to_metric_families(sys.stdin.read()):
        if not family.documentation or family.type == "unknown":
            out.append({"name": family.name})
    """).map { $0["name"] as? String ?? "" }
}

/// Runs `body` (Python, filling the list `out`) on the exposition and returns `out`.
private func runPrometheusParser(_ text: String, _ body: String) throws -> [[String: Any]] {
    let script = """
    import json, sys
    from prometheus_client.parser import text_string_to_metric_families
    out = []
    \(body)
    print(json.dumps(out))
    """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    while process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
    if problem.contains("No module named 'prometheus_client'") {
        throw ServiceUnavailable("Python's prometheus_client is not installed (pip install prometheus-client; scripts/test installs it)")
    }
    guard process.terminationStatus == 0,
          let found = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
        throw ServiceUnavailable("the Prometheus parser rejected the exposition: \(problem)")
    }
    return found
}

extension Array where Element == PrometheusSample {
    /// The value of the sample named `name` with (at least) these labels.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}
