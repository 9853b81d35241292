public import Foundation
import LockstepCore
import LockstepStore

extension SecretsManager {
    /// How many connection-impact reports a secret keeps.
    public static let keptRotationReports = 20

    /// Saves (or updates) the connection-impact report of the rotation `token` of `secretARN`, as JSON, written by
    /// the service itself after the rotation (a maintenance write: its timing is the report's grace period).
    public func saveRotationReport(_ report: Data, secretARN: String, token: String, finished: Date) async throws {
        let text = String(decoding: report, as: UTF8.self)
        try await self.store.write(faultPoint: .maintenanceTransaction) { tx in
            guard let secret = try tx.secret(arn: secretARN) else { return }
            try tx.saveRotationReport(secretId: secret.id, token: token, finished: finished, report: text, keeping: Self.keptRotationReports)
        }
    }

    /// `lockstep rotation history`: the secret's connection-impact reports, newest first, as a JSON array.
    public func rotationReports(secretId: String, context: RequestContext) async throws -> Data {
        let reports = try await self.store.read { tx in
            try tx.rotationReports(secretId: try self.resolve(secretId, in: tx, context: context).id)
        }
        return Data(("[" + reports.map(\.report).joined(separator: ",") + "]").utf8)
    }
}
