/// A consumer instance's heartbeat: who it is, where it is connected, how busy it is and
/// what it last saw of its queues. Each instance writes its own to Redis every few seconds
/// with an expiry, so an instance that died drops off by itself; the status page reads them.
///
/// Stored as a hash of text fields. What is read back is checked field by field: a hash
/// someone else wrote into the key gives a record with defaults, never a failed page.
public struct ConsumerPresence: Sendable, Equatable {
    /// Unique per process: service name, host and process id.
    public var instance: String
    /// The broker node it is connected to (`host:port`), or empty while it reconnects.
    public var node: String
    public var inFlight: Int
    public var receivedPerSecond: Double
    public var sentPerSecond: Double
    public var queue: String
    /// Ready messages in the inbound queue; nil when the broker did not say.
    public var queueMessages: Int?
    public var deadLetterQueue: String
    public var deadLetterMessages: Int?
    /// When the heartbeat was written, in milliseconds since the Unix epoch, by the
    /// consumer's clock.
    public var sentAtMilliseconds: Int

    public init(instance: String, node: String, inFlight: Int, receivedPerSecond: Double, sentPerSecond: Double, queue: String,
                queueMessages: Int?, deadLetterQueue: String, deadLetterMessages: Int?, sentAtMilliseconds: Int) {
        self.instance = instance
        self.node = node
        self.inFlight = inFlight
        self.receivedPerSecond = receivedPerSecond
        self.sentPerSecond = sentPerSecond
        self.queue = queue
        self.queueMessages = queueMessages
        self.deadLetterQueue = deadLetterQueue
        self.deadLetterMessages = deadLetterMessages
        self.sentAtMilliseconds = sentAtMilliseconds
    }

    /// The hash's fields and values.
    public var fields: [(String, String)] {
        [
            ("instance", instance), ("node", node), ("inFlight", String(inFlight)),
            ("receivedPerSecond", Self.format(receivedPerSecond)), ("sentPerSecond", Self.format(sentPerSecond)),
            ("queue", queue), ("queueMessages", queueMessages.map(String.init) ?? ""),
            ("deadLetterQueue", deadLetterQueue), ("deadLetterMessages", deadLetterMessages.map(String.init) ?? ""),
            ("sentAt", String(sentAtMilliseconds)),
        ]
    }

    /// A record from a hash's fields as Redis returns them; a field that is missing or not
    /// a number where one belongs reads as its default. Nil without an instance name.
    public init?(fields: [String: String]) {
        guard let instance = fields["instance"], !instance.isEmpty else { return nil }
        func integer(_ name: String) -> Int? { fields[name].flatMap { Int($0) } }
        func rate(_ name: String) -> Double {
            guard let value = fields[name].flatMap(Double.init), value.isFinite, value >= 0 else { return 0 }
            return value
        }
        self.init(
            instance: instance, node: fields["node"] ?? "", inFlight: max(0, integer("inFlight") ?? 0),
            receivedPerSecond: rate("receivedPerSecond"), sentPerSecond: rate("sentPerSecond"),
            queue: fields["queue"] ?? "", queueMessages: integer("queueMessages"),
            deadLetterQueue: fields["deadLetterQueue"] ?? "", deadLetterMessages: integer("deadLetterMessages"),
            sentAtMilliseconds: integer("sentAt") ?? 0
        )
    }

    /// One decimal: enough for a rate, and the same text on every platform.
    private static func format(_ rate: Double) -> String {
        let tenths = Int((rate * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
