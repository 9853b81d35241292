import Foundation

/// The certificate authorities that verify a database server when a secret requires TLS (`ssl: true`): the
/// server's certificate must chain to one of them and name the host connected to, as AWS's rotation templates
/// require (spec §1.4). A secret that only prefers TLS (`ssl` absent) encrypts without verifying, as on AWS.
public struct DatabaseTrust: Sendable, Hashable {
    /// A PEM file of CA certificates.
    public var caFile: String

    public init(caFile: String) {
        self.caFile = caFile
    }

    /// The system's CA bundle, the first of the usual places that is readable; nil when there is none.
    public static let system: DatabaseTrust? =
        [
            "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine
            "/etc/pki/tls/certs/ca-bundle.crt",  // Fedora, RHEL
            "/etc/ssl/cert.pem",  // macOS, BSD
        ]
        .first { FileManager.default.isReadableFile(atPath: $0) }
        .map(DatabaseTrust.init(caFile:))

    /// The error for a connection that requires TLS with nothing to verify the server against.
    public static let missing = DatabaseError(
        .validation,
        "the secret requires TLS (ssl: true) but there is no CA bundle to verify the server with: "
            + "give one with --database-ca-file or LOCKSTEP_DATABASE_CA_FILE"
    )
}
