import AMQP
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
