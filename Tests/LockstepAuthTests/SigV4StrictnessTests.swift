import Foundation
import LockstepCore
import Testing

@testable import LockstepAuth

/// What the verifier refuses before any key is looked up: bad scope regions, unsigned `x-amz-*` headers, repeated
/// headers and parameters; and what it never caches.
@Suite struct SigV4StrictnessTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func request(region: String = "us-east-1", token: String? = nil, extra: [(name: String, value: String)] = []) -> SignableRequest {
        var request = SignableRequest(
            method: "POST",
            path: "/",
            headers: [
                (name: "host", value: "localhost:8088"),
                (name: "content-type", value: "application/x-amz-json-1.1"),
                (name: "x-amz-target", value: "secretsmanager.DescribeSecret"),
            ] + extra,
            body: Data(#"{"SecretId":"a"}"#.utf8)
        )
        SigV4Signer(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: token, region: region).sign(&request, date: Self.now)
        return request
    }

    /// The request with its `Authorization` header's SignedHeaders (and signature) replaced.
    static func resigned(_ request: SignableRequest, without header: String) -> SignableRequest {
        var copy = request
        let index = copy.headers.firstIndex { $0.name == "Authorization" }!
        copy.headers[index].value = copy.headers[index].value.replacingOccurrences(of: "\(header);", with: "")
            .replacingOccurrences(of: ";\(header),", with: ",")
        return copy
    }

    func refusal(_ request: SignableRequest, verifier: SigV4Verifier = SigV4Verifier()) -> SecretsManagerError? {
        do {
            let authorization = try verifier.parse(request, now: Self.now)
            try verifier.verify(authorization, of: request, secret: { Self.secret }, generation: "1")
            return nil
        } catch {
            return error as? SecretsManagerError
        }
    }

    @Test func aWellFormedRequestVerifies() {
        #expect(self.refusal(Self.request()) == nil)
    }

    @Test(arguments: ["", "*", "US-EAST-1", "x:000000000000:secret:teamA", "us-east-1\u{0}"])
    func scopeRegionsMustBeRegionNames(region: String) {
        let error = self.refusal(Self.request(region: region))
        #expect(error?.code == .incompleteSignature)
        #expect(error?.message.hasPrefix("Credential should be scoped to a valid region, not '") == true)
        #expect(error?.message.contains("\u{0}") == false)
    }

    @Test func theAllowListNarrowsRegions() {
        let verifier = SigV4Verifier(allowedRegions: ["eu-west-1"])
        #expect(self.refusal(Self.request(region: "eu-west-1"), verifier: verifier) == nil)
        let error = self.refusal(Self.request(region: "us-east-1"), verifier: verifier)
        #expect(error?.message == "Credential should be scoped to a valid region, not 'us-east-1'.")
    }

    @Test(arguments: ["x-amz-target", "x-amz-date", "x-amz-security-token", "x-amz-meta-anything"])
    func everyAmzHeaderSentMustBeSigned(header: String) {
        let request = Self.request(token: "t", extra: [(name: "x-amz-meta-anything", value: "1")])
        #expect(self.refusal(request) == nil)
        let error = self.refusal(Self.resigned(request, without: header))
        #expect(error?.code == .incompleteSignature)
        #expect(error?.message.hasSuffix("must be a 'SignedHeader' in the AWS Authorization.") == true)
    }

    @Test func aRetargetedCaptureIsRefused() {
        var retargeted = Self.request()
        let index = retargeted.headers.firstIndex { $0.name == "x-amz-target" }!
        retargeted.headers[index].value = "secretsmanager.GetSecretValue"
        #expect(self.refusal(retargeted)?.code == .invalidSignature)
        // Unsigned x-amz-target: refused before the signature is even computed.
        var unsigned = Self.resigned(Self.request(), without: "x-amz-target")
        unsigned.headers[index].value = "secretsmanager.GetSecretValue"
        #expect(self.refusal(unsigned)?.code == .incompleteSignature)
    }

