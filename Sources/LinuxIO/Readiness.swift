import Glibc

/// Blocking waits for descriptors to become ready, with a deadline: the one poll(2) loop for
/// callers that own their thread (the consumer's broker connections, the blocking Redis
/// connection, tests). Event loops use `Poller` instead.
public enum Readiness {
    /// Waits until at least one of `descriptors` is ready for `events` (or has failed), or
    /// `deadline` passes; nil waits for ever. A signal restarts the wait with the time left.
    /// Returns whether one became ready.
    public static func wait(for events: IOEvents, on descriptors: [Int32], until deadline: ContinuousClock.Instant?) throws(IOError) -> Bool {
        var entries = descriptors.map { pollfd(fd: $0, events: Int16(truncatingIfNeeded: events.rawValue), revents: 0) }
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let remaining = deadline - .now
                if remaining <= .zero { return false }
                // Rounded up, so a wait never ends just before its deadline and spins.
                let milliseconds = remaining.components.seconds * 1000 + (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeout = Int32(clamping: milliseconds)
            }
            // Timing out is not trusted on its own: the loop checks the deadline again.
            let ready = Glibc.poll(&entries, nfds_t(entries.count), timeout)
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { throw IOError("poll", errno: errno) }
        }
    }

    /// Waits up to `timeoutMilliseconds` (negative: for ever) for one of `descriptors`.
    public static func wait(for events: IOEvents, on descriptors: [Int32], timeoutMilliseconds: Int) throws(IOError) -> Bool {
        try wait(for: events, on: descriptors, until: timeoutMilliseconds < 0 ? nil : .now + .milliseconds(timeoutMilliseconds))
    }

    /// The pending error of a non-blocking connect on `descriptor` (`SO_ERROR`), or 0.
    public static func pendingError(of descriptor: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &value, &length) < 0 { return errno }
        return value
    }
}
