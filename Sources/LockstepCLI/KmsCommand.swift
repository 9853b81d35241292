import ArgumentParser
import Foundation
import LockstepCore
import LockstepService

/// `lockstep kms ...`: master keys of the local key provider.
struct KmsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kms",
        abstract: "Manage the master keys that wrap data keys.",
        subcommands: [CreateKey.self, ListKeys.self, RotateKey.self]
    )

    struct CreateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-key", abstract: "Create a customer master key.")

        @Option(help: "An alias for the key (alias/NAME or NAME).") var alias: String?
        @Option(help: "A description.") var description: String = ""
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await KmsCommand.run(self.store) { try await $0.createKey(alias: self.alias, description: self.description) }
        }
    }

    struct ListKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-keys", abstract: "List master keys.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await KmsCommand.run(self.store) { ["Keys": try await $0.listKeys()] }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Give a master key new material; data keys wrapped before stay readable."
        )
        @Option(help: "Key id, key ARN, alias name or alias ARN.") var keyId: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await KmsCommand.run(self.store) { try await $0.rotateKey(self.keyId) }
        }
    }

    static func run<T: Encodable>(_ options: StoreOptions, _ body: (KeyManagement) async throws -> T) async throws {
        let environment = try await LockstepEnvironment.opened(options.configuration(), create: true)
        try await CommandOutput.printResult { try await body(KeyManagement(store: environment.store, keyring: environment.keyring)) }
    }
}
