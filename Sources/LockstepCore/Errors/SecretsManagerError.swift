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
            case serviceUnavailable = "ServiceUnavailable"
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
        /// AWS's common error for a service that can't take the request now (HTTP 503; the SDKs retry it).
        public static let serviceUnavailable = Code(.serviceUnavailable)
    }

    /// The HTTP status AWS answers this error with.
    public var httpStatus: Int {
        switch self.code {
        case .internalServiceError: 500
        case .serviceUnavailable: 503
        default: 400
        }
    }

    /// The answer to any failure: itself for a SecretsManagerError, the AWS error a lower layer named for its own
    /// (``AWSAnswerable``), InternalServiceError without detail for anything else.
    public static func answering(_ error: any Error) -> SecretsManagerError {
        if let error = error as? SecretsManagerError { return error }
        if let answer = (error as? any AWSAnswerable)?.awsError { return answer }
        return SecretsManagerError(.internalServiceError, "An error occurred on the server side.")
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

/// A failure below the service (a store's) that has an AWS answer of its own: a database that is down is
/// ServiceUnavailable, text the database can't hold is InvalidParameterException. nil: InternalServiceError.
public protocol AWSAnswerable: Error {
    var awsError: SecretsManagerError? { get }
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

    /// A ClientRequestToken already names a version of the secret, holding another value.
    public static func tokenInUse(_ token: String, _ arn: String) -> SecretsManagerError {
        SecretsManagerError(
            .resourceExists,
            "You can't use ClientRequestToken \(token) because that value is already in use for a version of secret \(arn)."
        )
    }

    /// A value without a ClientRequestToken (CreateSecret, UpdateSecret, PutSecretValue; the SDKs and the CLI fill it in).
    public static let missingClientRequestToken = SecretsManagerError(
        .invalidRequest,
        "You must provide a ClientRequestToken value. We recommend a UUID-type value."
    )

    /// RotateSecret without a ClientRequestToken: AWS answers this one with InvalidParameterException.
    public static let missingRotationClientRequestToken = SecretsManagerError(
        .invalidParameter,
        "You must provide a ClientRequestToken value. We recommend a UUID-type value."
    )

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
        .invalidParameter,
        "Operation not permitted on a replica secret. Call must be made in primary secret's region."
    )

    /// A required parameter was absent.
    public static func missingParameter(_ name: String) -> SecretsManagerError {
        SecretsManagerError(.invalidParameter, "You must provide a value for the \(name) parameter.")
    }

    /// AWS's wording of a broken length bound: "Member must have length less than or equal to 64" (or "greater than or
    /// equal to 32").
    public static func lengthRule(_ length: Int, _ range: ClosedRange<Int>) -> String {
        length > range.upperBound
            ? "Member must have length less than or equal to \(range.upperBound)"
            : "Member must have length greater than or equal to \(range.lowerBound)"
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
