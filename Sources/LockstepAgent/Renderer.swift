import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps the `--render` files written: at start (trying again each second until every one is written, then starting
/// the `--exec` child), whenever the change feed names a secret they read, and every TTL (the fallback when the
/// feed is down). A file is rewritten only when its content changes, atomically (a temporary file beside it, fsync,
/// rename) and with mode 0600; then the child is told (a signal, or a restart).
struct Renderer: Service {
    let targets: [RenderTarget]
    let secrets: AgentSecrets
    /// Rung by the change feed's follower when a page named changes, and by the TTL timer.
    let changes: AsyncStream<Void>
    let ring: AsyncStream<Void>.Continuation
    let refresh: Duration
    let child: ChildSupervisor?
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            var first: [String: Data] = [:]
            while !Task.isCancelled {
                if await self.renderAll(&first) { break }
                try await Task.sleep(for: .seconds(1))
            }
            let initial = first
            if let child = self.child { try child.start() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let child = self.child {
                    // The child ending on its own ends the agent (with its status, see ChildSupervisor).
                    group.addTask { await child.waitUntilItEndsUnasked() }
                }
                // The TTL's fallback: a wake-up every `refresh`, beside the change feed's.
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: self.refresh)
                        self.ring.yield()
                    }
                }
                group.addTask {
                    var written = initial
                    for await _ in self.changes {
                        let before = written
                        _ = await self.renderAll(&written)
                        if written != before { self.child?.filesChanged() }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
        await self.child?.stop()
    }

    /// Renders every target whose content changed; true when every target is written.
    private func renderAll(_ written: inout [String: Data]) async -> Bool {
        var values: [String: Data] = [:]
        var complete = true
        for target in self.targets {
            do {
                for reference in target.references where values[reference.secretId] == nil {
                    values[reference.secretId] = try await self.secrets.currentValue(of: reference.secretId)
                }
                let content = try target.content(values)
                if written[target.path] != content {
                    try Self.writeAtomically(content, to: target.path)
                    written[target.path] = content
                    self.logger.info("rendered", metadata: ["path": .string(target.path)])
                }
            } catch {
                complete = false
                self.logger.warning("can't render yet", metadata: ["path": .string(target.path), "error": "\(error)"])
            }
        }
        return complete
    }

    struct WriteFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes `content` to a temporary file beside `path` (mode 0600), fsyncs it and renames it over `path`, then
    /// fsyncs the directory: a reader sees the old file or the new one, never a part.
    static func writeAtomically(_ content: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.\((path as NSString).lastPathComponent).lockstep-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteFailed(description: "can't create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = true
        content.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    ok = false
                    return
                }
                offset += n
            }
        }
        ok = ok && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteFailed(description: "can't write \(path): \(reason)")
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}

extension AgentSecrets {
    /// The AWSCURRENT value of `secretId` (SecretString's UTF-8, or SecretBinary's bytes), through the cache.
    func currentValue(of secretId: String) async throws -> Data {
        let answer = await self.fetch(AgentQuery(secretId: secretId))
        guard answer.status == 200, let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            let code = ((try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any])?["__type"] as? String
            throw RenderTarget.Invalid(description: "\(AgentConfiguration.printable(secretId)): HTTP \(answer.status) \(code ?? "")")
        }
        if let string = object["SecretString"] as? String { return Data(string.utf8) }
        if let binary = object["SecretBinary"] as? String, let data = Data(base64Encoded: binary) { return data }
        throw RenderTarget.Invalid(description: "\(AgentConfiguration.printable(secretId)) has no value")
    }
}
