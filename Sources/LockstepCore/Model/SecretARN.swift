/// An ARN of a secret: `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random chars>`.
///
/// A *partial* ARN omits the random suffix; ``parse(_:)`` accepts both and ``isComplete`` tells which.
public struct SecretARN: Sendable, Hashable, CustomStringConvertible {
    public static let suffixLength = 6
    private static let suffixAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    public var partition: String
    public var region: String
    public var account: String
    /// The resource part after `secret:`: the name, followed by `-XXXXXX` when complete.
    public var resource: String

    public init(partition: String = "aws", region: String, account: String, resource: String) {
        self.partition = partition
        self.region = region
        self.account = account
        self.resource = resource
    }

    /// A new ARN for `name` with a fresh random suffix.
    public static func make<G: RandomNumberGenerator>(
        region: String,
        account: String,
        name: String,
        using generator: inout G
    ) -> SecretARN {
        var suffix = ""
        for _ in 0..<suffixLength {
            suffix.append(suffixAlphabet.randomElement(using: &generator)!)
        }
        return SecretARN(region: region, account: account, resource: "\(name)-\(suffix)")
    }

    /// A new ARN for `name` with a suffix from the system CSPRNG.
    public static func make(region: String, account: String, name: String) -> SecretARN {
        var generator = SystemRandomNumberGenerator()
        return make(region: region, account: account, name: name, using: &generator)
    }

    /// Parses a full or partial secret ARN, or returns nil when `string` is not a secret ARN.
    public static func parse(_ string: String) -> SecretARN? {
        // Every audited call parses its resource's ARN, and splitting by Character (grapheme breaking) cost more than
        // the rest of the parse. In ASCII text a colon is always a Character of its own, so splitting the bytes gives
        // the same parts; elsewhere a combining mark can join a colon, so other text keeps the Character split.
        let parts: [Substring]
        if string.utf8.allSatisfy({ $0 < 0x80 }) {
            parts = string.utf8.split(separator: UInt8(ascii: ":"), maxSplits: 6, omittingEmptySubsequences: false).map(Substring.init)
        } else {
            parts = string.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        }
        return Self.parse(parts: parts)
    }

    /// `parse(string)?.account`, without building the ARN: every audited call names the account of the secret it
    /// touched. ASCII text is checked on its bytes in place (the same rules as ``parse(_:)``: seven colon-separated
    /// parts, `arn`, a partition, `secretsmanager`, `secret` and a resource); other text takes the full parse.
    public static func account(of string: String) -> String? {
        let utf8 = string.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return Self.parse(string)?.account }
        // The start of each of the seven parts (the last runs to the end), found without allocating.
        var starts = (utf8.startIndex, utf8.startIndex, utf8.startIndex, utf8.startIndex, utf8.startIndex, utf8.startIndex)
        var found = 0
        var index = utf8.startIndex
        while index != utf8.endIndex, found < 6 {
            if utf8[index] == UInt8(ascii: ":") {
                let next = utf8.index(after: index)
                switch found {
                case 0: starts.0 = next
                case 1: starts.1 = next
                case 2: starts.2 = next
                case 3: starts.3 = next
                case 4: starts.4 = next
                default: starts.5 = next
                }
                found += 1
            }
            index = utf8.index(after: index)
        }
        guard found == 6 else { return nil }
        func part(_ from: String.Index, _ to: String.Index) -> Substring.UTF8View {
            utf8[from..<utf8.index(before: to)]
        }
        guard part(utf8.startIndex, starts.0).elementsEqual("arn".utf8), starts.1 > utf8.index(after: starts.0),
            part(starts.1, starts.2).elementsEqual("secretsmanager".utf8), part(starts.4, starts.5).elementsEqual("secret".utf8),
            starts.5 != utf8.endIndex
        else { return nil }
        return String(Substring(part(starts.3, starts.4)))
    }

    private static func parse(parts: [Substring]) -> SecretARN? {
        guard parts.count == 7, parts[0] == "arn", parts[2] == "secretsmanager", parts[5] == "secret",
            !parts[1].isEmpty, !parts[6].isEmpty
        else { return nil }
        return SecretARN(partition: String(parts[1]), region: String(parts[3]), account: String(parts[4]), resource: String(parts[6]))
    }

    /// True when ``resource`` ends in `-` and six characters of the suffix alphabet.
    public var hasSuffix: Bool { Self.splitSuffix(self.resource) != nil }

    /// The name this ARN would have if its resource is complete (the suffix removed).
    public var nameWithoutSuffix: String? { Self.splitSuffix(self.resource)?.name }

    /// The same ARN in another region (replicas keep the name and suffix).
    public func inRegion(_ region: String) -> SecretARN {
        SecretARN(partition: self.partition, region: region, account: self.account, resource: self.resource)
    }

    public var description: String { "arn:\(self.partition):secretsmanager:\(self.region):\(self.account):secret:\(self.resource)" }

    private static func splitSuffix(_ resource: String) -> (name: String, suffix: Substring)? {
        // Count characters, not UTF-8 bytes: the index below steps back by characters.
        guard resource.count > suffixLength + 1 else { return nil }
        let dash = resource.index(resource.endIndex, offsetBy: -(suffixLength + 1))
        guard resource[dash] == "-" else { return nil }
        let suffix = resource[resource.index(after: dash)...]
        guard suffix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return (String(resource[..<dash]), suffix)
    }
}
