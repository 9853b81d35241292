public import Foundation
import Glibc
import LockstepCore
public import LockstepService

/// A custom rotator with the AWS Lambda contract: for each step, a child process gets the Lambda event on stdin and
/// calls the API back at `SECRETS_MANAGER_ENDPOINT` with credentials issued for the step (DESIGN.md §6).
///
/// The child runs in a clean environment (nothing of Lockstep's own), in its own process group, in the rotator's
/// folder, with a private temporary HOME. Exit status 0 is success. A non-zero exit fails the step as `rotator`
/// (retryable); a timeout kills the whole group and fails the step as `network` (retryable: a hung call is the
/// usual cause); a command that can't be started fails it as `validation` (a configuration error, not retried).
/// The failure reason is the tail of stderr, scrubbed of the secret's values and of the step's credentials.
public struct ProcessRotator: Rotator {
    public let manifest: RotatorManifest
    let manager: SecretsManager
    let endpoint: RotatorEndpoint
    let issuer: any RotationCredentialIssuer
    /// PATH and LANG for the child, from Lockstep's own environment (nothing else of it is passed on).
    let basePath: String
    let baseLanguage: String

    /// How much of stderr becomes the failure reason.
    public static let errorTailLimit = 2_048

    /// - Parameters:
    ///   - manifest: a `process` or `python-lambda` manifest.
    ///   - manager: the service, to read the secret's values for scrubbing (in-process, as the rotation service).
    ///   - endpoint: where the child calls the API.
    ///   - issuer: the step's credentials.
    ///   - processEnvironment: Lockstep's environment, from which only PATH and LANG are taken.
    public init(
        manifest: RotatorManifest,
        manager: SecretsManager,
        endpoint: RotatorEndpoint,
        issuer: any RotationCredentialIssuer,
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.manifest = manifest
        self.manager = manager
        self.endpoint = endpoint
        self.issuer = issuer
        self.basePath = processEnvironment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        self.baseLanguage = processEnvironment["LANG"] ?? "C.UTF-8"
    }

    public func invoke(_ invocation: RotationInvocation) async throws(RotatorError) {
        guard let endpoint = self.endpoint.url else {
            throw RotatorError(.network, "The API server is not listening yet; process rotators call it back.")
        }
        let valuesBefore = await self.labelledValues(invocation)
        let credentials: RotationCredentials
        do {
            credentials = try await self.issuer.issue(
                secretARN: invocation.secretARN,
                masterARN: valuesBefore?.masterARN,
                context: invocation.context
            )
        } catch {
            throw RotatorError(.rotator, "Credentials for rotator \(self.manifest.name) could not be issued.")
        }
        let outcome: Result<ChildProcess.Outcome, ChildProcess.SpawnError>
        do throws(ChildProcess.SpawnError) {
            let home = try TemporaryHome()
            defer { home.remove() }
            let configuration = try self.configuration(invocation, endpoint: endpoint, credentials: credentials, home: home)
            outcome = .success(try await ChildProcess.run(configuration))
        } catch {
            outcome = .failure(error)
        }
        await self.issuer.revoke(credentials)
        let result: ChildProcess.Outcome
        switch outcome {
        case .success(let value): result = value
        case .failure(let error): throw RotatorError(.validation, "Rotator \(self.manifest.name): \(error.message).")
        }
        if result.termination == .exited(0) { return }
        // The step may have created or moved values: scrub with what was labelled before and after it.
        let valuesAfter = await self.labelledValues(invocation)
        let reason: String
        if let valuesBefore, let valuesAfter {
            let credentialValues = [credentials.accessKeyId, credentials.secretAccessKey.value] + [credentials.sessionToken?.value].compactMap { $0 }
            let scrubber = SecretScrubber(values: valuesBefore.values + valuesAfter.values + credentialValues)
            reason = Self.reason(result.standardErrorTail, scrubber: scrubber)
        } else {
            reason = "(stderr withheld: the secret's values could not be read to scrub it)"
        }
        throw Self.failure(result.termination, reason: reason, timeout: self.manifest.timeoutText)
    }

    static func failure(_ termination: ChildProcess.Termination, reason: String, timeout: String) -> RotatorError {
        let detail = reason.isEmpty ? "" : ": \(reason)"
        switch termination {
        case .exited(let status): return RotatorError(.rotator, "exited with status \(status)\(reason.isEmpty ? " (nothing on stderr)" : detail)")
        case .signalled(let signal): return RotatorError(.rotator, "killed by signal \(signal)\(detail)")
        case .timedOut: return RotatorError(.network, "timed out after \(timeout) s\(detail)")
        case .cancelled: return RotatorError(.network, "stopped: the rotation was cancelled\(detail)")
        case .unknown: return RotatorError(.rotator, "ended without an exit status\(detail)")
        }
    }

