import Glibc
@testable import LinuxIO
import MetricKeys
import Metrics
import MetricsSetup
import Testing

@Suite struct MetricsExpositionTests {
    let exposition = MetricsExposition(program: "test", version: "1.2.3")

    private func lines() -> [Substring] {
        String(decoding: exposition.render(), as: UTF8.self).split(separator: "\n")
    }

    @Test func declaredMetricsCarryTheirHelp() {
        let key = MetricKey("test_things_total", help: "Things done.")
        let factory = exposition.factory(keys: [key])
        Metrics.Counter(label: key.name, dimensions: [("kind", "a")], factory: factory).increment(by: 3)
        let text = lines()
        #expect(text.contains("# HELP test_things_total Things done."))
        #expect(text.contains("# TYPE test_things_total counter"))
        #expect(text.contains(#"test_things_total{kind="a"} 3"#))
    }

    @Test func timersUseTheBucketsTheirKeyDeclares() {
        let key = MetricKey("test_wait_seconds", help: "Waits.", buckets: [0.001, 0.01])
        Metrics.Timer(label: key.name, factory: exposition.factory(keys: [key])).recordMicroseconds(500)
        let buckets = lines().filter { $0.hasPrefix("test_wait_seconds_bucket") }
        #expect(buckets == [
            #"test_wait_seconds_bucket{le="0.001"} 1"#, #"test_wait_seconds_bucket{le="0.01"} 1"#,
            #"test_wait_seconds_bucket{le="+Inf"} 1"#,
        ])
    }

    @Test func undeclaredTimersResolveSubMillisecondLatencies() {
        Metrics.Timer(label: "test_undeclared_seconds", factory: exposition.factory(keys: [])).recordMicroseconds(70)
        let text = lines()
        #expect(text.contains(#"test_undeclared_seconds_bucket{le="0.00005"} 0"#))
        #expect(text.contains(#"test_undeclared_seconds_bucket{le="0.0001"} 1"#))
    }

    @Test func buildInfoNamesProgramAndVersion() {
        #expect(lines().contains(#"biggoal_build_info{program="test",version="1.2.3"} 1.0"#))
    }

    @Test func processMetricsAreReadFromTheKernel() throws {
        let text = lines()
        func value(_ name: String) throws -> Double {
            let line = try #require(text.first { $0.hasPrefix(name + " ") }, "\(name) missing")
            return try #require(Double(line.split(separator: " ")[1]))
        }
        #expect(try value("process_resident_memory_bytes") > 1_000_000)
        #expect(try value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"))
        #expect(try value("process_open_fds") >= 3)
        #expect(try value("process_max_fds") >= value("process_open_fds"))
        let startedAgo = Double(time(nil)) - (try value("process_start_time_seconds"))
        #expect(startedAgo > -2 && startedAgo < 3600)
        #expect(try value("process_cpu_seconds_total") > 0)
        for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"] {
            #expect(text.contains { $0.hasPrefix("# HELP \(name) ") })
        }
    }

    @Test func processCPUTimeNeverGoesBackwards() throws {
        func cpu() throws -> Double {
            let line = try #require(lines().first { $0.hasPrefix("process_cpu_seconds_total ") })
            return try #require(Double(line.split(separator: " ")[1]))
        }
        let first = try cpu()
        var spin = 0.0
        for index in 0..<2_000_000 { spin += Double(index).squareRoot() }
        #expect(spin > 0)
        #expect(try cpu() >= first)
    }
}

@Suite struct ProcessStatisticsTests {
    @Test func fieldsStartAfterTheLastParenthesisOfTheCommandName() throws {
        let stat = "42 (a) (b c) S " + (4...30).map(String.init).joined(separator: " ")
        let fields = try #require(ProcessStatistics.statFields(stat))
        #expect(fields.first == "S")
        #expect(fields[14 - 3] == "14")
    }

    @Test func aTruncatedLineIsNotRead() {
        #expect(ProcessStatistics.statFields("42 (a) S 1 2") == nil)
        #expect(ProcessStatistics.statFields("no parenthesis") == nil)
    }
}
