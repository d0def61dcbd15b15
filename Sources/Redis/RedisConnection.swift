internal import CHiredis
import Glibc
import LinuxIO
import TLS

/// A non-blocking connection to Redis: commands are appended to an output buffer, written
/// when the socket takes them and replies are read as they arrive, so an event loop can
/// drive it without ever blocking.
///
/// hiredis connects, formats and parses. Over plain TCP it also does the socket I/O; over
/// TLS (which hiredis 0.14 does not have) the bytes go through a `TLSSession` on hiredis's
/// socket and are fed to hiredis's reply reader.
///
/// Thread-confined. A connection is dead after any error (hiredis 0.14 keeps no state worth
/// saving), so on error the owner drops it and makes a new one.
public final class RedisConnection {
    /// How far connecting has come.
    public enum ConnectProgress: Equatable {
        case connected
        /// Call `continueConnecting()` again once the socket is readable.
        case waitingForReadable
        /// … once it is writable.
        case waitingForWritable
    }

    private let context: UnsafeMutablePointer<redisContext>
    private let host: String
    private let tls: TLSClientContext?
    /// Set once the TCP connection is up, for a TLS connection.
    private var session: TLSSession?
    private var handshakeDone = false
    /// Whether any byte came back over TLS: a server that refuses a client for want of a
    /// certificate may close before its alert is read.
    private var receivedAny = false
    /// A TLS connection's formatted commands not yet written, from `outputStart`.
    private var output: [UInt8] = []
    private var outputStart = 0

    /// Starts connecting to `host`:`port` without waiting; drive it with
    /// `continueConnecting()` when the socket becomes writable. With `tls`, the link is TLS
    /// and nothing is sent before the handshake has completed.
    public init(host: String, port: Int, tls: TLSClientContext? = nil) throws(RedisError) {
        guard let context = redisConnectNonBlock(host, Int32(port)) else {
            throw RedisError(.other, "could not allocate a Redis context")
        }
        if context.pointee.err != 0 {
            let message = String(cString: CHiredis_errorString(context))
            redisFree(context)
            throw RedisError(message.contains("refused") ? .connectionRefused : .io, message)
        }
        self.context = context
        self.host = host
        self.tls = tls
    }

    deinit {
        session = nil
        redisFree(context)
    }

    /// The socket, for registration with a poller.
    public var descriptor: Int32 { context.pointee.fd }

    /// Whether formatted commands are waiting to be written.
    public var hasPendingOutput: Bool {
        tls == nil ? CHiredis_pendingOutput(context) > 0 : outputStart < output.count
    }

    /// Completes a non-blocking connect once the socket is writable: throws the connect
    /// error (refused, unreachable) if there was one and turns on TCP keep-alive, which
    /// hiredis 0.14 does not carry over between contexts. Over TLS it then advances the
    /// handshake, which may take a few calls, and throws when the certificate does not
    /// verify.
    public func continueConnecting() throws(RedisError) -> ConnectProgress {
        if session == nil, !handshakeDone {
            let error = Readiness.pendingError(of: descriptor)
            if error != 0 {
                throw RedisError(error == ECONNREFUSED ? .connectionRefused : .io, String(cString: strerror(error)))
            }
            _ = redisEnableKeepAlive(context)
            guard let tls else {
                handshakeDone = true
                return .connected
            }
            do {
                session = try TLSSession(context: tls, descriptor: descriptor, host: host)
            } catch {
                throw RedisError(.tls, error.message)
            }
        }
        guard let session, !handshakeDone else { return .connected }
        switch try tlsStep({ () throws(TLSError) in try session.handshake() }) {
        case .wantsReadable: return .waitingForReadable
        case .wantsWritable: return .waitingForWritable
        case .closed: throw RedisError(.endOfStream, "Redis closed the connection during the TLS handshake (a plain-text port?)")
        case .bytes:
            handshakeDone = true
            return .connected
        }
    }

