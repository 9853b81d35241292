import Foundation
import LockstepAuth
import LockstepCore
import LockstepStore

extension SecretsManager {
    /// Authorizes the request's operation on `secret` (and notes the secret for the audit record).
    ///
    /// - Parameter knownPolicy: the secret's resource policy when the caller already read it (GetSecretValue's
    ///   single query does): `.some(nil)` for none, `nil` to look it up.
    /// - Parameter named: how the request named the secret; a denial names it so, and reads the same whether or
    ///   not the secret exists (see ``deniedMessage(_:_:named:)``).
    func authorize(
        _ secret: SecretRecord,
        named: String? = nil,
        knownPolicy: String?? = nil,
        in tx: any SecretStoreTransaction,
        context: RequestContext
    ) throws {
        context.trace.touched(secret.arn)
        try self.authorize(
            resource: secret.arn,
            account: secret.scope.account,
            secret: secret,
            knownPolicy: knownPolicy,
            named: named,
            in: tx,
            context: context
        )
    }

    /// A denial of an operation on a secret the caller named, worded without anything the caller could not know
    /// of a missing secret: the resource as the caller named it (an ARN's random suffix proves the secret exists),
    /// and no mention of a resource policy, which only an existing secret has, unless the caller's own policies
    /// allow the call (a missing secret would then have answered ResourceNotFound anyway). Otherwise the denial is
    /// worded as the caller's own policies decide it, which is what a missing secret gets.
    static func deniedMessage(
        _ decision: AuthorizationDecision,
        _ request: AuthorizationRequest,
        named: String,
        withoutResourcePolicy: () -> AuthorizationDecision
    ) -> String {
        var shown = request
        shown.resource = named
        switch decision {
        case .explicitDeny(let place) where place.contains("resource-based"), .implicitDeny(let place) where place.contains("resource-based"):
            let own = withoutResourcePolicy()
            return PolicyEvaluator.message(for: own.isAllowed ? decision : own, shown)
        default:
            return PolicyEvaluator.message(for: decision, shown)
        }
    }

    /// Authorizes the request's operation on a resource: a secret's ARN, or `*` for operations without one.
    ///
    /// IAM's rules (``PolicyEvaluator``): explicit deny anywhere wins; in one account an allow in the identity's
    /// policies or the secret's resource policy suffices; across accounts both must allow.
    ///
    /// - Throws: AccessDeniedException with AWS's message naming the principal, the action and the resource.
    func authorize(
        resource: String,
        account: String,
        secret: SecretRecord? = nil,
        knownPolicy: String?? = nil,
        action explicitAction: String? = nil,
        named: String? = nil,
        in tx: any SecretStoreTransaction,
        context: RequestContext
    ) throws {
        guard self.enforcesPolicies else { return }
        let permissions = context.caller.permissions
        if case .service = permissions.basis { return }
        guard let (action, lowercased) = explicitAction.map({ ($0, $0.lowercased()) }) ?? context.operation.map(ActionNames.of) else {
            // A direct call without an operation: only the local operator may make one (fail closed otherwise).
            if case .accountRoot = permissions.basis, account == context.account { return }
            throw SecretsManagerError(.accessDenied, "User: \(context.caller.principal.arn) is not authorized to perform this operation.")
        }
        let policyText = try knownPolicy ?? secret.flatMap { try tx.resourcePolicy(secretId: $0.id) }
        let resourcePolicy = policyText.flatMap(PolicyCache.shared.resourcePolicy)
        let needsTags =
            secret != nil
            && (resourcePolicy?.readsResourceTags == true || permissions.policies.contains { $0.readsResourceTags }
                || permissions.sessionPolicy?.readsResourceTags == true)
        let tags = try needsTags ? tx.tags(secretId: self.dataOwner(of: secret!, in: tx).id) : []
        let request = AuthorizationRequest(
            principal: context.caller.principal,
            action: action,
            resource: resource,
            resourceAccount: account,
            lowercasedAction: lowercased
        )
        let facts = RequestFacts(context: context, secret: secret, tags: tags, now: self.now())
        let decision = PolicyEvaluator.decide(request, identity: permissions, resourcePolicy: resourcePolicy, context: facts)
        guard decision.isAllowed else {
            if let named {
                let message = Self.deniedMessage(decision, request, named: named) {
                    PolicyEvaluator.decide(request, identity: permissions, resourcePolicy: nil, context: facts)
                }
                throw SecretsManagerError(.accessDenied, message)
            }
            throw SecretsManagerError(.accessDenied, PolicyEvaluator.message(for: decision, request))
        }
    }