    /// The recorded reason: scrubbed first, then cut to the last ``errorTailLimit`` bytes on a character boundary,
    /// printable characters and newlines only.
    static func reason(_ tail: [UInt8], scrubber: SecretScrubber) -> String {
        let scrubbed = Array(scrubber.scrub(String(decoding: tail, as: UTF8.self)).utf8)
        // A character cut in two at the start decodes as U+FFFD: dropped with the other non-printables below.
        let kept = String(decoding: scrubbed.suffix(Self.errorTailLimit), as: UTF8.self)
        let printable = kept.unicodeScalars.filter { $0 == "\n" || $0 == "\t" || ($0 != "\u{FFFD}" && $0.properties.generalCategory != .control) }
        return String(String.UnicodeScalarView(printable)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: The child

    func configuration(
        _ invocation: RotationInvocation,
        endpoint: String,
        credentials: RotationCredentials,
        home: TemporaryHome
    ) throws(ChildProcess.SpawnError) -> ChildProcess.Configuration {
        let event: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]  // As Lambda delivers it: names may hold slashes.
            event = Array(try encoder.encode(invocation.event))
        } catch {
            throw ChildProcess.SpawnError(message: "the event could not be encoded")
        }
        var environment = ["PATH": self.basePath, "LANG": self.baseLanguage]
        environment.merge(self.manifest.environment) { _, manifest in manifest }
        let region = invocation.context.region
        environment["HOME"] = home.path
        environment["SECRETS_MANAGER_ENDPOINT"] = endpoint
        // botocore and the aws CLI read this one themselves: a function that never names the endpoint still
        // reaches Lockstep rather than AWS.
        environment["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = endpoint
        environment["AWS_REGION"] = region
        environment["AWS_DEFAULT_REGION"] = region
        environment["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey.value
        if let token = credentials.sessionToken { environment["AWS_SESSION_TOKEN"] = token.value }

        let command: [String]
        switch self.manifest.runtime {
        case .process(let argv):
            command = [self.resolved(argv[0])] + argv.dropFirst()
        case .pythonLambda(let handler):
            let bootstrap = try home.write(PythonLambdaBootstrap.source, named: PythonLambdaBootstrap.fileName)
            let functionARN = "arn:aws:lambda:\(region):\(invocation.context.account):function:\(self.manifest.name)"
            command = ["python3", bootstrap, handler, self.manifest.name, self.manifest.timeoutText, functionARN]
        case .builtin:
            throw ChildProcess.SpawnError(message: "a builtin manifest has no command")
        }
        return ChildProcess.Configuration(
            command: command,
            environment: environment,
            workingDirectory: self.manifest.folder.path,
            standardInput: event,
            timeout: self.manifest.timeout,
            standardErrorLimit: Self.errorTailLimit + Self.maximumValueLength
        )
    }

    /// A relative path (`./rotate.sh`, `bin/rotate`) names a file in the rotator's folder; a bare name is looked
    /// up in the child's PATH.
    func resolved(_ executable: String) -> String {
        guard executable.contains("/"), !executable.hasPrefix("/") else { return executable }
        return self.manifest.folder.appendingPathComponent(executable).standardizedFileURL.path
    }

    /// A secret value is at most 64 KiB: stderr is kept that much longer than the recorded tail, so that a value
    /// overlapping the tail is whole when scrubbed.
    static let maximumValueLength = 65_536

    // MARK: Values to scrub

    struct LabelledValues {
        var values: [String]
        var masterARN: String?
    }

    /// The values of every labelled version, of the rotation's own version, and of the master secret's current
    /// version; nil when they can't be read (then nothing the child printed can be shown).
    func labelledValues(_ invocation: RotationInvocation) async -> LabelledValues? {
        do {
            let description = try await self.manager.describeSecret(
                DescribeSecretRequest(SecretId: invocation.secretARN),
                context: invocation.context
            )
            var versionIds = Set((description.VersionIdsToStages ?? [:]).filter { !$0.value.isEmpty }.keys)
            versionIds.insert(invocation.token)
            var result = LabelledValues(values: [])
            for versionId in versionIds.sorted() {
                guard let value = try await self.value(invocation.secretARN, versionId: versionId, context: invocation.context) else { continue }
                result.values.append(contentsOf: value)
            }
            let current = try await self.manager.getSecretValue(GetSecretValueRequest(SecretId: invocation.secretARN), context: invocation.context)
            if let text = current.SecretString?.value,
                let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let master = object["masterarn"] as? String
            {
                result.masterARN = master
                if let value = try? await self.value(master, versionId: nil, context: invocation.context) { result.values += value }
            }
            return result
        } catch {
            return nil
        }
    }

    /// A version's value in the spellings it could be printed in; nil when the version doesn't exist.
    private func value(_ secretId: String, versionId: String?, context: RequestContext) async throws -> [String]? {
        do {
            let value = try await self.manager.getSecretValue(GetSecretValueRequest(SecretId: secretId, VersionId: versionId), context: context)
            if let text = value.SecretString?.value { return [text] }
            if let binary = value.SecretBinary?.value {
                return [binary.base64EncodedString()] + [String(bytes: binary, encoding: .utf8)].compactMap { $0 }
            }
            return []
        } catch let error as SecretsManagerError where error.code == .resourceNotFound {
            return nil
        }
    }
}

/// The child's HOME for one step: a private temporary directory, removed afterwards with whatever it holds.
struct TemporaryHome {
    let path: String

    init() throws(ChildProcess.SpawnError) {
        var template = Array((FileManager.default.temporaryDirectory.path + "/lockstep-rotator-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ChildProcess.SpawnError(message: "no temporary directory for the rotator")
        }
        self.path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func write(_ text: String, named name: String) throws(ChildProcess.SpawnError) -> String {
        let file = self.path + "/" + name
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ChildProcess.SpawnError(message: "the python-lambda bootstrap could not be written")
        }
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: self.path) }
}