    /// Appends a formatted command to the output buffer.
    public func append(_ command: RedisCommand) {
        if tls != nil {
            output.append(contentsOf: command.bytes)
            return
        }
        _ = command.bytes.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                redisAppendFormattedCommand(context, chars.baseAddress, chars.count)
            }
        }
    }

    /// Writes as much of the output buffer as the socket takes; returns whether all of it
    /// went out.
    public func write() throws(RedisError) -> Bool {
        guard tls != nil else {
            var done: Int32 = 0
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw currentError() }
            return done != 0
        }
        // Nothing leaves before the handshake is complete.
        guard let session, handshakeDone else { return !hasPendingOutput }
        while outputStart < output.count {
            // withUnsafeBytes rethrows untyped errors, so the outcome travels as a Result.
            let step = output.withUnsafeBytes { bytes in
                Result { () throws(TLSError) in try session.write(UnsafeRawBufferPointer(rebasing: bytes[outputStart...])) }
            }
            switch try tlsStep({ () throws(TLSError) in try step.get() }) {
            case .bytes(let count): outputStart += count
            case .wantsReadable, .wantsWritable: return false
            case .closed: throw closedOverTLS()
            }
        }
        output.removeAll(keepingCapacity: true)
        outputStart = 0
        return true
    }

    /// Reads what the socket has into hiredis's reader. The end of the stream is an error.
    public func read() throws(RedisError) {
        guard tls != nil else {
            guard redisBufferRead(context) == REDIS_OK else { throw currentError() }
            return
        }
        guard let session, handshakeDone else { return }
        try withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 1) { buffer throws(RedisError) in
            while true {
                switch try tlsStep({ () throws(TLSError) in try session.read(into: buffer) }) {
                case .bytes(let count):
                    receivedAny = true
                    guard redisReaderFeed(context.pointee.reader, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), count) == REDIS_OK else {
                        throw RedisError(.protocolError, "Redis sent something that is not RESP")
                    }
                case .wantsReadable, .wantsWritable: return
                case .closed: throw closedOverTLS()
                }
            }
        }
    }

    /// The next complete reply already read, or `nil`.
    public func nextReply() throws(RedisError) -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw currentError() }
        guard let raw else { return nil }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return RedisReply(copying: reply)
    }

    private func closedOverTLS() -> RedisError {
        receivedAny ? RedisError(.endOfStream, "connection closed by Redis")
            : RedisError(.tls, "Redis closed the TLS connection before answering (does it ask for a client certificate?)")
    }

    /// One TLS step, its failure as a Redis error.
    private func tlsStep(_ step: () throws(TLSError) -> TLSSession.Progress) throws(RedisError) -> TLSSession.Progress {
        do {
            return try step()
        } catch {
            throw RedisError(error.isVerification ? .tlsVerification : .tls, error.message)
        }
    }

    private func currentError() -> RedisError {
        let message = String(cString: CHiredis_errorString(context))
        switch context.pointee.err {
        case REDIS_ERR_EOF: return RedisError(.endOfStream, message.isEmpty ? "connection closed by Redis" : message)
        case REDIS_ERR_PROTOCOL: return RedisError(.protocolError, message)
        case REDIS_ERR_IO: return RedisError(.io, message)
        default: return RedisError(.other, message)
        }
    }
}

extension RedisReply {
    /// Copies a hiredis reply (and its elements) into Swift values.
    init(copying reply: UnsafeMutablePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(value.integer))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: UnsafeRawBufferPointer(start: value.str, count: Int(value.len)), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: UnsafeRawBufferPointer(start: value.str, count: Int(value.len)), as: UTF8.self))
        case REDIS_REPLY_STRING:
            self = .bulk(Array(UnsafeRawBufferPointer(start: value.str, count: Int(value.len))))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<Int(value.elements)).map { RedisReply(copying: value.element[$0]!) })
        default:
            self = .null
        }
    }
}
