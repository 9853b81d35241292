public import Foundation
import LockstepAudit
public import LockstepCore

/// The AWS JSON 1.1 boundary: an operation name and a JSON body in, a JSON body out.
///
/// The HTTP server (`X-Amz-Target: secretsmanager.<Operation>`) and the CLI both go through here, so both decode
/// requests the same strict way and encode responses in AWS's shape: timestamps as epoch seconds, SecretBinary as
/// base64, absent members omitted.
public struct OperationDispatcher: Sendable {
    public let manager: SecretsManager

    public init(manager: SecretsManager) {
        self.manager = manager
    }

    /// The catalog's handler of one operation: decode (directly where the request allows it), validate against the
    /// model, note the request's condition keys, call, encode.
    static func handler<Request: Decodable & Sendable, Response: Encodable & Sendable>(
        _ call: @escaping @Sendable (SecretsManager) -> (Request, RequestContext) async throws -> Response
    ) -> Operation.Handler {
        { manager, body, context in
            var context = context
            let request: Request
            if let direct = Request.self as? any DirectJSONDecodable.Type, let members = FlatJSONObject.members(of: body),
                let decoded = direct.init(directJSON: members) as? Request
            {
                request = decoded
            } else {
                request = try Self.decode(Request.self, from: body)
            }
            if let validated = request as? any ValidatedRequest { try validated.validated() }
            context.requestKeys = request as? any RequestConditionKeys
            let response = try await call(manager)(request, context)
            if let direct = response as? any DirectJSONEncodable {
                var writer = JSONWriter()
                direct.writeJSON(into: &writer)
                return writer.finish()
            }
            return try Self.encoder.encode(response)
        }
    }

    /// The operations this service implements, sorted.
    public static var operations: [String] { OperationCatalog.names }

    /// Runs `operation` with a JSON request body and returns the JSON response body.
    ///
    /// - Throws: ``SecretsManagerError`` only: unknown operations, malformed or mistyped JSON, and every failure of
    ///   the operation itself. Anything unexpected becomes `InternalServiceError` without detail.
    ///
    /// Every call, allowed or denied, is recorded in the audit log (when the service has one): a call that may
    /// change something returns only once its record is durable; a read's record is queued (see ``AuditLog``).
    /// When a changing call's record can't be written, the call answers InternalServiceError (having taken effect,
    /// like a call whose answer was lost: clients retry with their ClientRequestToken).
    public func invoke(_ operation: String, body: Data, context: RequestContext) async throws(SecretsManagerError) -> Data {
        var context = context
        context.operation = operation
        let result: Result<Data, SecretsManagerError>
        let entry = OperationCatalog.operation(named: operation)
        if let entry {
            do {
                result = .success(try await entry.handler(self.manager, body.isEmpty ? Data("{}".utf8) : body, context))
            } catch {
                result = .failure(SecretsManagerError.answering(error))
            }
        } else {
            result = .failure(SecretsManagerError(.unknownOperation, "The operation \(operation) is not supported."))
        }
        if let audit = self.manager.audit {
            let event = APICallRecord.event(operation, body: body, result: result, context: context)
            if entry?.isReadOnly ?? true {
                audit.record(event)
            } else {
                do {
                    try await audit.recordDurably(event)
                } catch {
                    let answer = SecretsManagerError.answering(error)
                    throw answer.code == .serviceUnavailable
                        ? answer : SecretsManagerError(.internalServiceError, "The call's audit record could not be written.")
                }
            }
        }
        return try result.get()
    }

    /// The encoder for responses (made once: JSONEncoder is thread-safe once configured).
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    /// Decodes a request; wrong JSON or wrong types become AWS's SerializationException / validation errors. The
    /// message names the member, never its value.
    static func decode<T: Decodable>(_ type: T.Type, from body: Data) throws -> T {
        do {
            return try Self.decoder.decode(type, from: body)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw SecretsManagerError(.serialization, "The request body must be a JSON object.")
        } catch DecodingError.valueNotFound(_, let context) where context.codingPath.isEmpty {
            throw SecretsManagerError(.serialization, "The request body must be a JSON object.")
        } catch DecodingError.keyNotFound(let key, _) {
            throw SecretsManagerError.missingParameter(key.stringValue)
        } catch DecodingError.valueNotFound(_, let context) {
            throw SecretsManagerError.missingParameter(Self.path(context))
        } catch DecodingError.typeMismatch(_, let context) {
            throw SecretsManagerError(.serialization, "The value of \(Self.path(context)) has the wrong type.")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw SecretsManagerError(.serialization, "The value of \(Self.path(context)) is not valid.")
        } catch {
            throw SecretsManagerError(.serialization, "The request body is not valid JSON.")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
