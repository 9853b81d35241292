import Foundation
import LockstepAudit
import LockstepAuth
import LockstepCore
import LockstepService

/// STS on the same endpoint, for what a least-privilege setup needs: `AssumeRole` (temporary credentials with a
/// session token for a role whose trust policy admits the caller) and `GetCallerIdentity`. AWS's Query protocol:
/// a form-encoded body in, XML out.
extension APIHandler {
    static let stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
    /// The STS actions served (metrics label these; any other action is `unknown`).
    public static let stsActions: Set<String> = ["AssumeRole", "GetCallerIdentity"]

    func handleSTS(_ request: SignableRequest, requestID: String, sourceIP: String) async -> Answer {
        let parsed = Self.form(request.body)
        let form = parsed ?? [:]
        let action = form["Action"] ?? "-"
        let caller: Caller
        do {
            (caller, _) = try await self.authenticate(request, verifier: self.stsVerifier)
        } catch {
            return Self.stsFailure(error, action: action, requestID: requestID, principal: nil)
        }
        let principal = caller.principal
        guard parsed != nil else {
            let error = SecretsManagerError(.invalidParameter, "A request parameter must not repeat.")
            return Self.stsFailure(error, action: action, requestID: requestID, principal: principal.arn)
        }
        switch action {
        case "GetCallerIdentity":
            let userId = principal.accessKeyId
            let body = """
                <GetCallerIdentityResponse xmlns="\(Self.stsNamespace)"><GetCallerIdentityResult>\
                <Arn>\(Self.xml(principal.arn))</Arn><UserId>\(Self.xml(userId))</UserId><Account>\(principal.account)</Account>\
                </GetCallerIdentityResult><ResponseMetadata><RequestId>\(requestID)</RequestId></ResponseMetadata></GetCallerIdentityResponse>
                """
            return Answer(status: 200, body: Data(body.utf8), operation: action, errorCode: nil, principal: principal.arn, contentType: "text/xml")
        case "AssumeRole":
            let roleARN = form["RoleArn"] ?? ""
            let sessionName = form["RoleSessionName"] ?? ""
            var parameters = ["roleArn": roleARN, "roleSessionName": sessionName]
            if let duration = form["DurationSeconds"] { parameters["durationSeconds"] = duration }
            let result: Result<Sessions.AssumeRoleResult, any Error>
            do {
                result = .success(
                    try await Sessions(manager: self.dispatcher.manager).assumeRole(
                        caller: caller,
                        roleARN: roleARN,
                        sessionName: sessionName,
                        duration: form["DurationSeconds"].flatMap(TimeInterval.init) ?? 3600,
                        policy: form["Policy"]
                    )
                )
            } catch {
                result = .failure(error)
            }
            self.auditAssumeRole(caller: caller, parameters: parameters, result: result, requestID: requestID, sourceIP: sourceIP, request: request)
            switch result {
            case .failure(let error): return Self.stsFailure(error, action: action, requestID: requestID, principal: principal.arn)
            case .success(let assumed):
                let expiration = ISO8601DateFormatter().string(from: assumed.Credentials.Expiration)
                let body = """
                    <AssumeRoleResponse xmlns="\(Self.stsNamespace)"><AssumeRoleResult><Credentials>\
                    <AccessKeyId>\(assumed.Credentials.AccessKeyId)</AccessKeyId>\
                    <SecretAccessKey>\(Self.xml(assumed.Credentials.SecretAccessKey.value))</SecretAccessKey>\
                    <SessionToken>\(Self.xml(assumed.Credentials.SessionToken.value))</SessionToken>\
                    <Expiration>\(expiration)</Expiration></Credentials>\
                    <AssumedRoleUser><AssumedRoleId>\(Self.xml(assumed.AssumedRoleUser.AssumedRoleId))</AssumedRoleId>\
                    <Arn>\(Self.xml(assumed.AssumedRoleUser.Arn))</Arn></AssumedRoleUser></AssumeRoleResult>\
                    <ResponseMetadata><RequestId>\(requestID)</RequestId></ResponseMetadata></AssumeRoleResponse>
                    """
                return Answer(
                    status: 200,
                    body: Data(body.utf8),
                    operation: action,
                    errorCode: nil,
                    principal: principal.arn,
                    contentType: "text/xml"
                )
            }
        default:
            let error = SecretsManagerError(.invalidParameter, "Could not find operation \(action) for version 2011-06-15")
            return Self.stsFailure(error, action: action, requestID: requestID, principal: principal.arn)
        }
    }

