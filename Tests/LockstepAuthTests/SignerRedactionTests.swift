import Foundation
import Testing

@testable import LockstepAuth

/// A signer's secret never shows when something describes it: errors of ServiceLifecycle describe the failed
/// service whole, with every value it holds.
@Suite struct SignerRedactionTests {
    struct Holder {
        let signer: SigV4Signer
        let other = 1
    }

    @Test func noDescriptionShowsTheSecretOrTheToken() {
        let signer = SigV4Signer(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "SECRET-wJalrXUtnFEMI", sessionToken: "TOKEN-xyz", region: "us-east-1")
        var dumped = ""
        dump(Holder(signer: signer), to: &dumped)
        for text in [String(describing: signer), String(reflecting: signer), "\(Holder(signer: signer))", String(reflecting: Holder(signer: signer)), dumped] {
            #expect(!text.contains("SECRET") && !text.contains("TOKEN"), "\(text)")
            #expect(text.contains("AKIDEXAMPLE"))
        }
    }
}
