import ArgumentParser
import Foundation
import LockstepCore
import LockstepService

/// `lockstep iam ...`: access keys for SigV4.
struct IAMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iam",
        abstract: "Manage access keys.",
        subcommands: [CreateAccessKey.self, ListAccessKeys.self, DeleteAccessKey.self]
    )

    struct CreateAccessKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-access-key",
            abstract: "Create an access key (its secret is printed once), or import an existing pair."
        )
        @Option(help: "The IAM user name.") var userName = "admin"
        @Option(help: "Import this access key id (with --secret-access-key).") var accessKeyId: String?
        @Option(help: "Import this secret access key (with --access-key-id).") var secretAccessKey: String?
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard (self.accessKeyId == nil) == (self.secretAccessKey == nil) else {
                throw ValidationError("--access-key-id and --secret-access-key go together")
            }
        }

        func run() async throws {
            try await IAMCommand.run(self.store) { keys, configuration in
                let imported = self.accessKeyId.map { (accessKeyId: $0, secretAccessKey: self.secretAccessKey!) }
                return ["AccessKey": try await keys.create(userName: self.userName, account: configuration.account, importing: imported)]
            }
        }
    }

    struct ListAccessKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-access-keys", abstract: "List access keys (never their secrets).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await IAMCommand.run(self.store) { keys, _ in ["AccessKeyMetadata": try await keys.list()] }
        }
    }

    struct DeleteAccessKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete-access-key", abstract: "Delete an access key.")
        @Option(help: "The access key id.") var accessKeyId: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await IAMCommand.run(self.store) { keys, _ in
                try await keys.delete(accessKeyId: self.accessKeyId)
                return [String: String]()
            }
        }
    }

    static func run<T: Encodable>(
        _ options: StoreOptions,
        _ body: (AccessKeys, LockstepEnvironment.Configuration) async throws -> T
    ) async throws {
        let configuration = options.configuration()
        let environment = try LockstepEnvironment.open(configuration, create: true)
        try await CommandOutput.printResult { try await body(AccessKeys(manager: environment.manager), configuration) }
    }
}
