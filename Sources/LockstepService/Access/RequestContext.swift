import Foundation
public import LockstepAuth
import LockstepCore
import LockstepStore
import Synchronization

/// Who is calling, from where, and for which operation: everything authorization and audit need of a request.
///
/// There are three kinds of caller:
/// - a signed request (``init(caller:region:sourceIP:userAgent:secureTransport:requestID:)``), authorized by its
///   identity's policies and the secret's resource policy;
/// - the local operator (``init(account:region:)``): the in-process CLI, which holds the data directory and its
///   root key anyway, acts as the account root: everything in its own account, except what a resource policy
///   explicitly denies;
/// - the service itself (``system(account:region:)``): the rotation engine's built-in rotators, like AWS's
///   `secretsmanager.amazonaws.com`, are not subject to policies but are audited as `AWSService`.
public struct RequestContext: Sendable {
    /// The account the request acts in (the caller's; a secret of another account is named by its full ARN).
    public var account: String
    public var region: String
    public var caller: Caller
    /// The API operation being performed, set by ``OperationDispatcher``; its IAM action is
    /// `secretsmanager:<operation>`.
    public var operation: String?
    public var sourceIP: String
    public var userAgent: String
    public var secureTransport: Bool
    public var requestID: String
    /// The request's own condition keys (`secretsmanager:VersionStage`, `aws:RequestTag/...`).
    var requestKeys: (any RequestConditionKeys)?
    /// What the service found while serving the request (the secrets touched), for the audit record.
    private(set) var trace = RequestTrace()

    /// The local operator: the account root of `account`.
    public init(account: String, region: String) {
        self.init(
            caller: Caller(principal: Principal(account: account, kind: .root, accessKeyId: "local"), permissions: .accountRoot),
            region: region,
            sourceIP: "127.0.0.1",
            userAgent: "lockstep-cli",
            secureTransport: true,
            requestID: UUID().uuidString.lowercased()
        )
    }

    /// A signed request of `caller`.
    public init(caller: Caller, region: String, sourceIP: String, userAgent: String, secureTransport: Bool, requestID: String) {
        self.account = caller.principal.account
        self.region = region
        self.caller = caller
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.secureTransport = secureTransport
        self.requestID = requestID
    }

    /// The service acting for itself (the rotation engine): not subject to policies, audited as
    /// `secretsmanager.amazonaws.com`.
    public static func system(account: String, region: String) -> RequestContext {
        RequestContext(
            caller: Caller(principal: Principal(account: account, kind: .service(AuditName.service), accessKeyId: "-"), permissions: .service),
            region: region,
            sourceIP: AuditName.service,
            userAgent: AuditName.service,
            secureTransport: true,
            requestID: UUID().uuidString.lowercased()
        )
    }

    var scope: Scope { Scope(account: self.account, region: self.region) }

    /// The same request performing another operation (BatchGetSecretValue reads each secret as GetSecretValue).
    func acting(as operation: String) -> RequestContext {
        var context = self
        context.operation = operation
        return context
    }

    /// The same caller making a call of its own inside this request, traced and audited apart (each secret of a
    /// BatchGetSecretValue is a GetSecretValue entry in the audit log).
    func subrequest(_ operation: String) -> RequestContext {
        var context = self.acting(as: operation)
        context.trace = RequestTrace()
        return context
    }
}

enum AuditName {
    static let service = "secretsmanager.amazonaws.com"
}

/// An authenticated identity and its compiled permissions.
public struct Caller: Sendable {
    public var principal: Principal
    public var permissions: IdentityPermissions

    public init(principal: Principal, permissions: IdentityPermissions) {
        self.principal = principal
        self.permissions = permissions
    }
}

/// The secrets a request touched, collected while it runs (a reference, so the service can note them from inside
/// a transaction closure).
final class RequestTrace: Sendable {
    /// Nearly every request touches one secret: keep it apart from the (rarely used) list of others.
    private let state = Mutex<(first: String?, others: [String])>((nil, []))

    func touched(_ arn: String) {
        self.state.withLock { state in
            guard let first = state.first else {
                state.first = arn
                return
            }
            if first != arn, !state.others.contains(arn) { state.others.append(arn) }
        }
    }

    var resources: [String] {
        self.state.withLock { state in state.first.map { [$0] + state.others } ?? [] }
    }
}

extension RequestContext: Hashable {
    /// Two contexts are equal when they describe the same request by the same principal (compiled policies and the
    /// per-request trace are derived from those).
    public static func == (lhs: RequestContext, rhs: RequestContext) -> Bool {
        lhs.account == rhs.account && lhs.region == rhs.region && lhs.caller.principal == rhs.caller.principal
            && lhs.operation == rhs.operation && lhs.sourceIP == rhs.sourceIP && lhs.userAgent == rhs.userAgent
            && lhs.secureTransport == rhs.secureTransport && lhs.requestID == rhs.requestID
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.account)
        hasher.combine(self.region)
        hasher.combine(self.caller.principal)
        hasher.combine(self.operation)
        hasher.combine(self.requestID)
    }
}
