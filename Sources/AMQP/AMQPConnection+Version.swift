internal import CRabbitMQ

extension AMQPConnection {
    /// The librabbitmq this program runs with, as the library reports it.
    public static var libraryVersion: String { "librabbitmq " + String(cString: amqp_version()) }
}
