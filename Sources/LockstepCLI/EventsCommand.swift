import ArgumentParser
import Foundation
import LockstepCore
import LockstepEvents
import LockstepService
import LockstepStore

/// `lockstep events status`: where each webhook endpoint's delivery stands (read from the store, so it covers every
/// node of a shared PostgreSQL store).
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Inspect the delivery of events to webhooks (serve --events-config).",
        subcommands: [Status.self, Forget.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show each webhook endpoint: delivered through, lag, attempts, last status and error, lost changes.",
            discussion: "Exits with 3 when an endpoint's last attempt failed (State \"failing\"), so a monitor can call it."
        )
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let environment = try await LockstepEnvironment.opened(self.store.configuration(), create: false)
            let entries = try await EventsStatusEntry.read(from: environment.store)
            try await CommandOutput.printResult { ["Webhooks": entries] }
            if entries.contains(where: { $0.State == "failing" }) { throw ExitCode(3) }
        }
    }

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forget",
            abstract: "Remove an endpoint no node delivers any more from the status (a node configured with it makes it again).",
            discussion: "Until it is removed, an endpoint a node configured within --change-retention holds changes back from retention."
        )
        @Option(help: "The endpoint's name.") var webhook: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let environment = try await LockstepEnvironment.opened(self.store.configuration(), create: false)
            let name = self.webhook
            let removed = try await environment.store.write(faultPoint: .webhookTransaction) { try $0.deleteWebhookCursor(name: name) }
            guard removed else { throw ValidationError("no webhook named \(name) in the store") }
        }
    }
}
