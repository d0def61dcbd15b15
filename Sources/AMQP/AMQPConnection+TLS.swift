internal import CRabbitMQ
import LinuxIO
import TLS

extension AMQPConnection {
    /// A plain TCP socket, or an OpenSSL one set up with `tls`. The library owns it (it is
    /// freed with the connection).
    static func socket(for state: amqp_connection_state_t, tls: Options.TLS?) throws(AMQPError) -> OpaquePointer {
        guard let tls else {
            guard let socket = amqp_tcp_socket_new(state) else {
                throw AMQPError(.library, message: "could not create a socket", operation: "connect")
            }
            return socket
        }
        guard let socket = amqp_ssl_socket_new(state) else {
            throw AMQPError(.tls, message: "could not set up OpenSSL", operation: "connect")
        }
        guard amqp_ssl_socket_set_cacert(socket, tls.caFile) == AMQP_STATUS_OK.rawValue else {
            throw AMQPError(.tlsSetup, message: "cannot load the CA file \(tls.caFile) (not PEM certificates?)", operation: "TLS set-up")
        }
        if let certFile = tls.certFile, let keyFile = tls.keyFile,
           amqp_ssl_socket_set_key(socket, certFile, keyFile) != AMQP_STATUS_OK.rawValue {
            throw AMQPError(.tlsSetup, message: "cannot load the client certificate \(certFile) with its key \(keyFile) (not PEM, or not a pair?)",
                            operation: "TLS set-up")
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        return socket
    }

    /// Why the broker's certificate does not verify, in OpenSSL's words ("certificate has
    /// expired", "self-signed certificate in certificate chain" …), or nil if it cannot be
    /// told. librabbitmq reports only that verification failed, so a handshake of our own,
    /// with the same trust and checks, asks OpenSSL the reason.
    static func certificateProblem(host: String, port: Int, tls: Options.TLS, timeoutMilliseconds: Int) -> String? {
        guard let context = try? TLSClientContext(caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile,
                                                  verifyPeer: tls.verifyPeer, verifyHostname: tls.verifyHostname),
              let socket = try? Socket.connect(host: host, port: port)
        else { return nil }
        defer { socket.close() }
        do {
            try socket.setTimeouts(milliseconds: timeoutMilliseconds)
            let session = try TLSSession(context: context, descriptor: socket.descriptor, host: host)
            // A blocking socket: the handshake runs to its end or its failure in one call.
            _ = try session.handshake()
            return nil
        } catch let error as TLSError {
            return error.verificationFailure
        } catch {
            return nil
        }
    }
}
