internal import CLinux
import Glibc

/// What a registered descriptor wants to hear about, and what happened to it.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Data (or a connection, or end of stream) can be read.
    public static let readable = IOEvents(rawValue: CLinux_EPOLLIN)
    /// The send buffer has room.
    public static let writable = IOEvents(rawValue: CLinux_EPOLLOUT)
    /// The descriptor failed or the peer hung up; always reported, never asked for.
    public static let failed = IOEvents(rawValue: CLinux_EPOLLERR | CLinux_EPOLLHUP)
    /// Report a descriptor when it becomes ready, not on every wait for as long as it stays
    /// ready; the handler must then read until a short read or `wouldBlock`. Spares the
    /// kernel a readiness check of every recently reported descriptor on each wait.
    public static let edgeTriggered = IOEvents(rawValue: CLinux_EPOLLET)
}

/// The readiness poller of one event loop: epoll on Linux. Another platform would add its own
/// type with these four operations.
///
/// Thread-confined: it belongs to the loop that created it.
public final class Poller {
    /// One readiness report: the token given at registration and what became ready.
    public struct Event {
        public let token: UInt64
        public let events: IOEvents
    }

    private let epollFD: Int32
    private var buffer: UnsafeMutablePointer<epoll_event>
    private let capacity: Int

    /// Creates an epoll instance that reports at most `capacity` events per wait.
    public init(capacity: Int = 1024) throws(IOError) {
        epollFD = try syscall("epoll_create1") { CLinux_epoll_create() }
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        close(epollFD)
    }

    /// Starts watching `fd` for `interest`, reporting it with `token`.
    public func register(fd: Int32, interest: IOEvents, token: UInt64) throws(IOError) {
        try syscall("epoll_ctl(ADD)") {
            CLinux_epoll_ctl(epollFD, CLinux_EPOLL_CTL_ADD, fd, interest.rawValue, token)
        }
    }

    /// Changes what `fd` is watched for.
    public func modify(fd: Int32, interest: IOEvents, token: UInt64) throws(IOError) {
        try syscall("epoll_ctl(MOD)") {
            CLinux_epoll_ctl(epollFD, CLinux_EPOLL_CTL_MOD, fd, interest.rawValue, token)
        }
    }

    /// Stops watching `fd`. Closing a descriptor also removes it, so failure here is ignored
    /// by callers that close right after.
    public func deregister(fd: Int32) throws(IOError) {
        try syscall("epoll_ctl(DEL)") { CLinux_epoll_ctl(epollFD, CLinux_EPOLL_CTL_DEL, fd, 0, 0) }
    }

    /// Waits up to `timeoutMilliseconds` (-1 forever) and calls `body` once per ready
    /// descriptor.
    public func wait(timeoutMilliseconds: Int32, _ body: (Event) -> Void) throws(IOError) {
        let count = try syscall("epoll_wait") {
            CLinux_epoll_wait(epollFD, buffer, Int32(capacity), timeoutMilliseconds)
        }
        for index in 0..<Int(count) {
            let raw = buffer + index
            body(Event(token: CLinux_epoll_event_data(raw), events: IOEvents(rawValue: CLinux_epoll_event_events(raw))))
        }
    }
}
