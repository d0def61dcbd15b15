import Foundation
import LinuxIO

/// An event loop running on its own thread, for driving loop-bound objects from tests.
final class LoopThread: @unchecked Sendable {
    // The loop is only touched through `execute` (thread-safe) once the thread runs it.
    let loop: EventLoop
    private let finished = DispatchSemaphore(value: 0)

    init() throws {
        loop = try EventLoop()
        let loop = UncheckedBox(self.loop)
        let finished = self.finished
        Thread {
            try? loop.value.run()
            finished.signal()
        }.start()
    }

    private var stopped = false

    deinit {
        stop()
    }

    /// Stops the loop and waits for its thread to end. Objects living on the loop may be
    /// released only after this.
    func stop() {
        guard !stopped else { return }
        stopped = true
        loop.stop()
        finished.wait()
    }

    /// Runs `body` on the loop thread and blocks until it returns.
    func runBlocking<T>(_ body: @escaping (EventLoop) -> T) -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let loop = UncheckedBox(self.loop)
        let call = UncheckedBox(body)
        let result = ResultBox<T>()
        loop.value.execute {
            result.value = call.value(loop.value)
            semaphore.signal()
        }
        semaphore.wait()
        return result.value!
    }

    /// Runs `body` on the loop thread and waits for it to call its completion.
    func run<T>(_ body: @escaping (EventLoop, @escaping (T) -> Void) -> Void) async -> T {
        let loop = UncheckedBox(self.loop)
        let call = UncheckedBox(body)
        return await withCheckedContinuation { continuation in
            loop.value.execute {
                call.value(loop.value) { result in continuation.resume(returning: UncheckedBox(result).value) }
            }
        }
    }
}

/// Carries a value across the hop to the loop thread, where it is used alone.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A slot written on the loop thread and read after a semaphore says it was written.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
