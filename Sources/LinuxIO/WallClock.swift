import Glibc

/// The wall clock (UTC, since 1970): for what leaves the process with a time on it — log
/// lines, heartbeats, first-failure times. Deadlines use `MonotonicClock` instead.
public enum WallClock {
    /// Now, as whole seconds and the nanoseconds past them.
    public static func now() -> (seconds: Int, nanoseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (spec.tv_sec, spec.tv_nsec)
    }

    /// Milliseconds since 1970.
    public static func milliseconds() -> Int {
        let (seconds, nanoseconds) = now()
        return seconds * 1000 + nanoseconds / 1_000_000
    }

    /// Whole seconds since 1970.
    public static func seconds() -> UInt64 {
        UInt64(max(0, now().seconds))
    }
}
