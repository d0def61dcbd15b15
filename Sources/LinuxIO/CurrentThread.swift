internal import CLinux
import Glibc

/// The thread the caller runs on.
public enum CurrentThread {
    /// Names the calling thread for the kernel (ps, top, /proc/PID/task/TID/comm); names are cut
    /// to 15 bytes. A thread names itself from inside: a name set from outside can race a
    /// thread that has just started.
    public static func setName(_ name: String) {
        _ = CLinux_name_current_thread(name)
    }

    /// Blocks the calling thread for `duration` (whole sleeps resume after a signal).
    public static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(max(0, seconds)), tv_nsec: Int(max(0, attoseconds) / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
    }
}
