import AMQPMessaging
import ArgumentParser
import Foundation
import Messaging
import Producer
import Settings

/// `ceiling`: the broker's own ceiling for the consumer's work without Redis — consume,
/// publish a confirmed reply, acknowledge — measured by `scripts/bench` in the same run as
/// the consumer, so the consumer's rate can be read as a fraction of what the broker allows.
/// It runs the consumer's loop (batches overlapping, each acknowledged once confirmed) with a
/// bare reply, or with the consumer's full reply, or unconfirmed to show what confirms cost.
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

    @Flag(help: "Publish the consumer's own reply (text body, content type, type header, app_id, timestamp, correlation_id) instead of a bare one.")
    var consumerReply = false

    @Flag(help: "Publish without publisher confirms and acknowledge at once: what confirms cost, not what the consumer may do.")
    var unconfirmed = false

    func run() throws {
        let url = try AMQPURL(parsing: amqpURL)
        let endpoint = AMQPEndpoint(url: url, heartbeatSeconds: 30, connectionName: "biggoal-ceiling")
        let replies = queue + "-ceiling-replies"
        // The consumer's reply travels as the consumer's does, through a direct exchange
        // bound to the reply queue; the bare reply goes straight to the queue.
        let exchange = consumerReply ? queue + "-ceiling-x" : ""
        let destination = consumerReply ? Destination(exchange: exchange, routingKey: "reply") : .queue(replies)
        let topology = AMQPDeliverySource.Topology(queue: queue, prefetch: prefetch, declare: consumerReply,
                                                   replyExchange: exchange, replyRoutingKey: "reply", replyQueue: replies)
        let source = try AMQPDeliverySource(endpoint: endpoint, topology: topology)
        let channel = try AMQPPublishChannel(endpoint: endpoint, confirms: !unconfirmed)
        try channel.declareQueue(replies)
        let producer = Producer(channel: channel)
        let policy = ReplyPolicy(serviceName: "biggoal-ceiling", body: AMQPSettings().replyBody, destination: destination)
        defer {
            source.close()
            channel.close()
        }
        // The consumer's loop minus Redis: batches overlap, each acknowledged (oldest first)
        // once all its replies are confirmed.
        var inFlight: [(last: UInt64, count: Int, sequences: [UInt64])] = []
        var inHand = 0
        var settled = 0
        var started: Date?
        while settled < count {
            try producer.collectConfirms(waitMilliseconds: 0)
            var progressed = false
            while let batch = inFlight.first, producer.takeOutcomes(of: batch.sequences) != nil {
                inFlight.removeFirst()
                try source.ack(batch.last, multiple: true)
                inHand -= batch.count
                settled += batch.count
                progressed = true
            }
            let (deliveries, _) = try source.nextDeliveries(limit: max(1, prefetch - inHand), waitMilliseconds: 0)
            if let last = deliveries.last {
                if started == nil { started = Date() }
                let now = UInt64(Date().timeIntervalSince1970)
                let replies = deliveries.map { delivery in
                    let message = consumerReply
                        ? policy.reply(to: delivery.message, now: now).message
                        : Message(body: Array("reply".utf8), messageID: ReplyPolicy.replyID(for: delivery.message), type: "hello", persistent: true)
                    return (message: message, destination: destination)
                }
                progressed = true
                if unconfirmed {
                    for (message, destination) in replies { try channel.publish(message, to: destination) }
                    try source.ack(last.tag, multiple: true)
                    settled += deliveries.count
                } else {
                    inFlight.append((last.tag, deliveries.count, try producer.send(replies)))
                    inHand += deliveries.count
                }
            }
            if !progressed { source.waitForInput(alsoFrom: channel, timeoutMilliseconds: 1000) }
        }
        let seconds = max(Date().timeIntervalSince(started ?? Date()), 0.001)
        print("ceiling: \(settled) messages in \(String(format: "%.2f", seconds)) s (\(Int(Double(settled) / seconds)) msg/s)")
    }
}
