/// Keeps the responses of one connection in request order.
///
/// HTTP/1.1 pipelining (RFC 9112 §9.3.2) lets a client send requests without waiting; the
/// answers must go back in the same order even when a later one is ready first (a `/ping`
/// behind a Redis-backed count). Each request reserves a slot; a slot's response is written
/// only when every earlier one has been.
public struct ResponseSequencer {
    private struct Slot {
        let headOnly: Bool
        let version: HTTPVersion
        let keepAlive: Bool
        var response: HTTPResponse?
    }

    private var slots: [Slot] = []
    private var firstIndex = 0
    /// The identifier the next reserved slot gets.
    private var nextID = 0

    public init() {}

    /// The number of requests whose responses have not been written yet.
    public var pendingCount: Int { slots.count - firstIndex }

    /// Whether the oldest unwritten response is ready, so that `drain` would write something.
    public var hasReadyResponse: Bool { firstIndex < slots.count && slots[firstIndex].response != nil }

    /// Reserves the next slot for `request`; fulfil it with the returned identifier.
    public mutating func reserve(for request: HTTPRequest) -> Int {
        reserve(headOnly: request.method == .head, version: request.version, keepAlive: request.keepAlive)
    }

    /// Reserves the slot for the answer to a request that could not be parsed; the
    /// connection closes after it.
    public mutating func reserveFinal(version: HTTPVersion = .http1_1) -> Int {
        reserve(headOnly: false, version: version, keepAlive: false)
    }

    private mutating func reserve(headOnly: Bool, version: HTTPVersion, keepAlive: Bool) -> Int {
        slots.append(Slot(headOnly: headOnly, version: version, keepAlive: keepAlive))
        defer { nextID += 1 }
        return nextID
    }

    /// Records the response for slot `id`. Unknown or already written slots are ignored.
    public mutating func fulfil(_ id: Int, with response: HTTPResponse) {
        let index = id - (nextID - slots.count + firstIndex) + firstIndex
        guard index >= firstIndex, index < slots.count, slots[index].response == nil else { return }
        slots[index].response = response
    }

    /// Writes every response that is ready and whose predecessors have been written.
    /// Returns `true` when one of them ends the connection; nothing after it is written.
    public mutating func drain(date: [UInt8], into output: inout [UInt8]) -> Bool {
        var closes = false
        while firstIndex < slots.count, let response = slots[firstIndex].response {
            let slot = slots[firstIndex]
            ResponseWriter.write(response, headOnly: slot.headOnly, version: slot.version,
                                 keepAlive: slot.keepAlive, date: date, into: &output)
            firstIndex += 1
            if !slot.keepAlive {
                closes = true
                break
            }
        }
        if firstIndex == slots.count {
            slots.removeAll(keepingCapacity: true)
            firstIndex = 0
        } else if firstIndex > 64 {
            slots.removeFirst(firstIndex)
            firstIndex = 0
        }
        return closes
    }
}
