import AMQPMessaging
import Settings

extension AMQPEndpoint {
    /// The endpoint an `amqp://` URL names.
    public init(url: AMQPURL, heartbeatSeconds: Int, connectionName: String) {
        self.init(host: url.host, port: url.port, user: url.user, password: url.password,
                  virtualHost: url.virtualHost, heartbeatSeconds: heartbeatSeconds, connectionName: connectionName)
    }
}
