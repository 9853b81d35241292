/// How much of one SQLite file a connection may hold in this process's memory.
///
/// SQLite keeps a page cache per connection, so a file's bound is its connections times ``cacheKiB`` (lockstep.db
/// opens a writer, a checkpointer, 2 reader lanes and one inline reader per processor, at least 2; audit.db a
/// writer, a checkpointer and 1 reader lane). Memory-mapped pages would count in the process's RSS too, once per
/// connection that touched them, so a map grows with the file: off unless ``mmapBytes`` asks for one.
public struct SQLiteMemory: Sendable, Equatable {
    /// Page cache per connection, in KiB (`PRAGMA cache_size = -N`).
    public var cacheKiB: Int
    /// Bytes of the file each connection may memory-map (`PRAGMA mmap_size`); 0 reads pages with `pread`.
    public var mmapBytes: Int

    /// lockstep.db's default: 4,000 KiB per connection (twice SQLite's own), so the reads' connections keep more of
    /// the secrets' pages; at 10,000 secrets a read's CPU falls by about a tenth against 2,000 KiB.
    public static let defaultCacheKiB = 4_000
    /// audit.db's: SQLite's own default, 2,000 KiB (the log is appended to and read in order, rarely).
    public static let audit = SQLiteMemory(cacheKiB: 2_000)

    public init(cacheKiB: Int = SQLiteMemory.defaultCacheKiB, mmapBytes: Int = 0) {
        self.cacheKiB = max(0, cacheKiB)
        self.mmapBytes = max(0, mmapBytes)
    }
}
