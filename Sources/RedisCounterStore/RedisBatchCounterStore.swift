import Counters
import LinuxIO
import Redis
import TLS

/// The counts in Redis for the consumer's thread: each request is one script call (plus a
/// `WAIT` when replicas are asked for) written at once on one connection, and its replies
/// are read when they come, so several requests can be with Redis at a time. Redis answers
/// in the order it was asked, which is the order answers are handed out.
///
/// Connecting is the one wait: a new connection is made (and the scripts loaded) by the
/// first request after none or a failure. After any error on the connection, every request
/// still with Redis is answered with that error and the connection is dropped.
///
/// Thread-confined.
public final class RedisBatchCounterStore: BatchCounterStore {
    /// A request sent and not yet answered, as its replies come in.
    private struct Pending {
        let request: CountRequest
        /// How many replies its commands get.
        var expected: Int
        var replies: [RedisReply] = []
        /// How long Redis may take to answer it, and until when.
        let timeoutMilliseconds: Int
        let deadline: ContinuousClock.Instant
        /// Sent again as source after Redis forgot the scripts: a second NOSCRIPT is an error.
        var resent = false
    }

    private let configuration: RedisCounterStore.Configuration
    private let commands: Commands
    private var connection: RedisConnection?
    /// Made at the first connection when the link is TLS, then kept.
    private var tlsContext: TLSClientContext?
    /// The scripts' SHA-1s, as Redis named them when the connection loaded them.
    private var scriptSHAs: [String: String] = [:]
    /// Requests not yet handed out, in the order sent; an entry's answer is set once its
    /// replies are in.
    private var requests: [(request: CountRequest, answer: CountAnswer?)] = []
    /// The requests still waiting for replies (by index in `requests`), in the order their
    /// commands went out.
    private var onTheWire: [(index: Int, pending: Pending)] = []

    /// Where the master is, when Sentinels manage Redis.
    private let sentinels: SentinelMaster?
    private let metrics = RedisStoreMetrics()
    /// Whether a connection was made before: the next one is a reconnect.
    private var everConnected = false

    public init(configuration: RedisCounterStore.Configuration, sentinels: SentinelMaster? = nil) {
        self.configuration = configuration
        self.commands = Commands(configuration)
        self.sentinels = sentinels
    }

    // MARK: BatchCounterStore

    public func send(_ request: CountRequest) {
        requests.append((request, nil))
        let index = requests.count - 1
        if case .failedAttempts([], _) = request {
            requests[index].answer = .failedAttempts([])
            return
        }
        let connection: RedisConnection
        do throws(CounterStoreError) {
            connection = try connected()
        } catch {
            requests[index].answer = .failure(of: request, error)
            return
        }
        // After connecting: the scripts' names are known once the connection has loaded them.
        let (toSend, replicated) = commands(for: request, sourceInstead: false)
        let timeout = replicated ? commands.replicatedTimeoutMilliseconds : configuration.timeoutMilliseconds
        onTheWire.append((index, Pending(request: request, expected: toSend.count, timeoutMilliseconds: timeout,
                                         deadline: .now + .milliseconds(timeout))))
        write(toSend, on: connection)
    }

    public func answers(waitMilliseconds: Int) -> [CountAnswer] {
        readReplies()
        if waitMilliseconds > 0, !hasAnswerToHandOut, let connection, let first = onTheWire.first {
            let deadline = min(ContinuousClock.now + .milliseconds(waitMilliseconds), first.pending.deadline)
            _ = try? Readiness.wait(for: .readable, on: [connection.descriptor], until: deadline)
            readReplies()
        }
        if let first = onTheWire.first, ContinuousClock.now >= first.pending.deadline {
            drop(RedisError.timedOut(afterMilliseconds: first.pending.timeoutMilliseconds))
        }
        var answers: [CountAnswer] = []
        while answers.count < requests.count, let answer = requests[answers.count].answer {
            answers.append(answer)
        }
        if !answers.isEmpty {
            requests.removeFirst(answers.count)
            for position in onTheWire.indices { onTheWire[position].index -= answers.count }
        }
        return answers
    }

    public var unansweredCount: Int { requests.count }

    public var answerDescriptor: Int32? { connection?.descriptor }

    // MARK: Requests and their replies

