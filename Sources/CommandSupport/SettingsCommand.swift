import ArgumentParser
import LinuxIO
import SettingKeys
import Settings

/// The options every BigGoal program shares: `--config`, and a flag for each of its
/// settings (parsed by `Settings`, offered by shell completion).
public struct SettingsOptions<Program: ProgramSettings>: ParsableArguments {
    @Option(name: .customLong("config"), help: "A JSON configuration file (also BIGGOAL_CONFIG).", completion: .file(extensions: ["json"]))
    public var configPath: String?

    @Argument(parsing: .allUnrecognized, help: "Settings as flags (--some-key value); every one is listed below.",
              completion: .list(Program.declarations.map(\.flag)))
    public var settingFlags: [String] = []

    public init() {}
}

/// A BigGoal program: reads its settings from a file, the environment and flags; lists every
/// setting in `--help`; exits 2 on any usage or configuration error, 1 on a runtime failure,
/// 0 after a clean stop.
public protocol SettingsCommand: AsyncParsableCommand {
    associatedtype Settings: ProgramSettings
    var options: SettingsOptions<Settings> { get }
}

extension SettingsCommand {
    /// Every setting flag with its default, environment variable and meaning, for the
    /// command's `discussion`.
    public static func settingsHelp(_ preface: String = "") -> String {
        var lines = preface.isEmpty ? [] : [preface, ""]
        lines += ["Settings come from a JSON file (--config or BIGGOAL_CONFIG), then BIGGOAL_* environment variables, "
            + "then flags; later wins. Every setting:", ""]
        for setting in Settings.declarations {
            lines.append("  \(setting.flag) <\(setting.kind)>")
            lines.append("        \(setting.help)")
            lines.append("        default: \(setting.defaultText); environment: \(setting.environmentVariable)")
        }
        return lines.joined(separator: "\n")
    }

    /// The settings, or exit 2 with one line naming the bad key and where it came from.
    public func loadSettings() async throws -> Settings {
        do {
            return try await Settings.load(flags: options.settingFlags, configPath: options.configPath)
        } catch {
            Self.printError("\(error)")
            throw ExitCode(2)
        }
    }

    /// Writes `message` to standard error, prefixed with the program's name.
    public static func printError(_ message: String) {
        StandardError.write("\(configuration.commandName ?? "biggoal"): \(message)\n")
    }

    public func printError(_ message: String) {
        Self.printError(message)
    }

    /// Parses the command line and runs, with one exit-code rule for every program: 2 for
    /// a usage error (ArgumentParser's own would be 64), whatever `run` threw otherwise.
    public static func launch() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                StandardError.write(fullMessage(for: error) + "\n")
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}
