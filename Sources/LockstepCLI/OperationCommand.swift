import ArgumentParser
import Foundation
import LockstepClient
import LockstepAudit
import LockstepCore
import LockstepService

/// Names one API operation for ``OperationCommand``.
protocol OperationName {
    static var operation: String { get }
}

/// `lockstep <operation> [options]`: one AWS Secrets Manager operation against the local data directory, with
/// the aws CLI's option names and output.
struct OperationCommand<Name: OperationName>: AsyncParsableCommand {
    static var spec: OperationSpec { OperationSpec.all.first { $0.operation == Name.operation }! }

    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: spec.command, abstract: spec.summary, discussion: Self.usage)
    }

    static var usage: String {
        let options = spec.parameters.map { parameter in
            let shape: String
            switch parameter.kind {
            case .string: shape = "<value>"
            case .integer: shape = "<integer>"
            case .boolean: shape = "| --no-\(parameter.option.dropFirst(2))"
            case .blob: shape = "<value> | fileb://<path>"
            case .stringList: shape = "<value> [<value> ...]"
            case .structureList(let members): shape = members.map { "\($0)=<value>" }.joined(separator: ",") + " ..."
            case .structure(let members, _): shape = members.map { "\($0)=<value>" }.joined(separator: ",") + " | <json>"
            }
            return "  \(parameter.required ? "" : "[")\(parameter.option) \(shape)\(parameter.required ? "" : "]")"
        }
        return """
            Options (aws CLI names; any value may be file://<path>):
            \(options.joined(separator: "\n"))
              [--cli-input-json <json>] [--query <path>] [--output json|text]
              [--data-dir <dir>] [--region <region>] [--account-id <id>]
            """
    }

    @Argument(parsing: .captureForPassthrough, help: "Options of the operation; see the discussion above.")
    var arguments: [String] = []

    func run() async throws {
        let spec = Self.spec
        let globals: OperationGlobals
        let body: [String: JSONValue]
        do {
            globals = try OperationGlobals(self.arguments)
            if globals.help {
                print(Self.helpMessage())
                return
            }
            var request: [String: JSONValue] = [:]
            if let input = globals.cliInputJSON {
                guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(input.utf8)) else {
                    throw ArgumentTranslator.UsageError(description: "--cli-input-json must be a JSON object")
                }
                request = object
            }
            body = try ArgumentTranslator(spec: spec).request(from: globals.remaining, base: request)
        } catch let error as ArgumentTranslator.UsageError {
            FileHandle.standardError.write(Data("lockstep \(spec.command): error: \(error.description)\n".utf8))
            throw ExitCode(252)
        } catch is DecodingError {
            FileHandle.standardError.write(Data("lockstep \(spec.command): error: --cli-input-json is not valid JSON\n".utf8))
            throw ExitCode(252)
        }

        do {
            let request = try JSONEncoder().encode(JSONValue.object(body))
            let response = try await Self.send(spec.operation, request, globals: globals)
            let rendered = try globals.output.render(try JSONDecoder().decode(JSONValue.self, from: response))
            if !rendered.isEmpty { print(rendered) }
        } catch let error as ArgumentTranslator.UsageError {
            FileHandle.standardError.write(Data("lockstep \(spec.command): error: \(error.description)\n".utf8))
            throw ExitCode(252)
        } catch let error as RemoteError {
            FileHandle.standardError.write(
                Data("\nAn error occurred (\(error.code)) when calling the \(spec.operation) operation: \(error.message)\n".utf8)
            )
            throw ExitCode(254)
        } catch let error as SecretsManagerError {
            FileHandle.standardError.write(
                Data("\nAn error occurred (\(error.code)) when calling the \(spec.operation) operation: \(error.message)\n".utf8)
            )
            throw ExitCode(254)
        }
    }
}

/// An error answered by a remote server: its AWS code and message as sent.
struct RemoteError: Error {
    var code: String
    var message: String
}