    /// Authorizes an operation that has no secret (ListSecrets, GetRandomPassword): resource `*`.
    func authorizeWithoutResource(_ context: RequestContext, action: String? = nil) async throws {
        guard self.enforcesPolicies else { return }
        if case .service = context.caller.permissions.basis { return }
        try await self.store.read { tx in
            try self.authorize(resource: "*", account: context.account, action: action, in: tx, context: context)
        }
    }
}

/// The condition keys of one request: the caller's, the network's, the secret's and the request's own.
struct RequestFacts: ConditionContext {
    let context: RequestContext
    let secret: SecretRecord?
    let tags: [Tag]
    let now: Date

    func values(for key: ConditionKey) -> [String]? {
        let principal = self.context.caller.principal
        switch key.canonical {
        case "aws:principalarn": return [principal.roleARN ?? principal.arn]
        case "aws:principalaccount": return [principal.account]
        case "aws:principaltype": return [principal.identityType]
        case "aws:username":
            if case .user(let name) = principal.kind { return [name] }
            return nil
        case "aws:sourceip": return [self.context.sourceIP]
        case "aws:currenttime": return [Self.timestamp(self.now)]
        case "aws:epochtime": return [String(Int64(self.now.timeIntervalSince1970))]
        case "aws:securetransport": return [self.context.secureTransport ? "true" : "false"]
        case "aws:useragent": return [self.context.userAgent]
        default: break
        }
        if key.readsResourceTags, let tagKey = key.tagKey {
            return self.tags.first { $0.Key == tagKey }.map { [$0.Value] }
        }
        if key.canonical == "secretsmanager:secretid", let secret = self.secret { return [secret.arn] }
        return self.context.requestKeys?.conditionValues(for: key)
    }

    static func timestamp(_ date: Date) -> String { UTCDate.iso8601(date) }
}

/// A request that carries condition keys of its own (`secretsmanager:VersionStage`, `aws:RequestTag/<k>`, ...).
protocol RequestConditionKeys: Sendable {
    func conditionValues(for key: ConditionKey) -> [String]?
}

extension GetSecretValueRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        switch key.canonical {
        case "secretsmanager:versionid": return self.VersionId.map { [$0] }
        // Without VersionId or VersionStage the request reads AWSCURRENT.
        case "secretsmanager:versionstage": return [self.VersionStage ?? (self.VersionId == nil ? "AWSCURRENT" : nil)].compactMap { $0 }
        default: return nil
        }
    }
}

extension CreateSecretRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        switch key.canonical {
        case "secretsmanager:name": return [self.Name]
        case "secretsmanager:description": return self.Description.map { [$0] }
        case "secretsmanager:kmskeyid": return self.KmsKeyId.map { [$0] }
        case "aws:tagkeys": return self.Tags.map { $0.map(\.Key) }
        default: return requestTag(key, self.Tags)
        }
    }
}

extension UpdateSecretRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        switch key.canonical {
        case "secretsmanager:description": return self.Description.map { [$0] }
        case "secretsmanager:kmskeyid": return self.KmsKeyId.map { [$0] }
        default: return nil
        }
    }
}

extension PutSecretValueRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        key.canonical == "secretsmanager:versionstage" ? (self.VersionStages ?? ["AWSCURRENT"]) : nil
    }
}

extension UpdateSecretVersionStageRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        key.canonical == "secretsmanager:versionstage" ? [self.VersionStage] : nil
    }
}

extension RotateSecretRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        key.canonical == "secretsmanager:rotationlambdaarn" ? self.RotationLambdaARN.map { [$0] } : nil
    }
}

extension TagResourceRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        key.canonical == "aws:tagkeys" ? self.Tags.map(\.Key) : requestTag(key, self.Tags)
    }
}

extension UntagResourceRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        key.canonical == "aws:tagkeys" ? self.TagKeys : nil
    }
}

extension PutResourcePolicyRequest: RequestConditionKeys {
    func conditionValues(for key: ConditionKey) -> [String]? {
        key.canonical == "secretsmanager:blockpublicpolicy" ? [(self.BlockPublicPolicy ?? false) ? "true" : "false"] : nil
    }
}

/// `aws:RequestTag/<k>`: the value the request gives tag `k`.
private func requestTag(_ key: ConditionKey, _ tags: [Tag]?) -> [String]? {
    guard key.canonical.hasPrefix("aws:requesttag/"), let tagKey = key.tagKey else { return nil }
    return tags?.first { $0.Key == tagKey }.map { [$0.Value] }
}

/// `secretsmanager:<Operation>` and its lower-cased form, from the catalog (made once per operation, not per request).
enum ActionNames {
    static func of(_ operation: String) -> (String, String) {
        guard let entry = OperationCatalog.operation(named: operation) else {
            return ("secretsmanager:" + operation, ("secretsmanager:" + operation).lowercased())
        }
        return (entry.action, entry.lowercasedAction)
    }
}
