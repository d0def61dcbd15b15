import HTTP1
import LinuxIO

/// The application behind the server: turns each request into a response.
///
/// One responder is made per event loop and used only on that loop's thread, so it may keep
/// loop-local state (a Redis connection) without locks.
public protocol HTTPResponder: AnyObject {
    /// Answers `request` by calling `respond` exactly once, either before returning or later
    /// on the same loop thread (for example when a Redis reply arrives).
    func respond(to request: HTTPRequest, _ respond: @escaping (HTTPResponse) -> Void)

    /// A request broke the protocol and was answered by the server with `error`'s status
    /// (400, 408, 413, 414, 431, 501, 505) before reaching `respond`: for counting.
    func rejected(_ error: HTTPParseError)
}

extension HTTPResponder {
    /// Rejections are not counted unless the application says how.
    public func rejected(_ error: HTTPParseError) {}
}
