import Counters
import Messaging
import Producer

/// Starting a batch: sorting what is held, counting the hellos, publishing their replies.
extension ConsumerPipeline {
    /// Sorts what is held — not hellos, too large, duplicates, hellos to count — and asks
    /// for the hellos to be counted in one Redis call; their replies are then published with
    /// the retries now due.
    mutating func startBatch() {
        let instant = now.instant
        let due = retries.filter { $0.dueAt <= instant }
        retries.removeAll { $0.dueAt <= instant }
        var starting = Starting(deliveries: held, due: due, jobs: due, startedAt: instant)
        held = []
        var idsInBatch: Set<MessageID> = []
        var ignored = 0, duplicates = 0
        for delivery in starting.deliveries {
            guard Hello.isHello(delivery.message) else {
                ignored += 1
                starting.settled.append(delivery.tag)
                continue
            }
            if delivery.bodySize > UInt64(rules.maxMessageBytes) {
                emit(.fault(ConsumerFault(kind: "too_large", level: .warning, message: "hello larger than amqp.maxMessageBytes; dead-lettered unread",
                                          metadata: ["message.bytes": "\(delivery.bodySize)", "amqp.maxMessageBytes": "\(rules.maxMessageBytes)"])))
                if rules.deadLetterQueue == nil {
                    emit(.count(.deadLettered, 1))
                    starting.settled.append(delivery.tag)
                } else {
                    starting.jobs.append(deadLetterJob(delivery, reason: .tooLarge, detail: "body of \(delivery.bodySize) bytes", attempts: nil))
                }
                continue
            }
            if let id = Hello.countingID(of: delivery.message), idsInProgress.contains(id) || !idsInBatch.insert(id).inserted {
                duplicates += 1
                starting.settled.append(delivery.tag)
                continue
            }
            starting.toCount.append(delivery)
        }
        if ignored > 0 { emit(.count(.ignored, ignored)) }
        if duplicates > 0 { emit(.count(.duplicate, duplicates)) }
        if starting.toCount.isEmpty {
            publish(starting)
        } else {
            // In progress from now: a later batch taken while Redis counts this one holds
            // any copy of these as a duplicate.
            let ids = starting.toCount.map { Hello.countingID(of: $0.message) }
            for id in ids { if let id { idsInProgress.insert(id) } }
            askRedis(.received(ids.map { $0?.bytes }), for: .received(starting))
        }
    }

    /// Redis's answer to a batch's received count.
    mutating func receivedCounted(_ starting: Starting, _ result: Result<[ReceivedHello], CounterStoreError>) {
        var starting = starting
        let statuses: [ReceivedHello]
        switch result {
        case .success(let counted):
            statuses = counted
            redisCounted()
        case .failure(let error):
            // Nothing was counted (the store is all or nothing): hold these until Redis is
            // back, and start the rest.
            pauseForRedis(error)
            starting.toCount.forEach { forget($0) }
            // Oldest first, whichever of several failed batches comes back first.
            held = (starting.toCount + held).sorted { $0.tag < $1.tag }
            statuses = []
        }
        for (hello, status) in zip(starting.toCount, statuses) {
            emit(.count(status.isFirstDelivery ? .hello : .duplicate, 1))
            if status.isAlreadyAnswered {
                starting.settled.append(hello.tag)
                forget(hello)
                continue
            }
            let reply = rules.policy.reply(to: hello.message, now: now.epochSeconds)
            if let refused = reply.refusedReplyTo {
                emit(.fault(ConsumerFault(kind: "reply_to_refused", level: .warning,
                                          message: "a hello's reply_to names a refused queue; replying to the reply exchange",
                                          metadata: ["message.replyTo": "\(refused)"])))
            }
            var job = ConsumerJob(delivery: hello, outgoing: .reply(reply), startedAt: starting.startedAt)
            if reply.isToRequester, poisoned.contains(reply.destination.routingKey) {
                job = deadLetterJob(hello, reason: .replyClosedChannel,
                                    detail: "the broker dropped the connection over a reply to this reply_to", attempts: nil)
            } else if reply.isToRequester, reply.destination.routingKey.hasPrefix(Self.directReplyToPrefix) {
                // Direct reply-to names are decoded by the broker, and a malformed one takes
                // the whole connection down: such replies go alone, so the one that does is
                // known.
                if let id = job.countingID { idsInProgress.insert(id) }
                job.toIsolate = true
                keep(job)
                continue
            }
            if case .deadLetter = job.outgoing, rules.deadLetterQueue == nil {
                emit(.count(.deadLettered, 1))
                starting.settled.append(hello.tag)
                forget(hello)
                continue
            }
            starting.jobs.append(job)
        }
        publish(starting)
    }

    /// Publishes the jobs of `starting`, or puts it in flight at once when it has none.
    mutating func publish(_ starting: Starting) {
        for job in starting.jobs {
            if let id = job.countingID { idsInProgress.insert(id) }
        }
        if starting.jobs.isEmpty {
            putInFlight(starting, tickets: [])
        } else {
            ask(.publish(starting.jobs.map { ($0.message, $0.destination) }), awaiting: .tickets(.batch(starting)))
        }
    }

    /// The producer's tickets for the last `.publish`, in its order.
    mutating func published(tickets: [UInt64]) {
        guard case .tickets(let publishing) = awaiting else { preconditionFailure("no publish was asked for") }
        awaiting = .nothing
        switch publishing {
        case .batch(let starting):
            putInFlight(starting, tickets: tickets)
        case .isolated(let job):
            isolated = (job, tickets[0])
        }
    }

    mutating func putInFlight(_ starting: Starting, tickets: [UInt64]) {
        let setAside = Set(held.map(\.tag) + isolation.map(\.delivery.tag) + retries.map(\.delivery.tag))
        inFlight.append(ConsumerBatch(deliveries: starting.deliveries.filter { !setAside.contains($0.tag) } + starting.due.map(\.delivery),
                                      settled: starting.settled, jobs: starting.jobs, tickets: tickets, startedAt: starting.startedAt))
    }

    /// Sends the next isolated publish once every batch has settled, so it is alone with the
    /// broker: if the channel closes now, this one is the cause. Returns whether it sent.
    mutating func isolateNext() -> Bool {
        // Every batch waiting for Redis goes first too: one being counted would publish
        // beside it, and one whose replies are being counted has acks to send that a
        // connection dropped by the isolated publish would lose (its hellos would come back
        // and be answered or dead-lettered a second time).
        guard inFlight.isEmpty, asked.isEmpty, isolated == nil, !isolation.isEmpty else { return false }
        var job = isolation.removeFirst()
        job.toIsolate = false
        ask(.publish([(job.message, job.destination)]), awaiting: .tickets(.isolated(job)))
        return true
    }
}
