/// How an account logs in, as far as setting its password goes: it decides whether the statement can carry a hash.
enum AuthenticationPlugin: Equatable {
    /// `mysql_native_password` (or no password yet): the hash is ``PasswordHash/nativePassword(_:)``.
    case nativePassword
    /// MariaDB's `ed25519`: a hash exists for 32-byte passwords (``PasswordHash/ed25519(_:)``).
    case ed25519
    /// Any other plugin, or several methods (`IDENTIFIED VIA a OR b`): only the plaintext form is safe.
    case other

    /// From the `plugin` column of `mysql.user`.
    init(pluginName: String) {
        switch pluginName {
        case "", "mysql_native_password": self = .nativePassword
        case "ed25519": self = .ed25519
        default: self = .other
        }
    }

    /// From `SHOW CREATE USER CURRENT_USER()`, which any account may run about itself (the `mysql` tables it may not
    /// read). The account name is skipped by its quoting, so a name containing "IDENTIFIED" cannot mislead.
    init(showCreateUser statement: String) {
        guard let afterName = Self.skipAccountName(statement[...]) else {
            self = .other
            return
        }
        if !afterName.hasPrefix(" IDENTIFIED") {
            self = .nativePassword
        } else if afterName.prefixMatch(of: Self.singleNative) != nil {
            self = .nativePassword
        } else if afterName.prefixMatch(of: Self.singleEd25519) != nil {
            self = .ed25519
        } else {
            self = .other
        }
    }

    /// The plugin names in `SHOW CREATE USER` text, for messages (`["mysql_native_password"]`, `["unix_socket",
    /// "mysql_native_password"]`); empty when the account has no authentication clause (no password). Only the names
    /// are taken: the `USING` hashes are never returned.
    static func pluginNames(showCreateUser statement: String) -> [String] {
        guard let afterName = Self.skipAccountName(statement[...]), afterName.hasPrefix(" IDENTIFIED") else { return [] }
        if afterName.hasPrefix(" IDENTIFIED BY PASSWORD") { return ["mysql_native_password"] }
        return afterName.matches(of: #/(?: VIA| OR) ([A-Za-z0-9_]+)/#).map { String($0.output.1) }
    }

    private static var singleNative: Regex<Substring> {
        #/ IDENTIFIED (?:BY PASSWORD|VIA mysql_native_password USING) '\*[0-9A-F]{40}'(?! OR )/#
    }
    private static var singleEd25519: Regex<Substring> {
        #/ IDENTIFIED VIA ed25519 USING '[A-Za-z0-9+\/]{43}'(?! OR )/#
    }

    /// `CREATE USER `u`@`h`` → what follows the account name; nil if the text has another shape.
    private static func skipAccountName(_ text: Substring) -> Substring? {
        let prefix = "CREATE USER "
        guard text.hasPrefix(prefix), let afterUser = skipQuoted(text.dropFirst(prefix.count)),
            afterUser.first == "@"
        else { return nil }
        return skipQuoted(afterUser.dropFirst())
    }

    /// Skips one backtick- or single-quoted token (the quote doubled inside), returning the rest.
    private static func skipQuoted(_ text: Substring) -> Substring? {
        guard let quote = text.first, quote == "`" || quote == "'" else { return nil }
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            if text[index] == quote {
                let next = text.index(after: index)
                guard next < text.endIndex, text[next] == quote else { return text[next...] }
                index = text.index(after: next)
            } else {
                index = text.index(after: index)
            }
        }
        return nil
    }
}
