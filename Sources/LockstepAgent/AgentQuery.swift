import Foundation

/// What an application asked the agent for, from either of AWS's agent routes:
/// `GET /secretsmanager/get?secretId=ID[&versionId=..][&versionStage=..][&refreshNow=true]`, or the path route
/// `GET {path_prefix}ID[?versionId=..&versionStage=..&refreshNow=..]` (slashes kept, `%2F` decoded).
struct AgentQuery: Sendable, Hashable {
    var secretId: String
    var versionId: String?
    var versionStage: String?
    var refreshNow = false

    /// A 400 answer's text.
    struct Refused: Error, Equatable {
        let message: String
    }

    static let queryPath = "/secretsmanager/get"

    /// The query route's parameters.
    static func fromQuery(_ query: String) throws(Refused) -> AgentQuery {
        var result = AgentQuery(secretId: "")
        try Self.readParameters(query, into: &result, allowSecretId: true)
        guard !result.secretId.isEmpty else { throw Refused(message: "missing parameter secretId") }
        return result
    }

    /// The path route: the rest of the path after `prefix` is the secret id.
    static func fromPath(_ path: String, prefix: String, query: String) throws(Refused) -> AgentQuery {
        guard let id = String(path.dropFirst(prefix.count)).removingPercentEncoding, !id.isEmpty else {
            throw Refused(message: "missing secret ID")
        }
        var result = AgentQuery(secretId: id)
        try Self.readParameters(query, into: &result, allowSecretId: false)
        return result
    }

    private static func readParameters(_ query: String, into result: inout AgentQuery, allowSecretId: Bool) throws(Refused) {
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decoded(parts[0])
            let value = parts.count > 1 ? Self.decoded(parts[1]) : ""
            switch name {
            case "secretId" where allowSecretId: result.secretId = value
            case "versionId": result.versionId = value
            case "versionStage": result.versionStage = value
            case "refreshNow":
                switch value.lowercased() {
                case "true", "1": result.refreshNow = true
                case "false", "0": result.refreshNow = false
                default: throw Refused(message: "invalid refreshNow value")
                }
            default: throw Refused(message: "unknown parameter: \(AgentConfiguration.printable(name))")
            }
        }
        // AWS's bounds: the upstream call would refuse these anyway, and they keep cache keys small.
        guard result.secretId.utf8.count <= 2048 else { throw Refused(message: "secretId must be at most 2048 characters") }
        if let id = result.versionId, !(32...64).contains(id.utf8.count) {
            throw Refused(message: "versionId must be 32 to 64 characters")
        }
        if let stage = result.versionStage, !(1...256).contains(stage.utf8.count) {
            throw Refused(message: "versionStage must be 1 to 256 characters")
        }
    }

    /// Query-string decoding: `+` is a space, then percent-escapes.
    private static func decoded(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
