/// IAM's wildcard patterns: `*` matches any run of characters (including none), `?` exactly one.
///
/// Compiled once per policy: a pattern without wildcards is a plain comparison, and matching works on UTF-8 bytes
/// with the classic linear two-pointer algorithm (no backtracking explosion on `*a*a*a*`). A pattern can also be
/// built from pieces, some of which match literally: a policy variable's value, or `${*}` (a literal `*`).
public struct WildcardPattern: Sendable, Hashable {
    /// A part of a pattern: `wildcards` text gives `*` and `?` their meaning, `literal` text matches as written.
    public enum Piece: Sendable, Hashable {
        case wildcards(String)
        case literal(String)
    }

    /// Bytes 0...255, or one of the two wildcard tokens.
    private let tokens: [UInt16]
    private static let anyRun: UInt16 = 0x100
    private static let anyOne: UInt16 = 0x101
    /// The bytes to compare when there is no wildcard (the common case: a plain comparison).
    private let plain: [UInt8]?
    private let caseInsensitive: Bool
    public let text: String
    /// True for `*` alone: matches everything.
    public let matchesEverything: Bool

    public init(_ pattern: String, caseInsensitive: Bool = false) {
        self.init(pieces: [.wildcards(pattern)], caseInsensitive: caseInsensitive)
    }

    public init(pieces: [Piece], caseInsensitive: Bool = false) {
        var tokens: [UInt16] = []
        var text = ""
        for piece in pieces {
            switch piece {
            case .wildcards(let pattern):
                text += pattern
                for byte in (caseInsensitive ? pattern.lowercased() : pattern).utf8 {
                    switch byte {
                    case UInt8(ascii: "*"): tokens.append(Self.anyRun)
                    case UInt8(ascii: "?"): tokens.append(Self.anyOne)
                    default: tokens.append(UInt16(byte))
                    }
                }
            case .literal(let value):
                text += value
                tokens += (caseInsensitive ? value.lowercased() : value).utf8.map(UInt16.init)
            }
        }
        self.tokens = tokens
        self.text = text
        self.caseInsensitive = caseInsensitive
        self.plain = tokens.allSatisfy { $0 < 0x100 } ? tokens.map { UInt8($0) } : nil
        self.matchesEverything = tokens == [Self.anyRun]
    }

    /// - Parameters:
    ///   - candidate: the value to match.
    ///   - lowercased: the caller already lower-cased `candidate` (the evaluator does so once per request).
    public func matches(_ candidate: String, lowercased: Bool = false) -> Bool {
        if self.matchesEverything { return true }
        let subject: String = self.caseInsensitive && !lowercased ? candidate.lowercased() : candidate
        if let plain = self.plain { return plain.elementsEqual(subject.utf8) }
        return subject.utf8.withContiguousStorageIfAvailable { Self.match(self.tokens, $0) } ?? Self.match(self.tokens, Array(subject.utf8))
    }

    private static func match<C: RandomAccessCollection>(_ pattern: [UInt16], _ text: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var p = 0
        var t = text.startIndex
        var star = -1
        var resume = t
        while t < text.endIndex {
            if p < pattern.count, pattern[p] == Self.anyOne || pattern[p] == UInt16(text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == Self.anyRun {
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
        while p < pattern.count, pattern[p] == Self.anyRun { p += 1 }
        return p == pattern.count
    }
}
