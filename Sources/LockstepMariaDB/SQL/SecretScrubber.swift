/// Removes passwords and password hashes from text that may echo a statement: server error messages quote the SQL
/// near a syntax error, and a statement setting a password carries the password or its hash.
///
/// Three layers, so that a miss in one is caught by another: the exact secrets the failing call used, the quoted
/// literal after `IDENTIFIED`, `PASSWORD` or `USING` (and any `near '…'` fragment), and anything shaped like a
/// `mysql_native_password` hash.
enum SecretScrubber {
    static let redacted = "<redacted>"

    static func scrub(_ text: String, secrets: [String] = []) -> String {
        var text = text
        for secret in secrets where !secret.isEmpty {
            text = text.replacing(secret, with: Self.redacted)
        }
        text = text.replacing(Self.nearFragment) { match in "near \(Self.redacted) at line \(match.output.1)" }
        text = text.replacing(Self.quotedAfterKeyword) { match in "\(match.output.1)'\(Self.redacted)'" }
        text = text.replacing(Self.nativeHash) { _ in "*\(Self.redacted)" }
        return text
    }

    /// A syntax error's echo of the statement: `near 'SET PASSWORD = …' at line 1`.
    private static var nearFragment: Regex<(Substring, Substring)> { #/near '.*' at line (\d+)/#.dotMatchesNewlines() }
    /// `IDENTIFIED BY 'pw'`, `IDENTIFIED BY PASSWORD '*…'`, `PASSWORD('pw')`, `SET PASSWORD = '…'`, `USING '…'`; an
    /// unterminated literal (a truncated message) is removed to the end.
    private static var quotedAfterKeyword: Regex<(Substring, Substring)> {
        #/(?i)(\b(?:IDENTIFIED|PASSWORD|USING)\b[^']{0,80})'(?:[^'\\]|\\.|'')*(?:'|$)/#.dotMatchesNewlines()
    }
    /// A `mysql_native_password` hash anywhere.
    private static var nativeHash: Regex<Substring> { #/\*[0-9A-Fa-f]{40}/# }
}
