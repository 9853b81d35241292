@testable import LockstepCore
import Testing

/// The request path's shortcuts answer exactly what the general code they stand in for answers.
@Suite struct HotPathEquivalenceTests {
    @Test(arguments: [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db",
        "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:a:b:c",
        "arn:aws:secretsmanager:us-east-1::secret:x",
        "arn:aws:secretsmanager:::secret:x",
        "arn::secretsmanager:us-east-1:123456789012:secret:x",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret",
        "arn:aws:kms:us-east-1:123456789012:key:x",
        "arn:aws:secretsmanager:us-east-1:123456789012:parameter:x",
        "ARN:aws:secretsmanager:us-east-1:123456789012:secret:x",
        "xarn:aws:secretsmanager:us-east-1:123456789012:secret:x",
        "", ":", "::::::", ":::::::", "arn", "prod/db",
        "arn:aws:secretsmanager:eu-west-1:12345678901\u{e9}:secret:x",
        "arn:aws:secretsmanager:eu-west-1:123:\u{301}secret:x",
        "arn:aws:secretsmanager:eu-west-1:1\u{301}:secret:caf\u{e9}",
    ])
    func accountOfARNIsTheParsedAccount(arn: String) {
        #expect(SecretARN.account(of: arn) == SecretARN.parse(arn)?.account)
    }

    /// The former implementation, kept here as the reference for the format.
    private func reference(high: UInt64, middle: UInt32, count: UInt64) -> String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        return
            "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-4\(hex(high & 0xFFF, 3))-\(hex(UInt64(middle) & 0x3FFF | 0x8000, 4))-\(hex(count & 0xFFFF_FFFF_FFFF, 12))"
    }

    @Test(arguments: [(UInt64(0), UInt32(0)), (UInt64.max, UInt32.max), (0x0123_4567_89ab_cdef, 0xfedc_ba98), (0x1000_0000_0000_0001, 7)])
    func sequentialUUIDsKeepTheirFormat(high: UInt64, middle: UInt32) {
        let ids = SequentialUUIDs(high: high, middle: middle)
        for count in 1...300 {
            let id = ids.next()
            #expect(id == self.reference(high: high, middle: middle, count: UInt64(count)))
            #expect(id.utf8.count == 36)
        }
    }

    @Test func sequentialUUIDsDiffer() {
        let ids = SequentialUUIDs()
        let minted = (0..<1_000).map { _ in ids.next() }
        #expect(Set(minted).count == minted.count)
        #expect(minted.allSatisfy { $0.utf8.count == 36 && $0.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12] })
    }
}
