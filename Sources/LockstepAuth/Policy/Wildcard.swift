/// IAM's wildcard patterns: `*` matches any run of characters (including none), `?` exactly one.
///
/// Compiled once per policy: a pattern without wildcards is a plain comparison, and matching works on UTF-8 bytes
/// with the classic linear two-pointer algorithm (no backtracking explosion on `*a*a*a*`).
public struct WildcardPattern: Sendable, Hashable {
    private let bytes: [UInt8]
    private let caseInsensitive: Bool
    private let hasWildcards: Bool
    public let text: String
    /// True for `*` alone: matches everything.
    public let matchesEverything: Bool

    public init(_ pattern: String, caseInsensitive: Bool = false) {
        self.text = pattern
        self.caseInsensitive = caseInsensitive
        self.bytes = caseInsensitive ? Array(pattern.lowercased().utf8) : Array(pattern.utf8)
        self.hasWildcards = pattern.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }
        self.matchesEverything = pattern == "*"
    }

    /// - Parameters:
    ///   - candidate: the value to match.
    ///   - lowercased: the caller already lower-cased `candidate` (the evaluator does so once per request).
    public func matches(_ candidate: String, lowercased: Bool = false) -> Bool {
        if self.matchesEverything { return true }
        let subject: String = self.caseInsensitive && !lowercased ? candidate.lowercased() : candidate
        if !self.hasWildcards { return self.bytes.elementsEqual(subject.utf8) }
        return subject.utf8.withContiguousStorageIfAvailable { Self.match(self.bytes, $0) } ?? Self.match(self.bytes, Array(subject.utf8))
    }

    private static func match<C: RandomAccessCollection>(_ pattern: [UInt8], _ text: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var p = 0
        var t = text.startIndex
        var star = -1
        var resume = t
        while t < text.endIndex {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
