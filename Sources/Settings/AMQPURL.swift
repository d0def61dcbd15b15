import Foundation

/// `amqp://user:password@host:port/vhost`, parsed once at start-up. The vhost is
/// percent-decoded (`%2F` is `/`, RabbitMQ's default).
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String

    public init(parsing text: String) throws(Problem) {
        guard let components = URLComponents(string: text) else {
            throw Problem("not a URL; expected amqp://user:password@host:port/vhost")
        }
        guard components.scheme == "amqp" else { throw Problem("scheme must be amqp://") }
        guard let host = components.host, !host.isEmpty else { throw Problem("missing host") }
        let port = components.port ?? 5672
        guard (1...65535).contains(port) else { throw Problem("port \(port) is outside 1...65535") }
        self.host = host
        self.port = port
        user = components.user ?? "guest"
        password = components.password ?? "guest"
        let path = components.percentEncodedPath
        if path.isEmpty || path == "/" {
            virtualHost = "/"
        } else {
            virtualHost = String(path.dropFirst()).removingPercentEncoding ?? String(path.dropFirst())
        }
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
        let vhost = virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? virtualHost
        return "amqp://\(user):***@\(host):\(port)/\(vhost)"
    }
}
