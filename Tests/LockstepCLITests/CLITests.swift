import Foundation
import Testing

/// The `lockstep` executable, run as a user runs it.
@Suite(.serialized) struct CLITests {
    @Test func theQuickStartCommandsWorkAsWritten() throws {
        let cli = CLIRunner()
        defer { cli.cleanUp() }
        let initialized = try cli.run("init")
        #expect(initialized.status == 0)
        #expect(initialized.stdout.contains(cli.dataDirectory.path))
        let key = try String(contentsOf: cli.dataDirectory.appendingPathComponent("root.key"), encoding: .utf8)
        #expect(!initialized.stdout.contains(key.trimmingCharacters(in: .whitespacesAndNewlines)))

        let created = try cli.json("create-secret", "--name", "db/app", "--secret-string", #"{"username":"app","password":"s3cr3t"}"#)
        #expect(created["Name"] as? String == "db/app")
        let arn = try #require(created["ARN"] as? String)
        #expect(arn.hasPrefix("arn:aws:secretsmanager:us-east-1:000000000000:secret:db/app-"))

        let text = try cli.run("get-secret-value", "--secret-id", "db/app", "--query", "SecretString", "--output", "text")
        #expect(text.status == 0)
        #expect(text.stdout == #"{"username":"app","password":"s3cr3t"}"# + "\n")

        let described = try cli.json("describe-secret", "--secret-id", arn)
        #expect(described["Name"] as? String == "db/app")
        #expect(described["CreatedDate"] is String)
        #expect(described["SecretString"] == nil)
    }

    @Test func versionsStagesAndPrevious() throws {
        let cli = CLIRunner()
        defer { cli.cleanUp() }
        try cli.run("create-secret", "--name", "s", "--secret-string", "one")
        let put = try cli.json("put-secret-value", "--secret-id", "s", "--secret-string", "two")
        #expect(put["VersionStages"] as? [String] == ["AWSCURRENT"])
        let previous = try cli.run(
            "get-secret-value",
            "--secret-id",
            "s",
            "--version-stage",
            "AWSPREVIOUS",
            "--query",
            "SecretString",
            "--output",
            "text"
        )
        #expect(previous.stdout == "one\n")
        let custom = try cli.json("put-secret-value", "--secret-id", "s", "--secret-string", "three", "--version-stages", "BLUE", "GREEN")
        #expect(custom["VersionStages"] as? [String] == ["BLUE", "GREEN"])
        let versionId = try #require(custom["VersionId"] as? String)
        let byId = try cli.run("get-secret-value", "--secret-id", "s", "--version-id", versionId, "--query", "SecretString", "--output", "text")
        #expect(byId.stdout == "three\n")
        let versions = try cli.json("list-secret-version-ids", "--secret-id", "s", "--include-deprecated")
        #expect((versions["Versions"] as? [Any])?.count == 3)
        let moved = try cli.run(
            "update-secret-version-stage",
            "--secret-id",
            "s",
            "--version-stage",
            "BLUE",
            "--remove-from-version-id",
            versionId
        )
        #expect(moved.status == 0)
        let labelled = try cli.run("list-secret-version-ids", "--secret-id", "s", "--query", "Versions[*].VersionStages", "--output", "json")
        #expect(labelled.stdout.contains("GREEN"))
        #expect(!labelled.stdout.contains("BLUE"))
    }

    @Test func binaryFilesTagsFiltersAndInputJSON() throws {
        let cli = CLIRunner()
        defer { cli.cleanUp() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString).bin")
        let bytes = Data((0..<64).map { UInt8($0 * 3 % 256) })
        try bytes.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try cli.run(
            "create-secret",
            "--name",
            "tls/key",
            "--secret-binary",
            "fileb://\(file.path)",
            "--tags",
            "Key=env,Value=prod",
            "Key=team,Value=core"
        )
        let value = try cli.json("get-secret-value", "--secret-id", "tls/key")
        #expect((value["SecretBinary"] as? String).flatMap { Data(base64Encoded: $0) } == bytes)

        try cli.run("create-secret", "--cli-input-json", #"{"Name": "other", "SecretString": "x", "Tags": [{"Key": "env", "Value": "dev"}]}"#)
        let listed = try cli.run("list-secrets", "--filters", "Key=tag-value,Values=prod,dev", "--query", "SecretList[*].Name", "--output", "text")
        #expect(Set(listed.stdout.trimmingCharacters(in: .newlines).split(separator: "\t")) == ["tls/key", "other"])
        let one = try cli.run("list-secrets", "--filters", "Key=tag-key,Values=team", "--query", "SecretList[0].Name", "--output", "text")
        #expect(one.stdout == "tls/key\n")
        let tags = try cli.run("describe-secret", "--secret-id", "tls/key", "--query", "Tags[1].Value", "--output", "text")
        #expect(tags.stdout == "core\n")
    }

    @Test func errorsPrintTheAWSCodeAndExitNonZeroWithoutSecrets() throws {
        let cli = CLIRunner()
        defer { cli.cleanUp() }
        let missing = try cli.run("get-secret-value", "--secret-id", "nope")
        #expect(missing.status == 254)
        #expect(missing.stderr.contains("ResourceNotFoundException"))
        #expect(missing.stderr.contains("Secrets Manager can't find the specified secret."))
        #expect(missing.stdout.isEmpty)

        try cli.run("create-secret", "--name", "s", "--secret-string", "top-secret-value")
        let duplicate = try cli.run("create-secret", "--name", "s", "--secret-string", "another-secret-value")
        #expect(duplicate.status == 254)
        #expect(duplicate.stderr.contains("ResourceExistsException"))
        #expect(!duplicate.stderr.contains("another-secret-value"))

        let badName = try cli.run("create-secret", "--name", "bad name", "--secret-string", "x")
        #expect(badName.stderr.contains("ValidationException"))

        let usage = try cli.run("get-secret-value", "--secret", "s")
        #expect(usage.status == 252)
        #expect(usage.stderr.contains("--secret"))

        let both = try cli.run("delete-secret", "--secret-id", "s", "--recovery-window-in-days", "7", "--force-delete-without-recovery")
        #expect(both.status == 254)
        #expect(both.stderr.contains("InvalidParameterException"))
    }

    @Test func deleteRestoreAndKms() throws {
        let cli = CLIRunner()
        defer { cli.cleanUp() }
        let key = try cli.json("kms", "create-key", "--alias", "payments", "--description", "payments team")
        #expect(key["Aliases"] as? [String] == ["alias/payments"])
        try cli.run("create-secret", "--name", "pay", "--secret-string", "v", "--kms-key-id", "alias/payments")
        #expect(try cli.json("describe-secret", "--secret-id", "pay")["KmsKeyId"] as? String == "alias/payments")
        let deleted = try cli.json("delete-secret", "--secret-id", "pay", "--recovery-window-in-days", "7")
        #expect(deleted["DeletionDate"] is String)
        let refused = try cli.run("get-secret-value", "--secret-id", "pay")
        #expect(refused.stderr.contains("marked for deletion"))
        try cli.run("restore-secret", "--secret-id", "pay")
        #expect(try cli.run("get-secret-value", "--secret-id", "pay", "--query", "SecretString", "--output", "text").stdout == "v\n")
        let forced = try cli.run("delete-secret", "--secret-id", "pay", "--force-delete-without-recovery")
        #expect(forced.status == 0)
        let keys = try cli.json("kms", "list-keys")
        #expect((keys["Keys"] as? [Any])?.count == 2)
    }

    @Test func regionsAreNamespacesAndPasswordsAreRandom() throws {
        var cli = CLIRunner()
        defer { cli.cleanUp() }
        try cli.run("create-secret", "--name", "same", "--secret-string", "us")
        try cli.run("create-secret", "--name", "same", "--secret-string", "eu", "--region", "eu-west-1")
        cli.environment["AWS_REGION"] = "eu-west-1"
        #expect(try cli.run("get-secret-value", "--secret-id", "same", "--query", "SecretString", "--output", "text").stdout == "eu\n")
        let first = try cli.run(
            "get-random-password",
            "--password-length",
            "24",
            "--exclude-punctuation",
            "--query",
            "RandomPassword",
            "--output",
            "text"
        )
        let second = try cli.run(
            "get-random-password",
            "--password-length",
            "24",
            "--exclude-punctuation",
            "--query",
            "RandomPassword",
            "--output",
            "text"
        )
        #expect(first.stdout.count == 25)
        #expect(first.stdout != second.stdout)
        #expect(first.stdout.allSatisfy { $0.isLetter || $0.isNumber || $0 == "\n" })
    }

    @Test func rotateSecretTakesRulesInShorthandOrJSONAndCancelTurnsRotationOff() throws {
        let cli = CLIRunner()
        defer { cli.cleanUp() }
        _ = try cli.run("init")
        _ = try cli.json("create-secret", "--name", "a", "--secret-string", "{}")
        let unknown = try cli.run("rotate-secret", "--secret-id", "a", "--rotation-lambda-arn", "no-such-rotator")
        #expect(unknown.status == 254)
        #expect(unknown.stderr.contains("AccessDeniedException"))
        let rotated = try cli.json(
            "rotate-secret", "--secret-id", "a", "--rotation-lambda-arn", "postgres-single-user",
            "--rotation-rules", "ScheduleExpression=cron(0 16 1,15 * ? *),Duration=2h", "--no-rotate-immediately",
            "--external-secret-rotation-metadata", "Key=partner,Value=p1", "Key=n,Value=2",
            "--external-secret-rotation-role-arn", "arn:aws:iam::000000000000:role/partner-rotation"
        )
        #expect(rotated["VersionId"] is String)
        let described = try cli.json("describe-secret", "--secret-id", "a")
        let metadata = try #require(described["ExternalSecretRotationMetadata"] as? [[String: String]])
        #expect(metadata == [["Key": "partner", "Value": "p1"], ["Key": "n", "Value": "2"]])
        #expect(described["ExternalSecretRotationRoleArn"] as? String == "arn:aws:iam::000000000000:role/partner-rotation")
        #expect(described["RotationEnabled"] as? Bool == true)
        let rules = try #require(described["RotationRules"] as? [String: Any])
        #expect(rules["ScheduleExpression"] as? String == "cron(0 16 1,15 * ? *)" && rules["Duration"] as? String == "2h")
        // The test rotation is queued: AWSPENDING blocks another until it runs (nothing runs it in process).
        let again = try cli.run("rotate-secret", "--secret-id", "a", "--rotation-rules", #"{"AutomaticallyAfterDays": 7}"#)
        #expect(again.stderr.contains("A previous rotation isn't complete"))
        let status = try cli.json("rotation", "status", "--secret-id", "a")
        let entry = try #require((status["Rotations"] as? [[String: Any]])?.first)
        #expect(entry["Status"] as? String == "running" && entry["Step"] as? String == "testSecret")
        _ = try cli.json("cancel-rotate-secret", "--secret-id", "a")
        #expect(try cli.json("describe-secret", "--secret-id", "a")["RotationEnabled"] as? Bool == false)
        let bad = try cli.run("rotate-secret", "--secret-id", "a", "--rotation-rules", "AutomaticallyAfterDays=often")
        #expect(bad.status != 0 && bad.stderr.contains("AutomaticallyAfterDays"))
    }
}
