import Crypto
import Foundation
import LockstepCore
import Testing

@testable import LockstepAuth

/// SigV4 against AWS's published example (IAM ListUsers, 2015-08-30) and round trips through our own signer.
@Suite struct SigV4Tests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let exampleSignature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    static let exampleDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    static func example(signature: String = exampleSignature) -> SignableRequest {
        SignableRequest(
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: [
                (name: "Host", value: "iam.amazonaws.com"),
                (name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8"),
                (name: "X-Amz-Date", value: "20150830T123600Z"),
                (
                    name: "Authorization",
                    value:
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=\(signature)"
                ),
            ],
            body: Data()
        )
    }

    @Test func theDocumentedExampleDerivesTheDocumentedKeyAndSignature() throws {
        let scope = CredentialScope(date: "20150830", region: "us-east-1", service: "iam")
        let key = SigningKey.derive(secret: Self.secret, scope: scope)
        #expect(key.withUnsafeBytes { Hex.encode($0) } == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        let verifier = SigV4Verifier(service: "iam")
        let authorization = try verifier.parse(Self.example(), now: Self.exampleDate)
        let canonical = Canonical.request(Self.example(), signedHeaders: authorization.signedHeaders, payloadHash: Hex.sha256(Data()))
        #expect(Hex.sha256(Data(canonical.utf8)) == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
        let streamed = Canonical.hash(Self.example(), signedHeaders: authorization.signedHeaders, payloadHash: Hex.sha256(Data()))
        #expect(Hex.encode(streamed) == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
        try verifier.verify(authorization, of: Self.example(), secret: { Self.secret }, generation: "1")
    }

    @Test func aWrongSecretOrATamperedRequestIsAnInvalidSignature() throws {
        let verifier = SigV4Verifier(service: "iam")
        let authorization = try verifier.parse(Self.example(), now: Self.exampleDate)
        let wrong = #expect(throws: SecretsManagerError.self) {
            try verifier.verify(authorization, of: Self.example(), secret: { "not-the-secret" }, generation: "2")
        }
        #expect(wrong?.code == .invalidSignature)
        var tampered = Self.example()
        tampered.query = "Action=DeleteUser&Version=2010-05-08"
        #expect(throws: SecretsManagerError.self) {
            try verifier.verify(authorization, of: tampered, secret: { Self.secret }, generation: "1")
        }
        var body = Self.example()
        body.body = Data("extra".utf8)
        #expect(throws: SecretsManagerError.self) { try verifier.verify(authorization, of: body, secret: { Self.secret }, generation: "1") }
    }

    @Test func theClockWindowIsFiveMinutes() throws {
        let verifier = SigV4Verifier(service: "iam")
        _ = try verifier.parse(Self.example(), now: Self.exampleDate.addingTimeInterval(299))
        let expired = #expect(throws: SecretsManagerError.self) {
            try verifier.parse(Self.example(), now: Self.exampleDate.addingTimeInterval(600))
        }
        #expect(expired?.code == .invalidSignature)
        #expect(expired?.message.hasPrefix("Signature expired: 20150830T123600Z is now earlier than") == true)
        let early = #expect(throws: SecretsManagerError.self) { try verifier.parse(Self.example(), now: Self.exampleDate.addingTimeInterval(-600)) }
        #expect(early?.message.hasPrefix("Signature not yet current") == true)
    }

    @Test func malformedHeadersAreIncompleteOrMissing() throws {
        let verifier = SigV4Verifier(service: "iam")
        var unsigned = Self.example()
        unsigned.headers.removeAll { $0.name == "Authorization" }
        #expect((try? verifier.parse(unsigned, now: Self.exampleDate)) == nil)
        let missing = #expect(throws: SecretsManagerError.self) { try verifier.parse(unsigned, now: Self.exampleDate) }
        #expect(missing?.code == .missingAuthenticationToken)

        for header in [
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1, SignedHeaders=host, Signature=\(Self.exampleSignature)",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type, Signature=\(Self.exampleSignature)",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=zz",
            "AWS3 whatever",
        ] {
            var request = Self.example()
            request.headers.removeAll { $0.name == "Authorization" }
            request.headers.append((name: "Authorization", value: header))
            let error = #expect(throws: SecretsManagerError.self) { try verifier.parse(request, now: Self.exampleDate) }
            #expect(error?.code == .incompleteSignature, "\(header)")
        }
        let otherService = #expect(throws: SecretsManagerError.self) {
            try SigV4Verifier(service: "secretsmanager").parse(Self.example(), now: Self.exampleDate)
        }
        #expect(otherService?.code == .invalidSignature)
    }

    @Test func ourSignerAndVerifierAgreeAndTheCacheFollowsTheKey() throws {
        let signer = SigV4Signer(accessKeyId: "AKIAEXAMPLEEXAMPLE12", secretAccessKey: "secret-one-secret-one", region: "eu-west-1")
        var request = SignableRequest(
            method: "POST",
            path: "/",
            headers: [
                (name: "host", value: "127.0.0.1:8088"),
                (name: "content-type", value: "application/x-amz-json-1.1"),
                (name: "x-amz-target", value: "secretsmanager.GetSecretValue"),
            ],
            body: Data(#"{"SecretId":"db/app"}"#.utf8)
        )
        let now = Date()
        signer.sign(&request, date: now)
        let verifier = SigV4Verifier()
        let authorization = try verifier.parse(request, now: now)
        #expect(authorization.scope.region == "eu-west-1")
        #expect(authorization.signedHeaders == ["content-type", "host", "x-amz-date", "x-amz-target"])
        try verifier.verify(authorization, of: request, secret: { "secret-one-secret-one" }, generation: "a")
        // Same key id, new generation (the key was re-created with another secret): the cached key isn't reused.
        #expect(throws: SecretsManagerError.self) {
            try verifier.verify(authorization, of: request, secret: { "secret-two-secret-two" }, generation: "b")
        }
    }

    @Test func dateFormattingMatchesFoundationAcrossCenturiesAndLeapDays() throws {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        var generator = SystemRandomNumberGenerator()
        let samples =
            [0, 951_782_400, 951_868_799, 4_107_542_400, 1_709_164_800] + (0..<500).map { _ in Int.random(in: 0...4_102_444_800, using: &generator) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let expected = iso.string(from: date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            #expect(SigV4Verifier.format(date) == expected)
            #expect(SigV4Verifier.parseDate(expected) == date)
        }
        #expect(SigV4Verifier.parseDate("20230229T000000Z") == nil)
        #expect(SigV4Verifier.parseDate("20240229T000000Z") != nil)
        #expect(SigV4Verifier.parseDate("2024-02-29T00:00:00Z") == nil)
    }

    @Test func canonicalEncodingFollowsRFC3986() {
        #expect(Canonical.encode("a b/c~d_e.f-g*") == "a%20b%2Fc~d_e.f-g%2A")
        #expect(Canonical.uri("/a b/%2F") == "/a%20b/%252F")
        #expect(Canonical.query("b=2&a=1&a=0&c") == "a=0&a=1&b=2&c=")
        #expect(Canonical.trim("  a   b\tc ") == "a b c")
    }
}
