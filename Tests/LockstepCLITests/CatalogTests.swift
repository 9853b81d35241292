import ArgumentParser
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
}
