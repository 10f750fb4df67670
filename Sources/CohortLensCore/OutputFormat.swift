/// The report formats every CohortLens command can produce (`--format`).
public enum OutputFormat: String, CaseIterable, Sendable {
  /// Aligned plain text for a terminal (numbers with fixed decimals).
  case table
  /// RFC 4180 CSV, numbers in round-trip precision.
  case csv
  /// JSON (pretty-printed, 2-space indent), numbers in round-trip precision.
  case json
  /// A GitHub-flavoured Markdown pipe table.
  case markdown

  /// Parses a `--format` value, ignoring the case of ASCII letters only; `md` is accepted for `markdown`.
  /// - Throws: `UsageError` listing the valid formats.
  public static func parse(_ text: String) throws -> OutputFormat {
    // Only ASCII letters fold (a Kelvin sign is not a 'k'), as the CLI reads every keyword.
    let t = MessageText.asciiLowercased(text)
    if let f = OutputFormat(rawValue: t) { return f }
    if t == "md" { return .markdown }
    throw UsageError("unknown format '\(text)'",
                     hint: "use one of " + allCases.map(\.rawValue).joined(separator: ", "))
  }
}
