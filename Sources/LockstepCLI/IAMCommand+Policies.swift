import ArgumentParser
import Foundation
import LockstepService
import LockstepStore

/// The inline-policy commands of users and roles: put, get, delete and list, with the aws CLI's option names.
protocol InlinePolicyCommand: AsyncParsableCommand {
    static var kind: IdentityKind { get }
    var identityName: String { get }
    var store: StoreOptions { get }
}

extension InlinePolicyCommand {
    var nameParameter: String { Self.kind == .user ? "userName" : "roleName" }
}

extension IAMCommand {
    struct PutUserPolicy: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "put-user-policy", abstract: "Create or replace a user's inline policy.")
        static let kind = IdentityKind.user
        @Option(help: "The user name.") var userName: String
        @Option(help: "The policy's name.") var policyName: String
        @Option(help: "The policy (JSON or file://PATH).") var policyDocument: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.userName }

        func run() async throws { try await self.put(self.policyName, self.policyDocument) }
    }

    struct PutRolePolicy: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "put-role-policy", abstract: "Create or replace a role's inline policy.")
        static let kind = IdentityKind.role
        @Option(help: "The role name.") var roleName: String
        @Option(help: "The policy's name.") var policyName: String
        @Option(help: "The policy (JSON or file://PATH).") var policyDocument: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.roleName }

        func run() async throws { try await self.put(self.policyName, self.policyDocument) }
    }

    struct GetUserPolicy: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "get-user-policy", abstract: "Show a user's inline policy.")
        static let kind = IdentityKind.user
        @Option(help: "The user name.") var userName: String
        @Option(help: "The policy's name.") var policyName: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.userName }

        func run() async throws { try await self.get(self.policyName) }
    }

    struct GetRolePolicy: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "get-role-policy", abstract: "Show a role's inline policy.")
        static let kind = IdentityKind.role
        @Option(help: "The role name.") var roleName: String
        @Option(help: "The policy's name.") var policyName: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.roleName }

        func run() async throws { try await self.get(self.policyName) }
    }

    struct DeleteUserPolicy: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "delete-user-policy", abstract: "Delete a user's inline policy.")
        static let kind = IdentityKind.user
        @Option(help: "The user name.") var userName: String
        @Option(help: "The policy's name.") var policyName: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.userName }

        func run() async throws { try await self.delete(self.policyName) }
    }

    struct DeleteRolePolicy: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "delete-role-policy", abstract: "Delete a role's inline policy.")
        static let kind = IdentityKind.role
        @Option(help: "The role name.") var roleName: String
        @Option(help: "The policy's name.") var policyName: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.roleName }

        func run() async throws { try await self.delete(self.policyName) }
    }

    struct ListUserPolicies: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "list-user-policies", abstract: "List a user's inline policy names.")
        static let kind = IdentityKind.user
        @Option(help: "The user name.") var userName: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.userName }

        func run() async throws { try await self.list() }
    }

    struct ListRolePolicies: InlinePolicyCommand {
        static let configuration = CommandConfiguration(commandName: "list-role-policies", abstract: "List a role's inline policy names.")
        static let kind = IdentityKind.role
        @Option(help: "The role name.") var roleName: String
        @OptionGroup var store: StoreOptions
        var identityName: String { self.roleName }

        func run() async throws { try await self.list() }
    }
}

extension InlinePolicyCommand {
    func put(_ policyName: String, _ argument: String) async throws {
        let document = try policyDocument(argument)
        let event = Self.kind == .user ? "PutUserPolicy" : "PutRolePolicy"
        try await IAMCommand.run(
            self.store,
            event: event,
            [self.nameParameter: self.identityName, "policyName": policyName, "policyDocument": document]
        ) {
            keys,
            configuration in
            try await Identities(manager: keys.manager).putPolicy(
                Self.kind,
                name: self.identityName,
                account: configuration.account,
                policyName: policyName,
                document: document
            )
            return [String: String]()
        }
    }

    func get(_ policyName: String) async throws {
        try await IAMCommand.run(self.store) { keys, configuration in
            let policy = try await Identities(manager: keys.manager).policy(
                Self.kind,
                name: self.identityName,
                account: configuration.account,
                policyName: policyName
            )
            return [
                Self.kind == .user ? "UserName" : "RoleName": self.identityName, "PolicyName": policy.PolicyName,
                "PolicyDocument": policy.PolicyDocument,
            ]
        }
    }

    func delete(_ policyName: String) async throws {
        let event = Self.kind == .user ? "DeleteUserPolicy" : "DeleteRolePolicy"
        try await IAMCommand.run(self.store, event: event, [self.nameParameter: self.identityName, "policyName": policyName]) { keys, configuration in
            try await Identities(manager: keys.manager).deletePolicy(
                Self.kind,
                name: self.identityName,
                account: configuration.account,
                policyName: policyName
            )
            return [String: String]()
        }
    }

    func list() async throws {
        try await IAMCommand.run(self.store) { keys, configuration in
            [
                "PolicyNames": try await Identities(manager: keys.manager).policyNames(
                    Self.kind,
                    name: self.identityName,
                    account: configuration.account
                )
            ]
        }
    }
}
