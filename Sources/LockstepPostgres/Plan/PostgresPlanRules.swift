import Foundation
import LockstepCore
import LockstepDatabase

/// What a rotation plan reads from a PostgreSQL server, and the pure rules that turn it into checks: tested
/// without a server (`PostgresPlanRulesTests`); ``PostgresDriver/plan(_:timeouts:)`` gathers the facts.
enum PostgresPlanRules {
    /// How a role's password is stored (`pg_authid.rolpassword`, classified by its prefix: the verifier itself is
    /// never read out).
    enum StoredPassword: String, Sendable, Equatable {
        case scram = "scram-sha-256"
        case md5
        case none
        case other
    }

    /// The login that changes passwords (alternating users' master).
    struct Master: Sendable, Equatable {
        var name: String
        var superuser: Bool
        var createRole: Bool
        /// ADMIN OPTION on the original role (needed from PostgreSQL 16 to grant it to the clone).
        var adminOnOriginal: Bool
        /// ADMIN OPTION on the clone, when it exists (needed from PostgreSQL 16 to change its password).
        var adminOnClone: Bool
    }

    /// The clone as it stands, when it exists.
    struct ExistingClone: Sendable, Equatable {
        /// The original is a member of it: the rotation came back to the first name, only the password changes.
        var isAncestorOfOriginal: Bool
        var isMemberOfOriginal: Bool
        var startsAsOriginal: Bool
    }

    /// `SELECT` returning a role's stored password method; `$1` is the role name. Needs superuser (pg_authid).
    static let storedPasswordQuery = """
        SELECT CASE WHEN rolpassword IS NULL THEN 'none' WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256' \
        WHEN rolpassword LIKE 'md5%' THEN 'md5' ELSE 'other' END FROM pg_authid WHERE rolname = $1
        """

    /// The session's settings and standing: server_version_num, password_encryption, is_superuser, and whether it
    /// may read superuser-only settings (pg_read_all_settings).
    static let settingsQuery = """
        SELECT current_setting('server_version_num'), current_setting('password_encryption'), \
        current_setting('is_superuser'), pg_has_role(session_user, 'pg_read_all_settings', 'MEMBER')
        """

    /// The session user's role attributes that matter for changing other roles, and ADMIN OPTION on `$1` and `$2`.
    static let masterQuery = """
        SELECT rolsuper, rolcreaterole, \
        EXISTS (SELECT 1 FROM pg_roles o WHERE o.rolname = $1 AND pg_has_role(session_user, o.oid, 'USAGE WITH ADMIN OPTION')), \
        EXISTS (SELECT 1 FROM pg_roles c WHERE c.rolname = $2 AND pg_has_role(session_user, c.oid, 'USAGE WITH ADMIN OPTION')) \
        FROM pg_roles WHERE rolname = session_user
        """

    // MARK: - Checks

    /// The account's authentication method: how its password is stored now, and how the new one will be.
    /// - Parameters:
    ///   - user: the rotated role.
    ///   - stored: its stored method; nil when pg_authid is not readable by the session.
    ///   - passwordEncryption: the server's `password_encryption`, which the new verifier follows.
    static func authentication(user: String, stored: StoredPassword?, passwordEncryption: String) -> PlanCheck {
        let name = "authentication"
        let future = passwordEncryption == "md5" ? "md5" : "SCRAM-SHA-256"
        let weak =
            passwordEncryption == "md5"
            ? "; password_encryption is md5, so the new password is stored as md5 too (deprecated): set it to scram-sha-256"
            : ""
        switch stored {
        case .scram?:
            return passwordEncryption == "md5"
                ? .warn(name, "\(user) logs in with SCRAM-SHA-256\(weak)")
                : .pass(name, "\(user)'s password is stored as SCRAM-SHA-256; the new one will be too")
        case .md5?:
            return .warn(
                name,
                "\(user)'s password is stored as md5 (md5-only account); the rotation stores the new one as \(future), "
                    + "so clients that can't do \(future) will fail to log in afterwards\(weak)"
            )
        case .none?:
            return .warn(name, "\(user) has no password stored (it logs in without one, e.g. trust); the rotation will give it one")
        case .other?:
            return .warn(name, "\(user)'s password is stored in a form that is neither SCRAM-SHA-256 nor md5")
        case nil:
            let note = "(how the current one is stored is not readable by this login: pg_authid needs superuser)"
            return passwordEncryption == "md5"
                ? .warn(name, "the new password is stored as md5 \(note)\(weak)")
                : .pass(name, "password_encryption is \(passwordEncryption): the new password is stored as SCRAM-SHA-256 \(note)")
        }
    }

    /// Single user: a role may always change its own password.
    static func ownPassword(user: String, actsAsAnotherRole: Bool) -> PlanCheck {
        let note = actsAsAnotherRole ? " (its sessions act as another role, so the change runs under SET LOCAL ROLE NONE)" : ""
        return .pass("privileges", "\(user) may set its own password (ALTER ROLE … PASSWORD)\(note)")
    }

