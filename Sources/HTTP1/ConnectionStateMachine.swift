/// The protocol side of one HTTP/1.1 connection, apart from its socket: bytes and the
/// clock go in; requests to answer, bytes to send and what to do next come out. It knows no
/// sockets, loops or routes, so keep-alive, pipelining limits, back-pressure, half-close and
/// every timeout are unit-tested without either; `HTTPServer`'s connection performs what it
/// says.
///
/// Times are in nanoseconds of one monotonic clock, whatever its origin.
public struct ConnectionStateMachine {
    /// The limits a connection holds its client to.
    public struct Configuration: Sendable, Equatable {
        public var limits: HTTPLimits
        /// Requests answered but not yet written, past which reading pauses: a client that
        /// pipelines without reading cannot make the server buffer without bound.
        public var maxPendingResponses: Int
        /// Unsent response bytes past which reading pauses until the client reads: with the
        /// pending-response cap, this bounds what one connection can make the server hold.
        public var maxUnsentBytes: Int
        /// Time for a whole header section to arrive after its first byte (then 408).
        public var headerTimeout: UInt64
        /// Time for a whole body to arrive after its head (then 408): apart from the header
        /// timeout, so a large body on a slow link is not cut by the limit meant for heads.
        public var bodyTimeout: UInt64
        /// Time an idle keep-alive connection stays open.
        public var idleTimeout: UInt64
        /// Time a write may stay blocked on a client that does not read.
        public var writeTimeout: UInt64

        public init(limits: HTTPLimits = HTTPLimits(), maxPendingResponses: Int = 256, maxUnsentBytes: Int = 256 * 1024,
                    headerTimeout: UInt64, bodyTimeout: UInt64 = 30_000_000_000, idleTimeout: UInt64, writeTimeout: UInt64) {
            self.limits = limits
            self.maxPendingResponses = maxPendingResponses
            self.maxUnsentBytes = maxUnsentBytes
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
        }
    }

    /// What the connection should do after an event.
    public enum Action: Sendable, Equatable {
        case none
        /// Responses are ready: write them out (once per wake-up, however many are ready).
        case flush
        /// Close the connection now.
        case close
    }

    /// Which readiness the connection should be told about.
    public struct Interest: Sendable, Equatable {
        public var read: Bool
        public var write: Bool

        public init(read: Bool, write: Bool) {
            self.read = read
            self.write = write
        }
    }

    /// Whether requests may still come. Once ended — the client's end of stream, an error,
    /// `Connection: close`, a shutdown — the connection closes when every reserved response
    /// is written.
    private enum Input {
        case open
        case ended
        /// Closed: nothing more happens.
        case closed
    }

    private let configuration: Configuration
    private var decoder: RequestDecoder
    private var sequencer = ResponseSequencer()
    private var input = Input.open
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var flushRequested = false
    private var lastActivity: UInt64
    /// When the head now arriving started, while it is incomplete.
    private var requestStartedAt: UInt64?
    /// When the body now arriving started (its head was complete), while it is incomplete.
    private var bodyStartedAt: UInt64?
    /// Since when the client has not taken what there is to send.
    private var writeBlockedSince: UInt64?
    /// The protocol error answered last, until the driver takes it for counting.
    private var rejection: HTTPParseError?

    public init(configuration: Configuration, now: UInt64) {
        self.configuration = configuration
        decoder = RequestDecoder(limits: configuration.limits)
        lastActivity = now
    }

    /// Whether more requests may be read.
    public var isReading: Bool { input == .open }

    public var isClosed: Bool { input == .closed }

    /// What to watch for: readable while requests may come and the client is not too far
    /// behind in reading answers; writable while a send is blocked.
    public var interest: Interest {
        let blocked = writeBlockedSince != nil
        let backlogged = blocked && output.count - outputOffset > configuration.maxUnsentBytes
        return Interest(read: input == .open && sequencer.pendingCount < configuration.maxPendingResponses && !backlogged,
                        write: blocked && input != .closed)
    }

    // MARK: Reading

    /// Bytes arrived from the client.
    public mutating func received(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        guard input == .open else { return }
        lastActivity = now
        decoder.append(bytes)
    }

    /// Bytes arrived from the client.
    public mutating func received<Bytes: Sequence>(contentsOf bytes: Bytes, now: UInt64) where Bytes.Element == UInt8 {
        guard input == .open else { return }
        lastActivity = now
        decoder.append(contentsOf: bytes)
    }

    /// The next request to hand to the application, with the slot its response goes into;
    /// nil when more bytes are needed, too many answers are pending, or requests ended. A
    /// request that breaks the protocol gets its error response here and ends the input.
    public mutating func nextRequest() -> (request: HTTPRequest, slot: Int)? {
        guard input == .open, sequencer.pendingCount < configuration.maxPendingResponses else { return nil }
        let request: HTTPRequest
        do {
            guard let next = try decoder.next() else { return nil }
            request = next
        } catch {
            fail(with: error)
            return nil
        }
        requestStartedAt = nil
        bodyStartedAt = nil
        if !request.keepAlive { input = .ended }
        return (request, sequencer.reserve(for: request))
    }

