import Foundation
import Testing

@testable import LockstepRotation

@Suite struct RotatorManifestTests {
    static let folder = URL(fileURLWithPath: "/srv/rotators/api-key", isDirectory: true)

    static func parse(_ json: String, folder: URL = Self.folder) throws(RotatorManifestError) -> RotatorManifest {
        try RotatorManifest(json: Data(json.utf8), folder: folder)
    }

    static func reason(_ json: String, folder: URL = Self.folder) -> String? {
        do {
            _ = try Self.parse(json, folder: folder)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func aProcessManifestKeepsItsCommandTimeoutAndEnvironment() throws {
        let manifest = try Self.parse(
            #"{"runtime": "process", "command": ["./rotate.sh", "--verbose"], "timeout": 2.5, "environment": {"API_URL": "http://x"}, "description": "d"}"#
        )
        #expect(manifest.name == "api-key")
        #expect(manifest.runtime == .process(command: ["./rotate.sh", "--verbose"]))
        #expect(manifest.timeout == .milliseconds(2_500))
        #expect(manifest.timeoutText == "2.5")
        #expect(manifest.environment == ["API_URL": "http://x"])
        #expect(manifest.description == "d")
        #expect(manifest.folder == Self.folder)
    }

    @Test func pythonLambdaDefaultsToLambdaFunctionLambdaHandlerAndThirtySeconds() throws {
        let manifest = try Self.parse(#"{"runtime": "python-lambda"}"#)
        #expect(manifest.runtime == .pythonLambda(handler: "lambda_function.lambda_handler"))
        #expect(manifest.timeout == .seconds(30))
        #expect(manifest.timeoutText == "30")
        #expect(manifest.environment.isEmpty)
        let dotted = try Self.parse(#"{"runtime": "python-lambda", "handler": "pkg.rotation.handle_2"}"#)
        #expect(dotted.runtime == .pythonLambda(handler: "pkg.rotation.handle_2"))
    }

    @Test func theBuiltInManifestsOfTheRepositoryParse() throws {
        let manifest = try Self.parse(
            #"{"name": "postgres-single-user", "runtime": "builtin", "engine": "postgres", "strategy": "single-user", "description": "x"}"#,
            folder: URL(fileURLWithPath: "/r/postgres-single-user")
        )
        #expect(manifest.runtime == .builtin)
    }

    @Test(arguments: [
        (#"[]"#, "the manifest must be a JSON object"),
        (#"{"runtime": "process""#, "rotator.json is not valid JSON"),
        (#"{}"#, #""runtime" is required: "process", "python-lambda" or "builtin""#),
        (#"{"runtime": "node"}"#, #"unknown runtime "node" (expected "process", "python-lambda" or "builtin")"#),
        (#"{"runtime": "process"}"#, #""command" is required for the process runtime: a non-empty array of strings (argv)"#),
        (#"{"runtime": "process", "command": "./x"}"#, #""command" is required for the process runtime: a non-empty array of strings (argv)"#),
        (#"{"runtime": "process", "command": ["./x", 1]}"#, #"every element of "command" must be a non-empty string"#),
        (
            #"{"runtime": "process", "command": ["./x"], "handler": "a.b"}"#,
            "unknown key \"handler\" for runtime process (allowed: command, description, environment, name, runtime, timeout)"
        ),
        (
            #"{"runtime": "python-lambda", "handler": "lambda_handler"}"#,
            #""handler" must be "module.function" (Python identifiers), e.g. lambda_function.lambda_handler"#
        ),
        (
            #"{"runtime": "python-lambda", "handler": "a.1b"}"#,
            #""handler" must be "module.function" (Python identifiers), e.g. lambda_function.lambda_handler"#
        ),
        (#"{"runtime": "python-lambda", "timeout": 0}"#, #""timeout" must be a number of seconds above 0 and at most 900"#),
        (#"{"runtime": "python-lambda", "timeout": 901}"#, #""timeout" must be a number of seconds above 0 and at most 900"#),
        (#"{"runtime": "python-lambda", "timeout": "30"}"#, #""timeout" must be a number of seconds above 0 and at most 900"#),
        (#"{"runtime": "python-lambda", "environment": ["A"]}"#, #""environment" must be an object of string values"#),
        (#"{"runtime": "python-lambda", "environment": {"A": 1}}"#, "environment variable A must be a string"),
        (#"{"runtime": "python-lambda", "environment": {"A=B": "1"}}"#, #"environment variable name "A=B" is not valid"#),
        (
            #"{"runtime": "python-lambda", "environment": {"AWS_ACCESS_KEY_ID": "x"}}"#,
            "environment variable AWS_ACCESS_KEY_ID is set by Lockstep and can't be overridden"
        ),
        (
            #"{"runtime": "python-lambda", "environment": {"LOCKSTEP_ROOT_KEY": "x"}}"#,
            "environment variable LOCKSTEP_ROOT_KEY is set by Lockstep and can't be overridden"
        ),
        (#"{"runtime": "python-lambda", "name": "other"}"#, #""name" must equal the folder name api-key"#),
        (#"{"runtime": "python-lambda", "description": 3}"#, #""description" must be a string"#),
    ])
    func invalidManifestsAreRejectedWithAReasonThatNamesTheField(json: String, reason: String) {
        #expect(Self.reason(json) == reason)
    }

    @Test func theFolderNameMustBeALambdaFunctionName() {
        #expect(Self.reason(#"{"runtime": "python-lambda"}"#, folder: URL(fileURLWithPath: "/r/has space")) != nil)
        #expect(Self.reason(#"{"runtime": "python-lambda"}"#, folder: URL(fileURLWithPath: "/r/" + String(repeating: "a", count: 65))) != nil)
        #expect(Self.reason(#"{"runtime": "python-lambda"}"#, folder: URL(fileURLWithPath: "/r/My_rotator-2")) == nil)
    }

    @Test func theCatalogLoadsCustomRotatorsSkipsUnderscoreFoldersAndGuardsBuiltInNames() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ folder: String, _ json: String?) throws {
            let url = directory.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            if let json { try Data(json.utf8).write(to: url.appendingPathComponent("rotator.json")) }
        }
        try write("postgres-single-user", #"{"runtime": "builtin", "engine": "postgres"}"#)
        try write("api-key", #"{"runtime": "python-lambda", "timeout": 45}"#)
        try write("shell", #"{"runtime": "process", "command": ["./rotate.sh"]}"#)
        try write("_runtime", nil)
        try Data("notes".utf8).write(to: directory.appendingPathComponent("README.md"))
        let builtIns: Set<String> = ["postgres-single-user"]
        let catalog = try RotatorCatalog.load(directory, builtIns: builtIns)
        #expect(catalog.manifests.keys.sorted() == ["api-key", "shell"])
        #expect(catalog.longestTimeout == .seconds(45))

        try write("missing", nil)
        #expect(throws: RotatorManifestError("missing", "\(directory.path)/missing/rotator.json is missing (folders starting with _ are skipped)")) {
            try RotatorCatalog.load(directory, builtIns: builtIns)
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("missing"))
        try write("oracle-single-user", #"{"runtime": "builtin"}"#)
        #expect(throws: RotatorManifestError("oracle-single-user", "runtime builtin, but Lockstep has no built-in rotator of that name")) {
            try RotatorCatalog.load(directory, builtIns: builtIns)
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("oracle-single-user"))
        try write("mariadb-single-user", #"{"runtime": "process", "command": ["x"]}"#)
        #expect(throws: RotatorManifestError("mariadb-single-user", "the name belongs to a built-in rotator; use runtime builtin or another name")) {
            try RotatorCatalog.load(directory, builtIns: ["postgres-single-user", "mariadb-single-user"])
        }
    }
}
