import Messaging

/// The publisher-confirm bookkeeping of one producer: which publishes are outstanding, and
/// what became of each. Pure, so every ack/nack/return ordering is unit-tested.
///
/// Each publish gets a ticket that stays valid across channels. The broker numbers a
/// channel's publishes from 1, so when a channel is replaced its numbering starts again
/// while tickets go on.
public struct ConfirmTracker: Sendable {
    /// The fate of one publish.
    public enum Outcome: Sendable, Equatable {
        /// Routed and safely stored by the broker.
        case confirmed
        /// Unroutable: no queue took it (`basic.return` before its ack).
        case returned
        /// The broker refused it.
        case nacked
        /// Never sent: AMQP cannot carry it (the reason says which property).
        case unsendable(String)
        /// Sent on a channel the broker closed before saying anything about it (with the
        /// broker's reason): it may or may not have arrived.
        case lost(String)
    }

    private var nextSequence: UInt64 = 1
    private var nextTicket: UInt64 = 1
    /// Outstanding publishes by the channel's sequence number.
    private var outstanding: [UInt64: (ticket: UInt64, messageID: MessageID?)] = [:]
    private var returnedIDs: Set<MessageID> = []
    /// Known outcomes by ticket.
    private var outcomes: [UInt64: Outcome] = [:]

    public init() {}

    /// Records a publish made now on the current channel; returns its ticket.
    public mutating func published(messageID: MessageID?) -> UInt64 {
        let ticket = takeTicket()
        outstanding[nextSequence] = (ticket, messageID)
        nextSequence += 1
        return ticket
    }

    /// Records a message that could not be sent at all; returns its ticket, whose outcome
    /// is known at once.
    public mutating func unsendable(_ reason: String) -> UInt64 {
        let ticket = takeTicket()
        outcomes[ticket] = .unsendable(reason)
        return ticket
    }

    /// Publishes still waiting for the broker's word.
    public var pendingCount: Int { outstanding.count }

    /// Applies one event from the broker.
    public mutating func apply(_ event: ConfirmEvent) {
        switch event {
        case .returned(let messageID):
            if let messageID { returnedIDs.insert(messageID) }
        case .ack(let sequence, let multiple):
            for (ticket, id) in settle(sequence, multiple: multiple) {
                let wasReturned = id.map { returnedIDs.remove($0) != nil } ?? false
                outcomes[ticket] = wasReturned ? .returned : .confirmed
            }
        case .nack(let sequence, let multiple):
            for (ticket, id) in settle(sequence, multiple: multiple) {
                if let id { returnedIDs.remove(id) }
                outcomes[ticket] = .nacked
            }
        }
    }

    /// The broker closed the channel (`reason`): every outstanding publish is lost, and the
    /// next channel numbers its publishes from 1 again.
    public mutating func channelClosed(_ reason: String) {
        for (ticket, _) in outstanding.values { outcomes[ticket] = .lost(reason) }
        outstanding = [:]
        returnedIDs = []
        nextSequence = 1
    }

    /// The outcome of `ticket`, once known, leaving it in place.
    public func outcome(of ticket: UInt64) -> Outcome? {
        outcomes[ticket]
    }

    /// Removes and returns the outcome of `ticket`, once known.
    public mutating func takeOutcome(of ticket: UInt64) -> Outcome? {
        outcomes.removeValue(forKey: ticket)
    }

    /// Removes and returns every outcome known now, by ticket.
    public mutating func takeKnownOutcomes() -> [UInt64: Outcome] {
        defer { outcomes = [:] }
        return outcomes
    }

    /// Forgets everything: the connection is gone, and with it every outstanding publish.
    public mutating func reset() {
        self = ConfirmTracker()
    }

    private mutating func takeTicket() -> UInt64 {
        defer { nextTicket += 1 }
        return nextTicket
    }

    /// Removes the publishes an ack or nack covers and returns their tickets and ids.
    private mutating func settle(_ sequence: UInt64, multiple: Bool) -> [(UInt64, MessageID?)] {
        let numbers = multiple ? outstanding.keys.filter { $0 <= sequence } : (outstanding[sequence] != nil ? [sequence] : [])
        return numbers.sorted().compactMap { number in outstanding.removeValue(forKey: number) }.map { ($0.ticket, $0.messageID) }
    }
}
