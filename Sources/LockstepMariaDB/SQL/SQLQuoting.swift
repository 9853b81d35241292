/// How statements quote what they embed. Rotation SQL (CREATE USER, GRANT, SET PASSWORD) cannot use bind
/// parameters, so every name and literal goes through here.
struct SQLQuoting {
    /// Quotes a string literal, quotes included. On a connection this is `mysql_real_escape_string`, which knows the
    /// connection's character set and `NO_BACKSLASH_ESCAPES`.
    var literal: (String) -> String

    /// Quotes an identifier (database, table, column, routine, role) in backticks, doubling any backtick inside.
    func identifier(_ name: String) -> String {
        "`" + name.replacing("`", with: "``") + "`"
    }

    /// An account name, `'user'@'host'`: both parts are string literals in MariaDB's account syntax.
    func account(_ user: String, _ host: String) -> String {
        self.literal(user) + "@" + self.literal(host)
    }
}

extension SQLQuoting {
    /// A quoting that needs no connection: doubles single quotes and escapes backslashes and control bytes as the
    /// server's default mode (no `NO_BACKSLASH_ESCAPES`) reads them. For tests of the statement builders.
    static var standalone: SQLQuoting {
        SQLQuoting { text in
            var quoted = "'"
            for character in text.unicodeScalars {
                switch character {
                case "'": quoted += "''"
                case "\\": quoted += "\\\\"
                case "\0": quoted += "\\0"
                case "\n": quoted += "\\n"
                case "\r": quoted += "\\r"
                case "\u{1A}": quoted += "\\Z"
                default: quoted.unicodeScalars.append(character)
                }
            }
            return quoted + "'"
        }
    }
}
