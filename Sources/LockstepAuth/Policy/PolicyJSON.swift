/// A JSON value as a policy document holds it: parsed strictly, numbers kept as their text.
///
/// IAM grammar is loose about shapes (a string or a list of strings, a statement or a list of statements), so the
/// document is read into this tree first and the grammar is checked against it with messages that name the member.
public enum PolicyJSON: Sendable, Hashable, Decodable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([PolicyJSON])
    case object([String: PolicyJSON])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([PolicyJSON].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: PolicyJSON].self))
        }
    }

    /// A scalar as the text a condition compares (`true`, `42`, `"x"`); nil for lists, objects and null.
    var scalarText: String? {
        switch self {
        case .string(let string): return string
        case .bool(let bool): return bool ? "true" : "false"
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .null, .array, .object: return nil
        }
    }
}
