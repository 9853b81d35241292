/// Who made a request: an IAM-style user of an account, identified by the access key that signed it.
public struct Principal: Sendable, Hashable {
    public var account: String
    public var userName: String
    public var accessKeyId: String

    public init(account: String, userName: String, accessKeyId: String) {
        self.account = account
        self.userName = userName
        self.accessKeyId = accessKeyId
    }

    /// `arn:aws:iam::<account>:user/<name>`.
    public var arn: String { "arn:aws:iam::\(self.account):user/\(self.userName)" }
}

/// Access key ids and secrets in AWS's formats, from the system CSPRNG.
public enum AccessKeyFormat {
    private static let idAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    private static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    /// `AKIA` followed by 16 base32 characters.
    public static func newAccessKeyId() -> String {
        var generator = SystemRandomNumberGenerator()
        return "AKIA" + String((0..<16).map { _ in idAlphabet.randomElement(using: &generator)! })
    }

    /// 40 characters, as AWS issues.
    public static func newSecretAccessKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<40).map { _ in secretAlphabet.randomElement(using: &generator)! })
    }

    /// Access key ids are 16–128 characters of letters and digits.
    public static func isValidAccessKeyId(_ id: String) -> Bool {
        (16...128).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// IAM user names: 1–64 characters of letters, digits and `+=,.@_-`.
    public static func isValidUserName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) }
    }
}
