internal import CRabbitMQ

/// Memory handed to librabbitmq for one call (property strings, header tables), freed all at
/// once when the call is done: `withArena { arena in … }`.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { block.deallocate() }
    }

    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        blocks.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A copy of `bytes` as `amqp_bytes_t`.
    func bytes(_ bytes: [UInt8]) -> amqp_bytes_t {
        let pointer = allocate(UInt8.self, count: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        return amqp_bytes_t(len: bytes.count, bytes: UnsafeMutableRawPointer(pointer))
    }

    func bytes(_ string: String) -> amqp_bytes_t {
        bytes(Array(string.utf8))
    }
}

/// Runs `body` with an arena whose memory lives until `body` returns.
func withArena<R>(_ body: (CArena) throws -> R) rethrows -> R {
    let arena = CArena()
    return try withExtendedLifetime(arena) { try body(arena) }
}

extension amqp_bytes_t {
    /// A Swift copy of the bytes (librabbitmq owns the original).
    var array: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    var string: String {
        String(decoding: array, as: UTF8.self)
    }
}
