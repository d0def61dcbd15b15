import AMQP

/// Where the broker is and who we are to it: the wrapper's connection options.
public typealias AMQPEndpoint = AMQPConnection.Options

extension AMQPEndpoint {
    func connect(nameSuffix: String = "") throws(AMQPError) -> AMQPConnection {
        var options = self
        options.connectionName += nameSuffix
        return try AMQPConnection(options)
    }
}
