import Resilience
import SettingKeys

/// How to reach the broker, for `consumer` and `publish` alike: its URL (or the URLs of a
/// cluster's nodes), the password file that may stand in for the URLs' password, the
/// heartbeat and TLS.
public struct BrokerLink: Sendable, Equatable {
    public static let url = Setting.string(
        "amqp.url", default: "amqp://guest:guest@127.0.0.1:5672/%2F",
        help: "amqp://user:password@host:port/vhost, or amqps:// for TLS (port 5671 by default)"
    )
    public static let urls = Setting.list(
        "amqp.urls",
        help: "The URLs of a cluster's nodes, comma-separated; when set, they replace amqp.url and a lost node is followed by the next."
    )
    public static let urlOrder = Setting.choice(
        "amqp.urlOrder", default: EndpointRotation.Order.shuffle.rawValue, among: EndpointRotation.Order.allCases.map(\.rawValue),
        help: "Which node of amqp.urls to try first: a random one per process, spreading clients, or the first listed"
    )
    public static let passwordFile = Setting.string(
        "amqp.passwordFile", default: "",
        help: "A file whose first line is the broker password, instead of the URL's; read again at each reconnect."
    )
    public static let heartbeatSeconds = Setting.integer("amqp.heartbeatSeconds", default: 30, in: 0...3600,
                                                         help: "AMQP heartbeat; 0 turns it off.")
    public static let tls = TLSSettings(prefix: "amqp", scheme: "amqps://", what: "the broker")

    static let declarations = [url.declaration, urls.declaration, urlOrder.declaration, passwordFile.declaration,
                               heartbeatSeconds.declaration] + tls.declarations

    /// One per node (one without a cluster), with the password file's password when there
    /// is one.
    public var urls: [AMQPURL]
    public var urlOrder: EndpointRotation.Order
    public var passwordFile: SecretFile?
    public var heartbeatSeconds: Int
    /// Nil for `amqp://`.
    public var tls: TLSOptions?

    init(_ source: SettingsSource) throws(SettingsError) {
        let path = try source.read(Self.passwordFile)
        passwordFile = path.isEmpty ? nil : SecretFile(key: Self.passwordFile.key, path: path)
        let parse = { (text: String) throws -> AMQPURL in try AMQPURL(parsing: text, passwordFromFile: !path.isEmpty) }
        let listed = try source.read(Self.urls)
        var urls: [AMQPURL]
        if listed.isEmpty {
            urls = [try source.parsed(Self.url.key, default: Self.url.defaultValue, parse)]
        } else {
            urls = []
            for (position, text) in listed.enumerated() {
                do {
                    urls.append(try parse(text))
                } catch {
                    throw SettingsError(key: Self.urls.key, source: "configuration", problem: "element \(position + 1): \(error)")
                }
            }
            if Set(urls.map(\.usesTLS)).count > 1 {
                throw SettingsError(key: Self.urls.key, source: "configuration", problem: "mixes amqp:// and amqps://; TLS is for every node or none")
            }
        }
        if let passwordFile {
            let password = try passwordFile.firstLine()
            for index in urls.indices { urls[index].password = password }
        }
        self.urls = urls
        urlOrder = EndpointRotation.Order(rawValue: try source.read(Self.urlOrder))!
        heartbeatSeconds = try source.read(Self.heartbeatSeconds)
        tls = try Self.tls.read(source, enabled: urls[0].usesTLS)
    }

    /// The first node's URL: the only one without a cluster.
    public var url: AMQPURL { urls[0] }

    /// The URL of node `node` for a new connection: with the password file read again (so a
    /// rotated password needs no restart), or as at start-up should the file have become
    /// unreadable.
    public func currentURL(node: Int = 0) -> AMQPURL {
        var current = urls[node]
        if let passwordFile, let password = try? passwordFile.firstLine() { current.password = password }
        return current
    }
}
