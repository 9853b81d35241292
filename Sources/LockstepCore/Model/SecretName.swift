/// Secret name rules: 1–512 characters from `A-Za-z0-9/_+=.@-`.
public enum SecretName {
    /// The longest name AWS accepts.
    public static let maximumLength = 512

    /// Throws ``SecretsManagerError/invalidName`` unless `name` is a valid secret name.
    public static func validate(_ name: String) throws(SecretsManagerError) {
        guard !name.isEmpty, name.utf8.count <= maximumLength, name.utf8.allSatisfy(isAllowed) else {
            throw .invalidName
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "."), UInt8(ascii: "@"),
            UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
