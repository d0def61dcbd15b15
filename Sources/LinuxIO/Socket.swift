internal import CLinux
import Glibc

/// A TCP socket and the one owner of its descriptor: the descriptor is closed exactly once,
/// by `close()` or when the socket is released.
///
/// Thread-confined: a socket is used by the thread (event loop) that owns it.
public final class Socket {
    /// The descriptor, or -1 once closed. Lent out for registration with a poller only.
    public private(set) var descriptor: Int32

    /// Takes ownership of an open descriptor.
    public init(adopting descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Whether `close()` has run.
    public var isClosed: Bool { descriptor < 0 }

    /// Closes the descriptor; later calls do nothing.
    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Creates a non-blocking socket listening on `host`:`port`. With `reusePort`, several
    /// sockets (one per event loop) share the port and the kernel spreads connections over
    /// them, so no loop takes a lock to accept.
    public static func listen(
        host: String,
        port: Int,
        backlog: Int32 = 4096,
        reusePort: Bool
    ) throws(IOError) -> Socket {
        let address = try SocketAddress.resolve(host: host, port: port, passive: true)
        let fd = try syscall("socket") {
            Glibc.socket(address.family, CLinux_SOCK_STREAM | CLinux_SOCK_NONBLOCK | CLinux_SOCK_CLOEXEC, 0)
        }
        let socket = Socket(adopting: fd)
        try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1, name: "SO_REUSEADDR")
        if reusePort {
            try socket.setOption(SOL_SOCKET, SO_REUSEPORT, 1, name: "SO_REUSEPORT")
        }
        try address.withSockAddr { pointer, length throws(IOError) in
            _ = try syscall("bind(\(host):\(port))") { Glibc.bind(fd, pointer, length) }
        }
        try syscall("listen") { Glibc.listen(fd, backlog) }
        return socket
    }

    /// Connects to `host`:`port` in blocking mode. For clients outside an event loop: tests,
    /// tools and probes.
    public static func connect(host: String, port: Int) throws(IOError) -> Socket {
        let address = try SocketAddress.resolve(host: host, port: port, passive: false)
        let fd = try syscall("socket") { Glibc.socket(address.family, CLinux_SOCK_STREAM | CLinux_SOCK_CLOEXEC, 0) }
        let socket = Socket(adopting: fd)
        try address.withSockAddr { pointer, length throws(IOError) in
            _ = try syscall("connect(\(host):\(port))") { Glibc.connect(fd, pointer, length) }
        }
        return socket
    }

    /// Accepts one pending connection as a non-blocking socket.
    public func accept() throws(IOError) -> IOResult<Socket> {
        let fd = descriptor
        switch try nonBlockingSyscall("accept4", { CLinux_accept4(fd, CLinux_SOCK_NONBLOCK | CLinux_SOCK_CLOEXEC) }) {
        case .processed(let client): return .processed(Socket(adopting: client))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// Reads what is available into `buffer`; `.processed(0)` is the end of the stream.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> IOResult<Int> {
        let fd = descriptor
        return try nonBlockingSyscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Sends what the kernel takes of `bytes`. `MSG_NOSIGNAL`: a peer that went away is an
    /// `EPIPE` error here, never a SIGPIPE that kills the process.
    @inline(__always)
    public func send(_ bytes: UnsafeRawBufferPointer) throws(IOError) -> IOResult<Int> {
        let fd = descriptor
        return try nonBlockingSyscall("send") { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends all of `bytes`, for blocking sockets.
    public func sendAll(_ bytes: [UInt8]) throws(IOError) {
        var offset = 0
        while offset < bytes.count {
            let start = offset
            let sent = try bytes.withUnsafeBytes { raw in
                Result { () throws(IOError) in try send(UnsafeRawBufferPointer(rebasing: raw[start...])) }
            }.get()
            switch sent {
            case .processed(let count): offset += count
            case .wouldBlock: try waitUntil(.writable, timeoutMilliseconds: -1)
            }
        }
    }

    /// Blocks until the socket is ready for `events` or the timeout passes; returns whether it
    /// became ready.
    @discardableResult
    public func waitUntil(_ events: IOEvents, timeoutMilliseconds: Int32) throws(IOError) -> Bool {
        try Readiness.wait(for: events, on: [descriptor], timeoutMilliseconds: Int(timeoutMilliseconds))
    }

    /// Turns off Nagle's algorithm: responses are written whole, so waiting to coalesce only
    /// adds latency.
    public func setNoDelay() throws(IOError) {
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1, name: "TCP_NODELAY")
    }

    /// Sets receive and send timeouts on a blocking socket.
    public func setTimeouts(milliseconds: Int) throws(IOError) {
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        let fd = descriptor
        try syscall("setsockopt(SO_RCVTIMEO)") {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
        try syscall("setsockopt(SO_SNDTIMEO)") {
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// The local port the socket is bound to (useful after binding port 0).
    public func localPort() throws(IOError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = descriptor
        try withUnsafeMutablePointer(to: &storage) { pointer throws(IOError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(IOError) in
                _ = try syscall("getsockname") { getsockname(fd, address, &length) }
            }
        }
        return SocketAddress.port(of: storage)
    }

    private func setOption(_ level: Int32, _ option: Int32, _ value: Int32, name: String) throws(IOError) {
        var value = value
        let fd = descriptor
        try syscall("setsockopt(\(name))") {
            setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
