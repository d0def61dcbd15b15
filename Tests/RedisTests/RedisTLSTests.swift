import Redis
import ServiceTestSupport
import TLS
import Testing

/// The wrapper over TLS against the test Redis's TLS port, which asks for client
/// certificates: hiredis formats and parses, OpenSSL carries the bytes.
@Suite("Redis wrapper over TLS")
struct RedisTLSTests {
    func context(_ tls: TestTLS, caFile: String? = nil, clientCertificate: Bool = true, verifyHostname: Bool = true) throws -> TLSClientContext {
        try TLSClientContext(caFile: caFile ?? tls.caFile, certFile: clientCertificate ? tls.clientCertificate : nil,
                             keyFile: clientCertificate ? tls.clientKey : nil, verifyPeer: true, verifyHostname: verifyHostname)
    }

    @Test func commandsAndRepliesCrossTLS() throws {
        let tls = try TestServices.tls()
        let connection = try RedisConnection.connect(host: "localhost", port: tls.redissPort, tls: context(tls), timeoutMilliseconds: 2000)
        #expect(try connection.roundTrip(RedisCommand(["PING"]), timeoutMilliseconds: 2000) == .status("PONG"))
        // A reply larger than one TLS record (16 KiB) and than one read.
        let key = TestServices.uniqueName("tls-large")
        let value = [UInt8](repeating: 0x61, count: 100_000)
        let replies = try connection.roundTrip([RedisCommand([Array("SET".utf8), Array(key.utf8), value]), RedisCommand(["GET", key]),
                                                RedisCommand(["DEL", key])], timeoutMilliseconds: 2000)
        #expect(replies == [.status("OK"), .bulk(value), .integer(1)])
    }

    @Test func aCertificateFromAnotherAuthorityIsRefused() throws {
        let tls = try TestServices.tls()
        #expect {
            _ = try RedisConnection.connect(host: "localhost", port: tls.redissPort, tls: context(tls, caFile: tls.otherCAFile),
                                            timeoutMilliseconds: 2000)
        } throws: { error in
            (error as? RedisError)?.code == .tlsVerification && "\(error)".contains("self-signed certificate in certificate chain")
        }
    }

    @Test func aCertificateForAnotherHostIsRefusedUnlessTheCheckIsOff() throws {
        let tls = try TestServices.tls()
        #expect {
            _ = try RedisConnection.connect(host: "127.0.0.1", port: tls.redissPort, tls: context(tls), timeoutMilliseconds: 2000)
        } throws: { error in
            (error as? RedisError)?.code == .tlsVerification && "\(error)".contains("IP address mismatch")
        }
        let unchecked = try RedisConnection.connect(host: "127.0.0.1", port: tls.redissPort, tls: context(tls, verifyHostname: false),
                                                    timeoutMilliseconds: 2000)
        #expect(try unchecked.roundTrip(RedisCommand(["PING"]), timeoutMilliseconds: 2000) == .status("PONG"))
    }

    @Test func aServerThatAsksForAClientCertificateRefusesALinkWithout() throws {
        let tls = try TestServices.tls()
        #expect {
            let connection = try RedisConnection.connect(host: "localhost", port: tls.redissPort, tls: context(tls, clientCertificate: false),
                                                         timeoutMilliseconds: 2000)
            // TLS 1.3 completes the client's side of the handshake before the server's verdict.
            _ = try connection.roundTrip(RedisCommand(["PING"]), timeoutMilliseconds: 2000)
        } throws: { error in
            // The server's alert, or its closing the link before it is read.
            (error as? RedisError)?.code == .tls && "\(error)".contains("certificate")
        }
    }

    @Test func aPlainTextPortIsNotSpokenToInPlainText() throws {
        let tls = try TestServices.tls()
        let plainPort = TestServices.redisEndpoint.port
        #expect(throws: RedisError.self) {
            let connection = try RedisConnection.connect(host: "localhost", port: plainPort, tls: context(tls), timeoutMilliseconds: 500)
            _ = try connection.roundTrip(RedisCommand(["PING"]), timeoutMilliseconds: 2000)
        }
    }

    @Test func badCertificateFilesAreNamed() throws {
        let tls = try TestServices.tls()
        #expect {
            _ = try TLSClientContext(caFile: tls.clientKey, certFile: nil, keyFile: nil, verifyPeer: true, verifyHostname: true)
        } throws: { error in
            "\(error)".contains("cannot load the CA file")
        }
        #expect {
            _ = try TLSClientContext(caFile: tls.caFile, certFile: tls.clientCertificate, keyFile: tls.directory + "/server.key",
                                     verifyPeer: true, verifyHostname: true)
        } throws: { error in
            "\(error)".contains("does not match")
        }
    }
}
