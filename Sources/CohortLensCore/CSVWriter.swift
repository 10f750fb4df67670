/// Writing CSV (RFC 4180) that `Table.read` reads back to the same cells.
public enum CSVWriter {
  /// `field` quoted when it contains a comma, a quote, CR or LF, or starts/ends with a space or tab
  /// (so that trimming readers keep it); quotes inside are doubled. O(length).
  public static func field(_ field: String) -> String {
    var needsQuotes = false
    for b in field.utf8 where b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 0x0A || b == 0x0D {
      needsQuotes = true
      break
    }
    if let f = field.utf8.first, f == 0x20 || f == 0x09 { needsQuotes = true }
    if let l = field.utf8.last, l == 0x20 || l == 0x09 { needsQuotes = true }
    guard needsQuotes else { return field }
    var out = "\""
    for ch in field.unicodeScalars {
      if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
    }
    return out + "\""
  }

  /// One record: fields joined by commas, terminated by `\n`. A record consisting of one empty
  /// field is written as `""` so that readers do not skip it as a blank line.
  public static func line(_ fields: [String]) -> String {
    if fields.count == 1 && fields[0].isEmpty { return "\"\"\n" }
    return fields.map(field).joined(separator: ",") + "\n"
  }

  /// A whole file: the header line, then one line per row. Rows should have `header.count` fields.
  public static func render(header: [String], rows: [[String]]) -> String {
    var out = line(header)
    for row in rows { out += line(row) }
    return out
  }
}