extension OperationCommand {
    /// Runs the operation in process on the data directory, or against `--endpoint-url` (`AWS_ENDPOINT_URL`).
    static func send(_ operation: String, _ body: Data, globals: OperationGlobals) async throws -> Data {
        let environment = ProcessInfo.processInfo.environment
        if let endpoint = globals.endpointURL ?? environment["AWS_ENDPOINT_URL_SECRETS_MANAGER"] ?? environment["AWS_ENDPOINT_URL"] {
            guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https" else {
                throw ArgumentTranslator.UsageError(description: "Bad value for --endpoint-url: \(endpoint)")
            }
            let client: RemoteClient
            do {
                client = try RemoteClient(endpoint: url, profile: globals.profile, region: globals.region, environment: environment)
            } catch let error as RemoteClient.ConfigurationError {
                throw ArgumentTranslator.UsageError(description: error.description)
            }
            let (status, response) = try await client.invoke(operation, body: body)
            guard status == 200 else {
                let shape = try? JSONDecoder().decode([String: String].self, from: response)
                let code = shape?["__type"].map { String($0.split(separator: "#").last ?? Substring($0)) } ?? "HTTP\(status)"
                throw RemoteError(code: code, message: shape?["message"] ?? shape?["Message"] ?? "HTTP status \(status)")
            }
            return response
        }
        let local: LockstepEnvironment
        do {
            // The rotation hooks make RotateSecret check the rotator name; rotations run in `serve` or `rotate`.
            local = try RotationSetup(try await LockstepEnvironment.opened(globals.configuration, create: true), options: try RotationOptions.parse([])).environment
        } catch {
            FileHandle.standardError.write(Data("lockstep: \(error)\n".utf8))
            throw ExitCode(255)
        }
        // The operator of the data directory acts as the account root; the call is audited before the process exits.
        do {
            let response = try await local.dispatcher.invoke(operation, body: body, context: local.context)
            try? await local.auditLog.flush()
            return response
        } catch {
            try? await local.auditLog.flush()
            throw error
        }
    }
}

enum CreateSecretName: OperationName { static let operation = "CreateSecret" }
enum GetSecretValueName: OperationName { static let operation = "GetSecretValue" }
enum BatchGetSecretValueName: OperationName { static let operation = "BatchGetSecretValue" }
enum PutSecretValueName: OperationName { static let operation = "PutSecretValue" }
enum UpdateSecretName: OperationName { static let operation = "UpdateSecret" }
enum UpdateSecretVersionStageName: OperationName { static let operation = "UpdateSecretVersionStage" }
enum DescribeSecretName: OperationName { static let operation = "DescribeSecret" }
enum ListSecretsName: OperationName { static let operation = "ListSecrets" }
enum ListSecretVersionIdsName: OperationName { static let operation = "ListSecretVersionIds" }
enum DeleteSecretName: OperationName { static let operation = "DeleteSecret" }
enum RestoreSecretName: OperationName { static let operation = "RestoreSecret" }
enum TagResourceName: OperationName { static let operation = "TagResource" }
enum UntagResourceName: OperationName { static let operation = "UntagResource" }
enum GetRandomPasswordName: OperationName { static let operation = "GetRandomPassword" }
enum ReplicateSecretToRegionsName: OperationName { static let operation = "ReplicateSecretToRegions" }
enum RemoveRegionsFromReplicationName: OperationName { static let operation = "RemoveRegionsFromReplication" }
enum StopReplicationToReplicaName: OperationName { static let operation = "StopReplicationToReplica" }
enum RotateSecretName: OperationName { static let operation = "RotateSecret" }
enum CancelRotateSecretName: OperationName { static let operation = "CancelRotateSecret" }
enum PutResourcePolicyName: OperationName { static let operation = "PutResourcePolicy" }
enum GetResourcePolicyName: OperationName { static let operation = "GetResourcePolicy" }
enum DeleteResourcePolicyName: OperationName { static let operation = "DeleteResourcePolicy" }
enum ValidateResourcePolicyName: OperationName { static let operation = "ValidateResourcePolicy" }

/// The operation commands, in help order.
let operationCommands: [any ParsableCommand.Type] = [
    OperationCommand<CreateSecretName>.self,
    OperationCommand<GetSecretValueName>.self,
    OperationCommand<BatchGetSecretValueName>.self,
    OperationCommand<PutSecretValueName>.self,
    OperationCommand<UpdateSecretName>.self,
    OperationCommand<UpdateSecretVersionStageName>.self,
    OperationCommand<DescribeSecretName>.self,
    OperationCommand<ListSecretsName>.self,
    OperationCommand<ListSecretVersionIdsName>.self,
    OperationCommand<DeleteSecretName>.self,
    OperationCommand<RestoreSecretName>.self,
    OperationCommand<TagResourceName>.self,
    OperationCommand<UntagResourceName>.self,
    OperationCommand<GetRandomPasswordName>.self,
    OperationCommand<ReplicateSecretToRegionsName>.self,
    OperationCommand<RemoveRegionsFromReplicationName>.self,
    OperationCommand<StopReplicationToReplicaName>.self,
    OperationCommand<RotateSecretName>.self,
    OperationCommand<CancelRotateSecretName>.self,
    OperationCommand<PutResourcePolicyName>.self,
    OperationCommand<GetResourcePolicyName>.self,
    OperationCommand<DeleteResourcePolicyName>.self,
    OperationCommand<ValidateResourcePolicyName>.self,
]