    /// AssumeRole in the audit log (eventSource `sts.amazonaws.com`), without the secret or the session token.
    private func auditAssumeRole(
        caller: Caller,
        parameters: [String: String],
        result: Result<Sessions.AssumeRoleResult, any Error>,
        requestID: String,
        sourceIP: String,
        request: SignableRequest
    ) {
        guard let audit = self.dispatcher.manager.audit else { return }
        var response: Data?
        var error: SecretsManagerError?
        switch result {
        case .success(let assumed):
            let elements: [String: [String: String]] = [
                "credentials": [
                    "accessKeyId": assumed.Credentials.AccessKeyId, "expiration": ISO8601DateFormatter().string(from: assumed.Credentials.Expiration),
                ],
                "assumedRoleUser": ["assumedRoleId": assumed.AssumedRoleUser.AssumedRoleId, "arn": assumed.AssumedRoleUser.Arn],
            ]
            response = try? JSONEncoder().encode(elements)
        case .failure(let failure):
            // A store that can't be reached answers ServiceUnavailable here too (SecretsManagerError.answering).
            error = SecretsManagerError.answering(failure)
        }
        let principal = caller.principal
        var event = AuditEvent(
            eventTime: self.now(),
            eventName: "AssumeRole",
            region: "us-east-1",
            recipientAccount: principal.account,
            sourceIPAddress: sourceIP,
            userAgent: request.header("user-agent") ?? "-",
            identity: AuditEvent.Identity(principal),
            requestParameters: try? JSONEncoder().encode(parameters),
            responseElements: response,
            errorCode: error?.code.rawValue,
            errorMessage: error?.message,
            requestID: requestID,
            readOnly: false
        )
        event.eventSource = "sts.amazonaws.com"
        audit.record(event)
    }

    /// STS's error shape: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
    static func stsFailure(_ error: any Error, action: String, requestID: String, principal: String?) -> Answer {
        let aws = SecretsManagerError.answering(error)
        let code: String
        let status: Int
        switch aws.code {
        case .accessDenied: (code, status) = ("AccessDenied", 403)
        case .internalServiceError: (code, status) = ("InternalFailure", 500)
        case .serviceUnavailable: (code, status) = ("ServiceUnavailable", 503)
        case .validation, .invalidParameter, .malformedPolicyDocument:
            (code, status) = (aws.code == .malformedPolicyDocument ? "MalformedPolicyDocument" : "ValidationError", 400)
        case .expiredToken: (code, status) = ("ExpiredToken", 400)
        case .unrecognizedClient: (code, status) = ("InvalidClientTokenId", 403)
        case .invalidSignature: (code, status) = ("SignatureDoesNotMatch", 403)
        default: (code, status) = (aws.code.rawValue, 400)
        }
        let body = """
            <ErrorResponse xmlns="\(Self.stsNamespace)"><Error><Type>Sender</Type><Code>\(code)</Code>\
            <Message>\(Self.xml(aws.message))</Message></Error><RequestId>\(requestID)</RequestId></ErrorResponse>
            """
        return Answer(status: status, body: Data(body.utf8), operation: action, errorCode: code, principal: principal, contentType: "text/xml")
    }

    /// `a=1&b=x%2By` → members (`+` is a space); nil when a parameter repeats (one reading for everyone).
    static func form(_ body: Data) -> [String: String]? {
        var result: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard result.updateValue(parts.count > 1 ? decode(parts[1]) : "", forKey: decode(parts[0])) == nil else { return nil }
        }
        return result
    }

    static func xml(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
