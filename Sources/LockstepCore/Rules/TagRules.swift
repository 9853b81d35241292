/// Tag limits: at most 50 per secret, keys 1–128 characters, values 0–256, the `aws:` prefix reserved.
public enum TagRules {
    public static let maximumPerSecret = 50
    public static let keyLength = 1...128
    public static let valueLength = 0...256

    /// Validates tags as given in a request (before merging).
    public static func validate(_ tags: [Tag]) throws(SecretsManagerError) {
        for tag in tags {
            try validateKey(tag.Key)
            guard valueLength.contains(tag.Value.count) else {
                throw .constraint("tags.member.value", value: tag.Value, SecretsManagerError.lengthRule(tag.Value.count, valueLength))
            }
        }
    }

    public static func validateKey(_ key: String) throws(SecretsManagerError) {
        guard keyLength.contains(key.count) else {
            throw .constraint("tags.member.key", value: key, SecretsManagerError.lengthRule(key.count, keyLength))
        }
        guard !key.lowercased().hasPrefix("aws:") else {
            throw SecretsManagerError(.invalidParameter, "Tag keys starting with 'aws:' are reserved for AWS use.")
        }
    }

    /// `existing` with `added` appended or overwritten by key (keys are case-sensitive), capped at 50.
    public static func merge(_ existing: [Tag], with added: [Tag]) throws(SecretsManagerError) -> [Tag] {
        try validate(added)
        var result = existing
        for tag in added {
            if let index = result.firstIndex(where: { $0.Key == tag.Key }) {
                result[index].Value = tag.Value
            } else {
                result.append(tag)
            }
        }
        guard result.count <= maximumPerSecret else {
            throw SecretsManagerError(.limitExceeded, "You can't add more than \(maximumPerSecret) tags to a secret.")
        }
        return result
    }
}
