import Foundation
import LockstepClient
import Logging

/// An answer of the agent before it meets HTTP.
struct AgentAnswer: Sendable, Equatable {
    var status: Int
    var body: Data
    var contentType = "application/json"

    static func text(_ status: Int, _ message: String) -> AgentAnswer {
        AgentAnswer(status: status, body: Data(message.utf8), contentType: "text/plain; charset=utf-8")
    }

    /// AWS's JSON 1.1 error shape, as AWS's agent answers upstream failures.
    static func error(_ status: Int, code: String, message: String) -> AgentAnswer {
        let body = (try? JSONSerialization.data(withJSONObject: ["__type": code, "message": message], options: [.sortedKeys])) ?? Data()
        return AgentAnswer(status: status, body: body)
    }
}

/// Serves GetSecretValue from the cache, or asks the upstream and caches the answer.
struct AgentSecrets: Sendable {
    let client: RemoteClient
    let cache: AgentCache
    let logger: Logger

    func fetch(_ query: AgentQuery) async -> AgentAnswer {
        if !query.refreshNow, let entry = self.cache.fresh(query.key) { return AgentAnswer(status: 200, body: entry.body) }
        var request: [String: String] = ["SecretId": query.secretId]
        request["VersionId"] = query.versionId
        request["VersionStage"] = query.versionStage
        let status: Int
        let body: Data
        do {
            let json = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])
            (status, body) = try await self.client.invoke("GetSecretValue", body: json, timeout: .seconds(10))
        } catch is RemoteClient.Timeout {
            return .error(504, code: "TimeoutError", message: "Timeout")
        } catch {
            self.logger.warning("the upstream can't be reached", metadata: ["error": "\(type(of: error))"])
            return .error(502, code: "ConnectionError", message: "Read Error")
        }
        guard status == 200 else { return Self.upstreamError(status, body) }
        guard let answer = Self.agentShape(body) else { return .error(500, code: "InternalFailure", message: "") }
        self.cache.store(AgentCache.Entry(body: answer.body, arn: answer.arn, stored: .now), for: query.key)
        return AgentAnswer(status: 200, body: answer.body)
    }

    /// GetSecretValue's answer in AWS's agent's shape: ARN, Name, VersionId, SecretString or SecretBinary (base64),
    /// VersionStages, and CreatedDate as a string of seconds since 1970.
    static func agentShape(_ body: Data) -> (body: Data, arn: String)? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let arn = object["ARN"] as? String else {
            return nil
        }
        var shaped: [String: Any] = ["ARN": arn]
        for key in ["Name", "VersionId", "SecretString", "SecretBinary", "VersionStages"] { shaped[key] = object[key] }
        if let created = object["CreatedDate"] as? NSNumber {
            var text = "\(created.doubleValue)"
            if text.hasSuffix(".0") { text.removeLast(2) }
            shaped["CreatedDate"] = text
        }
        guard let data = try? JSONSerialization.data(withJSONObject: shaped, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return (data, arn)
    }

    /// An upstream failure passed on with its status, code and message.
    static func upstreamError(_ status: Int, _ body: Data) -> AgentAnswer {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let type = (object?["__type"] as? String).map { String($0.split(separator: "#").last ?? "") } ?? ""
        let message = (object?["message"] as? String) ?? (object?["Message"] as? String) ?? ""
        guard !type.isEmpty, !message.isEmpty else { return .error(status >= 500 ? status : 500, code: "InternalFailure", message: "") }
        return .error(status, code: type, message: message)
    }
}
