import Foundation
import Testing

@testable import LockstepAgent

/// The agent's pure parts: its configuration file, its two routes' parameters, its cache and its token.
@Suite struct AgentConfigurationTests {
    @Test func defaultsAreAWSAgentsAndEveryKeyIsRead() throws {
        let defaults = AgentConfiguration()
        #expect(defaults.httpPort == 2773 && defaults.ttlSeconds == 300 && defaults.cacheSize == 1000 && defaults.maxConn == 800)
        #expect(defaults.ssrfHeaders == ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"] && defaults.pathPrefix == "/v1/")
        let read = try AgentConfiguration(
            toml: """
                log_level = "debug"
                http_port = 4000
                region = "eu-west-1"
                ttl_seconds = 0
                cache_size = 5
                ssrf_headers = ["X-My-Token"]
                ssrf_env_variables = ["MY_TOKEN"]
                path_prefix = "/secrets"
                max_conn = 10
                log_to_file = false
                """
        )
        #expect(read.logLevel == .debug && read.httpPort == 4000 && read.region == "eu-west-1" && read.ttlSeconds == 0)
        #expect(read.cacheSize == 5 && read.ssrfHeaders == ["X-My-Token"] && read.ssrfEnvVariables == ["MY_TOKEN"])
        #expect(read.pathPrefix == "/secrets/" && read.maxConn == 10)
    }

    @Test(arguments: [
        ("ttl_seconds = 3601", "ttl_seconds"), ("ttl_seconds = \"300\"", "ttl_seconds"), ("http_port = 80", "http_port"),
        ("cache_size = 0", "cache_size"), ("max_conn = 1001", "max_conn"), ("log_level = \"LOUD\"", "log_level"),
        ("path_prefix = \"v1\"", "path_prefix"), ("ssrf_headers = [\"bad header\"]", "ssrf_headers"), ("ssrf_headers = []", "ssrf_headers"),
        ("region = \"US EAST\"", "region"), ("ttl = 5", "unknown configuration key ttl"), ("ttl_seconds = ", "not valid TOML"),
    ])
    func badValuesAreRefusedNamingTheKey(_ text: String, _ expected: String) {
        #expect {
            _ = try AgentConfiguration(toml: text)
        } throws: { error in
            (error as? AgentConfiguration.Invalid)?.description.contains(expected) == true
        }
    }
}

@Suite struct AgentQueryTests {
    @Test func theQueryRouteReadsAWSAgentsParameters() throws {
        let query = try AgentQuery.fromQuery("secretId=prod%2Fdb&versionStage=AWSPREVIOUS&refreshNow=TRUE")
        #expect(query == AgentQuery(secretId: "prod/db", versionId: nil, versionStage: "AWSPREVIOUS", refreshNow: true))
        #expect(try AgentQuery.fromQuery("secretId=a+b&refreshNow=0").secretId == "a b")
        #expect(throws: AgentQuery.Refused(message: "missing parameter secretId")) { try AgentQuery.fromQuery("versionStage=x") }
        #expect(throws: AgentQuery.Refused(message: "unknown parameter: abc")) { try AgentQuery.fromQuery("secretId=a&abc=1") }
        #expect(throws: AgentQuery.Refused(message: "invalid refreshNow value")) { try AgentQuery.fromQuery("secretId=a&refreshNow=yes") }
        #expect(throws: AgentQuery.Refused.self) { try AgentQuery.fromQuery("secretId=\(String(repeating: "a", count: 2049))") }
        #expect(throws: AgentQuery.Refused.self) { try AgentQuery.fromQuery("secretId=a&versionId=short") }
    }

    @Test func thePathRouteKeepsSlashesAndDecodesEscapes() throws {
        #expect(try AgentQuery.fromPath("/v1/prod/db", prefix: "/v1/", query: "").secretId == "prod/db")
        #expect(try AgentQuery.fromPath("/v1/prod%2Fdb", prefix: "/v1/", query: "versionStage=AWSCURRENT").versionStage == "AWSCURRENT")
        #expect(throws: AgentQuery.Refused(message: "missing secret ID")) { try AgentQuery.fromPath("/v1/", prefix: "/v1/", query: "") }
        #expect(throws: AgentQuery.Refused(message: "unknown parameter: secretId")) {
            try AgentQuery.fromPath("/v1/a", prefix: "/v1/", query: "secretId=b")
        }
    }
}

@Suite struct AgentCacheTests {
    func entry(_ arn: String, at instant: ContinuousClock.Instant = .now) -> AgentCache.Entry {
        AgentCache.Entry(body: Data(arn.utf8), arn: arn, stored: instant)
    }

    func key(_ id: String, stage: String? = nil) -> AgentQuery.Key { AgentQuery(secretId: id, versionStage: stage).key }

    @Test func entriesLiveForTheTTLAndTheLeastRecentlyUsedGoesFirst() {
        let cache = AgentCache(capacity: 2, ttl: .seconds(300))
        let now = ContinuousClock.now
        cache.store(self.entry("a", at: now), for: self.key("a"))
        cache.store(self.entry("b", at: now), for: self.key("b"))
        #expect(cache.fresh(self.key("a"), now: now) != nil)  // a is now the more recently used
        cache.store(self.entry("c", at: now), for: self.key("c"))
        #expect(cache.count == 2 && cache.fresh(self.key("b"), now: now) == nil && cache.fresh(self.key("a"), now: now) != nil)
        #expect(cache.fresh(self.key("a"), now: now + .seconds(301)) == nil)
    }

