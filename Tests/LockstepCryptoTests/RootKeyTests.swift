import Crypto
import Foundation
import Testing

@testable import LockstepCrypto

/// A fresh empty directory, removed when `body` returns.
private func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-rootkey-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

private func permissions(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return try #require(attributes[.posixPermissions] as? Int) & 0o777
}

/// Writes a key file with `contents` and `mode`.
private func writeKeyFile(_ contents: String, mode: Int, in directory: URL) throws -> URL {
    let file = directory.appendingPathComponent(RootKey.fileName)
    try Data(contents.utf8).write(to: file)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
    return file
}

private func randomKeyBytes() -> Data { bytes(of: SymmetricKey(size: .bits256)) }

@Suite struct RootKeyTests {
    @Test func environmentVariableWins() throws {
        let envKey = randomKeyBytes()
        let fileKey = randomKeyBytes()
        try withTemporaryDirectory { directory in
            _ = try writeKeyFile(fileKey.base64EncodedString(), mode: 0o600, in: directory)
            let environment = [RootKey.environmentVariable: envKey.base64EncodedString()]
            let root = try RootKey.load(directory: directory, environment: environment, create: true)
            #expect(bytes(of: root.key) == envKey)
        }
        #expect(RootKey.environmentVariable == "LOCKSTEP_ROOT_KEY")
    }

    @Test func environmentVariableNeedsNoFile() throws {
        let envKey = randomKeyBytes()
        try withTemporaryDirectory { directory in
            let environment = [RootKey.environmentVariable: envKey.base64EncodedString()]
            let withoutCreate = try RootKey.load(directory: directory, environment: environment, create: false)
            let withCreate = try RootKey.load(directory: directory, environment: environment, create: true)
            #expect(bytes(of: withoutCreate.key) == envKey)
            #expect(bytes(of: withCreate.key) == envKey)
            let file = directory.appendingPathComponent(RootKey.fileName)
            #expect(!FileManager.default.fileExists(atPath: file.path), "no file is created when the variable is set")
        }
    }

    @Test func environmentVariableBeatsABadFile() throws {
        let envKey = randomKeyBytes()
        try withTemporaryDirectory { directory in
            _ = try writeKeyFile("garbage", mode: 0o644, in: directory)
            let environment = [RootKey.environmentVariable: envKey.base64EncodedString()]
            #expect(bytes(of: try RootKey.load(directory: directory, environment: environment, create: false).key) == envKey)
        }
    }

    @Test(arguments: [
        "not base64 at all!",
        Data(repeating: 7, count: 16).base64EncodedString(),
        Data(repeating: 7, count: 31).base64EncodedString(),
        Data(repeating: 7, count: 33).base64EncodedString(),
    ])
    func invalidEnvironmentVariableIsRefused(encoded: String) throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: RootKey.Error.self) {
                try RootKey.load(directory: directory, environment: [RootKey.environmentVariable: encoded], create: true)
            }
            #expect(error?.description.contains(RootKey.environmentVariable) == true)
            #expect(error?.description.contains(encoded) == false)
        }
    }

    @Test func emptyEnvironmentVariableFallsBackToTheFile() throws {
        let fileKey = randomKeyBytes()
        try withTemporaryDirectory { directory in
            _ = try writeKeyFile(fileKey.base64EncodedString(), mode: 0o600, in: directory)
            let root = try RootKey.load(directory: directory, environment: [RootKey.environmentVariable: ""], create: false)
            #expect(bytes(of: root.key) == fileKey)
        }
    }

    @Test func createsAnOwnerOnlyFileOnFirstUse() throws {
        try withTemporaryDirectory { directory in
            let created = try RootKey.load(directory: directory, environment: [:], create: true)
            let file = directory.appendingPathComponent("root.key")
            #expect(try permissions(file) == 0o600)
            let contents = try String(contentsOf: file, encoding: .utf8)
            #expect(Data(base64Encoded: contents) == bytes(of: created.key))
            #expect(bytes(of: created.key).count == 32)

            let again = try RootKey.load(directory: directory, environment: [:], create: false)
            #expect(again.key == created.key)
            let stillSame = try RootKey.load(directory: directory, environment: [:], create: true)
            #expect(stillSame.key == created.key, "an existing file is never replaced")
        }
    }

    @Test func twoDirectoriesGetDifferentKeys() throws {
        let first = try withTemporaryDirectory { try RootKey.load(directory: $0, environment: [:], create: true) }
        let second = try withTemporaryDirectory { try RootKey.load(directory: $0, environment: [:], create: true) }
        #expect(first.key != second.key)
    }

    @Test func missingFileWithoutCreateIsRefused() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: RootKey.Error.self) { try RootKey.load(directory: directory, environment: [:], create: false) }
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(RootKey.fileName).path))
        }
    }

    @Test(arguments: [0o600, 0o400])
    func ownerOnlyFilesAreAccepted(mode: Int) throws {
        let fileKey = randomKeyBytes()
        try withTemporaryDirectory { directory in
            _ = try writeKeyFile(fileKey.base64EncodedString(), mode: mode, in: directory)
            #expect(bytes(of: try RootKey.load(directory: directory, environment: [:], create: false).key) == fileKey)
        }
    }

    @Test(arguments: [0o640, 0o644, 0o604, 0o660, 0o602, 0o620, 0o610, 0o601, 0o666])
    func filesWithGroupOrOtherBitsAreRefused(mode: Int) throws {
        let fileKey = randomKeyBytes()
        try withTemporaryDirectory { directory in
            _ = try writeKeyFile(fileKey.base64EncodedString(), mode: mode, in: directory)
            let error = #expect(throws: RootKey.Error.self) { try RootKey.load(directory: directory, environment: [:], create: true) }
            #expect(error?.description.contains("600") == true)
            #expect(error?.description.contains(fileKey.base64EncodedString()) == false)
        }
    }

    @Test(arguments: [
        "",
        "not base64!",
        Data(repeating: 1, count: 16).base64EncodedString(),
        Data(repeating: 1, count: 33).base64EncodedString(),
        Data(repeating: 1, count: 64).base64EncodedString(),
    ])
    func fileOfTheWrongLengthIsRefused(contents: String) throws {
        try withTemporaryDirectory { directory in
            _ = try writeKeyFile(contents, mode: 0o600, in: directory)
            let error = #expect(throws: RootKey.Error.self) { try RootKey.load(directory: directory, environment: [:], create: true) }
            if !contents.isEmpty { #expect(error?.description.contains(contents) == false) }
        }
    }

    @Test func surroundingWhitespaceInTheFileIsIgnored() throws {
        let fileKey = randomKeyBytes()
        try withTemporaryDirectory { directory in
            _ = try writeKeyFile("  \(fileKey.base64EncodedString())\n", mode: 0o600, in: directory)
            #expect(bytes(of: try RootKey.load(directory: directory, environment: [:], create: false).key) == fileKey)
        }
    }
}
