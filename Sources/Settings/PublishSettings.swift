import SettingKeys

/// What `publish` reads from its configuration: the broker and the inbound queue.
public struct PublishSettings: ProgramSettings, Equatable {
    public static let declarations = AMQPSettings.connectionDeclarations

    public var broker: BrokerLink
    public var queue: String
    public var queueType: AMQPSettings.QueueKind
    public var maxAttempts: Int
    /// `amqp.deadLetterQueue` when set (empty: none); nil when it follows the queue's name.
    private var explicitDeadLetterQueue: String?

    public init(_ source: SettingsSource) throws(SettingsError) {
        broker = try BrokerLink(source)
        queue = try source.read(AMQPSettings.queue)
        queueType = AMQPSettings.QueueKind(rawValue: try source.read(AMQPSettings.queueType))!
        maxAttempts = try source.read(AMQPSettings.maxAttempts)
        explicitDeadLetterQueue = try source.isSet(AMQPSettings.deadLetterQueue.key) ? source.read(AMQPSettings.deadLetterQueue) : nil
    }

    /// The dead-letter queue of inbound queue `queue` (which `--queue` may have chosen), as
    /// the consumer derives it: nil when there is none.
    public func deadLetterQueue(of queue: String) -> String? {
        let name = explicitDeadLetterQueue ?? "\(queue).dead"
        return name.isEmpty ? nil : name
    }
}
