import LinuxIO

/// A file that holds secrets, as container platforms hand them over (a Kubernetes or Docker
/// secret mounted as a file): bearer tokens one per line, or a password on the first line.
///
/// It is read at start-up and again on SIGHUP, so a secret can be rotated without a
/// restart. Errors name the key that points at the file and never quote its contents.
public struct SecretFile: Sendable, Equatable {
    /// The key that named the file, e.g. `http.auth.tokenFile`.
    public let key: String
    public let path: String

    public init(key: String, path: String) {
        self.key = key
        self.path = path
    }

    /// The non-empty lines, without surrounding white space. Throws when the file cannot be
    /// read or holds no secret at all: an empty token file must not silently turn
    /// authentication off.
    public func lines() throws(SettingsError) -> [String] {
        let text: String
        do {
            text = try Files.text(of: path)
        } catch {
            throw SettingsError(key: key, source: "file \(path)", problem: "cannot be read (\(error.reason))")
        }
        let lines = text.split(whereSeparator: \.isNewline)
            .map { String($0.trimmingSpaces()) }
            .filter { !$0.isEmpty }
        guard !lines.isEmpty else {
            throw SettingsError(key: key, source: "file \(path)", problem: "holds no secret (the file is empty)")
        }
        return lines
    }

    /// The first line, as a password.
    public func firstLine() throws(SettingsError) -> String {
        try lines()[0]
    }

    /// A warning when users other than the owner and group may read the file, or nil.
    public var exposureWarning: String? {
        guard let mode = Files.permissions(of: path), mode & 0o004 != 0 else { return nil }
        return "\(key) names \(path), which every user of this machine may read (mode \(String(mode & 0o777, radix: 8))); chmod o-r it"
    }
}
