import SettingKeys

/// How to reach the broker, for `consumer` and `publish` alike: its URL, the password file
/// that may stand in for the URL's password, the heartbeat and TLS.
public struct BrokerLink: Sendable, Equatable {
    public static let url = Setting.string(
        "amqp.url", default: "amqp://guest:guest@127.0.0.1:5672/%2F",
        help: "amqp://user:password@host:port/vhost, or amqps:// for TLS (port 5671 by default)"
    )
    public static let passwordFile = Setting.string(
        "amqp.passwordFile", default: "",
        help: "A file whose first line is the broker password, instead of the URL's; read again at each reconnect."
    )
    public static let heartbeatSeconds = Setting.integer("amqp.heartbeatSeconds", default: 30, in: 0...3600,
                                                         help: "AMQP heartbeat; 0 turns it off.")
    public static let tls = TLSSettings(prefix: "amqp", scheme: "amqps://", what: "the broker")

    static let declarations = [url.declaration, passwordFile.declaration, heartbeatSeconds.declaration] + tls.declarations

    /// With the password file's password, when there is one.
    public var url: AMQPURL
    public var passwordFile: SecretFile?
    public var heartbeatSeconds: Int
    /// Nil for `amqp://`.
    public var tls: TLSOptions?

    init(_ source: SettingsSource) throws(SettingsError) {
        let path = try source.read(Self.passwordFile)
        passwordFile = path.isEmpty ? nil : SecretFile(key: Self.passwordFile.key, path: path)
        var url = try source.parsed(Self.url.key, default: Self.url.defaultValue) { text in
            try AMQPURL(parsing: text, passwordFromFile: !path.isEmpty)
        }
        if let passwordFile { url.password = try passwordFile.firstLine() }
        self.url = url
        heartbeatSeconds = try source.read(Self.heartbeatSeconds)
        tls = try Self.tls.read(source, enabled: url.usesTLS)
    }

    /// The URL for a new connection: with the password file read again (so a rotated
    /// password needs no restart), or as at start-up should the file have become unreadable.
    public var currentURL: AMQPURL {
        guard let passwordFile, let password = try? passwordFile.firstLine() else { return url }
        var current = url
        current.password = password
        return current
    }
}
