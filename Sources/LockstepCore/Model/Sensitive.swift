/// A value that must never be printed: secret strings, secret bytes, passwords, rotation tokens.
///
/// It encodes and decodes as the plain value (the wire format is unchanged), but `description`,
/// `debugDescription` and reflection (`dump`, `String(reflecting:)`) all show `<redacted>`, so a request or
/// response struct interpolated into a log line or an error can't leak what it carries.
public struct Sensitive<Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The protected value. Read it only where it is needed.
    public var value: Value

    public init(_ value: Value) { self.value = value }

    public init(from decoder: any Decoder) throws {
        self.value = try decoder.singleValueContainer().decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension Sensitive: ExpressibleByStringLiteral, ExpressibleByUnicodeScalarLiteral, ExpressibleByExtendedGraphemeClusterLiteral
where Value == String {
    public init(stringLiteral value: String) { self.value = value }
}
