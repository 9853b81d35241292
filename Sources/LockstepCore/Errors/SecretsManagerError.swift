/// An error with an AWS Secrets Manager exception name and message.
///
/// Every failure a caller can see is one of these: the HTTP layer maps ``code`` to `__type`, the CLI prints
/// `code: message` on stderr. Messages are AWS's where AWS's text is known, and never contain a secret value,
/// a data key or any other key material: build them only from names, ARNs, version ids and labels.
public struct SecretsManagerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The AWS exception name, such as `ResourceNotFoundException`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Backing: String, Sendable {
            case resourceNotFound = "ResourceNotFoundException"
            case invalidParameter = "InvalidParameterException"
            case invalidRequest = "InvalidRequestException"
            case resourceExists = "ResourceExistsException"
            case limitExceeded = "LimitExceededException"
            case decryptionFailure = "DecryptionFailure"
            case encryptionFailure = "EncryptionFailure"
            case malformedPolicyDocument = "MalformedPolicyDocumentException"
            case publicPolicy = "PublicPolicyException"
            case preconditionNotMet = "PreconditionNotMetException"
            case invalidNextToken = "InvalidNextTokenException"
            case internalServiceError = "InternalServiceError"
            case validation = "ValidationException"
            case accessDenied = "AccessDeniedException"
            case serialization = "SerializationException"
            case unknownOperation = "UnknownOperationException"
            case missingAuthenticationToken = "MissingAuthenticationTokenException"
            case incompleteSignature = "IncompleteSignatureException"
            case unrecognizedClient = "UnrecognizedClientException"
            case invalidSignature = "InvalidSignatureException"
            case expiredToken = "ExpiredTokenException"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The exception name as AWS spells it.
        public var rawValue: String { self.backing.rawValue }
        public var description: String { self.backing.rawValue }

        public static let resourceNotFound = Code(.resourceNotFound)
        public static let invalidParameter = Code(.invalidParameter)
        public static let invalidRequest = Code(.invalidRequest)
        public static let resourceExists = Code(.resourceExists)
        public static let limitExceeded = Code(.limitExceeded)
        public static let decryptionFailure = Code(.decryptionFailure)
        public static let encryptionFailure = Code(.encryptionFailure)
        public static let malformedPolicyDocument = Code(.malformedPolicyDocument)
        public static let publicPolicy = Code(.publicPolicy)
        public static let preconditionNotMet = Code(.preconditionNotMet)
        public static let invalidNextToken = Code(.invalidNextToken)
        public static let internalServiceError = Code(.internalServiceError)
        public static let validation = Code(.validation)
        public static let accessDenied = Code(.accessDenied)
        public static let serialization = Code(.serialization)
        public static let unknownOperation = Code(.unknownOperation)
        public static let missingAuthenticationToken = Code(.missingAuthenticationToken)
        public static let incompleteSignature = Code(.incompleteSignature)
        public static let unrecognizedClient = Code(.unrecognizedClient)
        public static let invalidSignature = Code(.invalidSignature)
        public static let expiredToken = Code(.expiredToken)
    }

    /// The AWS exception name.
    public let code: Code
    /// A message safe to show to the caller.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}

extension SecretsManagerError {
    public static let secretNotFound = SecretsManagerError(.resourceNotFound, "Secrets Manager can't find the specified secret.")

    public static func stageNotFound(_ stage: String) -> SecretsManagerError {
        SecretsManagerError(.resourceNotFound, "Secrets Manager can't find the specified secret value for staging label: \(stage)")
    }

    public static func versionNotFound(_ versionId: String) -> SecretsManagerError {
        SecretsManagerError(.resourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: \(versionId)")
    }

    public static let markedForDeletion = SecretsManagerError(
        .invalidRequest,
        "You can't perform this operation on the secret because it was marked for deletion."
    )

    public static let nameScheduledForDeletion = SecretsManagerError(
        .invalidRequest,
        "You can't create this secret because a secret with this name is already scheduled for deletion."
    )

    public static func secretExists(_ name: String) -> SecretsManagerError {
        SecretsManagerError(.resourceExists, "The operation failed because the secret \(name) already exists.")
    }

    static let missingClientRequestTokenMessage = "You must provide a ClientRequestToken value. We recommend a UUID-type value."

    /// A raw CreateSecret, UpdateSecret or PutSecretValue that sends a value without a token (SDKs fill it in).
    public static let missingClientRequestToken = SecretsManagerError(.invalidRequest, missingClientRequestTokenMessage)

    /// A raw RotateSecret without a token: AWS answers InvalidParameterException here.
    public static let missingRotationClientRequestToken = SecretsManagerError(.invalidParameter, missingClientRequestTokenMessage)

    /// A token that names a version of the secret with other contents.
    public static func clientRequestTokenInUse(_ token: String, secretARN: String) -> SecretsManagerError {
        SecretsManagerError(
            .resourceExists,
            "You can't use ClientRequestToken \(token) because that value is already in use for a version of secret \(secretARN)."
        )
    }

    public static let missingSecretValue = SecretsManagerError(.invalidRequest, "You must provide either SecretString or SecretBinary.")

    public static let invalidName = SecretsManagerError(
        .validation,
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
    )

    public static let stageVersionMismatch = SecretsManagerError(
        .invalidRequest,
        "You provided a VersionStage that is not associated to the provided VersionId."
    )

    public static let decryptionFailure = SecretsManagerError(
        .decryptionFailure,
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
    )

    public static let replicaIsReadOnly = SecretsManagerError(
        .invalidRequest,
        "Operation is not permitted on a replica secret. Call this operation on the primary secret or promote the replica to a standalone secret."
    )

    /// A required parameter was absent.
    public static func missingParameter(_ name: String) -> SecretsManagerError {
        SecretsManagerError(.invalidParameter, "You must provide a value for the \(name) parameter.")
    }

    /// A generic "1 validation error" shaped like AWS's constraint messages.
    public static func constraint(_ name: String, value: String? = nil, _ rule: String) -> SecretsManagerError {
        if let value {
            return SecretsManagerError(
                .validation,
                "1 validation error detected: Value '\(value)' at '\(name)' failed to satisfy constraint: \(rule)"
            )
        }
        return SecretsManagerError(.validation, "1 validation error detected: Value at '\(name)' failed to satisfy constraint: \(rule)")
    }
}
