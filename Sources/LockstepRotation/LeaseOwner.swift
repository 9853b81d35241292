import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A runner's lease identity, `host:pid:random:pidns`, and the one question asked of it: is that runner a process
/// of this machine that has died?
///
/// A killed `lockstep serve` leaves its leases behind, and they would block its rotations until they expire
/// (`--rotation-lease`, 120 s by default). A starting process frees at once the leases of owners that are provably
/// dead: same host name *and* same PID namespace (the inode of `/proc/self/ns/pid`: containers sharing the host's
/// name and a store still have namespaces of their own), and `kill(pid, 0)` answers ESRCH.
///
/// The check only ever errs towards waiting. A recycled pid (another process took the dead runner's number) looks
/// alive, so that lease simply runs out as before; a runner in another namespace, on another host, or without a
/// readable namespace (non-Linux) is never judged. Owners in the older `host:pid:random` form carry no namespace
/// and are left to expire too.
public struct LeaseOwner: Sendable, Hashable {
    public var host: String
    public var pid: Int32
    public var namespace: String

    /// Parses an owner string; nil when it isn't one of ours (tests use names like "runner-a").
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, let pid = Int32(parts[1]), pid > 0, !parts[3].isEmpty else { return nil }
        self.host = String(parts[0])
        self.pid = pid
        self.namespace = String(parts[3])
    }

    /// This process's owner string, with a fresh random part.
    public static func makeForThisProcess() -> String {
        var generator = SystemRandomNumberGenerator()
        let suffix = String(generator.next() as UInt32, radix: 16)
        return "\(ProcessInfo.processInfo.hostName):\(getpid()):\(suffix):\(Self.currentNamespace ?? "-")"
    }

    /// True only when the owner ran on this host, in this PID namespace, is not this process, and its pid is gone.
    public var isDeadLocalProcess: Bool {
        guard let namespace = Self.currentNamespace, self.namespace == namespace,
            self.host == ProcessInfo.processInfo.hostName, self.pid != getpid()
        else { return false }
        return kill(self.pid, 0) != 0 && errno == ESRCH
    }

    /// The inode number of this process's PID namespace (`/proc/self/ns/pid` reads `pid:[4026531836]`), nil where
    /// there is none to read.
    static let currentNamespace: String? = {
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"),
            let open = link.firstIndex(of: "["), let close = link.lastIndex(of: "]"), open < close
        else { return nil }
        let inode = link[link.index(after: open)..<close]
        return inode.allSatisfy(\.isNumber) && !inode.isEmpty ? String(inode) : nil
    }()
}
