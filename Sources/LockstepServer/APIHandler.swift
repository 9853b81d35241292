public import Foundation
public import LockstepAuth
import LockstepCore
public import LockstepService
import Logging

/// The AWS JSON 1.1 protocol over the service: authenticate, dispatch on `X-Amz-Target`, answer in AWS's shape.
///
/// Independent of the HTTP framework so tests can drive it directly; ``LockstepServer`` adapts Hummingbird to it.
public struct APIHandler: Sendable {
    /// How requests are authenticated.
    public enum Authentication: Sendable {
        /// Verify SigV4 against the access keys in the store.
        case sigV4
        /// Development only: any well-formed, current signature from any access key acts as `account`'s
        /// administrator. Never for a shared deployment.
        case development(account: String)
    }

    /// A response before it meets HTTP.
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        /// The operation (or "-" when the request never got that far) and the error code, for metrics and logs.
        public var operation: String
        public var errorCode: String?
        public var principal: String?
        /// JSON 1.1 for the Secrets Manager API, XML for STS.
        public var contentType = APIHandler.contentType
    }

    public static let contentType = "application/x-amz-json-1.1"
    public static let targetPrefix = "secretsmanager."

    public let dispatcher: OperationDispatcher
    public let accessKeys: AccessKeys
    public let authentication: Authentication
    public let verifier: SigV4Verifier
    /// STS's AssumeRole and GetCallerIdentity are served on the same endpoint (signed for the `sts` service).
    public let stsVerifier: SigV4Verifier
    /// Whether requests arrive over TLS (`aws:SecureTransport`).
    public let secureTransport: Bool
    public let now: @Sendable () -> Date

    /// - Parameters:
    ///   - dispatcher: the operations.
    ///   - accessKeys: the credentials signatures are checked against.
    ///   - authentication: SigV4 against stored keys, or development mode.
    ///   - allowedRegions: when set, the only regions a credential scope may name (otherwise any region name).
    ///   - secureTransport: whether requests arrive over TLS.
    ///   - now: the clock for signature dates and sessions.
    public init(
        dispatcher: OperationDispatcher,
        accessKeys: AccessKeys,
        authentication: Authentication,
        allowedRegions: Set<String>? = nil,
        secureTransport: Bool = false,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.verifier = SigV4Verifier(service: "secretsmanager", allowedRegions: allowedRegions)
        self.stsVerifier = SigV4Verifier(service: "sts", allowedRegions: allowedRegions)
        self.dispatcher = dispatcher
        self.accessKeys = accessKeys
        self.authentication = authentication
        self.secureTransport = secureTransport
        self.now = now
    }

    /// Handles one `POST /` request.
    ///
    /// - Parameters:
    ///   - request: the request with its body.
    ///   - requestID: the `x-amzn-RequestId` the response will carry (audit records name it).
    ///   - sourceIP: the peer's address (`aws:SourceIp`, audit records).
    public func handle(_ request: SignableRequest, requestID: String = UUID().uuidString.lowercased(), sourceIP: String = "-") async -> Answer {
        let target = request.header("x-amz-target") ?? ""
        if target.isEmpty, request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true {
            return await self.handleSTS(request, requestID: requestID, sourceIP: sourceIP)
        }
        let operation = target.hasPrefix(Self.targetPrefix) ? String(target.dropFirst(Self.targetPrefix.count)) : "-"
        let caller: Caller
        let region: String
        do {
            (caller, region) = try await self.authenticate(request, verifier: self.verifier)
        } catch {
            return Self.failure(error, operation: operation, principal: nil)
        }
        let principal = caller.principal
        guard target.hasPrefix(Self.targetPrefix) else {
            let error = SecretsManagerError(.unknownOperation, target.isEmpty ? "Missing X-Amz-Target header." : "Unknown target \(target).")
            return Self.failure(error, operation: operation, principal: principal.arn)
        }
        let context = self.context(of: caller, region: region, request: request, sourceIP: sourceIP, requestID: requestID)
        // One reading of the body for everyone: a member named twice could mean one secret to the operation and
        // another to the audit record.
        if let duplicate = JSONDuplicateKeys.firstDuplicate(in: request.body) {
            return Self.failure(Self.duplicateField(duplicate), operation: operation, principal: principal.arn)
        }
        do {
            let body = try await self.dispatcher.invoke(operation, body: request.body, context: context)
            return Answer(status: 200, body: body, operation: operation, errorCode: nil, principal: principal.arn)
        } catch {
            return Self.failure(error, operation: operation, principal: principal.arn)
        }
    }

    /// Handles one `GET /v1/changes` request: the change feed (``SecretsManager/listChanges(_:context:)``), answered in
    /// plain JSON.
    public func handleChanges(_ request: SignableRequest, requestID: String, sourceIP: String = "-") async -> Answer {
        let operation = SecretsManager.listChangesOperation
        let caller: Caller
        let region: String
        do {
            (caller, region) = try await self.authenticate(request, verifier: self.verifier)
        } catch {
            return Self.failure(error, operation: operation, principal: nil)
        }
        let principal = caller.principal.arn
        do {
            let feedRequest = try ChangeFeedRequest(query: request.query)
            let context = self.context(of: caller, region: region, request: request, sourceIP: sourceIP, requestID: requestID)
            let body = try await self.dispatcher.manager.listChanges(feedRequest, context: context)
            return Answer(status: 200, body: body, operation: operation, errorCode: nil, principal: principal, contentType: "application/json")
        } catch {
            return Self.failure(error, operation: operation, principal: principal)
        }
    }

    /// The request context of an authenticated request.
    func context(of caller: Caller, region: String, request: SignableRequest, sourceIP: String, requestID: String) -> RequestContext {
        RequestContext(
            caller: caller,
            region: region,
            sourceIP: sourceIP,
            userAgent: request.header("user-agent") ?? "-",
            secureTransport: self.secureTransport,
            requestID: requestID
        )
    }

    /// Checks the signature (and a session's token) before anything else reads the request; nothing
    /// unauthenticated reaches the service.
    func authenticate(_ request: SignableRequest, verifier: SigV4Verifier) async throws(SecretsManagerError) -> (Caller, String) {
        let authorization = try verifier.parse(request, now: self.now())
        if case .development(let account) = self.authentication {
            let principal = Principal(account: account, userName: "dev-admin", accessKeyId: authorization.accessKeyId)
            return (Caller(principal: principal, permissions: .accountRoot), authorization.scope.region)
        }
        let credential: AccessKeys.Credential?
        do {
            credential = try await self.accessKeys.credential(for: authorization.accessKeyId)
        } catch {
            throw SecretsManagerError.answering(error)
        }
        guard let credential else {
            throw SecretsManagerError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        try credential.checkSessionToken(authorization.securityToken, now: self.now())
        do {
            try verifier.verify(
                authorization,
                of: request,
                secret: { credential.secretAccessKey.value },
                generation: credential.generation
            )
        } catch let error as SecretsManagerError {
            throw error
        } catch {
            throw SecretsManagerError(.internalServiceError, "An error occurred on the server side.")
        }
        return (credential.caller, authorization.scope.region)
    }

    /// SerializationException for a body naming a member twice (the name bounded and made printable).
    static func duplicateField(_ name: String) -> SecretsManagerError {
        SecretsManagerError(.serialization, "Duplicate field '\(SigV4Verifier.printableText(name))' in the request.")
    }

    /// AWS's error shape: `{"__type": "...", "message": "..."}`, HTTP 400 for client errors, 500 for ours, 503 when
    /// the store is unreachable.
    static func failure(_ error: any Error, operation: String, principal: String?) -> Answer {
        let aws = SecretsManagerError.answering(error)
        return Answer(status: aws.httpStatus, body: errorBody(aws), operation: operation, errorCode: aws.code.rawValue, principal: principal)
    }

    static func errorBody(_ error: SecretsManagerError) -> Data {
        struct Shape: Encodable {
            var __type: String
            var message: String
        }
        return (try? JSONEncoder().encode(Shape(__type: error.code.rawValue, message: error.message))) ?? Data()
    }
}
