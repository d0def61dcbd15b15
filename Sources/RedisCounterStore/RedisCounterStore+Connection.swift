import Counters
import LinuxIO
import Redis

/// The store's socket: connecting, reading and writing, and performing what `RedisLink`
/// decides.
extension RedisCounterStore {
    func connect() {
        let connection: RedisConnection
        do throws(CounterStoreError) {
            if tlsContext == nil, configuration.tls != nil { tlsContext = try configuration.makeTLSContext() }
            let (host, port) = try address()
            connectedAddress = "\(host):\(port)"
            do {
                connection = try RedisConnection(host: host, port: port, tls: tlsContext)
            } catch {
                throw CounterStoreError(connecting: error)
            }
            do {
                try loop.register(fd: connection.descriptor, interest: [.readable, .writable], handler: socketHandler)
            } catch {
                throw CounterStoreError(reason: "\(error)", underlying: error)
            }
        } catch {
            return disconnected(by: error)
        }
        self.connection = connection
        link.connecting(now: loop.now)
        for command in commands.handshake() {
            connection.append(command)
            waiting.append(Waiting(deadline: loop.now + link.timeout) { [unowned self] result in
                if case .success(let reply) = result, let problem = Commands.handshakeProblem(reply) {
                    fail(CounterStoreError(reply.isError ? .refused : .unavailable, reason: problem))
                }
            })
        }
    }

    /// Where to connect: the Sentinels' master when there are Sentinels, else the URL's.
    private func address() throws(CounterStoreError) -> (String, Int) {
        guard let sentinels else { return (configuration.host, configuration.port) }
        guard let master = sentinels.current else {
            throw CounterStoreError(reason: "no Sentinel has said where the Redis master is yet")
        }
        return master
    }

    /// Fails every waiting call, drops the connection and schedules the next attempt.
    func fail(_ error: CounterStoreError) {
        metrics.errors.increment()
        let pending = waiting[firstWaiting...]
        waiting = []
        firstWaiting = 0
        if let connection { loop.deregister(fd: connection.descriptor) }
        connection = nil
        disconnected(by: error)
        for entry in pending { entry.handler(.failure(error)) }
    }

    private func disconnected(by error: CounterStoreError) {
        let failure = link.failed(error, now: loop.now)
        if failure.isNews {
            logger.warning("Redis unavailable; reconnecting", metadata: ["redis.error": "\(error.reason)", "redis.retryIn": "\(failure.retryIn)"])
        }
    }

    /// Enforces the connect and reply deadlines and reconnects when due.
    func tick() {
        let oldest = firstWaiting < waiting.count ? waiting[firstWaiting].deadline : nil
        switch link.tick(now: loop.now, oldestReplyDeadline: oldest) {
        case .none: break
        case .connect: connect()
        case .fail(let error): fail(error)
        }
    }

    /// Writes everything queued during this wake-up in one go.
    func flush() {
        queueReplicationWait()
        guard case .connected = link.phase, let connection, connection.hasPendingOutput else { return }
        writeOutput(connection)
    }

    private func writeOutput(_ connection: RedisConnection) {
        do {
            let done = try connection.write()
            try? loop.modify(fd: connection.descriptor, interest: done ? .readable : [.readable, .writable])
        } catch {
            fail(CounterStoreError(reason: error.message, underlying: error))
        }
    }

    func socketReady(_ events: IOEvents) {
        guard let connection else { return }
        if case .connecting = link.phase {
            do {
                switch try connection.continueConnecting() {
                case .connected: break
                case .waitingForReadable:
                    try? loop.modify(fd: connection.descriptor, interest: .readable)
                    return
                case .waitingForWritable:
                    try? loop.modify(fd: connection.descriptor, interest: .writable)
                    return
                }
            } catch {
                return fail(CounterStoreError(connecting: error))
            }
            let (isReconnect, isNews) = link.connected()
            if isReconnect { metrics.reconnects.increment() }
            if isNews { logger.info("connected to Redis", metadata: ["redis.address": "\(connectedAddress)"]) }
            return writeOutput(connection)
        }
        if events.contains(.readable) || events.contains(.failed) {
            readReplies(connection)
        }
        if self.connection === connection, events.contains(.writable) {
            writeOutput(connection)
        }
    }

    private func readReplies(_ connection: RedisConnection) {
        do throws(RedisError) {
            try connection.read()
            while let reply = try connection.nextReply() {
                guard firstWaiting < waiting.count else {
                    return fail(CounterStoreError(reason: "reply from Redis with no command waiting"))
                }
                if case .error(let message) = reply, Commands.isReadOnly(message) {
                    return fail(CounterStoreError(reason: "Redis answered READONLY: the master has moved"))
                }
                let entry = waiting[firstWaiting]
                firstWaiting += 1
                if !reply.isError, link.answered() {
                    logger.info("Redis is back", metadata: ["redis.address": "\(connectedAddress)"])
                }
                entry.handler(.success(reply))
                // A handler may have failed the connection (a refused handshake).
                guard self.connection === connection else { return }
            }
            compactWaiting()
        } catch {
            fail(CounterStoreError(reason: error.message, underlying: error))
        }
    }

    private func compactWaiting() {
        if firstWaiting == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            firstWaiting = 0
        } else if firstWaiting > 1024 {
            waiting.removeFirst(firstWaiting)
            firstWaiting = 0
        }
    }
}

/// Receives the socket's events; a separate object so the store's public surface stays the
/// `CounterStore` protocol.
final class SocketHandler: EventHandler {
    unowned let store: RedisCounterStore

    init(store: RedisCounterStore) {
        self.store = store
    }

    func handle(_ events: IOEvents) {
        store.socketReady(events)
    }
}
