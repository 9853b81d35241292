import ArgumentParser
import Foundation
import LockstepDatabase
import LockstepRotation
import LockstepService
import Testing

@testable import LockstepCLI

/// The CLI exposes exactly the catalog's operations, under the aws CLI's command names.
@Suite struct CatalogTests {
    @Test func everyCatalogOperationHasOneCommandAndOneSpecUnderItsAWSName() {
        let commands = operationCommands.map { $0.configuration.commandName ?? "" }
        #expect(commands.sorted() == OperationCatalog.all.map(\.cliCommand).sorted())
        #expect(OperationSpec.all.map(\.operation).sorted() == OperationCatalog.names)
        for spec in OperationSpec.all {
            #expect(spec.command == OperationCatalog.operation(named: spec.operation)?.cliCommand)
        }
        #expect(OperationCatalog.operation(named: "GetSecretValue")?.cliCommand == "get-secret-value")
        #expect(OperationCatalog.operation(named: "ListSecretVersionIds")?.cliCommand == "list-secret-version-ids")
    }

    @Test func theDispatcherAndAuthorizationReadTheCatalog() {
        #expect(OperationDispatcher.operations == OperationCatalog.names)
        #expect(OperationCatalog.all.count == 23)
        let readOnly = Set(OperationCatalog.all.filter(\.isReadOnly).map(\.name))
        #expect(readOnly.allSatisfy { $0.hasPrefix("Get") || $0.hasPrefix("List") || $0.hasPrefix("Describe") || $0.hasPrefix("BatchGet") || $0.hasPrefix("Validate") })
        #expect(Set(OperationCatalog.all.filter(\.carriesSecrets).map(\.name)) == ["CreateSecret", "PutSecretValue", "UpdateSecret"])
    }

    /// The service decides what RotateSecret may store from the names alone (before the rotators exist); it must
    /// agree with the registry the engine runs.
    @Test func whatTheServiceMayStoreIsExactlyWhatTheEngineRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-installed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let rotator = directory.appendingPathComponent("rotators/api-key")
        try FileManager.default.createDirectory(at: rotator, withIntermediateDirectories: true)
        try Data(#"{"runtime": "python-lambda"}"#.utf8).write(to: rotator.appendingPathComponent("rotator.json"))
        let catalog = try RotatorCatalog.load(rotator.deletingLastPathComponent(), builtIns: InstalledRotators.builtInNames)
        let environment = try LockstepEnvironment.open(
            .init(dataDirectory: directory.appendingPathComponent("data"), account: "123456789012", environment: [:]),
            create: true
        )
        let registry = InstalledRotators.registry(
            manager: environment.manager, timeouts: DatabaseTimeouts(), trust: nil, catalog: catalog, endpoint: RotatorEndpoint()
        )
        #expect(Set(registry.names) == InstalledRotators.builtInNames.union(["api-key"]))
        #expect(InstalledRotators.builtInNames.count == 4)
        let references = registry.names + [
            "arn:aws:lambda:us-east-1:123456789012:function:api-key", "arn:aws:lambda:us-east-1:123456789012:function:mariadb-multi-user:live",
            "arn:aws:lambda:us-east-1:123456789012:function:unknown", "unknown", "", "arn:aws:s3:::api-key",
        ]
        for reference in references {
            #expect(InstalledRotators.canInvoke(reference, catalog: catalog) == registry.canInvoke(reference), "\(reference)")
        }
    }
}