    /// Alternating users: whether the master may create or change the clone and grant it the original.
    /// - Parameters:
    ///   - serverVersion: `server_version_num` (PostgreSQL 16 made CREATEROLE need ADMIN OPTION on the roles).
    static func masterPrivileges(
        _ master: Master,
        original: String,
        originalAttributes: RoleSQL.Attributes?,
        clone: String,
        cloneExists: Bool,
        serverVersion: Int
    ) -> PlanCheck {
        let name = "privileges"
        guard let originalAttributes else {
            return .fail(name, "the role \(original) does not exist on the server")
        }
        if master.superuser {
            return .pass(name, "master \(master.name) is a superuser: it may \(Self.action(clone, original, cloneExists))")
        }
        guard master.createRole else {
            return .fail(
                name,
                "master \(master.name) has neither SUPERUSER nor CREATEROLE: it can't \(cloneExists ? "change the password of" : "create") \(clone)"
            )
        }
        if originalAttributes.superuser {
            return .fail(name, "\(original) is a superuser: only a superuser may grant it to \(clone), and master \(master.name) is not one")
        }
        if serverVersion >= 160_000 {
            var missing: [String] = []
            if !master.adminOnOriginal { missing.append(original) }
            if cloneExists, !master.adminOnClone { missing.append(clone) }
            if !missing.isEmpty {
                return .fail(
                    name,
                    "master \(master.name) has CREATEROLE but no ADMIN OPTION on \(missing.joined(separator: " and ")), which PostgreSQL 16 and later require"
                )
            }
        }
        return .pass(name, "master \(master.name) has CREATEROLE: it may \(Self.action(clone, original, cloneExists))")
    }

    private static func action(_ clone: String, _ original: String, _ cloneExists: Bool) -> String {
        cloneExists ? "set \(clone)'s password (and repair its membership in \(original) if needed)" : "create \(clone) as a member of \(original)"
    }

    /// Alternating users: what the clone gets, and whether that is what the original has.
    static func cloneGrants(
        original: String,
        attributes: RoleSQL.Attributes,
        clone: String,
        existing: ExistingClone?,
        masterIsSuperuser: Bool
    ) -> PlanCheck {
        let name = "clone-grants"
        if let existing, existing.isAncestorOfOriginal {
            return .pass(
                name,
                "\(clone) exists and \(original) is a member of it (the rotation returns to the first name): only its password changes"
            )
        }
        let given = RoleSQL.cloneAttributes(copying: attributes, sessionIsSuperuser: masterIsSuperuser)
        var repairs: [String] = []
        if let existing {
            if !existing.isMemberOfOriginal { repairs.append("GRANT \(original) TO \(clone)") }
            if !existing.startsAsOriginal { repairs.append("ALTER ROLE \(clone) SET role = \(original)") }
        }
        let how =
            existing == nil
            ? "\(clone) would be created (\(Self.describe(given))) as a member of \(original) that starts every session as \(original) (SET role)"
            : "\(clone) exists; its password changes" + (repairs.isEmpty ? "" : " and the rotation adds " + repairs.joined(separator: " and "))
        // Acting as the original, the clone has its privileges and ownerships; only REPLICATION is checked on the
        // login role itself.
        if attributes.replication, !given.replication, existing == nil {
            return .warn(
                name,
                "\(how), but without REPLICATION (only a superuser may give it, and REPLICATION is checked on the login role): not equal to \(original)"
            )
        }
        return .pass(name, "\(how): the same privileges and ownerships as \(original)")
    }

    /// `LOGIN, CREATEDB, CONNECTION LIMIT 5`: the attributes a CREATE ROLE would give.
    static func describe(_ attributes: RoleSQL.Attributes) -> String {
        var parts = ["LOGIN"]
        if attributes.superuser { parts.append("SUPERUSER") }
        if attributes.createDatabase { parts.append("CREATEDB") }
        if attributes.createRole { parts.append("CREATEROLE") }
        if attributes.replication { parts.append("REPLICATION") }
        if attributes.bypassRowLevelSecurity { parts.append("BYPASSRLS") }
        if attributes.connectionLimit >= 0 { parts.append("CONNECTION LIMIT \(attributes.connectionLimit)") }
        if let validUntil = attributes.validUntil { parts.append("VALID UNTIL \(validUntil)") }
        return parts.joined(separator: ", ")
    }

    /// PostgreSQL's passwordcheck module (in `shared_preload_libraries`) against the generated passwords.
    /// - Parameter libraries: `shared_preload_libraries`; nil when the session may not read it.
    static func passwordPolicy(libraries: String?, generator: PasswordGenerator) -> PlanCheck {
        let name = "password-policy"
        guard let libraries else {
            return .warn(
                name,
                "shared_preload_libraries is not readable by this login (needs superuser or pg_read_all_settings): whether passwordcheck is loaded is unknown"
            )
        }
        let loaded = libraries.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        guard loaded.contains("passwordcheck") else {
            return .pass(name, "no password check module is loaded (shared_preload_libraries has no passwordcheck)")
        }
        // passwordcheck's rules for a plaintext password (PostgreSQL 15): at least 8 characters, a letter and a
        // non-letter, not containing the user name.
        let policy = PasswordPolicy(source: "passwordcheck", minimumLength: 8, requiresLetterAndNonLetter: true)
        let verdict = policy.check(generator)
        let verifiers = "; the rotation sends a password verifier, which passwordcheck can only compare with the user name"
        return PlanCheck(name, verdict.status == .fail ? .warn : verdict.status, verdict.reason + verifiers)
    }
}
