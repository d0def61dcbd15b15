internal import CLinux
import Glibc
import Synchronization

/// Something registered with an event loop that wants to hear when its descriptor is ready.
public protocol EventHandler: AnyObject {
    /// Called on the loop's thread with what became ready.
    func handle(_ events: IOEvents)
}

/// One thread's event loop: a poller, the handlers of the descriptors it watches, periodic
/// timers and hooks that run after each wake-up.
///
/// Everything but `execute(_:)` and `stop()` must be called on the loop's own thread; that is
/// what lets connections, parsers and Redis pipelines run without locks.
public final class EventLoop {
    private struct Slot {
        var handler: EventHandler?
        var generation: UInt32 = 0
    }

    private struct Timer {
        let interval: UInt64
        var due: UInt64
        let action: () -> Void
    }

    private let poller: Poller
    private let wakeFD: Int32
    private var slots: [Slot] = []
    private var timers: [Timer] = []
    private var afterEventsHooks: [() -> Void] = []
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let stopRequested = Atomic<Bool>(false)

    /// Which loop this is (`http-loop-0` …), for thread names and log lines.
    public let name: String

    /// The monotonic time of the current wake-up, in nanoseconds. Read once per wake-up so
    /// the request path never calls the clock.
    public private(set) var now: UInt64

    /// Creates a loop; call `run()` on the thread that is to own it.
    public init(name: String = "loop") throws(IOError) {
        self.name = name
        poller = try Poller()
        wakeFD = try syscall("eventfd") { CLinux_eventfd() }
        try poller.register(fd: wakeFD, interest: .readable, token: UInt64.max)
        now = MonotonicClock.nanoseconds()
    }

    deinit {
        close(wakeFD)
    }

    // MARK: Registration (loop thread only)

    /// Starts watching `fd` for `interest` and calling `handler`.
    public func register(fd: Int32, interest: IOEvents, handler: EventHandler) throws(IOError) {
        let index = Int(fd)
        if index >= slots.count {
            slots.append(contentsOf: repeatElement(Slot(), count: max(index + 1 - slots.count, slots.count)))
        }
        slots[index].generation &+= 1
        slots[index].handler = handler
        try poller.register(fd: fd, interest: interest, token: token(for: fd))
    }

    /// Changes what `fd` is watched for.
    public func modify(fd: Int32, interest: IOEvents) throws(IOError) {
        try poller.modify(fd: fd, interest: interest, token: token(for: fd))
    }

    /// Stops watching `fd`; events already reported for it in this wake-up are dropped.
    /// Call before closing the descriptor.
    public func deregister(fd: Int32) {
        let index = Int(fd)
        guard index < slots.count else { return }
        slots[index].handler = nil
        slots[index].generation &+= 1
        try? poller.deregister(fd: fd)
    }

    /// Calls `action` every `milliseconds`, on the loop thread, for as long as the loop runs.
    public func every(milliseconds: Int, _ action: @escaping () -> Void) {
        let interval = UInt64(milliseconds) * 1_000_000
        timers.append(Timer(interval: interval, due: now + interval, action: action))
    }

    /// Calls `action` after the handlers of each wake-up have run: the place to flush work
    /// that the handlers batched, such as one pipelined write to Redis.
    public func afterEvents(_ action: @escaping () -> Void) {
        afterEventsHooks.append(action)
    }

    // MARK: Cross-thread

    /// Runs `task` on the loop thread soon. Safe from any thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(task) }
        wake()
    }

    /// Asks `run()` to return after the current wake-up. Safe from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() throws(IOError) {
        while !stopRequested.load(ordering: .acquiring) {
            try poller.wait(timeoutMilliseconds: nextTimeout()) { event in
                dispatch(event)
            }
            now = MonotonicClock.nanoseconds()
            runPendingTasks()
            runDueTimers()
            for hook in afterEventsHooks { hook() }
        }
    }

    @inline(__always)
    private func dispatch(_ event: Poller.Event) {
        if event.token == UInt64.max {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
            return
        }
        let index = Int(truncatingIfNeeded: event.token & 0xFFFF_FFFF)
        let generation = UInt32(truncatingIfNeeded: event.token >> 32)
        guard index < slots.count, slots[index].generation == generation,
              let handler = slots[index].handler else { return }
        handler.handle(event.events)
    }

    private func token(for fd: Int32) -> UInt64 {
        UInt64(slots[Int(fd)].generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func runPendingTasks() {
        let tasks = pending.withLock { tasks -> [@Sendable () -> Void] in
            defer { tasks.removeAll(keepingCapacity: true) }
            return tasks
        }
        for task in tasks { task() }
    }

    private func runDueTimers() {
        for index in timers.indices where timers[index].due <= now {
            timers[index].due = now + timers[index].interval
            timers[index].action()
        }
    }

    /// Milliseconds until the next timer is due (-1: none). Uses the wake-up's cached time:
    /// the handlers since then took microseconds, and a timer late by that much is harmless.
    private func nextTimeout() -> Int32 {
        guard !timers.isEmpty else { return -1 }
        var due = UInt64.max
        for timer in timers where timer.due < due { due = timer.due }
        if due <= now { return 0 }
        return Int32(min((due - now + 999_999) / 1_000_000, 60_000))
    }
}
