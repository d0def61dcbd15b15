import Glibc

/// Threads of the process's own: plain POSIX threads, detached, each named from inside.
/// Foundation's `Thread` does the same, but linking Foundation costs every program about
/// 3 MB of resident memory at start for its runtime's set-up, used or not.
public enum Threads {
    /// Starts a detached thread named `name` that runs `body`. Stops the program when the
    /// system cannot make a thread, as Foundation's `Thread.start` does.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let work = Unmanaged.passRetained(Work(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            let work = Unmanaged<Work>.fromOpaque(argument!).takeRetainedValue()
            CurrentThread.setName(work.name)
            work.body()
            return nil
        }, work)
        guard status == 0 else {
            Unmanaged<Work>.fromOpaque(work).release()
            fatalError("cannot start thread \(name): \(String(cString: strerror(status)))")
        }
        pthread_detach(thread)
    }

    private final class Work {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
