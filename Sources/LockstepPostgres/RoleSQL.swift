import LockstepDatabase

/// The SQL of the rotation operations, built from already-quoted pieces: pure, so it is tested without a server.
///
/// Identifiers come from `PQescapeIdentifier`, literals from `PQescapeLiteral` (see ``PostgresSession``); nothing
/// here quotes anything itself. Role *lookups* take names as bind parameters instead.
enum RoleSQL {
    /// PostgreSQL's identifier limit (NAMEDATALEN - 1 bytes). Longer names are silently truncated by the server, so
    /// a `_clone` name past it would alias another role: refuse it.
    static let maximumRoleNameBytes = 63

    /// Throws ``DatabaseError/Kind/validation`` for a name the server would truncate or C would cut.
    static func validateRoleName(_ name: String) throws(DatabaseError) {
        guard !name.isEmpty else {
            throw DatabaseError(.validation, "a role name must not be empty")
        }
        guard name.utf8.count <= Self.maximumRoleNameBytes else {
            throw DatabaseError(.validation, "the role name \"\(name)\" is longer than \(Self.maximumRoleNameBytes) bytes")
        }
        guard !name.utf8.contains(0) else {
            throw DatabaseError(.validation, "a role name must not contain a NUL character")
        }
    }

    /// Throws ``DatabaseError/Kind/validation`` for a password no role can have (never saying anything about it).
    static func validatePassword(_ password: String) throws(DatabaseError) {
        guard !password.isEmpty, !password.utf8.contains(0) else {
            throw DatabaseError(.validation, "the new password is empty or contains a NUL character")
        }
    }

    /// The role attributes a clone copies, as `pg_roles` shows them.
    struct Attributes: Sendable, Equatable {
        var superuser = false
        var createRole = false
        var createDatabase = false
        var replication = false
        var bypassRowLevelSecurity = false
        /// -1: no limit.
        var connectionLimit = -1
        /// The server's text for `rolvaliduntil` (it reads its own output back), nil: forever.
        var validUntil: String?

        /// `SELECT` list matching ``init(row:)``.
        static let columns = "rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil"

        init(
            superuser: Bool = false,
            createRole: Bool = false,
            createDatabase: Bool = false,
            replication: Bool = false,
            bypassRowLevelSecurity: Bool = false,
            connectionLimit: Int = -1,
            validUntil: String? = nil
        ) {
            self.superuser = superuser
            self.createRole = createRole
            self.createDatabase = createDatabase
            self.replication = replication
            self.bypassRowLevelSecurity = bypassRowLevelSecurity
            self.connectionLimit = connectionLimit
            self.validUntil = validUntil
        }

        /// A row of ``columns`` in text format.
        init(row: [String?]) {
            self.superuser = row[0] == "t"
            self.createRole = row[1] == "t"
            self.createDatabase = row[2] == "t"
            self.replication = row[3] == "t"
            self.bypassRowLevelSecurity = row[4] == "t"
            self.connectionLimit = row[5].flatMap { Int($0) } ?? -1
            self.validUntil = row[6]
        }
    }

    /// `CREATE ROLE` for a clone that logs in with a verifier and has the original's attributes.
    ///
    /// SUPERUSER, REPLICATION and BYPASSRLS can only be given by a superuser; on a session that is not one they are
    /// left out (the clone still acts as the original, whose attributes then apply, except REPLICATION, which is
    /// checked on the login role).
    /// - Parameters:
    ///   - clone: the quoted identifier of the new role.
    ///   - verifierLiteral: the quoted password verifier.
    ///   - attributes: the original's attributes.
    ///   - validUntilLiteral: `attributes.validUntil`, quoted.
    ///   - sessionIsSuperuser: whether the session may give superuser-only attributes.
    static func createRole(
        _ clone: String,
        verifierLiteral: String,
        copying attributes: Attributes,
        validUntilLiteral: String?,
        sessionIsSuperuser: Bool
    ) -> String {
        let given = Self.cloneAttributes(copying: attributes, sessionIsSuperuser: sessionIsSuperuser)
        var clauses = ["LOGIN", "PASSWORD \(verifierLiteral)"]
        if given.superuser { clauses.append("SUPERUSER") }
        if given.createDatabase { clauses.append("CREATEDB") }
        if given.createRole { clauses.append("CREATEROLE") }
        if given.replication { clauses.append("REPLICATION") }
        if given.bypassRowLevelSecurity { clauses.append("BYPASSRLS") }
        clauses.append("CONNECTION LIMIT \(given.connectionLimit)")
        if let validUntilLiteral { clauses.append("VALID UNTIL \(validUntilLiteral)") }
        return "CREATE ROLE \(clone) WITH " + clauses.joined(separator: " ")
    }

    /// The attributes a new clone gets: the original's, less SUPERUSER, REPLICATION and BYPASSRLS when the session
    /// creating it is not a superuser (only a superuser may give them). ``createRole(_:verifierLiteral:copying:validUntilLiteral:sessionIsSuperuser:)``
    /// builds its statement from this, and the rotation plan compares it with the original's.
    static func cloneAttributes(copying attributes: Attributes, sessionIsSuperuser: Bool) -> Attributes {
        var clone = attributes
        if !sessionIsSuperuser {
            clone.superuser = false
            clone.replication = false
            clone.bypassRowLevelSecurity = false
        }
        return clone
    }

    /// `ALTER ROLE ... PASSWORD` with a verifier.
    static func setPassword(_ role: String, verifierLiteral: String) -> String {
        "ALTER ROLE \(role) PASSWORD \(verifierLiteral)"
    }

    /// Membership: the clone may act as the original.
    static func grant(_ original: String, to clone: String) -> String {
        "GRANT \(original) TO \(clone)"
    }

    /// Every session of the clone starts as the original (`SET ROLE` at login).
    static func actAs(_ originalLiteral: String, clone: String) -> String {
        "ALTER ROLE \(clone) SET role = \(originalLiteral)"
    }

    /// The original's (or any role's) attributes; `$1` is the role name. No row: no such role.
    static let attributesQuery = "SELECT \(Attributes.columns) FROM pg_roles WHERE rolname = $1"

    /// Whether `$1` is the session's login user and the session acts as another role (a clone's `SET role`).
    static let actsAsAnotherRoleQuery = "SELECT session_user = $1::name AND current_user <> $1::name"

    /// How `$1` (the alternate user) stands to `$2` (the original): is it the original's ancestor (the original is a
    /// member of it: rotation came back to the first name), a member of the original, and does it start its
    /// sessions as the original?
    static let linkQuery = """
        SELECT pg_has_role($2::name, $1::name, 'MEMBER'), pg_has_role($1::name, $2::name, 'MEMBER'), \
        EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole \
        WHERE r.rolname = $1 AND s.setdatabase = 0 AND s.setconfig @> ARRAY['role=' || $2::text])
        """
}
