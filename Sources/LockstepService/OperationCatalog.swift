import Foundation

/// Every operation of the API, once: its handler, IAM action, the resources it touches, whether it only reads, and
/// what its audit record keeps. The dispatcher, authorization, the audit record, the server's metrics and the CLI all
/// read this table; nothing else lists operations.
public struct Operation: Sendable {
    /// What an operation acts on, for authorization.
    public enum Resources: Sendable {
        /// The secret its `SecretId` names (and, for replication, each region's replica and any secret overwritten).
        case secret
        /// A new secret named by `Name` (and its replicas).
        case newSecret
        /// No secret: the resource is `*` (ListSecrets, GetRandomPassword), or each secret read (BatchGetSecretValue).
        case none
    }

    /// The API name (`GetSecretValue`), which is also the `X-Amz-Target` suffix and the audit event name.
    public let name: String
    /// `secretsmanager:<name>`.
    public let action: String
    /// The action lower-cased, compared against policies without allocating per request.
    public let lowercasedAction: String
    public let resources: Resources
    /// Reads only: CloudTrail's `readOnly`, and no `responseElements` in the audit record (they may hold values).
    public let isReadOnly: Bool
    /// The request can carry a secret value or a rotation token: its body is redacted on the request path.
    public let carriesSecrets: Bool
    /// The aws CLI's command (`get-secret-value`).
    public var cliCommand: String { Operation.kebab(self.name) }

    typealias Handler = @Sendable (SecretsManager, Data, RequestContext) async throws -> Data
    let handler: Handler

    init(_ name: String, _ resources: Resources, readOnly: Bool = false, carriesSecrets: Bool = false, _ handler: @escaping Handler) {
        self.name = name
        self.action = "secretsmanager:" + name
        self.lowercasedAction = self.action.lowercased()
        self.resources = resources
        self.isReadOnly = readOnly
        self.carriesSecrets = carriesSecrets
        self.handler = handler
    }

    /// `SecretId` → `secret-id`, `RotationLambdaARN` → `rotation-lambda-arn`: the aws CLI's names.
    public static func kebab(_ name: String) -> String {
        var result = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    result.append("-")
                }
            }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }
}

public enum OperationCatalog {
    private typealias D = OperationDispatcher

    /// The 23 operations of AWS Secrets Manager (botocore's `secretsmanager` model), sorted by name.
    public static let all: [Operation] = [
        Operation("BatchGetSecretValue", .none, readOnly: true, D.handler(SecretsManager.batchGetSecretValue)),
        Operation("CancelRotateSecret", .secret, D.handler(SecretsManager.cancelRotateSecret)),
        Operation("CreateSecret", .newSecret, carriesSecrets: true, D.handler(SecretsManager.createSecret)),
        Operation("DeleteResourcePolicy", .secret, D.handler(SecretsManager.deleteResourcePolicy)),
        Operation("DeleteSecret", .secret, D.handler(SecretsManager.deleteSecret)),
        Operation("DescribeSecret", .secret, readOnly: true, D.handler(SecretsManager.describeSecret)),
        Operation("GetRandomPassword", .none, readOnly: true, D.handler(SecretsManager.getRandomPassword)),
        Operation("GetResourcePolicy", .secret, readOnly: true, D.handler(SecretsManager.getResourcePolicy)),
        Operation("GetSecretValue", .secret, readOnly: true, D.handler(SecretsManager.getSecretValue)),
        Operation("ListSecretVersionIds", .secret, readOnly: true, D.handler(SecretsManager.listSecretVersionIds)),
        Operation("ListSecrets", .none, readOnly: true, D.handler(SecretsManager.listSecrets)),
        Operation("PutResourcePolicy", .secret, D.handler(SecretsManager.putResourcePolicy)),
        Operation("PutSecretValue", .secret, carriesSecrets: true, D.handler(SecretsManager.putSecretValue)),
        Operation("RemoveRegionsFromReplication", .secret, D.handler(SecretsManager.removeRegionsFromReplication)),
        Operation("ReplicateSecretToRegions", .secret, D.handler(SecretsManager.replicateSecretToRegions)),
        Operation("RestoreSecret", .secret, D.handler(SecretsManager.restoreSecret)),
        Operation("RotateSecret", .secret, D.handler(SecretsManager.rotateSecret)),
        Operation("StopReplicationToReplica", .secret, D.handler(SecretsManager.stopReplicationToReplica)),
        Operation("TagResource", .secret, D.handler(SecretsManager.tagResource)),
        Operation("UntagResource", .secret, D.handler(SecretsManager.untagResource)),
        Operation("UpdateSecret", .secret, carriesSecrets: true, D.handler(SecretsManager.updateSecret)),
        Operation("UpdateSecretVersionStage", .secret, D.handler(SecretsManager.updateSecretVersionStage)),
        Operation("ValidateResourcePolicy", .none, readOnly: true, D.handler(SecretsManager.validateResourcePolicy)),
    ]

    private static let byName: [String: Operation] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The operation of this name, if the API has one (names from a request are looked up, never stored).
    public static func operation(named name: String) -> Operation? { Self.byName[name] }

    /// The operation names, sorted.
    public static var names: [String] { Self.all.map(\.name) }
}
