import AMQPMessaging
import ArgumentParser
import Foundation
import Messaging
import Producer
import Settings

/// `ceiling`: the broker's own ceiling for the consumer's work without Redis — consume,
/// publish a confirmed reply, acknowledge — measured by `scripts/bench` in the same run as
/// the consumer, so the consumer's rate can be read as a fraction of what the broker allows.
@main
struct Ceiling: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drains a queue the way the consumer does, minus Redis, and prints the rate."
    )

    @Option(help: "The broker.")
    var amqpURL: String = "amqp://guest:guest@127.0.0.1:5672/%2F"

    @Option(help: "The queue to drain (filled beforehand, e.g. by publish).")
    var queue: String

    @Option(help: "How many messages to take before stopping.")
    var count: Int

    @Option(help: "Unacknowledged deliveries in hand, as amqp.prefetch.")
    var prefetch: Int = 100

    func run() throws {
        let url = try AMQPURL(parsing: amqpURL)
        let endpoint = AMQPEndpoint(url: url, heartbeatSeconds: 30, connectionName: "biggoal-ceiling")
        let replies = queue + "-ceiling-replies"
        let topology = AMQPDeliverySource.Topology(queue: queue, prefetch: prefetch, declare: false,
                                                   replyExchange: "", replyRoutingKey: "", replyQueue: replies)
        let source = try AMQPDeliverySource(endpoint: endpoint, topology: topology)
        let channel = try AMQPPublishChannel(endpoint: endpoint)
        try channel.declareQueue(replies)
        let producer = Producer(channel: channel)
        defer {
            source.close()
            channel.close()
        }
        var taken = 0
        var started: Date?
        while taken < count {
            let (deliveries, _) = try source.nextDeliveries(limit: prefetch, waitMilliseconds: 1000)
            guard let last = deliveries.last else { continue }
            if started == nil { started = Date() }
            let batch = deliveries.map { delivery in
                (message: Message(body: Array("reply".utf8), messageID: delivery.message.messageID.map { "reply-\($0)" },
                                  type: "hello", persistent: true),
                 destination: Destination.queue(replies))
            }
            _ = try producer.publish(batch)
            try source.ack(last.tag, multiple: true)
            taken += deliveries.count
        }
        let seconds = max(Date().timeIntervalSince(started ?? Date()), 0.001)
        print("ceiling: \(taken) messages in \(String(format: "%.2f", seconds)) s (\(Int(Double(taken) / seconds)) msg/s)")
    }
}