    /// The commands for `request` (the scripts by SHA, or as source when Redis forgot them),
    /// and whether they end in `WAIT`.
    private func commands(for request: CountRequest, sourceInstead: Bool) -> ([RedisCommand], replicated: Bool) {
        func script(_ source: String, keys: [String], arguments: [String]) -> RedisCommand {
            let name = sourceInstead ? "EVAL" : "EVALSHA"
            return RedisCommand([name, sourceInstead ? source : scriptSHAs[source] ?? "", String(keys.count)] + keys + arguments)
        }
        func replicated(_ command: RedisCommand) -> ([RedisCommand], replicated: Bool) {
            guard let wait = commands.waitForReplicas else { return ([command], false) }
            return ([command, wait], true)
        }
        switch request {
        case .received(let messageIDs):
            let ids = messageIDs.compactMap { $0 }
            let keys = [configuration.receivedKey] + ids.map { mark("received", $0) } + ids.map { mark("sent", $0) }
            return replicated(script(DedupeScripts.received, keys: keys,
                                     arguments: [String(configuration.dedupeSeconds), String(messageIDs.count - ids.count)]))
        case .sent(let messageIDs):
            let ids = messageIDs.compactMap { $0 }
            return replicated(script(DedupeScripts.sent, keys: [configuration.sentKey] + ids.map { mark("received", $0) },
                                     arguments: [String(configuration.dedupeSeconds), String(messageIDs.count - ids.count)]))
        case .failedAttempts(let ids, let now):
            return (ids.map { id in
                script(DedupeScripts.failedAttempt, keys: [mark("attempts", id)], arguments: [String(now), String(configuration.dedupeSeconds)])
            }, false)
        case .probe:
            return ([commands.ping], false)
        case .presence(let presence, let ttlMilliseconds):
            return (PresenceCommands.leave(presence, ttlMilliseconds: ttlMilliseconds, configuration: configuration), false)
        }
    }

