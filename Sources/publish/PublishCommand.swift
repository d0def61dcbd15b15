import AMQPMessaging
import ArgumentParser
import Foundation
import Messaging
import Producer
import Settings

/// `publish`: sends messages into the inbound queue, with publisher confirms.
@main
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publishes persistent messages with unique ids into the inbound queue and waits for the broker's confirms.",
        discussion: "The broker comes from amqp.url (BIGGOAL_AMQP_URL, --amqp-url or the config file), the queue from amqp.queue."
    )

    @Option(help: "How many messages to publish.")
    var count: Int = 1

    @Option(help: "The message type: the `type` header and property. Only `hello` is counted.")
    var type: String = "hello"

    @Option(help: "The message body.")
    var body: String = "Привет!"

    @Option(help: "The queue to publish into (default: amqp.queue).")
    var queue: String?

    @Option(help: "At most this many messages per second (default: as fast as confirms allow).")
    var rate: Double?

    @Option(help: "Set reply_to on every message, asking for the replies in this queue.")
    var replyTo: String?

    @Option(help: "Message ids start with this prefix (default: a random one); republishing with the same prefix repeats the ids.")
    var idPrefix: String?

    @Option(name: .customLong("config"), help: "A JSON configuration file.")
    var configPath: String?

    @Argument(parsing: .allUnrecognized, help: "Configuration keys as flags, e.g. --amqp-url amqp://…")
    var settingFlags: [String] = []

    static let batchSize = 500

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    }

    func run() async throws {
        guard let settings = await SettingsSource.load(
            program: "publish", knownKeys: ConsumerSettings.keys, flags: settingFlags, configPath: configPath,
            { source throws(SettingsError) in try ConsumerSettings(source).amqp }
        ) else {
            throw ExitCode(2)
        }
        let queue = self.queue ?? settings.queue
        let endpoint = AMQPEndpoint(url: settings.url, heartbeatSeconds: settings.heartbeatSeconds, connectionName: "biggoal-publish")
        let prefix = idPrefix ?? UUID().uuidString.prefix(8).lowercased()
        let showProgress = isatty(STDERR_FILENO) != 0

        let channel: AMQPPublishChannel
        do {
            channel = try AMQPPublishChannel(endpoint: endpoint)
            try channel.declareQueue(queue)
        } catch {
            FileHandle.standardError.write(Data("publish: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { channel.close() }
        let producer = Producer(channel: channel)
        let started = Date()
        var published = 0
        var failed = 0
        while published + failed < count {
            let size = min(Self.batchSize, count - published - failed, rate.map { max(1, Int($0 / 10)) } ?? Self.batchSize)
            let first = published + failed
            let batch = (first..<(first + size)).map { index in
                (message: message(id: "\(prefix)-\(index)"), destination: Destination.queue(queue))
            }
            do {
                let outcomes = try producer.publish(batch)
                published += outcomes.filter { $0 == .confirmed }.count
                failed += outcomes.filter { $0 != .confirmed }.count
            } catch {
                FileHandle.standardError.write(Data("\npublish: \(error)\n".utf8))
                throw ExitCode(1)
            }
            if let rate {
                let due = started.addingTimeInterval(Double(published + failed) / rate)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            }
            if showProgress {
                FileHandle.standardError.write(Data("\rpublished \(published)/\(count)".utf8))
            }
        }
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        if showProgress { FileHandle.standardError.write(Data("\r".utf8)) }
        print("published \(published) of \(count) messages to \(queue) in \(String(format: "%.2f", seconds)) s (\(Int(Double(published) / seconds)) msg/s)")
        if failed > 0 {
            FileHandle.standardError.write(Data("publish: \(failed) messages were not confirmed by the broker\n".utf8))
            throw ExitCode(1)
        }
    }

    private func message(id: String) -> Message {
        Message(
            body: Array(body.utf8),
            contentType: "text/plain; charset=utf-8",
            messageID: MessageID(id),
            replyTo: replyTo,
            type: type,
            appID: "biggoal-publish",
            timestamp: UInt64(Date().timeIntervalSince1970),
            persistent: true,
            headers: [("type", .string(type))]
        )
    }
}
