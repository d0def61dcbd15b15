internal import CHiredis

/// A command in Redis's wire format, formatted once by hiredis from its arguments
/// (`redisFormatCommandArgv`, binary-safe) and reusable for every call.
public struct RedisCommand: Sendable, Equatable {
    let bytes: [UInt8]

    /// Formats a command from its arguments, e.g. `["INCR", "received_hello"]`.
    public init(_ arguments: [String]) {
        self.init(arguments.map { Array($0.utf8) })
    }

    /// Formats a command from byte arguments.
    public init(_ arguments: [[UInt8]]) {
        let lengths = arguments.map(\.count)
        var pointers: [UnsafePointer<CChar>?] = []
        // Copies of the arguments live until formatting is done; hiredis copies them again.
        let copies = arguments.map { bytes -> UnsafeMutablePointer<CChar> in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: bytes.count) }
            }
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        pointers = copies.map { UnsafePointer($0) }
        var target: UnsafeMutablePointer<CChar>?
        let length = pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { argvlen in
                redisFormatCommandArgv(&target, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
            }
        }
        guard length > 0, let target else {
            // Only an allocation failure makes formatting fail.
            fatalError("redisFormatCommandArgv failed")
        }
        defer { redisFreeCommand(target) }
        bytes = Array(UnsafeRawBufferPointer(start: target, count: Int(length)))
    }
}
