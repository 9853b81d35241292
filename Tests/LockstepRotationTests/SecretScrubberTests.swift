import Testing

@testable import LockstepRotation

@Suite struct SecretScrubberTests {
    @Test func aWholeValueAndEachLongStringFieldOfAJSONValueAreRedacted() {
        let value = #"{"username":"app","password":"s3cr3t-Pa55","host":"db.internal","port":5432,"nested":{"token":"tok-123456"}}"#
        let scrubber = SecretScrubber(values: [value])
        #expect(scrubber.scrub("value: \(value)") == "value: <redacted>")
        #expect(scrubber.scrub("login failed for app with s3cr3t-Pa55 at db.internal") == "login failed for app with <redacted> at <redacted>")
        #expect(scrubber.scrub("bearer tok-123456") == "bearer <redacted>")
        // Short fields ("app") and numbers stay: redacting them would destroy every message.
        #expect(scrubber.scrub("user app port 5432") == "user app port 5432")
    }

    @Test func aValuePrintedAsADictOrJSONDocumentIsRedactedFieldByField() {
        let value = #"{"username":"admin","password":"p\"w/q\\z"}"#
        let scrubber = SecretScrubber(values: [value])
        // Python's repr and json.dumps spell the password with escapes.
        #expect(scrubber.scrub(#"{'username': 'admin', 'password': 'p"w/q\\z'}"#) == #"{'username': '<redacted>', 'password': '<redacted>'}"#)
        #expect(scrubber.scrub(#"{"password": "p\"w/q\\z"}"#) == #"{"password": "<redacted>"}"#)
        #expect(scrubber.scrub(#"{"password": "p\"w\/q\\z"}"#) == #"{"password": "<redacted>"}"#)
    }

    @Test func plainValuesAndCredentialsAreRedactedEverywhereTheyOccur() {
        let scrubber = SecretScrubber(values: ["hunter2-plain", "AKIAEXAMPLE0000", "wJalrXUtnFEMI/K7MDENG"])
        #expect(
            scrubber.scrub("a hunter2-plain b hunter2-plain\nkey AKIAEXAMPLE0000 secret wJalrXUtnFEMI/K7MDENG")
                == "a <redacted> b <redacted>\nkey <redacted> secret <redacted>"
        )
        #expect(SecretScrubber(values: [""]).scrub("nothing to do") == "nothing to do")
    }

    @Test func theLongerNeedleWinsWhereOneContainsAnother() {
        let scrubber = SecretScrubber(values: ["abcdefgh", "abcd"])
        #expect(scrubber.scrub("xabcdefghx abcd") == "x<redacted>x <redacted>")
    }

    @Test func theRecordedReasonIsScrubbedBeforeItIsCutToTheLast2KiB() {
        let secret = "TOPSECRETVALUE-0123456789"
        let scrubber = SecretScrubber(values: [secret])
        // The secret straddles the 2 KiB boundary: cutting first would leave a fragment of it.
        let text = "start " + secret + String(repeating: "x", count: ProcessRotator.errorTailLimit - 10) + "\u{07}end"
        let reason = ProcessRotator.reason(Array(text.utf8), scrubber: scrubber)
        #expect(!reason.contains("0123456789"))
        #expect(reason.utf8.count <= ProcessRotator.errorTailLimit)
        #expect(reason.hasSuffix("xxend"))  // The control character is gone.
    }
}
