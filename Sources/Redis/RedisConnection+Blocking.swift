import LinuxIO
import TLS

extension RedisConnection {
    /// Connects and waits until the connection is up or `timeoutMilliseconds` pass. For
    /// callers that own a thread (the consumer's loop, tools, tests), not for event loops.
    public static func connect(host: String, port: Int, tls: TLSClientContext? = nil,
                               timeoutMilliseconds: Int) throws(RedisError) -> RedisConnection {
        let connection = try RedisConnection(host: host, port: port, tls: tls)
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        var next = IOEvents.writable
        while true {
            guard try connection.wait(for: next, until: deadline) else {
                throw RedisError(.timeout, "connect timed out after \(timeoutMilliseconds) ms")
            }
            switch try connection.continueConnecting() {
            case .connected: return connection
            case .waitingForReadable: next = .readable
            case .waitingForWritable: next = .writable
            }
        }
    }

    /// Sends `commands` as one pipelined write and waits for all their replies, in order.
    /// Throws when the replies do not all arrive within `timeoutMilliseconds`; the
    /// connection must then be dropped.
    public func roundTrip(_ commands: [RedisCommand], timeoutMilliseconds: Int) throws(RedisError) -> [RedisReply] {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        for command in commands { append(command) }
        while try !write() {
            guard try wait(for: .writable, until: deadline) else {
                throw RedisError.timedOut(afterMilliseconds: timeoutMilliseconds)
            }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        while replies.count < commands.count {
            if let reply = try nextReply() {
                replies.append(reply)
                continue
            }
            guard try wait(for: .readable, until: deadline) else {
                throw RedisError.timedOut(afterMilliseconds: timeoutMilliseconds)
            }
            try read()
        }
        return replies
    }

    /// Sends one command and waits for its reply.
    public func roundTrip(_ command: RedisCommand, timeoutMilliseconds: Int) throws(RedisError) -> RedisReply {
        try roundTrip([command], timeoutMilliseconds: timeoutMilliseconds)[0]
    }

    /// Waits until the socket is ready for `events`; false when the deadline passed.
    private func wait(for events: IOEvents, until deadline: ContinuousClock.Instant) throws(RedisError) -> Bool {
        do {
            return try Readiness.wait(for: events, on: [descriptor], until: deadline)
        } catch {
            throw RedisError(.io, "\(error)")
        }
    }
}
