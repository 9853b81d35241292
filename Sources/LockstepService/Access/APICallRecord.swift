import Foundation
public import LockstepAudit
public import LockstepAuth
import LockstepCore

/// The audit event of one API call, built from what the dispatcher has at hand.
enum APICallRecord {
    static func event(
        _ operation: String,
        body: Data,
        result: Result<Data, SecretsManagerError>,
        context: RequestContext,
        readOnly knownReadOnly: Bool? = nil
    ) -> AuditEvent {
        let principal = context.caller.principal
        let entry = OperationCatalog.operation(named: operation)
        let readOnly = knownReadOnly ?? entry?.isReadOnly ?? false
        var error: SecretsManagerError?
        var responseElements: Data?
        switch result {
        case .success(let response): responseElements = readOnly ? nil : response
        case .failure(let failure): error = failure
        }
        let resources = context.trace.resources
        return AuditEvent(
            eventTime: Date(),
            eventName: operation,
            region: context.region,
            recipientAccount: resources.first.flatMap(SecretARN.account(of:)) ?? context.account,
            sourceIPAddress: context.sourceIP,
            userAgent: context.userAgent,
            identity: AuditEvent.Identity(principal),
            // A body that can carry a value or a rotation token is redacted here, on the request path, so the value
            // never waits in the audit queue; other bodies are redacted by the writer.
            requestParameters: entry?.carriesSecrets == true ? AuditRedaction.redacted(body) : body,
            responseElements: responseElements,
            errorCode: error?.code.rawValue,
            errorMessage: error?.message,
            requestID: context.requestID,
            readOnly: readOnly,
            resources: resources
        )
    }
}

extension AuditEvent.Identity {
    /// The `userIdentity` of a record made by `principal`'s call.
    public init(_ principal: Principal) {
        if case .service = principal.kind {
            self = .service(account: principal.account)
            return
        }
        self.init(
            type: principal.identityType,
            arn: principal.arn,
            accountId: principal.account,
            accessKeyId: principal.accessKeyId,
            userName: principal.userName,
            roleARN: principal.roleARN
        )
    }
}
