/// Resolves a `RotationLambdaARN` to a rotator: a bare name (`postgres-single-user`) or
/// `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]` (DESIGN.md §6).
public struct RotatorRegistry: Sendable {
    private let rotators: [String: any Rotator]

    public init(_ rotators: [String: any Rotator]) {
        self.rotators = rotators
    }

    /// The names this registry knows, sorted.
    public var names: [String] { self.rotators.keys.sorted() }

    public func rotator(for reference: String) -> (any Rotator)? {
        Self.functionName(reference).flatMap { self.rotators[$0] }
    }

    public func canInvoke(_ reference: String) -> Bool { self.rotator(for: reference) != nil }

    /// The function name a reference names, or nil when it is not a name or a Lambda function ARN.
    public static func functionName(_ reference: String) -> String? {
        guard reference.hasPrefix("arn:") else { return reference.isEmpty ? nil : reference }
        let parts = reference.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 7 || parts.count == 8, parts[2] == "lambda", parts[5] == "function", !parts[6].isEmpty else {
            return nil
        }
        return String(parts[6])
    }
}
