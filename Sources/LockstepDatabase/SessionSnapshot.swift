public import Foundation

/// Who was connected as some users at one instant: what a database can say of its sessions (`pg_stat_activity`,
/// `information_schema.PROCESSLIST`). Never which password a session logged in with: no database records that.
public struct SessionSnapshot: Sendable, Hashable, Codable {
    public struct Sessions: Sendable, Hashable, Codable {
        public var count: Int
        /// When the oldest of them connected (PostgreSQL's `backend_start`; MariaDB doesn't say: nil).
        public var oldestStart: Date?
        /// Distinct client addresses, at most ``SessionSnapshot/maximumClients``.
        public var clients: [String]

        enum CodingKeys: String, CodingKey {
            case count = "Count", oldestStart = "OldestStart", clients = "Clients"
        }

        public init(count: Int = 0, oldestStart: Date? = nil, clients: [String] = []) {
            self.count = count
            self.oldestStart = oldestStart
            self.clients = clients
        }
    }

    public static let maximumClients = 16

    public var time: Date
    /// Every user asked about, with its sessions (a count of 0 when none).
    public var users: [String: Sessions]

    enum CodingKeys: String, CodingKey {
        case time = "Time", users = "Users"
    }

    public init(time: Date, users: [String: Sessions]) {
        self.time = time
        self.users = users
    }

    /// Builds a snapshot from rows of (user, start, client), the session running the query left out by the caller.
    public static func from(_ rows: [(user: String, start: Date?, client: String)], users: [String], time: Date) -> SessionSnapshot {
        var result = Dictionary(uniqueKeysWithValues: users.map { ($0, Sessions()) })
        for row in rows {
            guard var sessions = result[row.user] else { continue }
            sessions.count += 1
            if let start = row.start, sessions.oldestStart.map({ start < $0 }) ?? true { sessions.oldestStart = start }
            if !sessions.clients.contains(row.client), sessions.clients.count < Self.maximumClients { sessions.clients.append(row.client) }
            result[row.user] = sessions
        }
        return SessionSnapshot(time: time, users: result)
    }
}