    @Test(arguments: ["Authorization", "X-Amz-Date", "X-Amz-Target", "X-Amz-Security-Token"])
    func singleHeadersMustNotRepeat(header: String) {
        var request = Self.request(token: "t")
        let value = request.header(header)!
        request.headers.append((name: header.lowercased(), value: value))
        let error = self.refusal(request)
        #expect(error?.code == .incompleteSignature)
        #expect(error?.message == "The request must not carry more than one '\(header)' header.")
    }

    @Test func authorizationParametersMustNotRepeat() {
        var request = Self.request()
        let index = request.headers.firstIndex { $0.name == "Authorization" }!
        request.headers[index].value += ", Credential=OTHER/20231114/us-east-1/secretsmanager/aws4_request"
        #expect(self.refusal(request)?.code == .incompleteSignature)
    }

    @Test func onlyVerifiedKeysAreCached() throws {
        let verifier = SigV4Verifier()
        for index in 0..<50 {
            let request = Self.request(region: "xx-region-\(index)")
            let authorization = try verifier.parse(request, now: Self.now)
            #expect(throws: SecretsManagerError.self) {
                try verifier.verify(authorization, of: request, secret: { "wrong" }, generation: "1")
            }
        }
        #expect(verifier.cache.count == 0)
        #expect(self.refusal(Self.request(), verifier: verifier) == nil)
        #expect(verifier.cache.count == 1)
    }
}

@Suite struct HeaderNameTests {
    @Test func namesCompareIgnoringASCIICase() {
        #expect(SignableRequest.sameName("x-amz-date", "X-Amz-Date"))
        #expect(SignableRequest.sameName("AUTHORIZATION", "authorization"))
        #expect(SignableRequest.sameName("", ""))
        #expect(!SignableRequest.sameName("x-amz-date", "x-amz-datf"))
        #expect(!SignableRequest.sameName("x-amz-date", "user-agent"))
        #expect(!SignableRequest.sameName("x-amz-date", "x-amz-dat"))
        // Only ASCII letters fold: "[" is "{" less 32 but not a letter's case.
        #expect(!SignableRequest.sameName("a[", "a{"))
        #expect(!SignableRequest.sameName("caf\u{c9}", "caf\u{e9}"))
        #expect(SignableRequest.sameName(String(repeating: "Ab", count: 40), String(repeating: "aB", count: 40)))
        // A substring's copy compares the same as a native string.
        let long = "prefix-X-Amz-Security-Token"
        #expect(SignableRequest.sameName(String(long.dropFirst(7)), "x-amz-security-token"))
    }

    @Test func headersAreFoundInAnyCase() {
        let request = SignableRequest(
            method: "POST",
            path: "/",
            headers: [(name: "Host", value: "h"), (name: "x-amz-date", value: "d"), (name: "X-AMZ-TARGET", value: "t")],
            body: .init()
        )
        #expect(request.header("host") == "h")
        #expect(request.header("X-Amz-Date") == "d")
        #expect(request.header("x-amz-target") == "t")
        #expect(request.header("x-amz-security-token") == nil)
    }
}

@Suite struct StringToSignTests {
    /// The verifier hashes the string to sign from one byte buffer: the same text the signer signs.
    @Test func bytesAreTheStringToSign() throws {
        var request = SignableRequest(
            method: "POST",
            path: "/",
            headers: [(name: "Host", value: "127.0.0.1:8088"), (name: "X-Amz-Target", value: "secretsmanager.GetSecretValue")],
            body: Data(#"{"SecretId":"a"}"#.utf8)
        )
        SigV4Signer(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "eu-west-1").sign(&request)
        let amzDate = try #require(request.header("x-amz-date"))
        let now = try #require(SigV4Verifier.parseDate(amzDate))
        let authorization = try SigV4Verifier().parse(request, now: now)
        let bytes = SigV4Verifier.withStringToSign(request, authorization: authorization) { Array($0) }
        #expect(String(decoding: bytes, as: UTF8.self) == SigV4Verifier.stringToSign(request, authorization: authorization))
    }
}
