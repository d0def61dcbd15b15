import AMQPMessaging
import SettingKeys
import Settings

extension AMQPEndpoint {
    /// The endpoint of node `node` of `link`: its URL (with the password file's current
    /// password), heartbeat and TLS.
    public init(link: BrokerLink, node: Int = 0, connectionName: String) {
        let url = link.currentURL(node: node)
        self.init(host: url.host, port: url.port, user: url.user, password: url.password,
                  virtualHost: url.virtualHost, heartbeatSeconds: link.heartbeatSeconds, connectionName: connectionName,
                  tls: link.tls.map(Self.tls))
    }

    private static func tls(_ options: TLSOptions) -> TLS {
        TLS(caFile: options.caFile ?? TLSOptions.systemBundle, certFile: options.certFile, keyFile: options.keyFile,
            verifyPeer: options.verifyPeer, verifyHostname: options.verifyHostname)
    }
}

extension QueueType {
    /// The adapter's queue type for the setting's.
    public init(_ kind: AMQPSettings.QueueKind) {
        switch kind {
        case .classic: self = .classic
        case .quorum: self = .quorum
        }
    }
}
