internal import CLinux

/// The thread the caller runs on.
public enum CurrentThread {
    /// Names the calling thread for the kernel (ps, top, /proc/PID/task/TID/comm); names are cut
    /// to 15 bytes. Foundation's `Thread.name`, set from inside a thread that has just started,
    /// can reach only Foundation's own copy: the new thread may run before the thread that
    /// started it has recorded its handle, and then no name reaches the kernel.
    public static func setName(_ name: String) {
        _ = CLinux_name_current_thread(name)
    }
}
