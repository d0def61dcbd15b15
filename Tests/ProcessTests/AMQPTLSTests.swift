import Foundation
import ServiceTestSupport
import Testing

/// `consumer` and `publish` over TLS to a RabbitMQ TLS listener that asks for client
/// certificates, with the throw-away certificates `scripts/test` makes.
@Suite("consumer and publish over TLS")
struct AMQPTLSTests {
    @Test func theWholeHelloFlowOverTLS() throws {
        let tls = try TestServices.tls()
        let redis = try TestServices.redis()
        let consumer = try ConsumerProcess(amqpURL: tls.amqpsURL(), arguments: tls.amqpFlags())
        let published = try runBinary("publish", arguments: ["--amqp-url", tls.amqpsURL(), "--queue", consumer.queue, "--count", "200"]
                                      + tls.amqpFlags())
        #expect(published.status == 0, "\(published.output)")
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 200 })
        #expect(try redis.count(consumer.receivedKey) == 200)
        #expect(try AMQPTestClient().depth(consumer.replyQueue) == 200)
        #expect(consumer.terminate() == 0)
        #expect(consumer.standardError().contains("amqps://"), "the start-up line says the link is TLS")
    }

    @Test(arguments: [
        ("another authority", "localhost", true, "does not verify"),
        ("a host-name mismatch", "127.0.0.1", false, "does not name the host"),
    ])
    func aCertificateThatDoesNotVerifyEndsTheProgramWithExit2(case name: String, host: String, otherCA: Bool, problem: String) throws {
        let tls = try TestServices.tls()
        _ = try TestServices.redis()
        let flags = tls.amqpFlags(caFile: otherCA ? tls.otherCAFile : nil)
        let consumer = try ConsumerProcess(amqpURL: tls.amqpsURL(host: host), arguments: flags, waitForSubscription: false)
        #expect(consumer.waitForExit(timeout: 15) == 2, "\(name)")
        let log = consumer.standardError()
        #expect(log.contains(problem), "\(name): \(log)")

        let published = try runBinary("publish", arguments: ["--amqp-url", tls.amqpsURL(host: host), "--count", "1"] + flags)
        #expect(published.status == 2, "\(name): \(published.output)")
        #expect(published.output.contains(problem), "\(name): \(published.output)")
    }

    @Test func theHostNameCheckCanBeTurnedOffAlone() throws {
        let tls = try TestServices.tls()
        let published = try runBinary("publish", arguments: [
            "--amqp-url", tls.amqpsURL(host: "127.0.0.1"), "--amqp-tls-verify-hostname", "false", "--count", "3",
            "--queue", TestServices.uniqueName("tls-hostname"),
        ] + tls.amqpFlags())
        #expect(published.status == 0, "\(published.output)")
    }

    @Test func aBrokerThatAsksForAClientCertificateRefusesALinkWithout() throws {
        let tls = try TestServices.tls()
        let published = try runBinary("publish", arguments: ["--amqp-url", tls.amqpsURL(), "--count", "1"]
                                      + tls.amqpFlags(clientCertificate: false))
        #expect(published.status != 0)
        #expect(published.output.contains("TLS"), "\(published.output)")
        // And nothing falls back to plain text: the TLS port speaks no plain AMQP either.
        let plain = try runBinary("publish", arguments: ["--amqp-url", "amqp://guest:guest@localhost:\(tls.amqpsPort)/%2F", "--count", "1"])
        #expect(plain.status != 0)
    }
}
