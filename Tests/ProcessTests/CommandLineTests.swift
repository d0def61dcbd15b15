import Foundation
import ServiceTestSupport
import Testing

/// What every program's command line promises: its settings in `--help` and in shell
/// completions, its version and its libraries', and one exit-code rule.
@Suite("Command lines of api, consumer and publish")
struct CommandLineTests {
    static let programs = ["api", "consumer", "publish"]

    @Test(arguments: programs)
    func helpListsEverySettingWithItsDefaultAndVariable(program: String) throws {
        let (status, output) = try runBinary(program, arguments: ["--help"])
        #expect(status == 0)
        #expect(output.contains("--amqp-url") == (program != "api"))
        #expect(output.contains("--redis-url") == (program != "publish"))
        #expect(output.contains("BIGGOAL_AMQP_QUEUE") == (program != "api"))
        if program == "api" {
            for flag in ["--http-port", "--http-max-connections", "--redis-reconnect-jitter", "--log-format"] {
                #expect(output.contains(flag), "api --help lacks \(flag)")
            }
            #expect(output.contains("default: 3000; environment: BIGGOAL_HTTP_PORT"))
        }
    }

    @Test(arguments: programs)
    func completionsOfferTheSettingFlags(program: String) throws {
        let (status, output) = try runBinary(program, arguments: ["--generate-completion-script", "bash"])
        #expect(status == 0)
        #expect(output.contains(program == "api" ? "--http-port" : "--amqp-queue"))
    }

    @Test(arguments: programs)
    func versionNamesTheLibrariesItRunsWith(program: String) throws {
        let (status, output) = try runBinary(program, arguments: ["--version"])
        #expect(status == 0)
        #expect(output.hasPrefix("\(program) (BigGoal) "))
        #expect(output.contains("hiredis 0.14") == (program != "publish"))
        #expect(output.contains("librabbitmq 0.") == (program != "api"))
    }

    @Test(arguments: [
        ("publish", ["--rate", "0"]),
        ("publish", ["--count", "-1"]),
        ("publish", ["--no-such-option"]),
        ("api", ["--http-prot", "1"]),
        ("consumer", ["--amqp-prefetch", "0"]),
        ("consumer", ["stray"]),
    ])
    func usageAndConfigurationErrorsExitTwo(program: String, arguments: [String]) throws {
        let (status, output) = try runBinary(program, arguments: arguments)
        #expect(status == 2, "\(program) \(arguments) exited \(status): \(output)")
        #expect(!output.isEmpty)
    }

    @Test func aRuntimeFailureExitsOne() throws {
        // Nothing listens on port 1: publishing cannot start.
        let (status, output) = try runBinary("publish", arguments: ["--amqp-url", "amqp://guest:guest@127.0.0.1:1/%2F"])
        #expect(status == 1, "\(output)")
    }
}
