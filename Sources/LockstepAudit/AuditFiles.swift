import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The log's files outside the store (digests, segments, the JSON-lines copy): written so that a crash leaves the
/// old state or the new file whole, and read with a bound, since anyone who can write the directory controls them.
enum AuditFiles {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The longest line a JSON-lines file may hold (a record is at most a few hundred KB: request bodies are bounded).
    static let maximumLine = 8 << 20

    /// Writes `data` to `directory/name` via a temporary file, fsyncs it and the directory, then renames.
    static func writeDurably(_ data: Data, named name: String, in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = directory + "/" + name
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "can't create \(temporary)") }
        let written = data.withUnsafeBytes { Self.writeAll($0, to: descriptor) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(description: "can't write \(path)")
        }
        Self.sync(directory)
    }

    /// Appends `text` to the file at `path` (created with mode 0600), without syncing.
    static func append(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "can't open \(path)") }
        defer { close(descriptor) }
        var text = text
        guard text.withUTF8({ Self.writeAll(UnsafeRawBufferPointer($0), to: descriptor) }) else {
            throw Failure(description: "can't write \(path)")
        }
    }

    /// fsyncs a file or directory (best effort: a missing file has nothing to sync).
    static func sync(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// A file's contents, refusing files larger than `limit` bytes.
    static func read(_ path: String, limit: Int) throws -> Data {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes[.size] as? NSNumber, size.intValue <= limit else {
            throw Failure(description: "\(path) is larger than \(limit) bytes")
        }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Calls `body` with each line of the file (without its newline) and its number, from 1, holding one chunk and
    /// one line in memory, until `body` returns false.
    ///
    /// - Returns: the number of a line longer than ``maximumLine`` (where reading stopped), or nil.
    static func forEachLine(in path: String, _ body: (_ line: Substring, _ number: Int) -> Bool) throws -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "can't open \(path)") }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var number = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            // Only the new bytes can hold the next newline.
            var searched = pending.count
            pending.append(contentsOf: chunk)
            var start = 0
            while let newline = pending[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                number += 1
                if newline - start > Self.maximumLine { return number }
                guard body(String(decoding: pending[start..<newline], as: UTF8.self)[...], number) else { return nil }
                start = newline + 1
                searched = start
            }
            pending.removeFirst(start)
            if pending.count > Self.maximumLine { return number + 1 }
        }
        if !pending.isEmpty { _ = body(String(decoding: pending, as: UTF8.self)[...], number + 1) }
        return nil
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }
}
