import Glibc

/// One descriptor held in reserve for when the process runs out: closing it makes room to
/// accept a pending connection just to close it, so the client learns at once instead of
/// waiting in the backlog for a descriptor that may not come (the accept-EMFILE dance of
/// libev, nginx and swift-nio).
public final class SpareDescriptor {
    private var descriptor: Int32

    public init() {
        descriptor = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Frees the spare, runs `body` with that one descriptor available, and takes it back.
    /// Returns false (without running `body`) when there was no spare to free.
    public func whileReleased(_ body: () -> Void) -> Bool {
        guard descriptor >= 0 else { return false }
        Glibc.close(descriptor)
        body()
        descriptor = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
        return true
    }
}

extension ProcessLimits {
    /// The soft limit on open descriptors.
    public static func openFilesLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
