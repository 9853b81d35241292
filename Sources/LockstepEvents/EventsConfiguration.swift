public import Foundation
import TOMLKit

/// `lockstep serve --events-config FILE`: the webhook endpoints to deliver the outbox to, in TOML.
///
/// ```toml
/// [delivery]                  # optional; the defaults shown
/// initial_backoff_ms = 500    # the first retry's delay, doubling after each failure ...
/// max_backoff_ms = 300000     # ... up to this
/// timeout_ms = 10000          # one attempt's limit (connecting, sending, the answer)
/// lease_seconds = 15          # how long a node's claim on an endpoint lasts without renewal
///
/// [[webhook]]
/// name = "ops"                                # 1-64 of A-Z a-z 0-9 _ - ; its metrics label and status row
/// url = "https://hooks.example.com/lockstep"  # http or https
/// secret_file = "/etc/lockstep/ops.secret"    # the HMAC key, or:
/// # secret_env = "LOCKSTEP_WEBHOOK_OPS"       # an environment variable holding it
/// ```
///
/// The secret is never in the file itself, on a command line, in a log or in a description of this value.
public struct EventsConfiguration: Sendable {
    /// One endpoint.
    public struct Endpoint: Sendable, CustomStringConvertible {
        public var name: String
        public var url: URL
        /// The HMAC key (at least 16 bytes).
        let secret: Data

        public init(name: String, url: URL, secret: Data) {
            self.name = name
            self.url = url
            self.secret = secret
        }

        /// The name and the URL's scheme, host and port: never the secret, nor the URL's path, query or credentials.
        public var description: String {
            let components = URLComponents(url: self.url, resolvingAgainstBaseURL: false)
            let port = components?.port.map { ":\($0)" } ?? ""
            return "\(self.name) (\(components?.scheme ?? "?")://\(components?.host ?? "?")\(port))"
        }

        public var signature: WebhookSignature { WebhookSignature(secret: self.secret) }
    }

    /// A configuration that can't be used; the message names the key, never a secret.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public var endpoints: [Endpoint] = []
    public var backoff = DeliveryBackoff()
    public var timeout: Duration = .seconds(10)
    public var lease: Duration = .seconds(15)

    public static let minimumSecretBytes = 16
    public static let maximumEndpoints = 32

    public init(
        endpoints: [Endpoint] = [],
        backoff: DeliveryBackoff = DeliveryBackoff(),
        timeout: Duration = .seconds(10),
        lease: Duration = .seconds(15)
    ) {
        self.endpoints = endpoints
        self.backoff = backoff
        self.timeout = timeout
        self.lease = lease
    }

