/// A configuration value that cannot be used. Its description is the one line the
/// executables print before exiting with code 2: the key, where the value came from and
/// what is wrong with it.
public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key, e.g. `http.port`, or the option that named a bad file.
    public let key: String
    /// Where the value came from, e.g. `environment variable BIGGOAL_HTTP_PORT`.
    public let source: String
    /// What is wrong with it.
    public let problem: String

    public init(key: String, source: String, problem: String) {
        self.key = key
        self.source = source
        self.problem = problem
    }

    public var description: String {
        "configuration error: \(key) (from \(source)): \(problem)"
    }
}
