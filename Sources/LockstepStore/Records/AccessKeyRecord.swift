public import Foundation

/// An access key as stored: the secret access key is sealed like a secret value, never kept in plaintext.
public struct AccessKeyRecord: Sendable, Hashable {
    public var accessKeyId: String
    public var account: String
    public var userName: String
    public var createdDate: Date
    /// `Active` or `Inactive`.
    public var status: String
    public var kmsKeyId: String
    public var wrappedDataKey: Data
    public var ciphertext: Data

    public init(
        accessKeyId: String,
        account: String,
        userName: String,
        createdDate: Date,
        status: String = "Active",
        kmsKeyId: String,
        wrappedDataKey: Data,
        ciphertext: Data
    ) {
        self.accessKeyId = accessKeyId
        self.account = account
        self.userName = userName
        self.createdDate = createdDate
        self.status = status
        self.kmsKeyId = kmsKeyId
        self.wrappedDataKey = wrappedDataKey
        self.ciphertext = ciphertext
    }
}
