import Counters
import Messaging
import Producer

extension ConsumerPipeline {
    /// What becomes of a hello after its reply's outcome.
    private enum ReplyFate {
        /// Confirmed: to be counted as sent, then acknowledged.
        case answered
        /// Finished with (the requester is gone): acknowledged without a count.
        case finished
        /// To be kept for later: a retry, isolation or the dead-letter queue.
        case keep(ConsumerJob)
        /// Refused by the requester's queue: one failed attempt, to be recorded.
        case refused(DeadLetter.Reason, String)
    }

    /// Acts on what became of each publish of `batch`: sets refused ones aside to retry or
    /// dead-letter, has refused attempts recorded and confirmed replies counted as sent,
    /// then acknowledges what is done.
    mutating func beginSettling(_ batch: ConsumerBatch, outcomes: [ConfirmTracker.Outcome]) {
        var settling = Settling(batch: batch, done: batch.settled)
        for (job, outcome) in zip(batch.jobs, outcomes) {
            switch job.outgoing {
            case .reply(let reply):
                switch fate(of: job, reply, outcome) {
                case .answered:
                    settling.answered.append(job.delivery)
                case .finished:
                    settling.done.append(job.delivery.tag)
                    forget(job.delivery)
                case .keep(let next):
                    keep(next)
                case .refused(let reason, let detail) where job.countingID == nil:
                    afterFailedAttempt(job, reason, detail, localAttempt(of: job))
                case .refused(let reason, let detail):
                    settling.refused.append((job, reason, detail))
                }
            case .deadLetter(_, let reason):
                if outcome == .confirmed {
                    emit(.count(.deadLettered, 1))
                    emit(.fault(ConsumerFault(kind: "dead_lettered", level: .warning, message: "hello dead-lettered",
                                              metadata: ["deadLetter.reason": "\(reason.rawValue)", "deadLetter.queue": "\(rules.deadLetterQueue ?? "")"])))
                    settling.done.append(job.delivery.tag)
                    forget(job.delivery)
                } else if case .unsendable(let why) = outcome {
                    // Not even the copy can be encoded (a reply_to made long by invalid
                    // UTF-8, say): nothing can be kept of it.
                    emit(.count(.deadLettered, 1))
                    emit(.fault(ConsumerFault(kind: "dead_letter_unsendable", level: .error,
                                              message: "a hello's dead-letter copy cannot be encoded; dropped", metadata: ["deadLetter.error": "\(why)"])))
                    settling.done.append(job.delivery.tag)
                    forget(job.delivery)
                } else {
                    emit(.fault(ConsumerFault(kind: "dead_letter_failed", level: .warning,
                                              message: "the dead-letter queue did not take a message; will retry",
                                              metadata: ["deadLetter.outcome": "\(outcome)", "deadLetter.queue": "\(rules.deadLetterQueue ?? "")"])))
                    keep(retriedLater(job))
                }
            }
        }
        if settling.refused.isEmpty {
            countSent(settling)
        } else {
            askRedis(.failedAttempts(settling.refused.map { $0.job.countingID!.bytes }, now: now.epochSeconds),
                     for: .failedAttempts(settling))
        }
    }

    /// Redis's answers to a batch's failed attempts, one per id in its order.
    mutating func attemptsRecorded(_ settling: Settling, _ results: [Result<FailedAttempts, CounterStoreError>]) {
        for ((job, reason, detail), result) in zip(settling.refused, results) {
            switch result {
            case .success(let attempts):
                afterFailedAttempt(job, reason, detail, attempts)
            case .failure(let error):
                // Without Redis the attempt is not on record: retry it like any other.
                pauseForRedis(error)
                keep(retriedLater(job))
            }
        }
        countSent(settling)
    }

    /// Asks for the confirmed replies to be counted as sent, or finishes at once without any.
    private mutating func countSent(_ settling: Settling) {
        if settling.answered.isEmpty {
            finish(settling)
        } else {
            askRedis(.sent(settling.answered.map { Hello.countingID(of: $0.message)?.bytes }), for: .sent(settling))
        }
    }

