import FoundationEssentials

/// `amqp://user:password@host:port/vhost` (or `amqps://` for TLS), parsed once at start-up.
/// The vhost is percent-decoded (`%2F` is `/`, RabbitMQ's default).
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible {
    /// `amqps://`: the link is TLS, and nothing falls back to plain text.
    public var usesTLS: Bool
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String

    /// Parses `text`. A user without a password is an error (it would otherwise log in
    /// as that user with no password, or not at all) unless `passwordFromFile` says the
    /// password comes from a file; no user at all means RabbitMQ's `guest`.
    public init(parsing text: String, passwordFromFile: Bool = false) throws(Problem) {
        guard let components = URLComponents(string: text) else {
            throw Problem("not a URL; expected amqp://user:password@host:port/vhost")
        }
        switch components.scheme {
        case "amqp": usesTLS = false
        case "amqps": usesTLS = true
        default: throw Problem("scheme must be amqp:// or amqps://")
        }
        guard let host = components.host, !host.isEmpty else { throw Problem("missing host") }
        let port = components.port ?? (usesTLS ? 5671 : 5672)
        guard (1...65535).contains(port) else { throw Problem("port \(port) is outside 1...65535") }
        if components.user != nil, components.password == nil, !passwordFromFile {
            throw Problem("names a user but no password; give user:password@, or the password in amqp.passwordFile")
        }
        self.host = host
        self.port = port
        user = components.user ?? "guest"
        password = components.password ?? "guest"
        // The path with its escapes undone: `/%2F` is the virtual host `/`.
        let path = components.path
        virtualHost = path.isEmpty || path == "/" ? "/" : String(path.dropFirst())
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
        let vhost = virtualHost.utf8.map { byte in
            let character = Character(Unicode.Scalar(byte))
            guard byte < 0x80, character.isLetter || character.isNumber else {
                return "%" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
            return String(character)
        }.joined()
        return "\(usesTLS ? "amqps" : "amqp")://\(user):***@\(host):\(port)/\(vhost)"
    }
}
