internal import CHiredis
import Glibc
import LinuxIO

/// A non-blocking hiredis context: commands are appended to its output buffer, written when
/// the socket takes them and replies are read as they arrive, so an event loop can drive
/// it without ever blocking.
///
/// Thread-confined. A context is dead after any error (hiredis 0.14 keeps no state worth
/// saving), so on error the owner drops it and makes a new one.
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// Starts connecting to `host`:`port` without waiting; the socket is ready once it
    /// becomes writable and `finishConnecting()` reports success.
    public init(host: String, port: Int) throws(RedisError) {
        guard let context = redisConnectNonBlock(host, Int32(port)) else {
            throw RedisError(.other, "could not allocate a Redis context")
        }
        if context.pointee.err != 0 {
            let message = String(cString: CHiredis_errorString(context))
            redisFree(context)
            throw RedisError(message.contains("refused") ? .connectionRefused : .io, message)
        }
        self.context = context
    }

    deinit {
        redisFree(context)
    }

    /// The socket, for registration with a poller.
    public var descriptor: Int32 { context.pointee.fd }

    /// Whether formatted commands are waiting to be written.
    public var hasPendingOutput: Bool { CHiredis_pendingOutput(context) > 0 }

    /// Completes a non-blocking connect once the socket is writable: throws the connect error
    /// (refused, unreachable) if there was one, and turns on TCP keep-alive, which hiredis
    /// 0.14 does not carry over between contexts.
    public func finishConnecting() throws(RedisError) {
        let error = Readiness.pendingError(of: descriptor)
        if error != 0 {
            throw RedisError(error == ECONNREFUSED ? .connectionRefused : .io, String(cString: strerror(error)))
        }
        _ = redisEnableKeepAlive(context)
    }

    /// Appends a formatted command to the output buffer.
    public func append(_ command: RedisCommand) {
        _ = command.bytes.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                redisAppendFormattedCommand(context, chars.baseAddress, chars.count)
            }
        }
    }

    /// Writes as much of the output buffer as the socket takes; returns whether all of it
    /// went out.
    public func write() throws(RedisError) -> Bool {
        var done: Int32 = 0
        guard redisBufferWrite(context, &done) == REDIS_OK else { throw currentError() }
        return done != 0
    }

    /// Reads what the socket has into hiredis's reader. The end of the stream is an error.
    public func read() throws(RedisError) {
        guard redisBufferRead(context) == REDIS_OK else { throw currentError() }
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
