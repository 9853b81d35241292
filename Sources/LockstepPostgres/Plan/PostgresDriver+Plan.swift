import LockstepCore
public import LockstepDatabase

/// The rotation plan's PostgreSQL probe: SELECTs only (no SET, no DDL, no transaction), each on the session's own
/// thread like every other call of ``PostgresSession``. The facts go through ``PostgresPlanRules``.
extension PostgresDriver: DatabasePlanProbe {
    public func plan(_ request: DatabasePlanRequest, timeouts: DatabaseTimeouts) async -> [PlanCheck] {
        var checks: [PlanCheck] = []
        let current: PostgresSession
        do throws(DatabaseError) {
            current = try await self.openSession(request.current, timeouts: timeouts)
        } catch {
            return [.fail("login", "AWSCURRENT can't log in as \(request.current.account): \(error.message)")]
        }
        checks.append(.pass("login", "AWSCURRENT logs in as \(request.current.account)"))
        do throws(DatabaseError) {
            checks.append(request.current.tls.planCheck(login: "AWSCURRENT", encrypted: try await current.usesTLS()))
            switch request.strategy {
            case .singleUser:
                checks += try await self.singleUser(request, session: current)
            case .alternatingUsers(let master, let alternate):
                checks += await self.alternatingUsers(request, master: master, alternate: alternate, timeouts: timeouts)
            }
        } catch {
            checks.append(.fail("probe", "reading the server failed: \(error.message)"))
        }
        await current.close()
        return checks
    }

    private func singleUser(_ request: DatabasePlanRequest, session: PostgresSession) async throws(DatabaseError) -> [PlanCheck] {
        let user = request.current.username
        let settings = try await session.settings()
        let stored = settings.superuser ? try await session.storedPassword(of: user) : nil
        let acts = try await session.query(RoleSQL.actsAsAnotherRoleQuery, [user]).first?.first == "t"
        return [
            PostgresPlanRules.authentication(user: user, stored: stored, passwordEncryption: settings.passwordEncryption),
            PostgresPlanRules.ownPassword(user: user, actsAsAnotherRole: acts),
            PostgresPlanRules.passwordPolicy(libraries: try await session.preloadLibraries(settings), generator: request.generator),
        ]
    }

    private func alternatingUsers(
        _ request: DatabasePlanRequest,
        master credentials: DatabaseCredentials,
        alternate: String,
        timeouts: DatabaseTimeouts
    ) async -> [PlanCheck] {
        let original = request.current.username
        let master: PostgresSession
        do throws(DatabaseError) {
            master = try await self.openSession(credentials, timeouts: timeouts)
        } catch {
            return [.fail("master-login", "the master secret can't log in as \(credentials.account): \(error.message)")]
        }
        var checks: [PlanCheck] = [.pass("master-login", "the master secret logs in as \(credentials.account)")]
        do throws(DatabaseError) {
            checks.append(credentials.tls.planCheck(login: "master", encrypted: try await master.usesTLS()))
            let settings = try await master.settings()
            let stored = settings.superuser ? try await master.storedPassword(of: original) : nil
            checks.append(PostgresPlanRules.authentication(user: original, stored: stored, passwordEncryption: settings.passwordEncryption))
            let row = try await master.query(PostgresPlanRules.masterQuery, [original, alternate]).first ?? []
            guard row.count == 4 else { throw DatabaseError(.sql, "the master role \(credentials.username) is not in pg_roles") }
            let role = PostgresPlanRules.Master(
                name: credentials.username,
                superuser: row[0] == "t",
                createRole: row[1] == "t",
                adminOnOriginal: row[2] == "t",
                adminOnClone: row[3] == "t"
            )
            let attributes = try await master.query(RoleSQL.attributesQuery, [original]).first.map(RoleSQL.Attributes.init(row:))
            let cloneExists = !(try await master.query(RoleSQL.attributesQuery, [alternate])).isEmpty
            checks.append(
                PostgresPlanRules.masterPrivileges(
                    role,
                    original: original,
                    originalAttributes: attributes,
                    clone: alternate,
                    cloneExists: cloneExists,
                    serverVersion: settings.serverVersion
                )
            )
            if let attributes {
                var existing: PostgresPlanRules.ExistingClone?
                if cloneExists {
                    let link = try await master.query(RoleSQL.linkQuery, [alternate, original]).first ?? []
                    existing = PostgresPlanRules.ExistingClone(
                        isAncestorOfOriginal: link.first == "t",
                        isMemberOfOriginal: link.count > 1 && link[1] == "t",
                        startsAsOriginal: link.count > 2 && link[2] == "t"
                    )
                }
                checks.append(
                    PostgresPlanRules.cloneGrants(
                        original: original,
                        attributes: attributes,
                        clone: alternate,
                        existing: existing,
                        masterIsSuperuser: role.superuser
                    )
                )
            }
            checks.append(
                PostgresPlanRules.passwordPolicy(libraries: try await master.preloadLibraries(settings), generator: request.generator)
            )
        } catch {
            checks.append(.fail("probe", "reading the server as the master failed: \(error.message)"))
        }
        await master.close()
        return checks
    }
}

/// The session's settings the plan needs.
struct PostgresPlanSettings: Sendable {
    var serverVersion: Int
    var passwordEncryption: String
    var superuser: Bool
    var readsAllSettings: Bool
}

extension PostgresSession {
    /// Whether this connection is encrypted (`pg_stat_ssl` of its own backend).
    func usesTLS() throws(DatabaseError) -> Bool {
        try self.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.first == "t"
    }

    func settings() throws(DatabaseError) -> PostgresPlanSettings {
        let row = try self.query(PostgresPlanRules.settingsQuery).first ?? []
        guard row.count == 4, let version = row[0].flatMap({ Int($0) }) else {
            throw DatabaseError(.sql, "the server's settings could not be read")
        }
        return PostgresPlanSettings(
            serverVersion: version,
            passwordEncryption: row[1] ?? "",
            superuser: row[2] == "on",
            readsAllSettings: row[3] == "t"
        )
    }

    /// How `role`'s password is stored; the session must be a superuser.
    func storedPassword(of role: String) throws(DatabaseError) -> PostgresPlanRules.StoredPassword? {
        guard let text = try self.query(PostgresPlanRules.storedPasswordQuery, [role]).first?.first ?? nil else { return nil }
        return PostgresPlanRules.StoredPassword(rawValue: text)
    }

    /// `shared_preload_libraries`, when the session may read it.
    func preloadLibraries(_ settings: PostgresPlanSettings) throws(DatabaseError) -> String? {
        guard settings.superuser || settings.readsAllSettings else { return nil }
        return try self.query("SELECT current_setting('shared_preload_libraries')").first?.first ?? ""
    }
}
