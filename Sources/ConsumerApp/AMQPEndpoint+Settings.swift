import AMQPMessaging
import SettingKeys
import Settings

extension AMQPEndpoint {
    /// The endpoint `link` describes: its URL (with the password file's current password),
    /// heartbeat and TLS.
    public init(link: BrokerLink, connectionName: String) {
        let url = link.currentURL
        self.init(host: url.host, port: url.port, user: url.user, password: url.password,
                  virtualHost: url.virtualHost, heartbeatSeconds: link.heartbeatSeconds, connectionName: connectionName,
                  tls: link.tls.map(Self.tls))
    }

    private static func tls(_ options: TLSOptions) -> TLS {
        TLS(caFile: options.caFile ?? TLSOptions.systemBundle, certFile: options.certFile, keyFile: options.keyFile,
            verifyPeer: options.verifyPeer, verifyHostname: options.verifyHostname)
    }
}
