/// A failure of the SQLite C API. The message is SQLite's own (never statement arguments, so never a value).
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// SQLite's primary result code.
    public let code: Int32
    public let message: String

    public var description: String { "SQLite error \(self.code): \(self.message)" }

    /// True for SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock past the busy timeout.
    public var isBusy: Bool { self.code & 0xFF == 5 || self.code & 0xFF == 6 }
    /// True for a constraint violation (unique, foreign key, check).
    public var isConstraint: Bool { self.code & 0xFF == 19 }
}
