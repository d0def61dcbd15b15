import Counters
import Messaging
import Producer

/// Keeping jobs for later, forgetting finished ones, and acknowledging.
extension ConsumerPipeline {
    func deadLetterJob(_ delivery: Delivery, reason: DeadLetter.Reason, detail: String, attempts: FailedAttempts?) -> ConsumerJob {
        let copy = DeadLetter(reason: reason, detail: detail, attempts: attempts, queue: rules.queue)
            .message(for: delivery, now: now.epochSeconds)
        return ConsumerJob(delivery: delivery, outgoing: .deadLetter(copy, reason), deadLetterQueue: rules.deadLetterQueue,
                           startedAt: now.instant)
    }

    /// Keeps a job for later: to isolate, or to retry once due. A dead-letter job with no
    /// dead-letter queue is dropped at once: acknowledged and counted as dead-lettered.
    mutating func keep(_ job: ConsumerJob) {
        if case .deadLetter(_, let reason) = job.outgoing, rules.deadLetterQueue == nil {
            emit(.count(.deadLettered, 1))
            emit(.fault(ConsumerFault(kind: "dropped", level: .warning, message: "hello dropped (amqp.deadLetterQueue is empty)",
                                      metadata: ["deadLetter.reason": "\(reason.rawValue)"])))
            emit(.ack(job.delivery.tag, multiple: false))
            settledCount += 1
            forget(job.delivery)
            return
        }
        if job.toIsolate {
            isolation.append(job)
        } else {
            retries.append(job)
        }
    }

    mutating func forget(_ delivery: Delivery) {
        if let id = Hello.countingID(of: delivery.message) { idsInProgress.remove(id) }
        localAttempts[delivery.tag] = nil
    }

    // MARK: Acknowledging

    /// Acknowledges `tags` of `batch`: one `multiple` ack when they are the whole batch and
    /// no older delivery is still unsettled, else one by one.
    mutating func acknowledge(_ tags: [UInt64], of batch: ConsumerBatch) {
        settledCount += tags.count
        guard let last = tags.max() else { return }
        if tags.count == batch.deliveries.count, !hasUnsettledDelivery(olderThan: last) {
            emit(.ack(last, multiple: true))
            return
        }
        for tag in tags { emit(.ack(tag, multiple: false)) }
    }

    /// Whether any delivery not yet settled — held, in a batch (with the broker or waiting
    /// for Redis), waiting to retry or being isolated — has a tag below `tag`, so that a
    /// `multiple` ack up to `tag` would cover it.
    func hasUnsettledDelivery(olderThan tag: UInt64) -> Bool {
        held.contains { $0.tag < tag }
            || inFlight.contains { $0.deliveries.contains { $0.tag < tag } }
            || asked.contains { $0.holdsDelivery(below: tag) }
            || retries.contains { $0.delivery.tag < tag }
            || isolation.contains { $0.delivery.tag < tag }
            || (isolated.map { $0.job.delivery.tag < tag } ?? false)
    }

    // MARK: Failed attempts without Redis

    /// Counts a failed attempt for a hello without an id, which Redis cannot key.
    mutating func localAttempt(of job: ConsumerJob) -> FailedAttempts {
        let count = (localAttempts[job.delivery.tag] ?? 0) + 1
        localAttempts[job.delivery.tag] = count
        return FailedAttempts(count: count, firstFailure: now.epochSeconds, lastFailure: now.epochSeconds)
    }

    /// The next step for a hello whose reply was refused `attempts.count` times: another try
    /// after its own back-off, or the dead-letter queue once `amqp.maxAttempts` is reached.
    mutating func afterFailedAttempt(_ job: ConsumerJob, _ reason: DeadLetter.Reason, _ detail: String, _ attempts: FailedAttempts) {
        if attempts.count >= rules.maxAttempts {
            localAttempts[job.delivery.tag] = nil
            keep(deadLetterJob(job.delivery, reason: reason, detail: detail, attempts: attempts))
        } else {
            keep(job.retried(at: now.instant + rules.refusedReplyBackoff.delay(afterFailures: attempts.count)))
        }
    }

    /// `job` to be tried again after `retryDelay`.
    func retriedLater(_ job: ConsumerJob) -> ConsumerJob {
        job.retried(at: now.instant + rules.retryDelay)
    }
}
