import LockstepAudit

/// The rotation engine's lifecycle events (``LifecycleEvent``) into the audit log, and on to the next sink (the log
/// line). Never blocks: ``AuditLog/record(_:secretARN:region:account:errorCode:errorMessage:versionId:requestID:)``
/// only queues.
struct AuditedLifecycleEvents: LifecycleEventSink {
    let audit: AuditLog
    let next: any LifecycleEventSink

    func record(_ event: LifecycleEvent) {
        self.next.record(event)
        guard let name = LifecycleEventName(rawValue: event.name) else { return }
        let message = [event.step.map { "\($0) step" }, event.errorMessage].compactMap { $0 }.joined(separator: ": ")
        self.audit.record(
            name,
            secretARN: event.secretARN,
            region: event.region,
            account: event.account,
            errorCode: event.errorClass,
            errorMessage: event.errorClass == nil && event.errorMessage == nil ? nil : message,
            versionId: event.versionId
        )
    }
}
