import Crypto
import Foundation

/// The stored forms of a password, computed here so that the statement setting it carries the hash and the
/// plaintext never reaches the server's general, slow or binary log.
enum PasswordHash {
    /// `mysql_native_password`: `*` and the uppercase hex of SHA1(SHA1(password)), what `PASSWORD()` returns.
    static func nativePassword(_ password: String) -> String {
        let inner = Insecure.SHA1.hash(data: Data(password.utf8))
        let outer = Insecure.SHA1.hash(data: Data(inner))
        return "*" + outer.map { byte in String(byte, radix: 16, uppercase: true).leftPadded(to: 2) }.joined()
    }

    /// MariaDB's `ed25519` plugin stores the Ed25519 public key of the key pair whose private scalar comes from
    /// SHA-512(password), in unpadded base64. That is standard Ed25519 key generation when the password is exactly
    /// the 32-byte seed, so the hash can be computed here for 32-byte passwords (AWS's default length); for any other
    /// length there is no client-side form and the result is nil.
    static func ed25519(_ password: String) -> String? {
        let seed = Data(password.utf8)
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        var encoded = key.publicKey.rawRepresentation.base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return encoded
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}
