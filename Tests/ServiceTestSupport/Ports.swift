import Foundation
import LinuxIO

/// A TCP port nothing listens on right now.
public func freePort() throws -> Int {
    let socket = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
    defer { socket.close() }
    return try socket.localPort()
}

/// Whether something accepts connections on 127.0.0.1:`port`.
public func portIsOpen(_ port: Int) -> Bool {
    (try? Socket.connect(host: "127.0.0.1", port: port)) != nil
}

/// Waits until `port` accepts connections.
public func waitForPort(_ port: Int, seconds: Double) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !portIsOpen(port) {
        guard Date() < deadline else { throw ServiceUnavailable("nothing listened on port \(port) within \(seconds) s") }
        Thread.sleep(forTimeInterval: 0.05)
    }
}
