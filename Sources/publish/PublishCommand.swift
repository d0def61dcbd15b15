import AMQP
import AMQPMessaging
import ArgumentParser
import CommandSupport
import ConsumerApp
import FoundationEssentials
import Glibc
import LinuxIO
import Messaging
import Producer
import Resilience
import Settings

@main
enum Main {
    static func main() async {
        await PublishCommand.launch()
    }
}

/// `publish`: sends messages into the inbound queue, with publisher confirms.
struct PublishCommand: SettingsCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publishes persistent messages with unique ids into the inbound queue and waits for the broker's confirms.",
        discussion: settingsHelp(),
        version: versionText(program: "publish", libraries: [AMQPConnection.libraryVersion])
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

    @OptionGroup var options: SettingsOptions<PublishSettings>

    static let batchSize = 500

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    }

    func run() async throws {
        let settings = try await loadSettings()
        let queue = self.queue ?? settings.queue
        let prefix = idPrefix ?? UUID().uuidString.prefix(8).lowercased()
        let showProgress = isatty(STDERR_FILENO) != 0

        var link: PublishLink
        do {
            link = try PublishLink(settings: settings, queue: queue)
        } catch {
            printError("\(error)")
            // A certificate that does not verify, or refused credentials, is the
            // configuration's fault, as a bad setting is.
            throw ExitCode(error.isPermanent ? 2 : 1)
        }
        defer { link.close() }
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
                let settled = try await link.publish(batch)
                published += settled.confirmed
                failed += settled.failed
            } catch {
                StandardError.write("\npublish: \(error)\n")
                throw ExitCode(1)
            }
            if let rate {
                let due = started.addingTimeInterval(Double(published + failed) / rate)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            }
            if showProgress {
                StandardError.write("\rpublished \(published)/\(count)")
            }
        }
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        if showProgress { StandardError.write("\r") }
        print("published \(published) of \(count) messages to \(queue) in \(seconds.withTwoDecimals) s (\(Int(Double(published) / seconds)) msg/s)")
        if failed > 0 {
            StandardError.write("publish: \(failed) messages were not confirmed by the broker\n")
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
