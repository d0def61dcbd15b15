import Foundation
import SettingKeys
import Settings

/// Writes `text` to a temporary JSON file for the duration of `body`.
func withConfigFile<Result>(_ text: String?, _ body: (String?) async throws -> Result) async rethrows -> Result {
    guard let text else { return try await body(nil) }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("biggoal-\(UUID().uuidString).json").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Loads a program's settings from the given layers.
func load<Program: ProgramSettings>(
    _ program: Program.Type, flags: [String] = [], environment: [String: String] = [:], file: String? = nil
) async throws -> Program {
    try await withConfigFile(file) { path in
        try await Program.load(flags: flags, configPath: path, environment: environment)
    }
}

/// Loads `APISettings` from the given layers.
func loadAPISettings(flags: [String] = [], environment: [String: String] = [:], file: String? = nil) async throws -> APISettings {
    try await load(APISettings.self, flags: flags, environment: environment, file: file)
}

/// The error loading `api`'s settings fails with, or nil.
func loadError(flags: [String] = [], environment: [String: String] = [:], file: String? = nil) async -> SettingsError? {
    do {
        _ = try await loadAPISettings(flags: flags, environment: environment, file: file)
        return nil
    } catch {
        return error as? SettingsError
    }
}

/// The package root, for the example file and docs/configuration.md.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
