import LockstepCore

/// A policy document is read into a ``JSONValue`` tree first, because IAM grammar is loose about shapes (a string
/// or a list of strings, a statement or a list of statements); the grammar is then checked against the tree with
/// messages that name the member.
extension JSONValue {
    /// A scalar as the text a condition compares (`true`, `42`, `"x"`); nil for lists, objects and null.
    var scalarText: String? {
        switch self {
        case .string(let string): return string
        case .bool(let bool): return bool ? "true" : "false"
        case .integer(let integer): return String(integer)
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .null, .array, .object: return nil
        }
    }
}
