/// Which of several equivalent endpoints (the nodes of a cluster) to try next.
///
/// Each process starts at its own place in the list — a random order by default, so that
/// many clients spread over the nodes instead of all crowding the first — and moves to the
/// next endpoint after each failure. Only when every endpoint has failed once in a row is a
/// back-off due: one dead node must not delay reaching a live one.
public struct EndpointRotation: Sendable, Equatable {
    /// How the endpoints are ordered.
    public enum Order: String, Sendable, CaseIterable {
        /// A random order per process.
        case shuffle
        /// As listed: the first that answers wins.
        case ordered
    }

    /// Endpoint indices in the order they are tried.
    public let order: [Int]
    private var position = 0
    /// Failures since the last success, across endpoints.
    public private(set) var failuresInARow = 0

    public init(count: Int, order: Order, using generator: inout some RandomNumberGenerator) {
        precondition(count > 0, "at least one endpoint")
        self.order = order == .shuffle ? Array(0..<count).shuffled(using: &generator) : Array(0..<count)
    }

    public init(count: Int, order: Order) {
        var generator = SystemRandomNumberGenerator()
        self.init(count: count, order: order, using: &generator)
    }

    /// The endpoint to try now.
    public var current: Int { order[position] }

    /// Records a failure of the current endpoint and moves to the next. Returns the number
    /// of full rounds failed so far when this failure completed one (every endpoint tried
    /// since the last success), for the back-off; nil when other endpoints are still to be
    /// tried at once.
    public mutating func failed() -> Int? {
        failuresInARow += 1
        position = (position + 1) % order.count
        return failuresInARow % order.count == 0 ? failuresInARow / order.count : nil
    }

    /// Records that the current endpoint answered: the next failure starts a new round from
    /// the endpoint after it.
    public mutating func succeeded() {
        failuresInARow = 0
    }
}
