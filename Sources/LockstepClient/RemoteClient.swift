import AsyncHTTPClient
public import Foundation
import LockstepAuth
import NIOCore
import NIOHTTP1

/// A client of a Secrets Manager endpoint (a Lockstep server, or AWS itself) that signs requests with SigV4 like the
/// aws CLI does: the CLI's remote mode and `lockstep agent`.
public struct RemoteClient: Sendable {
    /// No credentials could be found, or an option is malformed.
    public struct ConfigurationError: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) { self.description = description }
    }

    /// The request ran out of time (connecting, or waiting for the answer).
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String { "the request to the endpoint timed out" }
    }

    public let endpoint: URL
    let signer: SigV4Signer
    /// Appended to each request's User-Agent.
    public var userAgent = "lockstep"

    /// Credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, else the profile
    /// (`--profile`, `AWS_PROFILE`, `default`) in `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`); the region
    /// from `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile in `~/.aws/config`, else us-east-1.
    public init(endpoint: URL, profile: String?, region: String?, environment: [String: String]) throws {
        self.endpoint = endpoint
        let profileName = profile ?? environment["AWS_PROFILE"] ?? "default"
        let home = environment["HOME"] ?? NSHomeDirectory()
        let credentialsFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configFile = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        let fromFile = Self.ini(credentialsFile)[profileName] ?? [:]
        let config = Self.ini(configFile)[profileName == "default" ? "default" : "profile \(profileName)"] ?? [:]
        var accessKeyId = environment["AWS_ACCESS_KEY_ID"]
        var secret = environment["AWS_SECRET_ACCESS_KEY"]
        var token = environment["AWS_SESSION_TOKEN"]
        if accessKeyId == nil || secret == nil || profile != nil {
            accessKeyId = fromFile["aws_access_key_id"]
            secret = fromFile["aws_secret_access_key"]
            token = fromFile["aws_session_token"]
        }
        guard let accessKeyId, let secret else {
            throw ConfigurationError(
                description: "Unable to locate credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use a profile."
            )
        }
        let resolvedRegion = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? config["region"] ?? "us-east-1"
        self.signer = SigV4Signer(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token, region: resolvedRegion)
    }

    /// The region requests are signed for.
    public var region: String { self.signer.region }

    /// Sends one operation; returns the status and body.
    public func invoke(_ operation: String, body: Data, timeout: Duration = .seconds(30)) async throws -> (status: Int, body: Data) {
        try await self.send(
            method: "POST",
            path: "/",
            query: "",
            headers: [
                (name: "content-type", value: "application/x-amz-json-1.1"),
                (name: "x-amz-target", value: "secretsmanager.\(operation)"),
            ],
            body: body,
            timeout: timeout
        )
    }

    /// A signed `GET path?query` (the change feed); returns the status and body.
    public func get(path: String, query: String, timeout: Duration) async throws -> (status: Int, body: Data) {
        try await self.send(method: "GET", path: path, query: query, headers: [], body: Data(), timeout: timeout)
    }

    private func send(
        method: String,
        path: String,
        query: String,
        headers: [(name: String, value: String)],
        body: Data,
        timeout: Duration
    ) async throws -> (status: Int, body: Data) {
        var components = URLComponents(url: self.endpoint, resolvingAgainstBaseURL: false)!
        let base = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = base + path
        components.percentEncodedQuery = query.isEmpty ? nil : query
        let host = components.port.map { "\(components.host ?? ""):\($0)" } ?? (components.host ?? "")
        var signable = SignableRequest(
            method: method,
            path: components.percentEncodedPath,
            query: query,
            headers: [(name: "host", value: host), (name: "user-agent", value: self.userAgent)] + headers,
            body: body
        )
        self.signer.sign(&signable)
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.method = .RAW(value: method)
        for header in signable.headers where header.name != "host" { request.headers.add(name: header.name, value: header.value) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let (seconds, attoseconds) = timeout.components
            let limit = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            let response = try await HTTPClient.shared.execute(request, timeout: limit)
            let bytes = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw Timeout()
        }
    }

    /// A minimal INI reader for the AWS shared files: `[section]` and `key = value` lines.
    public static func ini(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: (path as NSString).expandingTildeInPath, encoding: .utf8) else { return [:] }
        var sections: [String: [String: String]] = [:]
        var current = ""
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") {
                current = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            let parts = trimmed.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            sections[current, default: [:]][parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return sections
    }
}
