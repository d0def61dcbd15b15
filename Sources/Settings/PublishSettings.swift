import SettingKeys

/// What `publish` reads from its configuration: the broker and the inbound queue.
public struct PublishSettings: ProgramSettings, Equatable {
    public static let declarations = AMQPSettings.connectionDeclarations

    public var broker: BrokerLink
    public var queue: String

    public init(_ source: SettingsSource) throws(SettingsError) {
        broker = try BrokerLink(source)
        queue = try source.read(AMQPSettings.queue)
    }
}
