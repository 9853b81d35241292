import Foundation

/// A file `lockstep agent` keeps written: a secret's value, one key of its JSON, or a small template
/// (`--render ID[#KEY]:PATH`, `--render-template TEMPLATE:PATH`).
public struct RenderTarget: Sendable, Hashable {
    /// A value a target needs: a secret's AWSCURRENT value, or one top-level key of its JSON.
    struct Reference: Sendable, Hashable {
        let secretId: String
        let key: String?
    }

    enum Piece: Sendable, Hashable {
        case literal(String)
        case reference(Reference)
    }

    let pieces: [Piece]
    public let path: String

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// `--render ID[#KEY]:PATH`. The path follows the last `:` (an ARN holds colons; a path may not).
    public init(render spec: String) throws(Invalid) {
        guard let colon = spec.lastIndex(of: ":") else { throw Invalid(description: "--render takes SECRET_ID[#KEY]:PATH") }
        let source = String(spec[..<colon])
        self.path = try Self.checkedPath(String(spec[spec.index(after: colon)...]))
        self.pieces = [.reference(try Self.reference(source))]
    }

    /// `--render-template TEMPLATE:PATH`: the template's text with each `{{ ID }}` or `{{ ID#KEY }}` replaced.
    public init(template spec: String, reading read: (String) throws -> String) throws(Invalid) {
        guard let colon = spec.lastIndex(of: ":") else { throw Invalid(description: "--render-template takes TEMPLATE_FILE:PATH") }
        let templatePath = String(spec[..<colon])
        self.path = try Self.checkedPath(String(spec[spec.index(after: colon)...]))
        let text: String
        do {
            text = try read(templatePath)
        } catch {
            throw Invalid(description: "can't read the template \(templatePath)")
        }
        guard text.utf8.count <= 1 << 20 else { throw Invalid(description: "the template \(templatePath) is larger than 1 MiB") }
        self.pieces = try Self.parse(text)
    }

    /// The secrets this target reads.
    var references: [Reference] {
        self.pieces.compactMap {
            if case .reference(let reference) = $0 { return reference }
            return nil
        }
    }

    static func parse(_ text: String) throws(Invalid) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw Invalid(description: "the template has a {{ without its }}")
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            pieces.append(.reference(try Self.reference(inner)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        guard pieces.contains(where: { if case .reference = $0 { true } else { false } }) else {
            throw Invalid(description: "the template names no secret ({{ SECRET_ID }} or {{ SECRET_ID#KEY }})")
        }
        return pieces
    }

    private static func reference(_ text: String) throws(Invalid) -> Reference {
        let parts = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let id = parts[0]
        // Secret names are 1-512 of [A-Za-z0-9/_+=.@-]; ARNs add ':'. A key is any JSON key but empty.
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+=.@-:".utf8)
        guard (1...2048).contains(id.utf8.count), id.utf8.allSatisfy(allowed.contains) else {
            throw Invalid(description: "\(AgentConfiguration.printable(id)) is not a secret name or ARN")
        }
        if parts.count > 1 {
            guard (1...256).contains(parts[1].utf8.count) else { throw Invalid(description: "a key after # must be 1 to 256 characters") }
            return Reference(secretId: id, key: parts[1])
        }
        return Reference(secretId: id, key: nil)
    }

    private static func checkedPath(_ path: String) throws(Invalid) -> String {
        guard !path.isEmpty, path.utf8.count <= 4096, !path.hasSuffix("/"), !path.utf8.contains(0) else {
            throw Invalid(description: "the file to render must be a path")
        }
        return path
    }

    /// The file's content, given each referenced secret's value (`SecretString`, or SecretBinary's bytes).
    func content(_ values: [String: Data]) throws(Invalid) -> Data {
        var result = Data()
        for piece in self.pieces {
            switch piece {
            case .literal(let text): result.append(Data(text.utf8))
            case .reference(let reference):
                guard let value = values[reference.secretId] else { throw Invalid(description: "no value for \(reference.secretId)") }
                guard let key = reference.key else {
                    result.append(value)
                    continue
                }
                guard let object = try? JSONSerialization.jsonObject(with: value) as? [String: Any], let member = object[key] else {
                    throw Invalid(description: "the value of \(reference.secretId) is not a JSON object with the key \(AgentConfiguration.printable(key))")
                }
                if let text = member as? String {
                    result.append(Data(text.utf8))
                } else if let data = try? JSONSerialization.data(withJSONObject: member, options: [.fragmentsAllowed, .sortedKeys]) {
                    result.append(data)
                }
            }
        }
        return result
    }
}
