import AMQP
import Foundation

/// A blocking RabbitMQ client for preparing and checking broker state in tests: it can
/// publish any properties and bodies (bad ones included), count and read queues.
public final class AMQPTestClient {
    private let connection: AMQPConnection
    private var published: UInt64 = 0
    private var confirmed: UInt64 = 0

    public init() throws {
        let components = URLComponents(string: TestServices.amqpURL)
        do {
            connection = try AMQPConnection(AMQPConnection.Options(
                host: components?.host ?? "127.0.0.1", port: components?.port ?? 5672,
                user: components?.user ?? "guest", password: components?.password ?? "guest", virtualHost: "/",
                heartbeatSeconds: 0, connectionName: "biggoal-tests"
            ))
        } catch {
            throw ServiceUnavailable("RabbitMQ is not reachable at \(TestServices.amqpURL) (\(error)). Run scripts/test, or start the compose stack with `docker compose up -d`.")
        }
        try connection.openChannel(1)
        try connection.enableConfirms(channel: 1)
    }

    deinit {
        connection.close()
    }

    public func declareQueue(_ name: String, durable: Bool = true) throws {
        try connection.declareQueue(name, durable: durable, channel: 1)
    }

    public func deleteQueue(_ name: String) throws {
        try connection.deleteQueue(name, channel: 1)
    }

    /// Publishes through the default exchange into `queue` and waits for the confirms.
    public func publish(to queue: String, properties: AMQPProperties, body: [UInt8], count: Int = 1) throws {
        for _ in 0..<count {
            try connection.publish(exchange: "", routingKey: queue, mandatory: false, properties: properties, body: body, channel: 1)
            published += 1
        }
        let deadline = Date().addingTimeInterval(30)
        while confirmed < published, Date() < deadline {
            if case .ack(_, let tag, _)? = try connection.nextEvent(timeoutMilliseconds: 500) { confirmed = max(confirmed, tag) }
        }
        guard confirmed >= published else { throw ServiceUnavailable("the broker did not confirm the test messages") }
    }

    /// Publishes `count` hellos with unique message ids.
    public func publishHellos(to queue: String, count: Int, replyTo: String? = nil, prefix: String = UUID().uuidString) throws {
        for index in 0..<count {
            let properties = AMQPProperties(headers: AMQPTable([("type", .text("hello"))]), deliveryMode: 2,
                                            replyTo: replyTo, messageID: "\(prefix)-\(index)", type: "hello")
            try connection.publish(exchange: "", routingKey: queue, mandatory: false, properties: properties,
                                   body: Array("hi".utf8), channel: 1)
            published += 1
        }
        try publish(to: queue, properties: AMQPProperties(), body: [], count: 0)
    }

    /// Ready messages in `queue`.
    public func depth(_ queue: String) throws -> Int {
        try connection.messageCount(queue, channel: 1)
    }

    /// Consumers subscribed to `queue`.
    public func consumers(_ queue: String) throws -> Int {
        try connection.consumerCount(queue, channel: 1)
    }

    /// Takes up to `count` messages from `queue` (waiting up to `seconds`), acknowledging them.
    public func take(_ count: Int, from queue: String, seconds: Double = 10) throws -> [AMQPDelivery] {
        let channel: UInt16 = 2
        try connection.openChannel(channel)
        try connection.setPrefetch(1000, channel: channel)
        let tag = try connection.consume(queue, channel: channel)
        var deliveries: [AMQPDelivery] = []
        let deadline = Date().addingTimeInterval(seconds)
        while deliveries.count < count, Date() < deadline {
            if case .delivery(let delivery)? = try connection.nextEvent(timeoutMilliseconds: 200) {
                deliveries.append(delivery)
                try connection.ack(delivery.deliveryTag, multiple: false, channel: channel)
            }
        }
        try connection.cancel(consumerTag: tag, channel: channel)
        return deliveries
    }

    /// Waits until `condition` holds, checking every 50 ms, for up to `seconds`.
    public static func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }
}

/// Runs `rabbitmqctl` against the test broker that `scripts/test` started.
public func rabbitmqctl(_ arguments: String...) throws -> String {
    let environment = ProcessInfo.processInfo.environment
    guard let directory = environment["BIGGOAL_TEST_RABBITMQ_DIR"], let port = environment["BIGGOAL_TEST_AMQP_PORT"] else {
        throw ServiceUnavailable("BIGGOAL_TEST_RABBITMQ_DIR is not set: broker restarts need the broker scripts/test starts")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    let script = TestServices.packageRoot.appendingPathComponent("scripts/lib/services.sh").path
    process.arguments = ["-c", "source '\(script)' && rabbitmqctl_for '\(directory)' '\(port)' \(arguments.joined(separator: " "))"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    while process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
    return String(decoding: output, as: UTF8.self)
}
