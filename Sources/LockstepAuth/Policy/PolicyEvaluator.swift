/// What a caller may do by its own policies: compiled once per identity and cached with its credential.
public struct IdentityPermissions: Sendable {
    /// The kind of identity the permissions belong to.
    public enum Basis: Sendable {
        /// Policies decide (users and role sessions).
        case policies
        /// The account root: every action within its own account, except where a resource policy denies.
        case accountRoot
        /// The service itself (the rotation engine's built-in rotators): not subject to policies, but audited.
        case service
    }

    public var basis: Basis
    /// The user's or the role's policies.
    public var policies: [PolicyDocument]
    /// A session's inline policy: it narrows what the role's policies allow (nil: no narrowing).
    public var sessionPolicy: PolicyDocument?

    public init(basis: Basis = .policies, policies: [PolicyDocument] = [], sessionPolicy: PolicyDocument? = nil) {
        self.basis = basis
        self.policies = policies
        self.sessionPolicy = sessionPolicy
    }

    public static let accountRoot = IdentityPermissions(basis: .accountRoot)
    public static let service = IdentityPermissions(basis: .service)
}

/// One access question: may `principal` perform `action` on `resource` (owned by `resourceAccount`)?
public struct AuthorizationRequest: Sendable {
    public var principal: Principal
    /// `secretsmanager:GetSecretValue`.
    public var action: String
    /// A secret ARN, or `*` for actions without a resource (ListSecrets, GetRandomPassword).
    public var resource: String
    /// The account that owns the resource (the caller's own for `*`).
    public var resourceAccount: String
    /// ``action`` lower-cased (actions match case-insensitively); callers on a hot path pass it precomputed.
    public var lowercasedAction: String

    public init(principal: Principal, action: String, resource: String, resourceAccount: String, lowercasedAction: String? = nil) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.resourceAccount = resourceAccount
        self.lowercasedAction = lowercasedAction ?? action.lowercased()
    }
}

/// The outcome of IAM's evaluation logic.
public enum AuthorizationDecision: Sendable, Hashable {
    case allow
    /// A Deny statement matched; `place` is "an identity-based policy", "a resource-based policy" or "a session policy".
    case explicitDeny(place: String)
    /// Nothing allowed it; `missing` names the policy kind that would have had to.
    case implicitDeny(missing: String)

    public var isAllowed: Bool { self == .allow }
}

/// IAM's evaluation logic, pure: explicit deny anywhere wins; within one account an allow in the identity policies or
/// in the resource policy is enough; across accounts both must allow; everything else is denied.
///
/// A role session's permissions are its role's policies narrowed by the session policy, and a resource policy
/// can't widen a session beyond its session policy: scoped rotator credentials stay scoped.
public enum PolicyEvaluator {
    public static func decide(
        _ request: AuthorizationRequest,
        identity: IdentityPermissions,
        resourcePolicy: PolicyDocument?,
        context: some ConditionContext
    ) -> AuthorizationDecision {
        if case .service = identity.basis { return .allow }
        let action = request.lowercasedAction
        func matching(_ document: PolicyDocument, _ effect: PolicyDocument.Effect) -> Bool {
            document.statements.contains { statement in
                statement.effect == effect && Self.applies(statement, request: request, action: action, context: context)
            }
        }
        if identity.policies.contains(where: { matching($0, .deny) }) { return .explicitDeny(place: "an identity-based policy") }
        if let session = identity.sessionPolicy, matching(session, .deny) { return .explicitDeny(place: "a session policy") }
        if let resourcePolicy, matching(resourcePolicy, .deny) { return .explicitDeny(place: "a resource-based policy") }

        let sessionAllows = identity.sessionPolicy.map { matching($0, .allow) } ?? true
        let identityAllows: Bool
        switch identity.basis {
        case .accountRoot: identityAllows = true
        case .policies: identityAllows = identity.policies.contains { matching($0, .allow) } && sessionAllows
        case .service: identityAllows = true
        }
        // A resource policy that names the principal (or everyone) grants by itself; one that names only the
        // principal's account delegates to that account, whose identity policies must then allow too (as in IAM).
        let grant = resourcePolicy.map { Self.grant(in: $0, request: request, action: action, context: context) } ?? .none
        if request.principal.account == request.resourceAccount {
            if identityAllows { return .allow }
            if grant == .direct, sessionAllows { return .allow }
            return .implicitDeny(missing: sessionAllows ? "identity-based policy" : "session policy")
        }
        guard identityAllows else { return .implicitDeny(missing: sessionAllows ? "identity-based policy" : "session policy") }
        guard grant != .none else { return .implicitDeny(missing: "resource-based policy") }
        return .allow
    }

