import AMQPMessaging
import SettingKeys

/// What `publish` reads from its configuration: the broker and the inbound queue.
public struct PublishSettings: ProgramSettings, Equatable {
    public static let declarations = AMQPSettings.connectionDeclarations

    public var endpoint: AMQPEndpoint
    public var queue: String

    public init(_ source: SettingsSource) throws(SettingsError) {
        endpoint = AMQPEndpoint(url: try source.read(AMQPSettings.url), heartbeatSeconds: try source.read(AMQPSettings.heartbeatSeconds),
                                connectionName: "biggoal-publish")
        queue = try source.read(AMQPSettings.queue)
    }
}
