import Foundation

/// The token every request to the agent must carry (AWS's Secrets Manager Agent's SSRF protection): read from the
/// first of the configured environment variables that is set; a value `file://PATH` names a file holding it.
public struct SSRFToken: Sendable {
    let bytes: [UInt8]

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public init(variables: [String], environment: [String: String]) throws(Missing) {
        guard let name = variables.first(where: { environment[$0] != nil }), var value = environment[name] else {
            throw Missing(description: "no SSRF token: set one of \(variables.joined(separator: ", ")) (a token, or file://PATH)")
        }
        if value.hasPrefix("file://") {
            let path = String(value.dropFirst("file://".count))
            guard let data = FileManager.default.contents(atPath: path), data.count <= 4096,
                let text = String(data: data, encoding: .utf8)
            else {
                throw Missing(description: "the SSRF token file named by \(name) can't be read (or holds more than 4 KiB)")
            }
            value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !value.isEmpty else { throw Missing(description: "the SSRF token in \(name) is empty") }
        self.bytes = Array(value.utf8)
    }

    /// Compared in constant time for a given length: the time taken tells nothing of how much matched.
    func matches(_ candidate: String) -> Bool {
        let other = Array(candidate.utf8)
        guard other.count == self.bytes.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<other.count { difference |= other[index] ^ self.bytes[index] }
        return difference == 0
    }
}

/// The token never shows (see SigV4Signer's description).
extension SSRFToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SSRFToken(****)" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
