import LockstepCore
public import LockstepDatabase

/// The rotation plan's MariaDB probe: SELECT and SHOW only, on connections opened without the session `SET` the
/// rotation's connections send (``MariaDBConnection/open(_:timeouts:trust:readOnly:)``), each call on the
/// connection's own queue. The facts go through ``MariaDBPlanRules``.
extension MariaDBDriver: DatabasePlanProbe {
    public func plan(_ request: DatabasePlanRequest, timeouts: DatabaseTimeouts) async -> [PlanCheck] {
        let current: MariaDBConnection
        do throws(DatabaseError) {
            current = try await self.openConnection(request.current, timeouts: timeouts, readOnly: true)
        } catch {
            return [.fail("login", "AWSCURRENT can't log in as \(request.current.account): \(error.message)")]
        }
        var checks: [PlanCheck] = [.pass("login", "AWSCURRENT logs in as \(request.current.account)")]
        do throws(DatabaseError) {
            checks.append(request.current.tls.planCheck(login: "AWSCURRENT", encrypted: try await current.usesTLS()))
            let isMariaDB = await current.isMariaDB
            let account = try await current.currentAccount()
            let statement = try await current.query("SHOW CREATE USER CURRENT_USER()").first?.first ?? nil
            let plugin = statement.map { AuthenticationPlugin(showCreateUser: $0) } ?? .other
            let names = statement.map { AuthenticationPlugin.pluginNames(showCreateUser: $0) } ?? []
            let length = request.generator.length
            switch request.strategy {
            case .singleUser:
                checks.append(
                    MariaDBPlanRules.authentication(
                        account: account,
                        names: names,
                        plugin: plugin,
                        isMariaDB: isMariaDB,
                        alternating: false,
                        length: length
                    )
                )
                checks.append(.pass("privileges", "\(account) may set its own password (SET PASSWORD needs no privilege)"))
                let sendsHash = MariaDBPlanRules.sendsHash(plugin: plugin, isMariaDB: isMariaDB, alternating: false, length: length)
                checks += MariaDBPlanRules.passwordPolicy(
                    variables: try await current.policyVariables(),
                    generator: request.generator,
                    sendsHash: sendsHash
                )
            case .alternatingUsers(let master, let alternate):
                checks.append(
                    MariaDBPlanRules.authentication(
                        account: account,
                        names: names,
                        plugin: plugin,
                        isMariaDB: isMariaDB,
                        alternating: true,
                        length: length
                    )
                )
                checks += await self.alternatingUsers(request, master: master, alternate: alternate, plugin: plugin, timeouts: timeouts)
            }
        } catch {
            checks.append(.fail("probe", "reading the server failed: \(error.message)"))
        }
        await current.close()
        return checks
    }

    private func alternatingUsers(
        _ request: DatabasePlanRequest,
        master credentials: DatabaseCredentials,
        alternate: String,
        plugin: AuthenticationPlugin,
        timeouts: DatabaseTimeouts
    ) async -> [PlanCheck] {
        let master: MariaDBConnection
        do throws(DatabaseError) {
            master = try await self.openConnection(credentials, timeouts: timeouts, readOnly: true)
        } catch {
            return [.fail("master-login", "the master secret can't log in as \(credentials.account): \(error.message)")]
        }
        var checks: [PlanCheck] = [.pass("master-login", "the master secret logs in as \(credentials.account)")]
        do throws(DatabaseError) {
            checks.append(credentials.tls.planCheck(login: "master", encrypted: try await master.usesTLS()))
            checks += try await master.cloneChecks(original: request.current.username, clone: alternate)
            let sendsHash = MariaDBPlanRules.sendsHash(
                plugin: plugin,
                isMariaDB: await master.isMariaDB,
                alternating: true,
                length: request.generator.length
            )
            checks += MariaDBPlanRules.passwordPolicy(
                variables: try await master.policyVariables(),
                generator: request.generator,
                sendsHash: sendsHash
            )
        } catch {
            checks.append(.fail("probe", "reading the server as the master failed: \(error.message)"))
        }
        await master.close()
        return checks
    }
}

extension MariaDBConnection {
    /// Whether this connection is encrypted (`Ssl_cipher` of the session).
    func usesTLS() throws(DatabaseError) -> Bool {
        let row = try self.openHandle().query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").first
        return !((row?.count ?? 0) < 2 || (row?[1] ?? "").isEmpty)
    }

    /// `user@host` of the account the server matched this login to.
    func currentAccount() throws(DatabaseError) -> String {
        guard let account = try self.openHandle().query("SELECT CURRENT_USER()").first?.first ?? nil else {
            throw DatabaseError(.sql, "CURRENT_USER() returned nothing")
        }
        return account
    }

    /// ``MariaDBPlanRules/policyVariablesQuery`` as a dictionary.
    func policyVariables() throws(DatabaseError) -> [String: String] {
        var variables: [String: String] = [:]
        for row in try self.openHandle().query(MariaDBPlanRules.policyVariablesQuery) where row.count >= 2 {
            if let name = row[0] { variables[name.lowercased()] = row[1] ?? "" }
        }
        return variables
    }

    /// The master's privileges and the clone's grants, read as ``provisionAlternateUser(_:copying:password:)`` reads
    /// them (``GrantReader``), compared as it would apply them (``GrantStatements``), without running anything.
    func cloneChecks(original: String, clone: String) throws(DatabaseError) -> [PlanCheck] {
        let handle = try self.openHandle()
        let reader = GrantReader(handle: handle, isMariaDB: self.isMariaDB)
        let account = try self.currentAccount()
        guard let at = account.lastIndex(of: "@") else { throw DatabaseError(.sql, "CURRENT_USER() is not user@host") }
        let masterUser = String(account[..<at])
        let masterHost = String(account[account.index(after: at)...])
        let masterGrants: AccountGrants
        do throws(DatabaseError) {
            masterGrants = try reader.grants(of: masterUser, at: masterHost).grants
        } catch {
            return [
                .fail(
                    "privileges",
                    "master \(account) can't read the privilege tables, which the rotation reads to copy \(original)'s grants "
                        + "(it needs SELECT on mysql.*): \(error.message)"
                )
            ]
        }
        let hosts = try reader.hosts(of: original)
        let existing = Set(try reader.hosts(of: clone))
        let builder = GrantStatements(quoting: SQLQuoting { handle.literal($0) })
        var cloneHosts: [MariaDBPlanRules.CloneHost] = []
        var originals: [AccountGrants] = []
        for host in hosts {
            let desired = try reader.grants(of: original, at: host).grants
            originals.append(desired)
            var entry = MariaDBPlanRules.CloneHost(host: host, desired: desired, existing: nil, changes: 0)
            if existing.contains(host) {
                let current = try reader.grants(of: clone, at: host).grants
                entry.existing = current
                entry.changes = builder.statements(for: "clone", from: current, to: desired).count
            }
            cloneHosts.append(entry)
        }
        let ungrantable = Set(originals.flatMap { MariaDBPlanRules.ungrantable(by: masterGrants, $0) }).sorted()
        return [
            MariaDBPlanRules.masterPrivileges(master: account, grants: masterGrants, original: originals),
            MariaDBPlanRules.cloneGrants(
                original: original,
                clone: clone,
                hosts: cloneHosts,
                extraHosts: existing.subtracting(hosts).sorted(),
                ungrantable: ungrantable
            ),
        ]
    }
}
