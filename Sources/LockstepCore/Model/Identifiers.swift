/// Rules for the identifiers requests carry: version ids (client request tokens) and staging labels.
public enum VersionIdentifier {
    public static let lengthRange = 32...64

    /// Throws unless `token` is a valid ClientRequestToken / VersionId (32–64 characters).
    public static func validate(_ token: String, parameter: String = "ClientRequestToken") throws(SecretsManagerError) {
        guard lengthRange.contains(token.count) else {
            throw .constraint(parameter, value: token, SecretsManagerError.lengthRule(token.utf16.count, lengthRange))
        }
        guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw SecretsManagerError(.invalidParameter, "The parameter \(parameter) must contain only printable ASCII characters.")
        }
    }
}

/// Staging label names and the well-known labels.
public enum StagingLabel {
    public static let current = "AWSCURRENT"
    public static let pending = "AWSPENDING"
    public static let previous = "AWSPREVIOUS"

    /// Most labels a version can carry.
    public static let maximumPerVersion = 20
    public static let lengthRange = 1...256

    public static func validate(_ label: String, parameter: String = "VersionStage") throws(SecretsManagerError) {
        guard lengthRange.contains(label.count) else {
            throw .constraint(parameter, value: label, SecretsManagerError.lengthRule(label.utf16.count, lengthRange))
        }
    }
}