    @Test func aChangeDropsEveryEntryOfItsSecret() {
        let cache = AgentCache(capacity: 10, ttl: .seconds(300))
        cache.store(self.entry("arn:x"), for: self.key("x"))
        cache.store(self.entry("arn:x"), for: self.key("arn:x", stage: "AWSPREVIOUS"))
        cache.store(self.entry("arn:y"), for: self.key("y"))
        #expect(cache.invalidate(arn: "arn:x") == 2)
        #expect(cache.fresh(self.key("x")) == nil && cache.fresh(self.key("y")) != nil)
    }

    @Test func aZeroTTLCachesNothing() {
        let cache = AgentCache(capacity: 10, ttl: .zero)
        cache.store(self.entry("a"), for: self.key("a"))
        #expect(cache.count == 0)
    }
}

@Suite struct AgentTokenAndShapeTests {
    @Test func theTokenComesFromTheFirstVariableSetOrTheFileItNames() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let token = try SSRFToken(variables: ["A", "B"], environment: ["B": "file://\(file.path)", "C": "other"])
        #expect(token.matches("from-file") && !token.matches("from-fil") && !token.matches("other"))
        #expect(try SSRFToken(variables: ["A", "B"], environment: ["A": "first", "B": "second"]).matches("first"))
        #expect(throws: SSRFToken.Missing.self) { try SSRFToken(variables: ["A"], environment: [:]) }
        #expect(throws: SSRFToken.Missing.self) { try SSRFToken(variables: ["A"], environment: ["A": ""]) }
    }

    @Test func answersTakeAWSAgentsShape() throws {
        let upstream = Data(
            #"{"ARN":"arn:a","Name":"n","VersionId":"v","SecretString":"s","VersionStages":["AWSCURRENT"],"CreatedDate":1700000000.25}"#.utf8
        )
        let (body, arn) = try #require(AgentSecrets.agentShape(upstream))
        let shaped = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(arn == "arn:a" && shaped["CreatedDate"] as? String == "1700000000.25" && shaped["SecretString"] as? String == "s")
        let error = AgentSecrets.upstreamError(400, Data(#"{"__type":"ResourceNotFoundException","message":"no such secret"}"#.utf8))
        #expect(error.status == 400)
        #expect(try JSONSerialization.jsonObject(with: error.body) as? [String: String] == ["__type": "ResourceNotFoundException", "message": "no such secret"])
        #expect(AgentSecrets.upstreamError(502, Data("<html>".utf8)).status == 502)
    }
}

@Suite struct RenderTargetTests {
    @Test func renderSpecsNameASecretAKeyAndAPath() throws {
        let whole = try RenderTarget(render: "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf:/run/db.json")
        #expect(whole.path == "/run/db.json" && whole.references.map(\.secretId) == ["arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf"])
        let key = try RenderTarget(render: "db/app#password:/run/pw")
        #expect(key.references == [RenderTarget.Reference(secretId: "db/app", key: "password")])
        let value = Data(#"{"password":"p","port":5432,"nested":{"a":1}}"#.utf8)
        #expect(try key.content(["db/app": value]) == Data("p".utf8))
        #expect(try RenderTarget(render: "db/app#port:/x").content(["db/app": value]) == Data("5432".utf8))
        #expect(throws: RenderTarget.Invalid.self) { try RenderTarget(render: "db/app#missing:/x").content(["db/app": value]) }
        #expect(throws: RenderTarget.Invalid.self) { try key.content(["db/app": Data("not json".utf8)]) }
        for bad in ["nopath", "db app:/x", ":/x", "db:", "db:/dir/", "db#:/x"] {
            #expect(throws: RenderTarget.Invalid.self, "\(bad)") { try RenderTarget(render: bad) }
        }
    }

    @Test func templatesReplaceTheirPlaceholders() throws {
        let target = try RenderTarget(template: "t:/out") { _ in "host={{ db#host }} pw={{db#password}}\nraw={{ token }}" }
        let content = try target.content(["db": Data(#"{"host":"h","password":"p"}"#.utf8), "token": Data("T".utf8)])
        #expect(String(decoding: content, as: UTF8.self) == "host=h pw=p\nraw=T")
        #expect(Set(target.references.map(\.secretId)) == ["db", "token"])
        #expect(throws: RenderTarget.Invalid.self) { try RenderTarget(template: "t:/out") { _ in "no placeholders" } }
        #expect(throws: RenderTarget.Invalid.self) { try RenderTarget(template: "t:/out") { _ in "{{ open" } }
    }

    @Test func filesAreReplacedWholeWithMode0600() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("secret").path
        try Renderer.writeAtomically(Data("one".utf8), to: path)
        try Renderer.writeAtomically(Data("two".utf8), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("two".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["secret"])
    }
}
