import Foundation
import TOMLKit

/// `lockstep agent --config FILE`: the keys of AWS's Secrets Manager Agent, in TOML, with its defaults and ranges.
/// A key the agent doesn't know, or a value of the wrong type or out of range, is refused with the key's name.
public struct AgentConfiguration: Sendable, Equatable {
    public enum LogLevel: String, Sendable, CaseIterable {
        case debug = "DEBUG", info = "INFO", warn = "WARN", error = "ERROR", none = "NONE"
    }

    public var logLevel = LogLevel.info
    /// Accepted for compatibility; Lockstep's agent always logs to standard error.
    public var logToFile = false
    /// The loopback port, 1024–65535.
    public var httpPort = 2773
    /// The region requests are signed for (default: the credential chain's).
    public var region: String?
    /// How long a cached value is served without asking again, 0–3600 s (0: no cache).
    public var ttlSeconds = 300
    /// The most secrets cached, 1–1000.
    public var cacheSize = 1000
    /// The headers the SSRF token may arrive in.
    public var ssrfHeaders = ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"]
    /// The environment variables the SSRF token is read from, first set wins; a value `file://PATH` names a file.
    public var ssrfEnvVariables = ["AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    /// Requests under this prefix name the secret in the path (`/v1/prod/db`).
    public var pathPrefix = "/v1/"
    /// Connections served at once, 1–1000 (more wait to be accepted).
    public var maxConn = 800

    public init() {}

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads a configuration file's text.
    public init(toml text: String) throws(Invalid) {
        self.init()
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Invalid(description: "the configuration is not valid TOML (\(error.source.begin)): \(error.description)")
        } catch {
            throw Invalid(description: "the configuration is not valid TOML")
        }
        for key in table.keys.sorted() {
            guard let value = table[key] else { continue }
            switch key {
            case "log_level":
                let text = try Self.string(value, key)
                guard let level = LogLevel(rawValue: text.uppercased()) else {
                    throw Invalid(description: "log_level must be one of DEBUG, INFO, WARN, ERROR, NONE")
                }
                self.logLevel = level
            case "log_to_file":
                guard let flag = value.bool else { throw Invalid(description: "log_to_file must be true or false") }
                self.logToFile = flag
            case "http_port": self.httpPort = try Self.integer(value, key, 1024...65535)
            case "region":
                let region = try Self.string(value, key)
                guard Self.isRegionName(region) else { throw Invalid(description: "region must be a region name such as us-east-1") }
                self.region = region
            case "ttl_seconds": self.ttlSeconds = try Self.integer(value, key, 0...3600)
            case "cache_size": self.cacheSize = try Self.integer(value, key, 1...1000)
            case "ssrf_headers":
                self.ssrfHeaders = try Self.strings(value, key)
                guard self.ssrfHeaders.allSatisfy(Self.isHeaderName) else {
                    throw Invalid(description: "ssrf_headers must hold HTTP header names")
                }
            case "ssrf_env_variables":
                self.ssrfEnvVariables = try Self.strings(value, key)
                guard self.ssrfEnvVariables.allSatisfy({ !$0.isEmpty && !$0.contains("=") && $0.utf8.count <= 256 }) else {
                    throw Invalid(description: "ssrf_env_variables must hold environment variable names")
                }
            case "path_prefix":
                let prefix = try Self.string(value, key)
                guard prefix.hasPrefix("/"), prefix.count > 1, prefix.utf8.count <= 256, !prefix.contains("?"), !prefix.contains("%") else {
                    throw Invalid(description: "path_prefix must start with / (e.g. /v1/)")
                }
                self.pathPrefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
            case "max_conn": self.maxConn = try Self.integer(value, key, 1...1000)
            default:
                throw Invalid(description: "unknown configuration key \(Self.printable(key))")
            }
        }
    }

    private static func string(_ value: any TOMLValueConvertible, _ key: String) throws(Invalid) -> String {
        guard let text = value.string else { throw Invalid(description: "\(key) must be a string") }
        return text
    }

    private static func integer(_ value: any TOMLValueConvertible, _ key: String, _ range: ClosedRange<Int>) throws(Invalid) -> Int {
        guard let number = value.int, range.contains(number) else {
            throw Invalid(description: "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func strings(_ value: any TOMLValueConvertible, _ key: String) throws(Invalid) -> [String] {
        guard let array = value.array, (1...32).contains(array.count) else {
            throw Invalid(description: "\(key) must be a list of 1 to 32 strings")
        }
        var result: [String] = []
        for element in array {
            guard let text = element.string else { throw Invalid(description: "\(key) must be a list of strings") }
            result.append(text)
        }
        return result
    }

    static func isHeaderName(_ name: String) -> Bool {
        let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        return (1...256).contains(name.utf8.count) && name.utf8.allSatisfy(token.contains)
    }

    static func isRegionName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// A key as it may be shown: at most 64 printable ASCII characters.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { (0x20..<0x7F).contains($0.value) ? $0 : "?" }))
    }
}
