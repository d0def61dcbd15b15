import Counters

/// An in-memory `BatchCounterStore` with the real store's rules: each id counted once per
/// counter, an answered mark once its reply is counted, all or nothing per call. It can be
/// told to fail, to stand in for a Redis that is down or holds bad data. Each request is
/// answered at once; the answer waits in order to be taken.
public final class MemoryBatchCounterStore: BatchCounterStore {
    public private(set) var received = 0
    public private(set) var sent = 0
    public private(set) var receivedIDs: Set<[UInt8]> = []
    public private(set) var answeredIDs: Set<[UInt8]> = []
    public private(set) var attempts: [[UInt8]: FailedAttempts] = [:]
    public private(set) var probes = 0
    /// When set, every call fails with this error.
    public var failure: CounterStoreError?
    /// When above zero, that many next calls fail with `failure` or an outage, then the
    /// store answers again.
    public var failuresLeft = 0

    /// Answers not yet taken, in order.
    private var ready: [CountAnswer] = []

    public init() {}

    public func send(_ request: CountRequest) {
        ready.append(answering(request))
    }

    public func answers(waitMilliseconds: Int) -> [CountAnswer] {
        defer { ready = [] }
        return ready
    }

    public var unansweredCount: Int { ready.count }

    public var answerDescriptor: Int32? { nil }

    /// The answer to `request`, by the real store's rules.
    public func answering(_ request: CountRequest) -> CountAnswer {
        switch request {
        case .received(let ids): .received(Result { () throws(CounterStoreError) in try countingReceived(ids) })
        case .sent(let ids): .sent(Result { () throws(CounterStoreError) in try countingSent(ids) })
        case .failedAttempts(let ids, let now):
            .failedAttempts(ids.map { id in Result { () throws(CounterStoreError) in try recordingAttempt(id, now: now) } })
        case .probe: .probe(Result { () throws(CounterStoreError) in try probing() })
        case .presence(let presence, _): .presence(Result { () throws(CounterStoreError) in try leaving(presence) })
        }
    }

    private func countingReceived(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) -> [ReceivedHello] {
        try failIfAsked()
        return messageIDs.map { id in
            guard let id else {
                received += 1
                return ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false)
            }
            let first = receivedIDs.insert(id).inserted
            if first { received += 1 }
            return ReceivedHello(isFirstDelivery: first, isAlreadyAnswered: answeredIDs.contains(id))
        }
    }

    private func countingSent(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) {
        try failIfAsked()
        for id in messageIDs {
            guard let id else {
                sent += 1
                continue
            }
            if answeredIDs.insert(id).inserted { sent += 1 }
        }
    }

    private func recordingAttempt(_ messageID: [UInt8], now: UInt64) throws(CounterStoreError) -> FailedAttempts {
        try failIfAsked()
        var record = attempts[messageID] ?? FailedAttempts(count: 0, firstFailure: now, lastFailure: now)
        record.count += 1
        record.lastFailure = now
        attempts[messageID] = record
        return record
    }

    private func probing() throws(CounterStoreError) {
        probes += 1
        try failIfAsked()
    }

    /// The heartbeats left, latest last.
    public private(set) var presences: [ConsumerPresence] = []

    private func leaving(_ presence: ConsumerPresence) throws(CounterStoreError) {
        try failIfAsked()
        presences.append(presence)
    }

    private func failIfAsked() throws(CounterStoreError) {
        if let failure { throw failure }
        if failuresLeft > 0 {
            failuresLeft -= 1
            throw CounterStoreError(.unavailable, reason: "connection refused")
        }
    }
}
