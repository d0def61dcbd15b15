import AMQP

/// Where the broker is and who we are to it.
public struct AMQPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    public var heartbeatSeconds: Int
    public var connectionName: String

    public init(host: String, port: Int, user: String, password: String, virtualHost: String,
                heartbeatSeconds: Int, connectionName: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeatSeconds = heartbeatSeconds
        self.connectionName = connectionName
    }

    func connect(nameSuffix: String = "") throws(AMQPError) -> AMQPConnection {
        try AMQPConnection(AMQPConnection.Options(
            host: host, port: port, user: user, password: password, virtualHost: virtualHost,
            heartbeatSeconds: heartbeatSeconds, connectionName: connectionName + nameSuffix
        ))
    }
}
