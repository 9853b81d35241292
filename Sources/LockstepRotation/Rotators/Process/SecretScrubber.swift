import Foundation

/// Removes secret values from a process rotator's stderr before it becomes a recorded failure reason.
///
/// The needles are the secret's labelled values, each string field (longer than 3 characters) of those that are
/// JSON objects, and the rotation's credentials. Each needle is also looked for in its escaped spellings, as a
/// rotator that prints a JSON document or a Python dict writes it. Longer needles go first, so a whole value is replaced
/// before a field inside it.
public struct SecretScrubber: Sendable {
    public static let replacement = "<redacted>"
    /// Shorter strings (`"app"`, `"5432"`) are too common to redact without destroying the message.
    public static let minimumFieldLength = 4

    private let needles: [String]

    public init(values: [String]) {
        var needles = Set<String>()
        for value in values where !value.isEmpty {
            needles.insert(value)
            for field in Self.stringFields(of: value) where field.count >= Self.minimumFieldLength { needles.insert(field) }
        }
        for needle in needles { needles.formUnion(Self.escapedSpellings(of: needle)) }
        self.needles = needles.sorted { $0.utf8.count != $1.utf8.count ? $0.utf8.count > $1.utf8.count : $0 < $1 }
    }

    public func scrub(_ text: String) -> String {
        var text = text
        for needle in self.needles where text.contains(needle) {
            text = text.replacingOccurrences(of: needle, with: Self.replacement)
        }
        return text
    }

    /// Every string inside `value` when it is a JSON object or array (nested too), else nothing.
    static func stringFields(of value: String) -> [String] {
        guard let first = value.first(where: { !$0.isWhitespace }), first == "{" || first == "[",
            let parsed = try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [])
        else { return [] }
        var strings: [String] = []
        func collect(_ node: Any) {
            if let text = node as? String {
                strings.append(text)
            } else if let object = node as? [String: Any] {
                object.values.forEach(collect)
            } else if let array = node as? [Any] {
                array.forEach(collect)
            }
        }
        collect(parsed)
        return strings
    }

    /// `text` as it appears between the quotes of a JSON string, with and without `/` escaped (Foundation escapes
    /// it, Python's json module doesn't), and in a Python repr (backslashes doubled).
    static func escapedSpellings(of text: String) -> Set<String> {
        var spellings: Set = [text.replacingOccurrences(of: "\\", with: "\\\\")]
        for formatting in [JSONEncoder.OutputFormatting(), .withoutEscapingSlashes] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            guard let data = try? encoder.encode(text), data.count >= 2 else { continue }
            spellings.insert(String(decoding: data.dropFirst().dropLast(), as: UTF8.self))
        }
        spellings.remove(text)
        return spellings
    }
}
