import Foundation
import Testing

@testable import LockstepStore

/// `--store` values, and what messages and logs print of them: never a password.
@Suite struct StoreLocationTests {
    @Test func parsesEachKindOfStore() {
        #expect(StoreLocation(parsing: "") == nil)
        #expect(StoreLocation(parsing: "sqlite:") == nil)
        #expect(StoreLocation(parsing: "sqlite:/var/lib/lockstep") == .sqlite(directory: URL(fileURLWithPath: "/var/lib/lockstep")))
        #expect(StoreLocation(parsing: "/var/lib/lockstep") == .sqlite(directory: URL(fileURLWithPath: "/var/lib/lockstep")))
        let uri = "postgres://u:p@h:1,h:2/db?target_session_attrs=read-write"
        #expect(StoreLocation(parsing: uri) == .postgres(connectionString: uri))
    }

    /// (URI, its description): hosts, ports, database and parameters as written; the password never.
    static let redactions: [(String, String)] = [
        ("postgresql://lockstep:hunter2@db.internal:5432/lockstep", "postgresql://lockstep:****@db.internal:5432/lockstep"),
        (
            "postgresql://app:s3cret@10.0.0.1:5432,10.0.0.2:5433/lockstep?target_session_attrs=read-write&connect_timeout=5",
            "postgresql://app:****@10.0.0.1:5432,10.0.0.2:5433/lockstep?target_session_attrs=read-write&connect_timeout=5"
        ),
        ("postgres://a:b@[::1]:5432,[fe80::1]:6432/db", "postgres://a:****@[::1]:5432,[fe80::1]:6432/db"),
        ("postgresql://app@h1,h2/db?password=s3cret&sslmode=require", "postgresql://app@h1,h2/db?password=****&sslmode=require"),
        ("postgresql://h1:1,h2:2/db?user=app&PassWord=s3cret", "postgresql://h1:1,h2:2/db?user=app&PassWord=****"),
        ("postgresql://h/db?pass%77ord=s3cret", "postgresql://h/db?pass%77ord=****"),
        // Percent-encoded userinfo: the user as written, the password (whatever it encodes) hidden.
        ("postgresql://us%40er:p%40ss%3Aw%2Fd@h:5432/db", "postgresql://us%40er:****@h:5432/db"),
        // A raw `?` in the password: libpq reads the userinfo up to the `@` all the same.
        ("postgresql://app:pa?ss@h/db", "postgresql://app:****@h/db"),
        ("postgresql://app:@h/db", "postgresql://app:****@h/db"),
        ("postgresql://", "postgresql://"),
        ("postgresql:///lockstep?host=/var/run/postgresql", "postgresql:///lockstep?host=/var/run/postgresql"),
        // Malformed beyond reading: nothing of it is shown.
        ("postgresql://app:p@ss@h/db", "postgresql://(unparsable URI, not shown)"),
        ("postgresql://app:pa/ss@h/db", "postgresql://(unparsable URI, not shown)"),
        ("postgresql://h?password=s3cret&application_name=a@b", "postgresql://(unparsable URI, not shown)"),
    ]

    @Test(arguments: Self.redactions)
    func describesAPostgresURIWithoutItsPassword(uri: String, description: String) {
        let shown = StoreLocation.postgres(connectionString: uri).description
        #expect(shown == description)
        for secret in ["hunter2", "s3cret", "p%40ss", "pa?ss", "pa/ss"] { #expect(!shown.contains(secret)) }
    }
}