    enum Grant {
        case none
        case account
        case direct
    }

    /// How a resource policy's Allow statements reach the principal: by name (or `*`), only through its account, or not.
    static func grant(in document: PolicyDocument, request: AuthorizationRequest, action: String, context: some ConditionContext) -> Grant {
        var result = Grant.none
        for statement in document.statements where statement.effect == .allow {
            guard Self.applies(statement, request: request, action: action, context: context) else { continue }
            let direct =
                statement.principalsNegated
                || (statement.principals ?? []).contains { matcher in
                    if case .account = matcher { return false }
                    return Self.matches(matcher, request.principal)
                }
            if direct { return .direct }
            result = .account
        }
        return result
    }

    /// May `request.principal` assume a role? Unlike other resource policies, a role's trust policy must always
    /// admit the caller: by name (then nothing else is needed), or by account (then the caller's identity policies
    /// must also allow `sts:AssumeRole`; an account root needs none).
    public static func decideTrust(
        _ request: AuthorizationRequest,
        identity: IdentityPermissions,
        trustPolicy: PolicyDocument,
        context: some ConditionContext
    ) -> AuthorizationDecision {
        let action = request.lowercasedAction
        let denied = (identity.policies + [trustPolicy]).contains { document in
            document.statements.contains { $0.effect == .deny && Self.applies($0, request: request, action: action, context: context) }
        }
        if denied { return .explicitDeny(place: "a policy") }
        switch Self.grant(in: trustPolicy, request: request, action: action, context: context) {
        case .none: return .implicitDeny(missing: "trust policy")
        case .direct: return .allow
        case .account:
            return Self.decide(request, identity: identity, resourcePolicy: nil, context: context) == .allow
                ? .allow : .implicitDeny(missing: "identity-based policy")
        }
    }

    /// AWS's AccessDeniedException message.
    public static func message(for decision: AuthorizationDecision, _ request: AuthorizationRequest) -> String {
        let head = "User: \(request.principal.arn) is not authorized to perform: \(request.action) on resource: \(request.resource)"
        switch decision {
        case .allow: return ""
        case .explicitDeny(let place): return "\(head) with an explicit deny in \(place)"
        case .implicitDeny(let missing): return "\(head) because no \(missing) allows the \(request.action) action"
        }
    }

    static func applies(
        _ statement: PolicyDocument.Statement,
        request: AuthorizationRequest,
        action: String,
        context: some ConditionContext
    ) -> Bool {
        if let principals = statement.principals {
            let named = principals.contains { Self.matches($0, request.principal) }
            guard named != statement.principalsNegated else { return false }
        }
        guard statement.actions.matches(action, lowercased: true, context: context),
            statement.resources.matches(request.resource, context: context)
        else { return false }
        return statement.conditions.allSatisfy { $0.holds(in: context) }
    }

    static func matches(_ matcher: PolicyDocument.PrincipalMatcher, _ principal: Principal) -> Bool {
        switch matcher {
        case .everyone: return true
        case .account(let account):
            if case .service = principal.kind { return false }
            return principal.account == account
        case .arn(let arn): return principal.arn == arn || principal.roleARN == arn
        case .service(let name):
            if case .service(let actual) = principal.kind { return actual == name }
            return false
        }
    }
}
