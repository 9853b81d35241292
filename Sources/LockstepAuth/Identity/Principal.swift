/// Who made a request: the account root, an IAM user, a role session or the service itself.
///
/// Users and roles are identified by the access key that signed the request (a role session by a temporary key
/// with a session token). ``arn`` is what policies and audit records name.
public struct Principal: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The account itself (`arn:aws:iam::<account>:root`): the local operator of the CLI.
        case root
        case user(String)
        /// A session of a role, from assume-role or scoped rotator credentials.
        case assumedRole(role: String, session: String)
        /// The service acting for itself (the rotation engine): `secretsmanager.amazonaws.com`.
        case service(String)
    }

    public var account: String
    public var kind: Kind
    public var accessKeyId: String

    public init(account: String, kind: Kind, accessKeyId: String) {
        self.account = account
        self.kind = kind
        self.accessKeyId = accessKeyId
    }

    /// An IAM user.
    public init(account: String, userName: String, accessKeyId: String) {
        self.init(account: account, kind: .user(userName), accessKeyId: accessKeyId)
    }

    /// The user name, the role session name, `root`, or the service name.
    public var userName: String {
        switch self.kind {
        case .root: return "root"
        case .user(let name): return name
        case .assumedRole(_, let session): return session
        case .service(let name): return name
        }
    }

    /// `arn:aws:iam::<account>:user/<name>`, `arn:aws:sts::<account>:assumed-role/<role>/<session>`,
    /// `arn:aws:iam::<account>:root`, or the service name.
    public var arn: String {
        switch self.kind {
        case .root: return "arn:aws:iam::\(self.account):root"
        case .user(let name): return "arn:aws:iam::\(self.account):user/\(name)"
        case .assumedRole(let role, let session): return "arn:aws:sts::\(self.account):assumed-role/\(role)/\(session)"
        case .service(let name): return name
        }
    }

    /// The role of a session (`arn:aws:iam::<account>:role/<name>`).
    public var roleARN: String? {
        guard case .assumedRole(let role, _) = self.kind else { return nil }
        return "arn:aws:iam::\(self.account):role/\(role)"
    }

    /// CloudTrail's `userIdentity.type`.
    public var identityType: String {
        switch self.kind {
        case .root: return "Root"
        case .user: return "IAMUser"
        case .assumedRole: return "AssumedRole"
        case .service: return "AWSService"
        }
    }
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
