public import Foundation

/// The rotators installed in a rotators directory: one folder per rotator, each with a `rotator.json`.
///
/// Folders whose name starts with `_` or `.` are not rotators (`__pycache__`, shared helpers) and are skipped;
/// plain files (a README) too. Any other folder must hold a valid manifest: a rotator that silently fails to
/// load would only show up as AccessDeniedException at the first RotateSecret, far from its cause.
public struct RotatorCatalog: Sendable {
    public var directory: URL?
    /// The custom rotators (runtime `process` or `python-lambda`), by name.
    public var manifests: [String: RotatorManifest]

    public init(directory: URL? = nil, manifests: [String: RotatorManifest] = [:]) {
        self.directory = directory
        self.manifests = manifests
    }

    /// Reads every rotator folder of `directory`.
    ///
    /// - Parameters:
    ///   - directory: the rotators directory.
    ///   - builtIns: the names of the built-in rotators: a `builtin` manifest must name one of them, and a custom
    ///     rotator may not take one of their names.
    public static func load(_ directory: URL, builtIns: Set<String>) throws(RotatorManifestError) -> RotatorCatalog {
        let fileManager = FileManager.default
        let entries: [String]
        do {
            entries = try fileManager.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw RotatorManifestError(directory.lastPathComponent, "the rotators directory \(directory.path) can't be read")
        }
        var catalog = RotatorCatalog(directory: directory)
        for entry in entries where !entry.hasPrefix("_") && !entry.hasPrefix(".") {
            let folder = directory.appendingPathComponent(entry, isDirectory: true)
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            let file = folder.appendingPathComponent(RotatorManifest.fileName)
            guard let data = fileManager.contents(atPath: file.path) else {
                throw RotatorManifestError(entry, "\(file.path) is missing (folders starting with _ are skipped)")
            }
            let manifest = try RotatorManifest(json: data, folder: folder)
            switch manifest.runtime {
            case .builtin:
                guard builtIns.contains(manifest.name) else {
                    throw RotatorManifestError(entry, "runtime builtin, but Lockstep has no built-in rotator of that name")
                }
            case .process, .pythonLambda:
                guard !builtIns.contains(manifest.name) else {
                    throw RotatorManifestError(entry, "the name belongs to a built-in rotator; use runtime builtin or another name")
                }
                catalog.manifests[manifest.name] = manifest
            }
        }
        return catalog
    }

    /// The longest step timeout of any custom rotator: the engine's lease must outlast it.
    public var longestTimeout: Duration { self.manifests.values.map(\.timeout).max() ?? .zero }
}
