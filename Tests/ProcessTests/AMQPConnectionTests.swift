import AMQP
import AMQPMessaging
import Foundation
import ServiceTestSupport
import Testing

extension BrokerTests {
@Suite("AMQP wrapper against the real broker")
struct AMQPConnectionTests {
    @Test func aRefusedOperationClosesOnlyItsOwnChannel() throws {
        let components = try #require(URLComponents(string: TestServices.amqpURL))
        let connection = try AMQPConnection(AMQPConnection.Options(
            host: components.host ?? "127.0.0.1", port: components.port ?? 5672, user: "guest", password: "guest",
            virtualHost: "/", heartbeatSeconds: 0, connectionName: "biggoal-wrapper-test"
        ))
        defer { connection.close(channels: []) }
        try connection.openChannel(1)
        try connection.openChannel(3)
        let missing = TestServices.uniqueName("missing")
        do {
            _ = try connection.messageCount(missing, channel: 3)
            Issue.record("a passive declare of a missing queue succeeded")
        } catch {
            #expect(error.code == .channelClosed)
            #expect(error.replyCode == 404)
        }
        // The close was answered on channel 3: the channel opens again and the connection
        // and channel 1 are untouched.
        try connection.openChannel(3)
        let queue = TestServices.uniqueName("reopened")
        try connection.declareQueue(queue, durable: false, channel: 3)
        #expect(try connection.messageCount(queue, channel: 1) == 0)
        try connection.deleteQueue(queue, channel: 1)
    }
}
}

extension BrokerTests {
    /// The consumer asks its queues' depths for its heartbeat on a channel of their own: a
    /// queue that is missing closes only that channel, which opens again for the next question,
    /// and the subscription goes on.
    @Suite("Queue depths for the heartbeat")
    struct QueueDepthTests {
        @Test func aMissingQueueIsLeftOutAndTheNextQuestionIsAnswered() throws {
            let components = try #require(URLComponents(string: TestServices.amqpURL))
            let queue = TestServices.uniqueName("depth")
            let topology = AMQPDeliverySource.Topology(queue: queue, prefetch: 10, declare: true, replyExchange: queue + "-x",
                                                       replyRoutingKey: "r", replyQueue: queue + "-replies")
            let source = try AMQPDeliverySource(endpoint: AMQPEndpoint(
                host: components.host ?? "127.0.0.1", port: components.port ?? 5672, user: "guest", password: "guest",
                virtualHost: "/", heartbeatSeconds: 0, connectionName: "biggoal-depth-test"
            ), topology: topology)
            defer { source.close() }
            let broker = try AMQPTestClient()
            let missing = TestServices.uniqueName("missing")
            #expect(try source.readyMessages(in: [missing, queue + "-replies"]) == [queue + "-replies": 0])
            try broker.publish(to: queue + "-replies", properties: AMQPProperties(type: "reply"), body: [], count: 3)
            #expect(try AMQPTestClient.waitUntil(seconds: 5) { try source.readyMessages(in: [queue + "-replies"])[queue + "-replies"] == 3 })
            // The subscription's channel was never touched: deliveries still arrive.
            try broker.publishHellos(to: queue, count: 2, prefix: queue)
            var received = 0
            #expect(try AMQPTestClient.waitUntil(seconds: 5) {
                received += try source.nextDeliveries(limit: 10, waitMilliseconds: 50).deliveries.count
                return received == 2
            })
            try broker.deleteQueue(queue)
            try broker.deleteQueue(queue + "-replies")
        }
    }
}
