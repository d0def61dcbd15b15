import Glibc

/// A failed system call: the operation's name and the `errno` it left.
public struct IOError: Error, CustomStringConvertible, Sendable {
    /// The system call or operation that failed, e.g. `"accept4"`.
    public let operation: String
    /// The `errno` value the call reported.
    public let errnoCode: Int32

    /// Creates an error for `operation` that failed with `errnoCode`.
    public init(_ operation: String, errno errnoCode: Int32) {
        self.operation = operation
        self.errnoCode = errnoCode
    }

    /// What went wrong in words, without the operation: `No such file or directory`.
    public var reason: String { String(cString: strerror(errnoCode)) }

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(errnoCode))) (errno \(errnoCode))"
    }
}

/// The outcome of a call on a non-blocking descriptor: it either did its work or would have
/// blocked. Would-block is an ordinary value here, never an error.
public enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

/// Runs one system call, retrying on `EINTR`, reporting `EAGAIN`/`EWOULDBLOCK` as
/// `.wouldBlock` and any other failure as an `IOError` naming `operation`.
///
/// Every system call in the project goes through here (or through `syscall(_:_:)`), so the
/// `EINTR` rule lives in one place.
@inline(__always)
public func nonBlockingSyscall<T: FixedWidthInteger>(
    _ operation: @autoclosure () -> String,
    _ body: () -> T
) throws(IOError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let code = errno
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw IOError(operation(), errno: code)
        }
    }
}

/// Runs one system call that cannot report would-block, retrying on `EINTR` and throwing any
/// other failure as an `IOError` naming `operation`.
@inline(__always)
@discardableResult
public func syscall<T: FixedWidthInteger>(
    _ operation: @autoclosure () -> String,
    _ body: () -> T
) throws(IOError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw IOError(operation(), errno: code)
    }
}
