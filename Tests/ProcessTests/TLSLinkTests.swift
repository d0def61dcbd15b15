import Foundation
import ServiceTestSupport
import Testing

// Inside the serialized broker suite: a test there restarts the broker.
extension BrokerTests {
/// `consumer`, `publish` and `api` over TLS to RabbitMQ and Redis TLS listeners that ask for
/// client certificates, with the throw-away certificates `scripts/test` makes.
@Suite("TLS links: consumer, publish and api")
struct TLSLinkTests {
    @Test func theWholeHelloFlowOverTLS() throws {
        let tls = try TestServices.tls()
        let redis = try TestServices.redis()
        let consumer = try ConsumerProcess(redisURL: tls.redissURL(), amqpURL: tls.amqpsURL(),
                                           arguments: tls.amqpFlags() + tls.flags("redis"))
        let published = try runBinary("publish", arguments: ["--amqp-url", tls.amqpsURL(), "--queue", consumer.queue, "--count", "200"]
                                      + tls.amqpFlags())
        #expect(published.status == 0, "\(published.output)")
        #expect(try AMQPTestClient.waitUntil(seconds: 20) { try redis.count(consumer.sentKey) == 200 })
        #expect(try redis.count(consumer.receivedKey) == 200)
        #expect(try AMQPTestClient().depth(consumer.replyQueue) == 200)
        #expect(consumer.terminate() == 0)
        let log = consumer.standardError()
        #expect(log.contains("amqps://") && log.contains("rediss://"), "the start-up line says the links are TLS: \(log)")
    }

    @Test func theAPICountsOverTLS() throws {
        let tls = try TestServices.tls()
        let redis = try TestServices.redis()
        let api = try APIProcess(redisURL: tls.redissURL(), arguments: tls.flags("redis"))
        let client = try api.connect()
        for expected in 1...50 {
            #expect(try client.request("POST", "/receive").body == #"{"count":\#(expected)}"#)
        }
        #expect(try client.request("GET", "/health").status == 200)
        #expect(try redis.count(api.receivedKey) == 50, "the plain-text view of the same Redis agrees")
    }

    @Test(arguments: [
        ("another authority", "localhost", true, true, "self-signed certificate in certificate chain"),
        ("a host-name mismatch", "127.0.0.1", false, true, "IP address mismatch"),
        ("no client certificate", "localhost", false, false, "certificate"),
    ])
    func theAPIRefusesARedisItCannotTrustAndSaysWhy(case name: String, host: String, otherCA: Bool, clientCertificate: Bool,
                                                    problem: String) throws {
        let tls = try TestServices.tls()
        let api = try APIProcess(redisURL: tls.redissURL(host: host), arguments: ["--redis-timeout-ms", "500"]
                                 + tls.flags("redis", caFile: otherCA ? tls.otherCAFile : nil, clientCertificate: clientCertificate))
        let client = try api.connect()
        #expect(try client.request("POST", "/receive").status == 503, "\(name)")
        let health = try client.request("GET", "/health")
        #expect(health.status == 503, "\(name)")
        #expect(health.body.contains(problem), "\(name): \(health.body)")
        #expect(try client.request("GET", "/ping").status == 200)
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

    @Test func anExpiredCertificateEndsTheProgramWithExit2AndSaysSo() throws {
        let tls = try TestServices.tls()
        let server = try tls.expiredCertificateServer()
        let url = "amqps://guest:guest@localhost:\(server.port)/%2F"
        let consumer = try ConsumerProcess(amqpURL: url, arguments: tls.amqpFlags(), waitForSubscription: false)
        #expect(consumer.waitForExit(timeout: 15) == 2)
        #expect(consumer.standardError().contains("the broker's certificate does not verify: certificate has expired"))
        let published = try runBinary("publish", arguments: ["--amqp-url", url, "--count", "1"] + tls.amqpFlags())
        #expect(published.status == 2)
        #expect(published.output.contains("certificate has expired"), "\(published.output)")

        let api = try APIProcess(redisURL: "rediss://localhost:\(server.port)/0", arguments: ["--redis-timeout-ms", "500"] + tls.flags("redis"))
        let health = try api.connect().request("GET", "/health")
        #expect(health.status == 503)
        #expect(health.body.contains("certificate has expired"), "\(health.body)")
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
}
