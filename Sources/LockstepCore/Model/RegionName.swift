/// The form of an AWS region name, `^[a-z]{2}(-[a-z]+)+-[0-9]+$` (`us-east-1`, `us-gov-west-1`, `eu-isoe-west-1`).
///
/// The one place this rule lives: replica regions and the credential scope of a signature are both checked here.
public enum RegionName {
    /// True when `name` has the form of an AWS region name (ASCII only, lower-case letters, at least three parts).
    public static func isValid(_ name: String) -> Bool {
        var parts = 0
        var partLength = 0
        var partIsLetters = true
        var partIsDigits = true
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "-"):
                // A part before a dash is letters (the first exactly two); digits only end the name.
                guard partLength > 0, partIsLetters, parts > 0 || partLength == 2 else { return false }
                parts += 1
                partLength = 0
                partIsLetters = true
                partIsDigits = true
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                partLength += 1
                partIsDigits = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                partLength += 1
                partIsLetters = false
            default:
                return false
            }
        }
        return parts >= 2 && partLength > 0 && partIsDigits
    }
}