    /// Redis's answer to a batch's sent count.
    mutating func sentCounted(_ settling: Settling, _ result: Result<Void, CounterStoreError>) {
        var settling = settling
        switch result {
        case .success:
            settling.done += settling.answered.map(\.tag)
            redisCounted()
        case .failure(let error):
            // Not counted (all or nothing): hand them back; the redelivery finds them
            // received and unanswered, and sends the same reply again.
            pauseForRedis(error)
            for delivery in settling.answered { emit(.requeue(delivery.tag)) }
            settledCount += settling.answered.count
            emit(.count(.failed, settling.answered.count))
        }
        settling.answered.forEach { forget($0) }
        finish(settling)
    }

    private mutating func finish(_ settling: Settling) {
        acknowledge(settling.done, of: settling.batch)
        emit(.processed(settling.done.count, since: settling.batch.startedAt))
    }

    /// What follows a reply's outcome.
    private mutating func fate(of job: ConsumerJob, _ reply: ReplyPolicy.Reply, _ outcome: ConfirmTracker.Outcome) -> ReplyFate {
        switch outcome {
        case .confirmed:
            emit(.countReply(.confirmed))
            refusingRepliesSince = nil
            return .answered
        case .returned where reply.isToRequester:
            emit(.countReply(.returned))
            emit(.fault(ConsumerFault(kind: "requester_gone", level: .info, message: "reply dropped: the requester's queue is gone",
                                      metadata: ["message.replyTo": "\(reply.destination.routingKey)"])))
            return .finished
        case .returned:
            // Nothing the message did: the reply exchange routes nowhere. Every reply will
            // fail alike until someone fixes the binding, so retry without counting it
            // against the message.
            emit(.countReply(.returned))
            emit(.fault(ConsumerFault(kind: "reply_unroutable", level: .warning, message: "reply unroutable; will retry",
                                      metadata: ["reply.exchange": "\(reply.destination.exchange)", "reply.routingKey": "\(reply.destination.routingKey)"])))
            emit(.degrade("replies unroutable at \(reply.destination.exchange)/\(reply.destination.routingKey)"))
            return .keep(retriedLater(job))
        case .nacked where !reply.isToRequester:
            emit(.countReply(.nacked))
            emit(.fault(ConsumerFault(kind: "reply_refused", level: .warning, message: "the broker refused a reply; will retry")))
            emit(.degrade("the broker refuses replies"))
            if let since = refusingRepliesSince {
                if now.instant - since >= Self.refusalsBeforeRenewal {
                    refusingRepliesSince = nil
                    emit(.renewConnection(reason: "the broker has refused every reply for \(Self.refusalsBeforeRenewal); connecting anew"))
                }
            } else {
                refusingRepliesSince = now.instant
            }
            return .keep(retriedLater(job))
        case .nacked:
            emit(.countReply(.nacked))
            emit(.fault(ConsumerFault(kind: "requester_refused", level: .warning, message: "a requester's queue refused a reply",
                                      metadata: ["message.replyTo": "\(reply.destination.routingKey)"])))
            emit(.degrade("requester queues refuse replies"))
            return .refused(.replyRefused, "the queue \(reply.destination.routingKey) refused the reply")
        case .unsendable(let why):
            emit(.countReply(.unsendable))
            emit(.fault(ConsumerFault(kind: "reply_unsendable", level: .warning, message: "a reply cannot be encoded", metadata: ["reply.error": "\(why)"])))
            return .keep(deadLetterJob(job.delivery, reason: .replyUnsendable, detail: why, attempts: nil))
        case .lost(let why) where job.isolated:
            // Sent alone, and the broker closed the channel on it: this reply is the cause.
            emit(.countReply(.lost))
            emit(.fault(ConsumerFault(kind: "reply_closed_channel", level: .warning, message: "the broker closed the channel on a reply",
                                      metadata: ["reply.error": "\(why)"])))
            return .keep(deadLetterJob(job.delivery, reason: .replyClosedChannel, detail: why, attempts: nil))
        case .lost(let why):
            emit(.countReply(.lost))
            emit(.fault(ConsumerFault(kind: "channel_closed", level: .warning,
                                      message: "the broker closed the publishing channel; sending its unconfirmed replies one at a time",
                                      metadata: ["reply.error": "\(why)"])))
            var again = job
            again.toIsolate = true
            return .keep(again)
        }
    }
}