    /// The answer `replies` make to `request`.
    private func answer(to request: CountRequest, replies: [RedisReply]) -> CountAnswer {
        switch request {
        case .received(let messageIDs):
            let result = Result { () throws(CounterStoreError) -> [ReceivedHello] in
                let reply = try scriptReply(replies, key: configuration.receivedKey)
                let idCount = messageIDs.count { $0 != nil }
                guard case .array(let values) = reply, values.count == idCount else {
                    throw CounterStoreError(reason: "unexpected reply from the dedupe script: \(reply)")
                }
                var statuses = values.map { $0.integerValue ?? 0 }.makeIterator()
                return messageIDs.map { id in
                    guard id != nil, let status = statuses.next() else {
                        return ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false)
                    }
                    return ReceivedHello(isFirstDelivery: status & 1 != 0, isAlreadyAnswered: status & 2 != 0)
                }
            }
            return .received(result)
        case .sent:
            return .sent(Result { () throws(CounterStoreError) in _ = try scriptReply(replies, key: configuration.sentKey) })
        case .failedAttempts(let ids, _):
            return .failedAttempts(zip(ids, replies).map { id, reply in
                Result { () throws(CounterStoreError) -> FailedAttempts in
                    if case .error(let message) = reply { throw CounterStoreError(redisReply: message, key: mark("attempts", id)) }
                    guard case .array(let values) = reply, values.count == 3, let count = values[0].integerValue,
                          let first = values[1].integerValue, let last = values[2].integerValue
                    else {
                        throw CounterStoreError(reason: "unexpected reply from the attempts script: \(reply)")
                    }
                    return FailedAttempts(count: count, firstFailure: UInt64(max(first, 0)), lastFailure: UInt64(max(last, 0)))
                }
            })
        case .probe:
            return .probe(Result { () throws(CounterStoreError) in
                if case .error(let message) = replies[0] { throw CounterStoreError(reason: "Redis refused PING: \(message)") }
            })
        case .presence:
            return .presence(Result { () throws(CounterStoreError) in
                if let error = replies.first(where: \.isError) { throw CounterStoreError(reason: "\(error)") }
            })
        }
    }

    /// The counting script's reply among `replies` (the script's, then `WAIT`'s when replicas
    /// are asked for), or why it does not count. An error reply wrote nothing.
    private func scriptReply(_ replies: [RedisReply], key: String) throws(CounterStoreError) -> RedisReply {
        if case .error(let message) = replies[0] { throw CounterStoreError(redisReply: message, key: key) }
        if replies.count > 1, let problem = commands.replicationProblem(replies[1]) {
            metrics.replicationShortfalls.increment()
            throw problem
        }
        return replies[0]
    }

    /// Reads what Redis has sent and gives each reply to the request it answers.
    private func readReplies() {
        guard let connection, !onTheWire.isEmpty else { return }
        do throws(RedisError) {
            try connection.read()
            while !onTheWire.isEmpty, let reply = try connection.nextReply() {
                onTheWire[0].pending.replies.append(reply)
                guard onTheWire[0].pending.replies.count == onTheWire[0].pending.expected else { continue }
                let (index, pending) = onTheWire.removeFirst()
                try settle(pending, at: index, on: connection)
            }
        } catch {
            drop(error)
        }
    }

    /// Gives a request whose replies are all in its answer; or sends it again with the
    /// scripts' source when Redis has forgotten them (a `SCRIPT FLUSH`, say), which also
    /// loads them again for the requests after it.
    private func settle(_ pending: Pending, at index: Int, on connection: RedisConnection) throws(RedisError) {
        if case .error(let message) = pending.replies.first {
            if Commands.isReadOnly(message) {
                // A replica since the request before: the next connection asks the Sentinels.
                let error = RedisError(.other, "Redis answered READONLY: the master has moved")
                requests[index].answer = .failure(of: pending.request, CounterStoreError(reason: error.message, underlying: error))
                throw error
            }
            if message.hasPrefix("NOSCRIPT"), !pending.resent {
                let (again, _) = commands(for: pending.request, sourceInstead: true)
                var next = Pending(request: pending.request, expected: again.count, timeoutMilliseconds: pending.timeoutMilliseconds,
                                   deadline: pending.deadline)
                next.resent = true
                onTheWire.append((index, next))
                write(again, on: connection)
                return
            }
        }
        requests[index].answer = answer(to: pending.request, replies: pending.replies)
    }

    private var hasAnswerToHandOut: Bool {
        requests.first?.answer != nil
    }

    /// Appends `commands` and writes them, waiting while the socket takes no more (Redis reads
    /// as fast as it can; this only waits when it is in trouble), up to the reply timeout.
    private func write(_ commands: [RedisCommand], on connection: RedisConnection) {
        for command in commands { connection.append(command) }
        let deadline = ContinuousClock.now + .milliseconds(configuration.timeoutMilliseconds)
        do throws(RedisError) {
            while try !connection.write() {
                guard (try? Readiness.wait(for: .writable, on: [connection.descriptor], until: deadline)) == true else {
                    throw RedisError.timedOut(afterMilliseconds: configuration.timeoutMilliseconds)
                }
            }
        } catch {
            drop(error)
        }
    }

    /// Drops the connection after `error`: every request still with Redis is answered with it.
    private func drop(_ error: RedisError) {
        drop(CounterStoreError(error.code == .refused ? .refused : .unavailable, reason: error.message, underlying: error))
    }

    private func drop(_ error: CounterStoreError) {
        // A hiredis context is dead after any error; the next request connects anew.
        connection = nil
        metrics.errors.increment()
        for (index, pending) in onTheWire { requests[index].answer = .failure(of: pending.request, error) }
        onTheWire.removeAll()
    }

    /// The key of one id's mark (`received`: the one mark each hello has; `sent`: the second
    /// mark older consumers wrote, still read for hellos counted before). Ids are raw bytes:
    /// one that is valid UTF-8 is used as it is, any other is written in hex under a name of
    /// its own (`received-hex:`), so no two ids share a key and none is decoded lossily.
    func mark(_ kind: String, _ id: [UInt8]) -> String {
        if let text = String(validating: id, as: UTF8.self) {
            return "\(configuration.dedupePrefix)\(kind):\(text)"
        }
        let digits = Array("0123456789abcdef".utf8)
        let hex = String(decoding: id.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
        return "\(configuration.dedupePrefix)\(kind)-hex:\(hex)"
    }

    // MARK: Connecting

    /// The connection, made now (with the handshake and the scripts loaded) when there is
    /// none.
    private func connected() throws(CounterStoreError) -> RedisConnection {
        if let connection { return connection }
        if tlsContext == nil, configuration.tls != nil { tlsContext = try configuration.makeTLSContext() }
        var address = (host: configuration.host, port: configuration.port)
        if let sentinels {
            guard let master = sentinels.current else { throw CounterStoreError(reason: "no Sentinel has said where the Redis master is yet") }
            address = master
        }
        do throws(RedisError) {
            let fresh = try RedisConnection.connect(host: address.host, port: address.port, tls: tlsContext,
                                                    timeoutMilliseconds: configuration.timeoutMilliseconds)
            let handshake = commands.handshake()
            let scripts = [DedupeScripts.received, DedupeScripts.sent, DedupeScripts.failedAttempt]
            let replies = try fresh.roundTrip(handshake + scripts.map { RedisCommand(["SCRIPT", "LOAD", $0]) },
                                              timeoutMilliseconds: configuration.timeoutMilliseconds)
            for reply in replies.prefix(handshake.count) {
                if let problem = Commands.handshakeProblem(reply) {
                    throw reply.isError ? RedisError.refused(problem) : RedisError(.io, problem)
                }
            }
            for (source, reply) in zip(scripts, replies.dropFirst(handshake.count)) {
                guard case .bulk(let sha) = reply else { throw RedisError(.other, "SCRIPT LOAD failed: \(reply)") }
                scriptSHAs[source] = String(decoding: sha, as: UTF8.self)
            }
            connection = fresh
            if everConnected { metrics.reconnects.increment() }
            everConnected = true
            return fresh
        } catch {
            metrics.errors.increment()
            throw CounterStoreError(connecting: error)
        }
    }
}
