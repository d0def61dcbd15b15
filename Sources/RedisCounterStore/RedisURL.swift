import FoundationEssentials

/// `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS), parsed once at
/// start-up.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    /// `rediss://`: the link is TLS, and nothing falls back to plain text.
    public var usesTLS: Bool
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    /// Parses `text`, throwing a description of what is wrong (never the password). A user
    /// without a password is an error unless `passwordFromFile`: `redis://SECRET@host` is a
    /// password put where the user goes, which Redis would refuse and a log would show.
    public init(parsing text: String, passwordFromFile: Bool = false) throws(Problem) {
        guard let components = URLComponents(string: text) else {
            throw Problem("not a URL; expected redis://[user:password@]host:port/db")
        }
        switch components.scheme {
        case "redis": usesTLS = false
        case "rediss": usesTLS = true
        default: throw Problem("scheme must be redis:// or rediss://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw Problem("missing host")
        }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else {
            throw Problem("port \(port) is outside 1...65535")
        }
        let path = components.path.drop { $0 == "/" }
        var database = 0
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else {
                throw Problem("database must be a number, as in redis://host:6379/0")
            }
            database = number
        }
        if let user = components.user, !user.isEmpty, components.password == nil, !passwordFromFile {
            throw Problem("names a user but no password; a password alone is written redis://:password@host, or given in redis.passwordFile")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        self.password = components.password
        self.database = database
    }

    /// What is wrong with a URL.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// The URL with the password replaced, safe for logs.
    public var description: String {
        var credentials = ""
        if username != nil || password != nil {
            credentials = (username ?? "") + (password != nil ? ":***" : "") + "@"
        }
        return "\(usesTLS ? "rediss" : "redis")://\(credentials)\(host):\(port)/\(database)"
    }
}
