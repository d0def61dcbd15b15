import Foundation

extension SettingsSource {
    /// Loads a program's settings from its flags, the environment and its configuration file
    /// (`--config`, else `BIGGOAL_CONFIG`), building them with `make`. On a bad value it
    /// prints the one-line error, prefixed with the program's name, and returns nil; the
    /// program then exits with code 2.
    public static func load<Value>(
        program: String,
        knownKeys: Set<String>,
        flags: [String],
        configPath: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        _ make: (SettingsSource) throws(SettingsError) -> Value
    ) async -> Value? {
        do {
            let source = try await load(knownKeys: knownKeys, flags: flags, environment: environment,
                                        filePath: configPath ?? environment["BIGGOAL_CONFIG"])
            return try make(source)
        } catch {
            FileHandle.standardError.write(Data("\(program): \(error)\n".utf8))
            return nil
        }
    }
}
