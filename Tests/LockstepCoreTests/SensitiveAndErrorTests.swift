import Foundation
import LockstepCore
import Testing

private struct Request: Codable, Equatable {
    var name: String
    var secret: Sensitive<String>
    var blob: Sensitive<Data>?
}

@Suite struct SensitiveTests {
    private let value = "correct-horse-battery-staple"

    @Test func descriptionsAreRedacted() {
        let sensitive = Sensitive(self.value)
        #expect(sensitive.description == "<redacted>")
        #expect(sensitive.debugDescription == "<redacted>")
        #expect("\(sensitive)" == "<redacted>")
        #expect(String(describing: sensitive) == "<redacted>")
        #expect(!String(reflecting: sensitive).contains(self.value))
        #expect(sensitive.value == self.value)
    }

    @Test func dumpAndReflectionDoNotRevealTheValue() {
        let sensitive = Sensitive(self.value)
        var dumped = ""
        dump(sensitive, to: &dumped)
        #expect(!dumped.contains(self.value))
        #expect(Mirror(reflecting: sensitive).children.isEmpty)

        let request = Request(name: "db", secret: Sensitive(self.value), blob: Sensitive(Data(self.value.utf8)))
        var dumpedRequest = ""
        dump(request, to: &dumpedRequest)
        #expect(!dumpedRequest.contains(self.value))
        #expect(dumpedRequest.contains("db"))
        #expect(!String(describing: request).contains(self.value))
        #expect(!String(reflecting: request).contains(self.value))
        #expect(!"\([request])".contains(self.value))
    }

    @Test func codableAsThePlainValue() throws {
        let encoded = try JSONEncoder().encode(Sensitive(self.value))
        #expect(String(decoding: encoded, as: UTF8.self) == "\"\(self.value)\"")
        #expect(try JSONDecoder().decode(Sensitive<String>.self, from: encoded) == Sensitive(self.value))

        let request = Request(name: "db", secret: "s3cr3t", blob: Sensitive(Data([1, 2, 3])))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try encoder.encode(request)
        #expect(String(decoding: json, as: UTF8.self) == #"{"blob":"AQID","name":"db","secret":"s3cr3t"}"#)
        #expect(try JSONDecoder().decode(Request.self, from: json) == request)

        let decoded = try JSONDecoder().decode(Request.self, from: Data(#"{"name":"n","secret":"plain"}"#.utf8))
        #expect(decoded.secret.value == "plain")
        #expect(decoded.blob == nil)
    }

    @Test func wrongTypeDoesNotDecode() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Sensitive<String>.self, from: Data("42".utf8)) }
    }

    @Test func equalityAndHashingFollowTheValue() {
        #expect(Sensitive("a") == Sensitive("a"))
        #expect(Sensitive("a") != Sensitive("b"))
        #expect(Set([Sensitive("a"), Sensitive("a"), Sensitive("b")]).count == 2)
    }
}

@Suite struct SecretsManagerErrorTests {
    @Test func codesAreAWSExceptionNames() {
        let expected: [(SecretsManagerError.Code, String)] = [
            (.resourceNotFound, "ResourceNotFoundException"),
            (.invalidParameter, "InvalidParameterException"),
            (.invalidRequest, "InvalidRequestException"),
            (.resourceExists, "ResourceExistsException"),
            (.limitExceeded, "LimitExceededException"),
            (.decryptionFailure, "DecryptionFailure"),
            (.encryptionFailure, "EncryptionFailure"),
            (.malformedPolicyDocument, "MalformedPolicyDocumentException"),
            (.publicPolicy, "PublicPolicyException"),
            (.preconditionNotMet, "PreconditionNotMetException"),
            (.invalidNextToken, "InvalidNextTokenException"),
            (.internalServiceError, "InternalServiceError"),
            (.validation, "ValidationException"),
            (.accessDenied, "AccessDeniedException"),
        ]
        for (code, name) in expected {
            #expect(code.rawValue == name)
            #expect(code.description == name)
        }
        #expect(Set(expected.map(\.0)).count == expected.count)
    }

    @Test func descriptionIsCodeColonMessage() {
        let error = SecretsManagerError(.invalidRequest, "nope")
        #expect(error.description == "InvalidRequestException: nope")
        #expect(error == SecretsManagerError(.invalidRequest, "nope"))
        #expect(error != SecretsManagerError(.invalidParameter, "nope"))
    }

    @Test func messagesMatchTheSpecCatalogue() {
        let cases: [(SecretsManagerError, SecretsManagerError.Code, String)] = [
            (.secretNotFound, .resourceNotFound, "Secrets Manager can't find the specified secret."),
            (
                .stageNotFound("AWSPENDING"), .resourceNotFound,
                "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"
            ),
            (.versionNotFound("abc"), .resourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: abc"),
            (.stageVersionMismatch, .invalidRequest, "You provided a VersionStage that is not associated to the provided VersionId."),
            (.markedForDeletion, .invalidRequest, "You can't perform this operation on the secret because it was marked for deletion."),
            (
                .nameScheduledForDeletion, .invalidRequest,
                "You can't create this secret because a secret with this name is already scheduled for deletion."
            ),
            (.secretExists("prod/db"), .resourceExists, "The operation failed because the secret prod/db already exists."),
            (.missingClientRequestToken, .invalidRequest, "You must provide a ClientRequestToken value. We recommend a UUID-type value."),
            (.missingRotationClientRequestToken, .invalidParameter, "You must provide a ClientRequestToken value. We recommend a UUID-type value."),
            (
                .invalidName, .validation,
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
            ),
        ]
        for (error, code, message) in cases {
            #expect(error.code == code)
            #expect(error.message == message)
        }
    }

    @Test func constraintMessages() {
        #expect(
            SecretsManagerError.constraint("name", value: "x", "rule").message
                == "1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: rule"
        )
        #expect(
            SecretsManagerError.constraint("name", "rule").message
                == "1 validation error detected: Value at 'name' failed to satisfy constraint: rule"
        )
        #expect(SecretsManagerError.constraint("name", "rule").code == .validation)
        #expect(SecretsManagerError.missingParameter("SecretId").code == .invalidParameter)
        #expect(SecretsManagerError.missingParameter("SecretId").message.contains("SecretId"))
    }
}