    /// Reads a configuration file's text; secrets come from `environment` or through `readFile`.
    public init(
        toml text: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readFile: (String) throws -> Data = { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    ) throws(Invalid) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Invalid(description: "the events configuration is not valid TOML (\(error.source.begin)): \(error.description)")
        } catch {
            throw Invalid(description: "the events configuration is not valid TOML")
        }
        var initial = 500
        var maximum = 300_000
        for key in table.keys.sorted() {
            guard let value = table[key] else { continue }
            switch key {
            case "delivery":
                guard let delivery = value.table else { throw Invalid(description: "[delivery] must be a table") }
                for key in delivery.keys.sorted() {
                    guard let value = delivery[key] else { continue }
                    switch key {
                    case "initial_backoff_ms": initial = try Self.integer(value, "delivery.\(key)", 10...3_600_000)
                    case "max_backoff_ms": maximum = try Self.integer(value, "delivery.\(key)", 10...86_400_000)
                    case "timeout_ms": self.timeout = .milliseconds(try Self.integer(value, "delivery.\(key)", 100...600_000))
                    case "lease_seconds": self.lease = .seconds(try Self.integer(value, "delivery.\(key)", 2...3_600))
                    default: throw Invalid(description: "unknown key delivery.\(Self.printable(key))")
                    }
                }
            case "webhook":
                guard let array = value.array else { throw Invalid(description: "webhook must be an array of tables ([[webhook]])") }
                for element in array {
                    guard let entry = element.table else { throw Invalid(description: "webhook must be an array of tables ([[webhook]])") }
                    self.endpoints.append(try Self.endpoint(entry, environment: environment, readFile: readFile))
                }
            default: throw Invalid(description: "unknown configuration key \(Self.printable(key))")
            }
        }
        guard initial <= maximum else { throw Invalid(description: "delivery.initial_backoff_ms must not exceed delivery.max_backoff_ms") }
        self.backoff = DeliveryBackoff(initial: .milliseconds(initial), maximum: .milliseconds(maximum))
        // A lease must outlast the longest attempt with room to renew it, or two nodes could send at once.
        guard self.lease >= self.timeout + .seconds(2) else {
            throw Invalid(description: "delivery.lease_seconds must exceed delivery.timeout_ms by at least 2 seconds")
        }
        guard !self.endpoints.isEmpty else { throw Invalid(description: "the events configuration names no [[webhook]]") }
        guard self.endpoints.count <= Self.maximumEndpoints else { throw Invalid(description: "at most \(Self.maximumEndpoints) webhooks") }
        guard Set(self.endpoints.map(\.name)).count == self.endpoints.count else { throw Invalid(description: "two webhooks have the same name") }
    }

    private static func endpoint(
        _ entry: TOMLTable,
        environment: [String: String],
        readFile: (String) throws -> Data
    ) throws(Invalid) -> Endpoint {
        var name: String?
        var url: URL?
        var secret: Data?
        for key in entry.keys.sorted() {
            guard let value = entry[key] else { continue }
            switch key {
            case "name":
                let text = try Self.string(value, "webhook.name")
                guard Self.isName(text) else { throw Invalid(description: "webhook.name must be 1 to 64 of A-Z a-z 0-9 _ -") }
                name = text
            case "url":
                let text = try Self.string(value, "webhook.url")
                guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
                    parsed.host?.isEmpty == false
                else { throw Invalid(description: "webhook.url must be an http:// or https:// URL") }
                url = parsed
            case "secret_file":
                guard secret == nil else { throw Invalid(description: "give a webhook one of secret_file and secret_env") }
                let path = try Self.string(value, "webhook.secret_file")
                do {
                    secret = Self.trimmed(try readFile(path))
                } catch {
                    throw Invalid(description: "webhook.secret_file \(Self.printable(path)) can't be read")
                }
            case "secret_env":
                guard secret == nil else { throw Invalid(description: "give a webhook one of secret_file and secret_env") }
                let variable = try Self.string(value, "webhook.secret_env")
                guard let text = environment[variable] else {
                    throw Invalid(description: "webhook.secret_env names \(Self.printable(variable)), which is not set")
                }
                secret = Self.trimmed(Data(text.utf8))
            case "secret":
                throw Invalid(description: "a webhook's secret is read from secret_file or secret_env, never written in the configuration")
            default: throw Invalid(description: "unknown key webhook.\(Self.printable(key))")
            }
        }
        guard let name else { throw Invalid(description: "every [[webhook]] needs a name") }
        guard let url else { throw Invalid(description: "webhook \(name) needs a url") }
        guard let secret else { throw Invalid(description: "webhook \(name) needs secret_file or secret_env") }
        guard secret.count >= Self.minimumSecretBytes else {
            throw Invalid(description: "webhook \(name)'s secret must be at least \(Self.minimumSecretBytes) bytes")
        }
        return Endpoint(name: name, url: url, secret: secret)
    }

    /// A secret without the line break a file or shell usually ends it with.
    static func trimmed(_ data: Data) -> Data {
        var bytes = data[...]
        while let last = bytes.last, [0x0A, 0x0D, 0x20, 0x09].contains(last) { bytes = bytes.dropLast() }
        return Data(bytes)
    }

    static func isName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F || $0 == 0x2D
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

    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { (0x20..<0x7F).contains($0.value) ? $0 : "?" }))
    }
}
