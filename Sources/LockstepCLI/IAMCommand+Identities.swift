import ArgumentParser
import Foundation
import LockstepAuth
import LockstepCore
import LockstepService
import LockstepStore

/// A policy document given as JSON or as `file://PATH`, like the aws CLI.
func policyDocument(_ argument: String) throws -> String {
    guard argument.hasPrefix("file://") else { return argument }
    let path = String(argument.dropFirst("file://".count))
    guard let text = try? String(contentsOfFile: (path as NSString).expandingTildeInPath, encoding: .utf8) else {
        throw ValidationError("can't read \(path)")
    }
    return text
}

extension IAMCommand {
    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-user",
            abstract: "Create a user (no permissions until a policy is put; then create-access-key)."
        )
        @Option(help: "The user name.") var userName: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await IAMCommand.run(self.store, event: "CreateUser", ["userName": self.userName]) { keys, configuration in
                ["User": try await Identities(manager: keys.manager).create(.user, name: self.userName, account: configuration.account)]
            }
        }
    }

    struct DeleteUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete-user", abstract: "Delete a user with its access keys and policies.")
        @Option(help: "The user name.") var userName: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await IAMCommand.run(self.store, event: "DeleteUser", ["userName": self.userName]) { keys, configuration in
                try await Identities(manager: keys.manager).delete(.user, name: self.userName, account: configuration.account)
                return [String: String]()
            }
        }
    }

    struct ListUsers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list-users",
            abstract: "List the users of the account (--all-accounts: every account)."
        )
        @Flag(help: "Users of every account.") var allAccounts = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await IAMCommand.run(self.store) { keys, configuration in
                ["Users": try await Identities(manager: keys.manager).list(.user, account: self.allAccounts ? nil : configuration.account)]
            }
        }
    }

    struct CreateRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-role",
            abstract: "Create a role; its trust policy says who may assume it (default: principals of the account allowed sts:AssumeRole)."
        )
        @Option(help: "The role name.") var roleName: String
        @Option(help: "The trust policy (JSON or file://PATH).") var assumeRolePolicyDocument: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let trust = try self.assumeRolePolicyDocument.map(policyDocument)
            try await IAMCommand.run(self.store, event: "CreateRole", ["roleName": self.roleName, "assumeRolePolicyDocument": trust ?? ""]) {
                keys,
                configuration in
                [
                    "Role": try await Identities(manager: keys.manager).create(
                        .role,
                        name: self.roleName,
                        account: configuration.account,
                        trustPolicy: trust
                    )
                ]
            }
        }
    }

    struct DeleteRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete-role", abstract: "Delete a role with its policies.")
        @Option(help: "The role name.") var roleName: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await IAMCommand.run(self.store, event: "DeleteRole", ["roleName": self.roleName]) { keys, configuration in
                try await Identities(manager: keys.manager).delete(.role, name: self.roleName, account: configuration.account)
                return [String: String]()
            }
        }
    }

    struct ListRoles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-roles", abstract: "List the roles of the account.")
        @Flag(help: "Roles of every account.") var allAccounts = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await IAMCommand.run(self.store) { keys, configuration in
                ["Roles": try await Identities(manager: keys.manager).list(.role, account: self.allAccounts ? nil : configuration.account)]
            }
        }
    }

    struct AssumeRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "assume-role",
            abstract: "Issue temporary credentials (key, secret, session token) for a role, as the account's operator.",
            discussion: """
                The role's trust policy must admit the account (the default trust policy does). Clients of a running
                server can assume roles themselves with `aws sts assume-role --endpoint-url ...` (or boto3's STS client):
                then the trust policy and the caller's identity policies decide.
                """
        )
        @Option(help: "The role's ARN (arn:aws:iam::<account>:role/<name>).") var roleArn: String
        @Option(help: "A name for the session (2-64 characters).") var roleSessionName: String
        @Option(help: "Seconds the credentials live (900-43200).") var durationSeconds = 3600
        @Option(help: "An inline session policy (JSON or file://PATH) that narrows the role's permissions.") var policy: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let sessionPolicy = try self.policy.map(policyDocument)
            try await IAMCommand.run(self.store, event: "AssumeRole", ["roleArn": self.roleArn, "roleSessionName": self.roleSessionName]) {
                keys,
                configuration in
                let root = Principal(account: configuration.account, kind: .root, accessKeyId: "local")
                return try await Sessions(manager: keys.manager).assumeRole(
                    caller: Caller(principal: root, permissions: .accountRoot),
                    roleARN: self.roleArn,
                    sessionName: self.roleSessionName,
                    duration: TimeInterval(self.durationSeconds),
                    policy: sessionPolicy
                )
            }
        }
    }
}
