import Messaging

/// The publisher-confirm bookkeeping of one channel: which publishes are outstanding, and
/// what became of each. Pure, so every ack/nack/return ordering is unit-tested.
public struct ConfirmTracker: Sendable {
    /// The fate of one publish.
    public enum Outcome: Sendable, Equatable {
        /// Routed and safely stored by the broker.
        case confirmed
        /// Unroutable: no queue took it (`basic.return` before its ack).
        case returned
        /// The broker refused it.
        case nacked
    }

    private var nextSequence: UInt64 = 1
    private var outstanding: [UInt64: String?] = [:]
    private var returnedIDs: Set<String> = []
    private var outcomes: [UInt64: Outcome] = [:]

    public init() {}

    /// Records a publish made now; returns its sequence number.
    public mutating func published(messageID: String?) -> UInt64 {
        defer { nextSequence += 1 }
        outstanding[nextSequence] = messageID
        return nextSequence
    }

    /// Publishes still waiting for the broker's word.
    public var pendingCount: Int { outstanding.count }

    /// Applies one event from the broker.
    public mutating func apply(_ event: ConfirmEvent) {
        switch event {
        case .returned(let messageID):
            if let messageID { returnedIDs.insert(messageID) }
        case .ack(let sequence, let multiple):
            for (number, id) in settle(sequence, multiple: multiple) {
                let wasReturned = id.map { returnedIDs.remove($0) != nil } ?? false
                outcomes[number] = wasReturned ? .returned : .confirmed
            }
        case .nack(let sequence, let multiple):
            for (number, id) in settle(sequence, multiple: multiple) {
                if let id { returnedIDs.remove(id) }
                outcomes[number] = .nacked
            }
        }
    }

    /// The outcome of `sequence`, once known, leaving it in place.
    public func outcome(of sequence: UInt64) -> Outcome? {
        outcomes[sequence]
    }

    /// Removes and returns the outcome of `sequence`, once known.
    public mutating func takeOutcome(of sequence: UInt64) -> Outcome? {
        outcomes.removeValue(forKey: sequence)
    }

    /// Forgets everything: the channel is gone and its numbering with it.
    public mutating func reset() {
        self = ConfirmTracker()
    }

    /// Removes the publishes an ack or nack covers and returns them with their ids.
    private mutating func settle(_ sequence: UInt64, multiple: Bool) -> [(UInt64, String?)] {
        let numbers = multiple ? outstanding.keys.filter { $0 <= sequence } : (outstanding[sequence] != nil ? [sequence] : [])
        return numbers.map { number in (number, outstanding.removeValue(forKey: number) ?? nil) }
    }
}
