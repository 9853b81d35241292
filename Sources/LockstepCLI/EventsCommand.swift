import ArgumentParser
import Foundation
import LockstepEvents
import LockstepService

/// `lockstep events status`: where each webhook endpoint's delivery stands (read from the store, so it covers every
/// node of a shared PostgreSQL store).
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Inspect the delivery of events to webhooks (serve --events-config).",
        subcommands: [Status.self]
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
}
