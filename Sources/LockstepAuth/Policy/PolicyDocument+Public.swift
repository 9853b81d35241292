extension PolicyDocument {
    /// Condition keys that tie a statement to known callers: a statement with `Principal: "*"` conditioned on one
    /// of these (with a positive operator) doesn't open the secret to everyone.
    static let narrowingKeys: Set<String> = [
        "aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:sourceaccount", "aws:sourcearn",
        "aws:userid", "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce",
    ]

    /// The statements that grant access to everyone: an Allow for `*` (or `NotPrincipal`) that no condition narrows to
    /// known accounts, principals or networks. BlockPublicPolicy refuses such a policy; ValidateResourcePolicy
    /// reports it.
    public var publicStatements: [Statement] {
        self.statements.filter { statement in
            guard statement.effect == .allow, let principals = statement.principals else { return false }
            let open = statement.principalsNegated || principals.contains(.everyone)
            guard open else { return false }
            let narrowed = statement.conditions.contains { condition in
                guard Self.narrowingKeys.contains(condition.key.canonical), !condition.negated, !condition.ifExists else { return false }
                // A value the caller fills in (aws:PrincipalAccount = ${aws:PrincipalAccount}) narrows nothing.
                switch condition.test {
                case .string(let values), .stringIgnoreCase(let values): return !values.contains(where: \.isTemplate)
                case .stringLike(let patterns): return !patterns.contains { $0.matchesEverything || $0.isTemplate }
                case .arn(let patterns): return !patterns.contains { $0.allSatisfy(\.matchesEverything) || $0.contains(where: \.isTemplate) }
                case .ip(let ranges): return !ranges.contains { $0.prefixLength <= 96 }
                case .null, .bool: return false
                default: return true
                }
            }
            return !narrowed
        }
    }

    /// True when the policy opens the resource to everyone.
    public var grantsPublicAccess: Bool { !self.publicStatements.isEmpty }
}
