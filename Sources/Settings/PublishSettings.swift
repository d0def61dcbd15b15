import SettingKeys

/// What `publish` reads from its configuration: the broker and the inbound queue.
public struct PublishSettings: ProgramSettings, Equatable {
    public static let declarations = AMQPSettings.connectionDeclarations

    public var url: AMQPURL
    public var heartbeatSeconds: Int
    public var queue: String

    public init(_ source: SettingsSource) throws(SettingsError) {
        url = try source.read(AMQPSettings.url)
        heartbeatSeconds = try source.read(AMQPSettings.heartbeatSeconds)
        queue = try source.read(AMQPSettings.queue)
    }
}
