public import Foundation

/// Finds a member name that appears twice in one JSON object, at any depth.
///
/// Parsers disagree on duplicates (first wins, last wins, error), so a request whose body names a member twice could
/// be read one way by the operation and another by the audit record. The server refuses such bodies before anything
/// reads them. This runs on every request: it works on the raw bytes, compares names as byte ranges, and allocates
/// nothing per member (two small stacks per call); a name containing escapes is compared after decoding them, so
/// `"Secret\u0049d"` and `"SecretId"` are the same name. Objects with many members are checked with a set instead
/// of pairwise, so a large body costs linear time.
///
/// Not a validator: malformed JSON is left to the decoder, which rejects it; the scanner only has to find every
/// duplicate in a document the decoder would accept, and it never reads out of bounds or loops on anything else.
public enum JSONDuplicateKeys {
    /// The first member name found twice in one object, decoded, or nil when there is none.
    public static func firstDuplicate(in body: some ContiguousBytes) -> String? {
        body.withUnsafeBytes { raw in
            var scanner = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            return scanner.run()
        }
    }

    /// Objects with more members than this are checked with a set rather than pairwise.
    static let pairwiseLimit = 16

    struct Name {
        /// The bytes between the quotes, as sent.
        var start: Int
        var end: Int
        var escaped: Bool
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        /// Names of the objects open at this point, innermost last; `frames` holds where each object's names start
        /// (or -1 for an array).
        var names: [Name] = []
        var frames: [Int] = []

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func run() -> String? {
            var index = 0
            var expectName = false
            let count = self.bytes.count
            while index < count {
                let byte = self.bytes[index]
                switch byte {
                case UInt8(ascii: "{"):
                    if self.frames.isEmpty {
                        self.names.reserveCapacity(8)
                        self.frames.reserveCapacity(4)
                    }
                    self.frames.append(self.names.count)
                    expectName = true
                case UInt8(ascii: "["):
                    self.frames.append(-1)
                    expectName = false
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if let duplicate = self.close() { return duplicate }
                    expectName = false
                case UInt8(ascii: ","):
                    expectName = (self.frames.last ?? -1) >= 0
                case UInt8(ascii: ":"):
                    expectName = false
                case UInt8(ascii: "\""):
                    let start = index + 1
                    var end = start
                    var escaped = false
                    while end < count, self.bytes[end] != UInt8(ascii: "\"") {
                        if self.bytes[end] == UInt8(ascii: "\\") {
                            escaped = true
                            end += 1
                        }
                        end += 1
                    }
                    if expectName, (self.frames.last ?? -1) >= 0 {
                        self.names.append(Name(start: start, end: min(end, count), escaped: escaped))
                        expectName = false
                    }
                    index = end
                default:
                    break
                }
                index += 1
            }
            // Unclosed objects (malformed, but check them anyway).
            while !self.frames.isEmpty {
                if let duplicate = self.close() { return duplicate }
            }
            return nil
        }

        /// Pops the innermost container; for an object, compares its names.
        mutating func close() -> String? {
            guard let first = self.frames.popLast() else { return nil }
            guard first >= 0 else { return nil }
            defer { self.names.removeSubrange(first...) }
            let members = first..<self.names.count
            guard members.count > 1 else { return nil }
            if members.count <= JSONDuplicateKeys.pairwiseLimit {
                for a in members {
                    for b in members where b > a {
                        if self.same(self.names[a], self.names[b]) { return self.text(self.names[a]) }
                    }
                }
                return nil
            }
            var seen = Set<[UInt8]>(minimumCapacity: members.count)
            for index in members where !seen.insert(self.decoded(self.names[index])).inserted {
                return self.text(self.names[index])
            }
            return nil
        }

        func same(_ a: Name, _ b: Name) -> Bool {
            if !a.escaped, !b.escaped {
                guard a.end - a.start == b.end - b.start else { return false }
                return UnsafeBufferPointer(rebasing: self.bytes[a.start..<a.end]).elementsEqual(self.bytes[b.start..<b.end])
            }
            return self.decoded(a) == self.decoded(b)
        }

        func text(_ name: Name) -> String { String(decoding: self.decoded(name), as: UTF8.self) }

        /// The name with its escapes decoded (`\uXXXX` including surrogate pairs, as UTF-8).
        func decoded(_ name: Name) -> [UInt8] {
            let raw = self.bytes[name.start..<name.end]
            guard name.escaped else { return Array(raw) }
            var result: [UInt8] = []
            result.reserveCapacity(raw.count)
            var index = name.start
            func hex4(at position: Int) -> UInt32? {
                guard position + 4 <= name.end else { return nil }
                var value: UInt32 = 0
                for offset in 0..<4 {
                    guard let nibble = Hex.nibble(self.bytes[position + offset]) else { return nil }
                    value = value << 4 | UInt32(nibble)
                }
                return value
            }
            while index < name.end {
                let byte = self.bytes[index]
                guard byte == UInt8(ascii: "\\"), index + 1 < name.end else {
                    result.append(byte)
                    index += 1
                    continue
                }
                let escape = self.bytes[index + 1]
                index += 2
                switch escape {
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4(at: index) else {
                        result.append(contentsOf: [UInt8(ascii: "\\"), escape])
                        continue
                    }
                    index += 4
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < name.end, self.bytes[index] == UInt8(ascii: "\\"),
                        self.bytes[index + 1] == UInt8(ascii: "u"), let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low)
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    result.append(contentsOf: Unicode.Scalar(scalar).map { Array(String($0).utf8) } ?? [0xEF, 0xBF, 0xBD])
                default:
                    // `\"`, `\\`, `\/` and anything unknown (the decoder rejects the latter).
                    result.append(escape)
                }
            }
            return result
        }
    }
}