    /// The client finished sending (a read returned end of stream): what it asked is
    /// answered, then the connection closes.
    public mutating func inputEnded() {
        if input == .open { input = .ended }
    }

    /// A burst of reads is over: starts or stops the header clock, and says whether there is
    /// something to write or the connection is done.
    public mutating func readingFinished(now: UInt64) -> Action {
        guard input != .closed else { return .none }
        if input == .open, decoder.isReadingBody {
            if bodyStartedAt == nil { bodyStartedAt = now }
            requestStartedAt = nil
        } else if input == .open, decoder.hasPartialRequest {
            if requestStartedAt == nil { requestStartedAt = now }
        } else {
            requestStartedAt = nil
            bodyStartedAt = nil
        }
        if isFinished { return close() }
        return sequencer.hasReadyResponse ? requestFlush() : .none
    }

    /// The protocol error a request was answered with since the last call (400, 408, …),
    /// for the application to count; nil when there was none.
    public mutating func takeRejection() -> HTTPParseError? {
        defer { rejection = nil }
        return rejection
    }

    /// Answers a request that broke the protocol; the connection closes after the answer.
    private mutating func fail(with error: HTTPParseError) {
        rejection = error
        input = .ended
        requestStartedAt = nil
        bodyStartedAt = nil
        let slot = sequencer.reserveFinal()
        sequencer.fulfil(slot, with: .parseError(error))
    }

    // MARK: Responses

    /// The application answered the request in `slot`.
    public mutating func responseReady(_ slot: Int, _ response: HTTPResponse) -> Action {
        guard input != .closed else { return .none }
        sequencer.fulfil(slot, with: response)
        return requestFlush()
    }

    private mutating func requestFlush() -> Action {
        guard !flushRequested else { return .none }
        flushRequested = true
        return .flush
    }

    // MARK: Writing

    /// Serialises the responses that are ready, in request order, behind what is unsent.
    public mutating func prepareOutput(date: [UInt8]) {
        flushRequested = false
        guard input != .closed else { return }
        if sequencer.drain(date: date, into: &output) {
            // That response ends the connection; nothing after it is read or written.
            input = .ended
        }
    }

    public var hasUnsentBytes: Bool { outputOffset < output.count }

    /// Lends the bytes still to send to `send`, which returns what it returns. Not generic
    /// on purpose: the server calls it across modules for every response, where a generic
    /// call would not be specialised.
    public mutating func withUnsentBytes(_ send: (UnsafeRawBufferPointer) -> Int) -> Int {
        let start = outputOffset
        return output.withUnsafeBytes { send(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// The client took `count` bytes.
    public mutating func sent(_ count: Int, now: UInt64) {
        outputOffset += count
        lastActivity = now
    }

    /// The client takes no more for now: the write clock runs until it does.
    public mutating func sendBlocked(now: UInt64) {
        if writeBlockedSince == nil { writeBlockedSince = now }
    }

    /// Everything prepared was sent. `.close` when the connection is done; otherwise,
    /// with `decode` true, requests that arrived while reading was paused may be waiting
    /// in the buffer and should be asked for with `nextRequest`.
    public mutating func outputSent() -> (action: Action, decode: Bool) {
        // Keep the buffer for the next responses unless one huge answer grew it.
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputOffset = 0
        writeBlockedSince = nil
        if isFinished { return (close(), false) }
        return (.none, interest.read && (decoder.hasPartialRequest || sequencer.pendingCount == 0))
    }

    // MARK: Time and shutdown

    /// Applies the header, write and idle timeouts.
    public mutating func tick(now: UInt64) -> Action {
        guard input != .closed else { return .none }
        if let requestStartedAt, sequencer.pendingCount == 0, now - requestStartedAt > configuration.headerTimeout {
            fail(with: .headerTimeout)
            return requestFlush()
        }
        if let bodyStartedAt, sequencer.pendingCount == 0, now - bodyStartedAt > configuration.bodyTimeout {
            fail(with: .bodyTimeout)
            return requestFlush()
        }
        if let writeBlockedSince, now - writeBlockedSince > configuration.writeTimeout {
            return close()
        }
        if sequencer.pendingCount == 0, !hasUnsentBytes, !decoder.hasPartialRequest, now - lastActivity > configuration.idleTimeout {
            return close()
        }
        return .none
    }

    /// Shutdown: an idle connection closes now, a busy one after its last response.
    public mutating func drain() -> Action {
        inputEnded()
        return isFinished ? close() : .none
    }

    /// The connection is closed, by this machine's word or because the socket failed:
    /// responses that arrive later are dropped.
    public mutating func closed() {
        input = .closed
    }

    /// No more requests, no response pending, nothing unsent.
    private var isFinished: Bool {
        input == .ended && sequencer.pendingCount == 0 && !hasUnsentBytes
    }

    private mutating func close() -> Action {
        input = .closed
        return .close
    }
}
