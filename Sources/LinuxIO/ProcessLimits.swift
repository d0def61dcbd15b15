internal import CLinux
import Glibc

/// Process-wide settings a network server makes once at start.
public enum ProcessLimits {
    /// Raises the soft limit on open descriptors to the hard limit, so the connection cap is
    /// the server's setting and not the shell's default of 1024. Returns the new soft limit.
    @discardableResult
    public static func raiseOpenFilesLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// Ignores SIGPIPE. hiredis and librabbitmq write with plain `write(2)`; without this, a
    /// peer that just died would kill the process instead of returning `EPIPE`.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Unblocks every signal for this thread and the threads it starts. A process inherits
    /// its parent's mask, and some parents (thread pools, test runners) block nearly every
    /// signal, which would make SIGTERM and SIGINT never arrive. Call first thing in `main`.
    public static func unblockAllSignals() {
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
    }

    /// The number of cores this process may run on.
    public static func activeProcessorCount() -> Int {
        let count = Int(CLinux_active_processor_count())
        if count > 0 { return count }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
