internal import CRabbitMQ
import Glibc

/// One AMQP 0-9-1 connection through librabbitmq, with blocking calls that all have a
/// deadline.
///
/// Thread-confined: a librabbitmq connection and its channels belong to one thread.
/// Heartbeats are serviced only inside library calls, so the owner must call
/// `nextEvent(timeoutMilliseconds:)` (or publish) well within the heartbeat interval.
public final class AMQPConnection {
    /// Where and how to connect.
    public struct Options: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String
        public var virtualHost: String
        public var heartbeatSeconds: Int
        /// Shown in the management UI.
        public var connectionName: String
        /// The deadline of connecting and of every RPC (declare, consume, close).
        public var timeoutMilliseconds: Int
        /// Nil for plain TCP.
        public var tls: TLS?

        public init(host: String, port: Int, user: String, password: String, virtualHost: String,
                    heartbeatSeconds: Int, connectionName: String, timeoutMilliseconds: Int = 5000, tls: TLS? = nil) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.virtualHost = virtualHost
            self.heartbeatSeconds = heartbeatSeconds
            self.connectionName = connectionName
            self.timeoutMilliseconds = timeoutMilliseconds
            self.tls = tls
        }

        /// TLS through librabbitmq's OpenSSL socket.
        public struct TLS: Sendable, Equatable {
            /// PEM file of the authorities to trust.
            public var caFile: String
            /// PEM client certificate and key, when the broker asks for one.
            public var certFile: String?
            public var keyFile: String?
            public var verifyPeer: Bool
            public var verifyHostname: Bool

            public init(caFile: String, certFile: String? = nil, keyFile: String? = nil, verifyPeer: Bool = true, verifyHostname: Bool = true) {
                self.caFile = caFile
                self.certFile = certFile
                self.keyFile = keyFile
                self.verifyPeer = verifyPeer
                self.verifyHostname = verifyHostname
            }
        }
    }

    let state: amqp_connection_state_t
    let options: Options
    var isOpen = false
    /// Events read while a message's frames were expected, handed out first.
    var pendingEvents: [AMQPEvent] = []

    /// Connects, logs in and negotiates the heartbeat. Asks for consumer-cancel
    /// notifications, `connection.blocked`, publisher confirms and an explicit close on
    /// failed authentication, so every refusal arrives with the broker's reason.
    public init(_ options: Options) throws(AMQPError) {
        guard let state = amqp_new_connection() else {
            throw AMQPError(.library, message: "out of memory", operation: "amqp_new_connection")
        }
        self.state = state
        self.options = options
        let socket = try Self.socket(for: state, tls: options.tls)
        var timeout = timeval(milliseconds: options.timeoutMilliseconds)
        let address = "\(options.host):\(options.port)"
        let opened = amqp_socket_open_noblock(socket, options.host, Int32(options.port), &timeout)
        if opened == AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue, let tls = options.tls,
           let problem = Self.certificateProblem(host: options.host, port: options.port, tls: tls, timeoutMilliseconds: options.timeoutMilliseconds) {
            throw AMQPError(.tlsVerification, message: "the broker's certificate does not verify: \(problem)", operation: "connect \(address)")
        }
        try check(status: opened, "connect \(address)")
        _ = amqp_set_rpc_timeout(state, &timeout)
        _ = amqp_set_handshake_timeout(state, &timeout)

        let capabilities = AMQPTable([
            ("consumer_cancel_notify", .bool(true)),
            ("connection.blocked", .bool(true)),
            ("publisher_confirms", .bool(true)),
            ("basic.nack", .bool(true)),
            ("authentication_failure_close", .bool(true)),
        ])
        let clientProperties = AMQPTable([
            ("connection_name", .text(options.connectionName)),
            ("product", .text("BigGoal")),
            ("capabilities", .table(capabilities)),
        ])
        let reply = withArena { arena in
            var table = clientProperties.cTable(in: arena)
            return CRabbitMQ_login(state, options.virtualHost, Int32(options.heartbeatSeconds), &table, options.user, options.password)
        }
        try check(reply, "login to \(address) as \(options.user)")
        isOpen = true
    }

    deinit {
        amqp_destroy_connection(state)
    }

    /// Closes the channels and the connection politely; unacknowledged deliveries go back
    /// to their queues. Errors are ignored: the connection is going away either way.
    public func close(channels: [UInt16] = [1]) {
        guard isOpen else { return }
        isOpen = false
        for channel in channels {
            _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        }
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
    }

    // MARK: Checking results

    func checkLastReply(channel: UInt16, _ operation: String) throws(AMQPError) {
        try check(amqp_get_rpc_reply(state), operation, channel: channel)
    }

    /// Turns an RPC reply into an error carrying the broker's reason, answering a close (on
    /// the channel the operation used) so the broker can finish it.
    func check(_ reply: amqp_rpc_reply_t, _ operation: String, channel: UInt16 = 0) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_NONE:
            throw AMQPError(.library, message: "no reply from the broker", operation: operation)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw Self.error(status: reply.library_error, operation)
        default:
            switch reply.reply.id {
            case AMQP_CONNECTION_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                var closeOK = amqp_connection_close_ok_t()
                _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOK)
                isOpen = false
                throw AMQPError(.connectionClosed, replyCode: Int(close.reply_code), message: close.reply_text.string, operation: operation)
            case AMQP_CHANNEL_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                var closeOK = amqp_channel_close_ok_t()
                _ = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &closeOK)
                throw AMQPError(.channelClosed, replyCode: Int(close.reply_code), message: close.reply_text.string, operation: operation)
            default:
                throw AMQPError(.library, message: "unexpected reply method \(reply.reply.id)", operation: operation)
            }
        }
    }

    func check(status: Int32, _ operation: String) throws(AMQPError) {
        guard status < 0 else { return }
        throw Self.error(status: status, operation)
    }

    /// The error for a librabbitmq status, with what its TLS statuses mean here.
    private static func error(status: Int32, _ operation: String) -> AMQPError {
        switch status {
        case AMQP_STATUS_TIMEOUT.rawValue:
            AMQPError(.timeout, message: String(cString: amqp_error_string2(status)), operation: operation)
        case AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue:
            AMQPError(.tlsVerification, message: "the broker's certificate does not verify: it is signed by an authority "
                + "the CA file does not hold, or out of date", operation: operation)
        case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue:
            AMQPError(.tlsVerification, message: "the broker's certificate does not name the host connected to", operation: operation)
        case AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue:
            AMQPError(.tls, message: "TLS handshake failed (a plain-text port, or the broker refused our certificate)", operation: operation)
        case AMQP_STATUS_SSL_ERROR.rawValue:
            AMQPError(.tls, message: "TLS error (the broker may have closed the link for want of a client certificate)", operation: operation)
        default:
            AMQPError(.library, message: String(cString: amqp_error_string2(status)), operation: operation)
        }
    }
}

extension timeval {
    init(milliseconds: Int) {
        self.init(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
    }
}
