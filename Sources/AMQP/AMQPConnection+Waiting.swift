internal import CRabbitMQ
import LinuxIO

extension AMQPConnection {
    /// Waits until at least one of `connections` has something from the broker to read (or
    /// one of `descriptors` something else), or `timeoutMilliseconds` pass. Returns at once when the library already holds a frame or
    /// unread bytes for one of them.
    ///
    /// This lets one thread serve a consuming and a publishing connection together, reacting
    /// to whichever speaks first, instead of blocking in one of them while the other waits.
    /// Heartbeats are still serviced only inside `nextEvent`, which the caller goes on to use.
    public static func waitForInput(on connections: [AMQPConnection], alsoOn descriptors: [Int32] = [], timeoutMilliseconds: Int) {
        if connections.contains(where: \.hasBufferedInput) { return }
        // A failed wait (a closed socket): return and let the next library call report what
        // happened.
        _ = try? Readiness.wait(for: .readable, on: connections.map { amqp_get_sockfd($0.state) } + descriptors,
                                timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Whether librabbitmq has already read input it has not handed out yet: poll(2) on the
    /// socket would not see it.
    private var hasBufferedInput: Bool {
        amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0
    }
}
