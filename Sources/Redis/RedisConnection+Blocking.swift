import Glibc

extension RedisConnection {
    /// Connects and waits until the connection is up or `timeoutMilliseconds` pass. For
    /// callers that own a thread (the consumer's loop, tools, tests), not for event loops.
    public static func connect(host: String, port: Int, timeoutMilliseconds: Int) throws(RedisError) -> RedisConnection {
        let connection = try RedisConnection(host: host, port: port)
        guard try connection.wait(for: Int16(POLLOUT), until: deadline(after: timeoutMilliseconds)) else {
            throw RedisError(.timeout, "connect timed out after \(timeoutMilliseconds) ms")
        }
        try connection.finishConnecting()
        return connection
    }

    /// Sends `commands` as one pipelined write and waits for all their replies, in order.
    /// Throws when the replies do not all arrive within `timeoutMilliseconds`; the
    /// connection must then be dropped.
    public func roundTrip(_ commands: [RedisCommand], timeoutMilliseconds: Int) throws(RedisError) -> [RedisReply] {
        let deadline = Self.deadline(after: timeoutMilliseconds)
        for command in commands { append(command) }
        while try !write() {
            guard try wait(for: Int16(POLLOUT), until: deadline) else {
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
            guard try wait(for: Int16(POLLIN), until: deadline) else {
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

    private static func deadline(after milliseconds: Int) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Int(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        return timespec(tv_sec: now.tv_sec + milliseconds / 1000 + total / 1_000_000_000, tv_nsec: total % 1_000_000_000)
    }

    /// Waits until the socket is ready for `events`; false when the deadline passed.
    private func wait(for events: Int16, until deadline: timespec) throws(RedisError) -> Bool {
        while true {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let remaining = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1_000_000
            if remaining <= 0 { return false }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(remaining, Int(Int32.max))))
            if ready > 0 { return true }
            if ready < 0, errno != EINTR {
                throw RedisError(.io, "poll failed: \(String(cString: strerror(errno)))")
            }
        }
    }
}
