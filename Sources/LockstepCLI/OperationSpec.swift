import LockstepService

/// How the CLI exposes one API operation: the aws CLI's kebab-case command and option names, derived from the
/// operation's members.
struct OperationSpec: Sendable {
    /// The kind of a request member, which decides how its option is parsed.
    enum Kind: Sendable {
        case string
        case integer
        case boolean
        /// Raw bytes: `fileb://PATH` or the argument's own bytes.
        case blob
        case stringList
        /// A list of structures with these members, in shorthand (`Key=a,Value=b ...`) or JSON.
        case structureList([String])
        /// One structure with these members (some of them integers), in shorthand or JSON.
        case structure([String], integers: Set<String>)
    }

    struct Parameter: Sendable {
        var member: String
        var kind: Kind
        var required = false
        /// Filled with a fresh UUID when absent, as the AWS CLI and SDKs do for idempotency tokens.
        var idempotencyToken = false
        /// Never echoed (help shows it as sensitive).
        var sensitive = false

        var option: String { "--" + OperationSpec.kebab(self.member) }
    }

    var operation: String
    var summary: String
    var parameters: [Parameter]

    var command: String { Self.kebab(self.operation) }

    /// `SecretId` → `secret-id`: the aws CLI's names, as the catalog derives them.
    static func kebab(_ name: String) -> String { Operation.kebab(name) }
}

extension OperationSpec {
    private static let secretId = Parameter(member: "SecretId", kind: .string, required: true)
    private static let token = Parameter(member: "ClientRequestToken", kind: .string, idempotencyToken: true)
    private static let secretString = Parameter(member: "SecretString", kind: .string, sensitive: true)
    private static let secretBinary = Parameter(member: "SecretBinary", kind: .blob, sensitive: true)
    private static let tags = Parameter(member: "Tags", kind: .structureList(["Key", "Value"]))
    private static let filters = Parameter(member: "Filters", kind: .structureList(["Key", "Values"]))
    private static let replicaRegions = Parameter(member: "AddReplicaRegions", kind: .structureList(["Region", "KmsKeyId"]))
    private static let maxResults = Parameter(member: "MaxResults", kind: .integer)
    private static let nextToken = Parameter(member: "NextToken", kind: .string)

