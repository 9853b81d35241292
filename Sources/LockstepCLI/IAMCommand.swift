import ArgumentParser
import Foundation
import LockstepAudit
import LockstepCore
import LockstepService
import LockstepStore

/// `lockstep iam ...`: users, roles, their policies and access keys, and role sessions.
///
/// These commands work in process on the data directory, as its operator (the account root of `--account-id`);
/// each change is recorded in the audit log (`eventSource` `iam.amazonaws.com`).
struct IAMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iam",
        abstract: "Manage users, roles, their policies, access keys and role sessions.",
        subcommands: [
            CreateAccessKey.self, ListAccessKeys.self, DeleteAccessKey.self, CreateUser.self, DeleteUser.self, ListUsers.self,
            CreateRole.self, DeleteRole.self, ListRoles.self, PutUserPolicy.self, GetUserPolicy.self, DeleteUserPolicy.self,
            ListUserPolicies.self, PutRolePolicy.self, GetRolePolicy.self, DeleteRolePolicy.self, ListRolePolicies.self, AssumeRole.self,
        ]
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
            try await IAMCommand.run(self.store, event: "CreateAccessKey", ["userName": self.userName]) { keys, configuration in
                let identities = Identities(manager: keys.manager)
                if try await !identities.list(.user, account: configuration.account).contains(where: { $0.UserName == self.userName }) {
                    FileHandle.standardError.write(
                        Data("note: user \(self.userName) didn't exist; it was created with the AdministratorAccess policy\n".utf8)
                    )
                }
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
            try await IAMCommand.run(self.store, event: "DeleteAccessKey", ["accessKeyId": self.accessKeyId]) { keys, _ in
                try await keys.delete(accessKeyId: self.accessKeyId)
                return [String: String]()
            }
        }
    }

    /// Opens the data directory, runs `body` and prints its result; a change (`event`) is audited.
    static func run<T: Encodable>(
        _ options: StoreOptions,
        event: String? = nil,
        _ parameters: [String: String] = [:],
        _ body: (AccessKeys, LockstepEnvironment.Configuration) async throws -> T
    ) async throws {
        let configuration = options.configuration()
        let environment = try await LockstepEnvironment.opened(configuration, create: true)
        var failure: SecretsManagerError?
        do {
            try await CommandOutput.printResult {
                do {
                    return try await body(AccessKeys(manager: environment.manager), configuration)
                } catch let error as SecretsManagerError {
                    failure = error
                    throw error
                }
            }
        } catch {
            if let event { Self.audit(environment, event: event, parameters: parameters, failure: failure) }
            try? await environment.auditLog.flush()
            throw error
        }
        if let event { Self.audit(environment, event: event, parameters: parameters, failure: nil) }
        try? await environment.auditLog.flush()
    }

    /// Records an IAM change made by the operator (the account root) in the audit log.
    static func audit(_ environment: LockstepEnvironment, event: String, parameters: [String: String], failure: SecretsManagerError?) {
        let account = environment.configuration.account
        var record = AuditEvent(
            eventTime: Date(),
            eventName: event,
            region: environment.configuration.region,
            recipientAccount: account,
            sourceIPAddress: "127.0.0.1",
            userAgent: "lockstep-cli",
            identity: AuditEvent.Identity(type: "Root", arn: "arn:aws:iam::\(account):root", accountId: account, userName: "root"),
            requestParameters: try? JSONEncoder().encode(parameters),
            errorCode: failure?.code.rawValue,
            errorMessage: failure?.message,
            requestID: UUID().uuidString.lowercased(),
            readOnly: false
        )
        record.eventSource = "iam.amazonaws.com"
        environment.auditLog.record(record)
    }
}
