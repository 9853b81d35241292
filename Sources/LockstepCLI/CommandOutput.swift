import ArgumentParser
import Foundation
import LockstepCore

/// Output of the management commands (`kms`, `iam`): pretty JSON on stdout, AWS-style errors on stderr.
enum CommandOutput {
    /// Runs `body` and prints its result as JSON (nothing for an empty object); a ``SecretsManagerError`` prints
    /// `An error occurred (Code): message` on stderr and exits with 254, as the operation commands do.
    static func printResult<T: Encodable>(_ body: () async throws -> T) async throws {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let text = String(decoding: try encoder.encode(try await body()), as: UTF8.self)
            if text != "{\n\n}" && text != "{}" { print(text) }
        } catch let error as SecretsManagerError {
            FileHandle.standardError.write(Data("\nAn error occurred (\(error.code)): \(error.message)\n".utf8))
            throw ExitCode(254)
        }
    }
}
