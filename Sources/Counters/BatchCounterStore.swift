/// Counts hellos and their replies for the consumer, a batch at a time, without holding its
/// thread: a request is sent at once and its answer read later, so the consumer goes on
/// moving deliveries, replies and acknowledgements while Redis works. Answers come back in
/// the order their requests were sent.
///
/// Counting is idempotent per message id: a hello delivered twice (redelivery after a crash,
/// or a publisher that sent it twice) moves each counter at most once within the retention
/// window. Messages without an id are counted every time they come (at least once). Ids are
/// raw bytes, as the publisher sent them.
///
/// Every request is all or nothing: one answered with a failure has written nothing.
///
/// Thread-confined.
public protocol BatchCounterStore: AnyObject {
    /// Sends `request` without waiting for its answer. A request that cannot be sent (no
    /// connection) is answered with the failure, in its turn.
    func send(_ request: CountRequest)

    /// The answers that have come in, in the order of their requests, reading what has
    /// arrived without waiting; when none has and some are due, waits up to
    /// `waitMilliseconds` for the first. A request whose answer is overdue (the store's
    /// timeout) is answered with a failure, as are all sent after it.
    func answers(waitMilliseconds: Int) -> [CountAnswer]

    /// How many requests are still without an answer.
    var unansweredCount: Int { get }

    /// The descriptor that becomes readable when answers arrive, to wait on together with
    /// others; nil when there is none (no connection, or answers that never wait).
    var answerDescriptor: Int32? { get }
}

/// What the consumer asks the counter store.
public enum CountRequest: Sendable, Equatable {
    /// Count the received hellos with these ids (nil: no id) and say, for each, whether its
    /// reply was already counted as sent. The ids of one request are distinct.
    case received([[UInt8]?])
    /// Count the confirmed replies to the hellos with these ids.
    case sent([[UInt8]?])
    /// Record one failed attempt at answering each hello with these ids, at `now` (seconds
    /// since the Unix epoch); a record lives as long as the dedupe marks.
    case failedAttempts([[UInt8]], now: UInt64)
    /// Whether the store answers now.
    case probe
    /// Leave this instance's heartbeat, to expire after `ttlMilliseconds` unless renewed.
    case presence(ConsumerPresence, ttlMilliseconds: Int)
}

/// The store's answer to one `CountRequest`, of the same kind.
public enum CountAnswer: Sendable, Equatable {
    case received(Result<[ReceivedHello], CounterStoreError>)
    case sent(Result<Void, CounterStoreError>)
    /// One result per id, in the request's order.
    case failedAttempts([Result<FailedAttempts, CounterStoreError>])
    case probe(Result<Void, CounterStoreError>)
    case presence(Result<Void, CounterStoreError>)

    /// The answer a request gets when it fails as a whole with `error`.
    public static func failure(of request: CountRequest, _ error: CounterStoreError) -> CountAnswer {
        switch request {
        case .received: .received(.failure(error))
        case .sent: .sent(.failure(error))
        case .failedAttempts(let ids, _): .failedAttempts(ids.map { _ in .failure(error) })
        case .probe: .probe(.failure(error))
        case .presence: .presence(.failure(error))
        }
    }

    public static func == (lhs: CountAnswer, rhs: CountAnswer) -> Bool {
        switch (lhs, rhs) {
        case (.received(let a), .received(let b)): a == b
        case (.sent(.success), .sent(.success)), (.probe(.success), .probe(.success)), (.presence(.success), .presence(.success)): true
        case (.sent(.failure(let a)), .sent(.failure(let b))), (.probe(.failure(let a)), .probe(.failure(let b))),
             (.presence(.failure(let a)), .presence(.failure(let b))): a == b
        case (.failedAttempts(let a), .failedAttempts(let b)): a == b
        default: false
        }
    }
}

extension BatchCounterStore {
    /// Sends `request` and waits for its answer, after those of requests sent before it,
    /// which are dropped: for tools and tests that use the store one request at a time.
    public func answer(_ request: CountRequest) -> CountAnswer {
        send(request)
        var last: CountAnswer?
        while unansweredCount > 0 || last == nil {
            if let answer = answers(waitMilliseconds: 1_000).last { last = answer }
        }
        return last!
    }

    /// Counts the received hellos with these ids, waiting for the answer.
    public func countReceived(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) -> [ReceivedHello] {
        guard case .received(let result) = answer(.received(messageIDs)) else { preconditionFailure("an answer of another kind") }
        return try result.get()
    }

    /// Counts the confirmed replies to the hellos with these ids, waiting for the answer.
    public func countSent(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) {
        guard case .sent(let result) = answer(.sent(messageIDs)) else { preconditionFailure("an answer of another kind") }
        try result.get()
    }

    /// Records one failed attempt at answering the hello with this id, waiting for the answer.
    public func recordFailedAttempt(_ messageID: [UInt8], now: UInt64) throws(CounterStoreError) -> FailedAttempts {
        guard case .failedAttempts(let results) = answer(.failedAttempts([messageID], now: now)) else {
            preconditionFailure("an answer of another kind")
        }
        return try results[0].get()
    }

    /// Whether the store answers now, waiting for it.
    public func checkHealth() throws(CounterStoreError) {
        guard case .probe(let result) = answer(.probe) else { preconditionFailure("an answer of another kind") }
        try result.get()
    }

    /// Leaves this instance's heartbeat, waiting for the answer.
    public func leavePresence(_ presence: ConsumerPresence, ttlMilliseconds: Int) throws(CounterStoreError) {
        guard case .presence(let result) = answer(.presence(presence, ttlMilliseconds: ttlMilliseconds)) else {
            preconditionFailure("an answer of another kind")
        }
        try result.get()
    }
}

/// What the store knew about a hello when it was counted.
public struct ReceivedHello: Sendable, Equatable {
    /// False when this id had been counted before: a duplicate.
    public var isFirstDelivery: Bool
    /// True when the reply to this id was already confirmed and counted: do not send another.
    public var isAlreadyAnswered: Bool

    public init(isFirstDelivery: Bool, isAlreadyAnswered: Bool) {
        self.isFirstDelivery = isFirstDelivery
        self.isAlreadyAnswered = isAlreadyAnswered
    }
}

/// The failed attempts at answering one hello.
public struct FailedAttempts: Sendable, Equatable {
    public var count: Int
    /// Seconds since the Unix epoch.
    public var firstFailure: UInt64
    public var lastFailure: UInt64

    public init(count: Int, firstFailure: UInt64, lastFailure: UInt64) {
        self.count = count
        self.firstFailure = firstFailure
        self.lastFailure = lastFailure
    }
}