    /// Every operation the CLI offers, in the order `lockstep --help` lists them.
    static let all: [OperationSpec] = [
        OperationSpec(
            operation: "CreateSecret",
            summary: "Create a secret, optionally with a first value (labelled AWSCURRENT).",
            parameters: [
                Parameter(member: "Name", kind: .string, required: true), token,
                Parameter(member: "Description", kind: .string), Parameter(member: "KmsKeyId", kind: .string),
                secretBinary, secretString, tags, replicaRegions,
                Parameter(member: "ForceOverwriteReplicaSecret", kind: .boolean), Parameter(member: "Type", kind: .string),
            ]
        ),
        OperationSpec(
            operation: "GetSecretValue",
            summary: "Get a secret's value (AWSCURRENT unless --version-id or --version-stage says otherwise).",
            parameters: [secretId, Parameter(member: "VersionId", kind: .string), Parameter(member: "VersionStage", kind: .string)]
        ),
        OperationSpec(
            operation: "BatchGetSecretValue",
            summary: "Get the values of up to 20 secrets, by id or by filters.",
            parameters: [Parameter(member: "SecretIdList", kind: .stringList), filters, maxResults, nextToken]
        ),
        OperationSpec(
            operation: "PutSecretValue",
            summary: "Store a new version of a secret's value.",
            parameters: [
                secretId, token, secretBinary, secretString, Parameter(member: "VersionStages", kind: .stringList),
                Parameter(member: "RotationToken", kind: .string, sensitive: true),
            ]
        ),
        OperationSpec(
            operation: "UpdateSecret",
            summary: "Change a secret's description, KMS key or type, and optionally store a new value.",
            parameters: [
                secretId, token, Parameter(member: "Description", kind: .string), Parameter(member: "KmsKeyId", kind: .string),
                secretBinary, secretString, Parameter(member: "Type", kind: .string),
            ]
        ),
        OperationSpec(
            operation: "UpdateSecretVersionStage",
            summary: "Move, attach or detach a staging label.",
            parameters: [
                secretId, Parameter(member: "VersionStage", kind: .string, required: true),
                Parameter(member: "RemoveFromVersionId", kind: .string), Parameter(member: "MoveToVersionId", kind: .string),
            ]
        ),
        OperationSpec(operation: "DescribeSecret", summary: "Show a secret's metadata (never its value).", parameters: [secretId]),
        OperationSpec(
            operation: "ListSecrets",
            summary: "List secrets, with filters, sorting and pagination.",
            parameters: [
                Parameter(member: "IncludePlannedDeletion", kind: .boolean), maxResults, nextToken, filters,
                Parameter(member: "SortOrder", kind: .string), Parameter(member: "SortBy", kind: .string),
            ]
        ),
        OperationSpec(
            operation: "ListSecretVersionIds",
            summary: "List the versions of a secret.",
            parameters: [secretId, maxResults, nextToken, Parameter(member: "IncludeDeprecated", kind: .boolean)]
        ),
        OperationSpec(
            operation: "DeleteSecret",
            summary: "Schedule a secret's deletion (7-30 day recovery window) or delete it at once.",
            parameters: [
                secretId, Parameter(member: "RecoveryWindowInDays", kind: .integer),
                Parameter(member: "ForceDeleteWithoutRecovery", kind: .boolean),
            ]
        ),
        OperationSpec(operation: "RestoreSecret", summary: "Cancel a scheduled deletion.", parameters: [secretId]),
        OperationSpec(
            operation: "TagResource",
            summary: "Add or overwrite tags.",
            parameters: [secretId, Parameter(member: "Tags", kind: .structureList(["Key", "Value"]), required: true)]
        ),
        OperationSpec(
            operation: "UntagResource",
            summary: "Remove tags by key.",
            parameters: [secretId, Parameter(member: "TagKeys", kind: .stringList, required: true)]
        ),
        OperationSpec(
            operation: "GetRandomPassword",
            summary: "Generate a random password.",
            parameters: [
                Parameter(member: "PasswordLength", kind: .integer), Parameter(member: "ExcludeCharacters", kind: .string),
                Parameter(member: "ExcludeNumbers", kind: .boolean), Parameter(member: "ExcludePunctuation", kind: .boolean),
                Parameter(member: "ExcludeUppercase", kind: .boolean), Parameter(member: "ExcludeLowercase", kind: .boolean),
                Parameter(member: "IncludeSpace", kind: .boolean), Parameter(member: "RequireEachIncludedType", kind: .boolean),
            ]
        ),
        OperationSpec(
            operation: "ReplicateSecretToRegions",
            summary: "Replicate a secret to other regions.",
            parameters: [
                secretId, Parameter(member: "AddReplicaRegions", kind: .structureList(["Region", "KmsKeyId"]), required: true),
                Parameter(member: "ForceOverwriteReplicaSecret", kind: .boolean),
            ]
        ),
        OperationSpec(
            operation: "RemoveRegionsFromReplication",
            summary: "Delete a secret's replicas in some regions.",
            parameters: [secretId, Parameter(member: "RemoveReplicaRegions", kind: .stringList, required: true)]
        ),
        OperationSpec(operation: "StopReplicationToReplica", summary: "Promote a replica to a standalone secret.", parameters: [secretId]),
        OperationSpec(
            operation: "RotateSecret",
            summary: "Configure rotation and start one (asynchronous: see `lockstep rotate` to run it in the foreground).",
            parameters: [
                secretId, token, Parameter(member: "RotationLambdaARN", kind: .string),
                Parameter(
                    member: "RotationRules",
                    kind: .structure(["AutomaticallyAfterDays", "Duration", "ScheduleExpression"], integers: ["AutomaticallyAfterDays"])
                ),
                Parameter(member: "RotateImmediately", kind: .boolean),
                Parameter(member: "ExternalSecretRotationMetadata", kind: .structureList(["Key", "Value"])),
                Parameter(member: "ExternalSecretRotationRoleArn", kind: .string),
            ]
        ),
        OperationSpec(
            operation: "CancelRotateSecret",
            summary: "Turn automatic rotation off and stop a rotation in progress (labels are left as they are).",
            parameters: [secretId]
        ),
        OperationSpec(
            operation: "PutResourcePolicy",
            summary: "Attach a resource policy to a secret (--block-public-policy refuses one open to everyone).",
            parameters: [
                secretId, Parameter(member: "ResourcePolicy", kind: .string, required: true),
                Parameter(member: "BlockPublicPolicy", kind: .boolean),
            ]
        ),
        OperationSpec(operation: "GetResourcePolicy", summary: "Show a secret's resource policy.", parameters: [secretId]),
        OperationSpec(operation: "DeleteResourcePolicy", summary: "Remove a secret's resource policy.", parameters: [secretId]),
        OperationSpec(
            operation: "ValidateResourcePolicy",
            summary: "Check a resource policy for syntax errors and access open to everyone.",
            parameters: [Parameter(member: "SecretId", kind: .string), Parameter(member: "ResourcePolicy", kind: .string, required: true)]
        ),
    ]

    static func named(command: String) -> OperationSpec? { all.first { $0.command == command } }
}
