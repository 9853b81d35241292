public import Foundation

/// One thing to record: an API call (allowed or denied) or a lifecycle event of the service.
///
/// Built on the request path, so it holds only what is at hand (strings and the request body, shared, not copied);
/// the background writer turns it into the CloudTrail record, redacts and hashes it.
public struct AuditEvent: Sendable {
    public enum EventType: String, Sendable {
        /// A call of the API (`AwsApiCall`).
        case apiCall = "AwsApiCall"
        /// Something the service did by itself (`AwsServiceEvent`): rotation steps, version deletions.
        case serviceEvent = "AwsServiceEvent"
    }

    /// CloudTrail's `userIdentity`.
    public struct Identity: Sendable, Hashable {
        /// `IAMUser`, `AssumedRole`, `Root` or `AWSService`.
        public var type: String
        public var arn: String?
        public var accountId: String
        public var accessKeyId: String?
        public var userName: String?
        /// For role sessions: the role's ARN (`sessionContext.sessionIssuer.arn`).
        public var roleARN: String?
        /// For service events: `secretsmanager.amazonaws.com`.
        public var invokedBy: String?

        public init(
            type: String,
            arn: String?,
            accountId: String,
            accessKeyId: String? = nil,
            userName: String? = nil,
            roleARN: String? = nil,
            invokedBy: String? = nil
        ) {
            self.type = type
            self.arn = arn
            self.accountId = accountId
            self.accessKeyId = accessKeyId
            self.userName = userName
            self.roleARN = roleARN
            self.invokedBy = invokedBy
        }

        /// The service acting for itself.
        public static func service(account: String) -> Identity {
            Identity(type: "AWSService", arn: nil, accountId: account, invokedBy: AuditEvent.serviceName)
        }
    }

    public static let serviceName = "secretsmanager.amazonaws.com"

    public var eventTime: Date
    /// `secretsmanager.amazonaws.com`, or `sts.amazonaws.com` for AssumeRole.
    public var eventSource = AuditEvent.serviceName
    public var eventName: String
    public var eventType: EventType
    public var region: String
    /// The account whose log this is (the resource owner's for a cross-account call).
    public var recipientAccount: String
    public var sourceIPAddress: String
    public var userAgent: String
    public var identity: Identity
    /// The request body as received (redacted before it is stored); nil for service events.
    public var requestParameters: Data?
    /// The response body of a successful write (read-only calls log none, as CloudTrail does for data reads).
    public var responseElements: Data?
    public var errorCode: String?
    public var errorMessage: String?
    public var requestID: String
    public var readOnly: Bool
    /// ARNs of the secrets the call touched.
    public var resources: [String]
    public var additionalEventData: [String: String]?

    public init(
        eventTime: Date,
        eventName: String,
        eventType: EventType = .apiCall,
        region: String,
        recipientAccount: String,
        sourceIPAddress: String,
        userAgent: String,
        identity: Identity,
        requestParameters: Data? = nil,
        responseElements: Data? = nil,
        errorCode: String? = nil,
        errorMessage: String? = nil,
        requestID: String,
        readOnly: Bool,
        resources: [String] = [],
        additionalEventData: [String: String]? = nil
    ) {
        self.eventTime = eventTime
        self.eventName = eventName
        self.eventType = eventType
        self.region = region
        self.recipientAccount = recipientAccount
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.identity = identity
        self.requestParameters = requestParameters
        self.responseElements = responseElements
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.requestID = requestID
        self.readOnly = readOnly
        self.resources = resources
        self.additionalEventData = additionalEventData
    }
}

/// The service events Lockstep records besides API calls (spec §4.1).
public enum LifecycleEventName: String, Sendable, CaseIterable {
    case rotationStarted = "RotationStarted"
    case rotationSucceeded = "RotationSucceeded"
    case rotationFailed = "RotationFailed"
    case rotationAbandoned = "RotationAbandoned"
    case testRotationStarted = "TestRotationStarted"
    case testRotationSucceeded = "TestRotationSucceeded"
    case testRotationFailed = "TestRotationFailed"
    case startSecretVersionDelete = "StartSecretVersionDelete"
    case cancelSecretVersionDelete = "CancelSecretVersionDelete"
    case endSecretVersionDelete = "EndSecretVersionDelete"
}
