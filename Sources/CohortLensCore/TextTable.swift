/// A small table of already-formatted cells that renders as aligned text, CSV, Markdown or JSON.
///
/// Cells are strings: format numbers first (`NumberFormatting.fixed` for `.table`/`.markdown`,
/// `NumberFormatting.roundTrip` for `.csv`). Rendering is O(cells); widths are measured in
/// `Character`s (grapheme clusters).
public struct TextTable: Sendable, Equatable {
  /// Horizontal alignment of a column in the text and Markdown renderings.
  public enum Alignment: Sendable, Equatable {
    /// Pad on the right (text).
    case left
    /// Pad on the left (numbers).
    case right
  }

  /// Optional title, printed above the text table, as a `**bold**` line in Markdown, and as
  /// `"title"` in JSON. Not part of CSV.
  public var title: String?
  /// Column headers; their count sets the number of columns (longer rows add columns).
  public var headers: [String]
  /// Per-column alignment; columns beyond `alignments.count` are left-aligned.
  public var alignments: [Alignment]
  /// Rows of cells; short rows are padded with empty cells.
  public var rows: [[String]]
  /// Notes printed below the text and Markdown tables. Not part of CSV.
  public var footnotes: [String]

  public init(title: String? = nil, headers: [String], alignments: [Alignment] = [], rows: [[String]] = [],
              footnotes: [String] = []) {
    self.title = title
    self.headers = headers
    self.alignments = alignments
    self.rows = rows
    self.footnotes = footnotes
  }

  /// Appends a row.
  public mutating func append(_ row: [String]) { rows.append(row) }

  /// Renders in `format` (`.json` gives `jsonValue().serialized()`); the result ends with a newline.
  public func render(_ format: OutputFormat) -> String {
    switch format {
    case .table: return renderText()
    case .csv: return renderCSV()
    case .markdown: return renderMarkdown()
    case .json: return jsonValue().serialized() + "\n"
    }
  }

  private var columnCount: Int { max(headers.count, rows.map(\.count).max() ?? 0) }

  private func cell(_ row: [String], _ j: Int) -> String { j < row.count ? row[j] : "" }

  private func alignment(_ j: Int) -> Alignment { j < alignments.count ? alignments[j] : .left }

  /// The widest cell of the aligned text rendering, in characters: a longer cell (or header) is cut to
  /// this width, ending in `…`, and the table says so in a last footnote (``shortenedNote``). CSV,
  /// JSON and Markdown keep every cell whole.
  public static let cellWidthLimit = 60

  /// The footnote of an aligned text table with a shortened cell.
  public static let shortenedNote =
    "Cells longer than \(cellWidthLimit) characters are shortened (…); --format csv or json shows them whole."

  /// Columns separated by two spaces, a dashed rule under the header, no trailing spaces.
  /// Control characters in cells (a newline in a quoted CSV field, a tab) are shown escaped as
  /// `\n`, `\r`, `\t` or `\xHH`, so every row stays on one line and the columns stay aligned.
  /// A cell or header longer than ``cellWidthLimit`` characters is cut to that width (its last
  /// character `…`), and ``shortenedNote`` is added below the footnotes; a table with a huge cell
  /// stays small. O(cells × ``cellWidthLimit``) plus the escaping of the cells kept.
  public func renderText() -> String {
    let n = columnCount
    var shortened = false
    func shown(_ text: String) -> String {
      let (cell, cut) = Self.shortenedCell(text)
      if cut { shortened = true }
      return cell
    }
    let all = ([headers] + rows).map { $0.map(shown) }
    var widths = [Int](repeating: 0, count: n)
    for row in all {
      for j in 0..<n { widths[j] = max(widths[j], cell(row, j).count) }
    }
    func format(_ row: [String]) -> String {
      var parts: [String] = []
      for j in 0..<n {
        let c = cell(row, j)
        let pad = String(repeating: " ", count: widths[j] - c.count)
        parts.append(alignment(j) == .right ? pad + c : c + pad)
      }
      var line = parts.joined(separator: "  ")
      while line.last == " " { line.removeLast() }
      return line + "\n"
    }
    var out = ""
    if let title { out += title + "\n\n" }
    out += format(all[0])
    out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
    for row in all.dropFirst() { out += format(row) }
    let notes = footnotes + (shortened ? [Self.shortenedNote] : [])
    if !notes.isEmpty {
      out += "\n"
      for note in notes { out += note + "\n" }
    }
    return out
  }

  /// A cell as the aligned text shows it: control characters escaped (``visibleControls(_:keepingLinesAndTabs:)``),
  /// then cut to ``cellWidthLimit`` characters with `…` as the last one; and whether it was cut. Only the
  /// first few hundred scalars of a long cell are looked at.
  static func shortenedCell(_ text: String) -> (String, Bool) {
    let limit = cellWidthLimit
    // Escaping at most doubles a scalar's width (`\n`) or makes it 4 wide (`\xHH`); a character is at
    // least one scalar: limit × 8 scalars always cover the shown part of the cell.
    var head = text
    var cut = false  // by the scalar cap
    let cap = limit * 8
    if let end = text.unicodeScalars.index(text.unicodeScalars.startIndex, offsetBy: cap, limitedBy: text.unicodeScalars.endIndex),
       end != text.unicodeScalars.endIndex {
      head = String(text.unicodeScalars[..<end])
      cut = true
    }
    let shown = visibleControls(head)
    guard cut || shown.count > limit else { return (shown, false) }
    return (String(shown.prefix(limit - 1)) + "…", true)
  }

  /// `text` with its control characters made visible: a line break (LF, CRLF) as `\n`, a lone CR
  /// as `\r`, a tab as `\t`, other C0 controls and DEL as `\xHH`; everything else unchanged.
  /// With `keepingLinesAndTabs`, LF and tab are left as they are (a multi-line message) and CR is
  /// shown as `\x0D`. O(length); the text itself when it holds no control character.
  public static func visibleControls(_ text: String, keepingLinesAndTabs: Bool = false) -> String {
    func kept(_ u: Unicode.Scalar) -> Bool { keepingLinesAndTabs && (u == "\n" || u == "\t") }
    guard text.unicodeScalars.contains(where: { ($0.value < 0x20 || $0.value == 0x7F) && !kept($0) }) else { return text }
    var out = String.UnicodeScalarView()
    let scalars = Array(text.unicodeScalars)
    for (i, u) in scalars.enumerated() {
      if kept(u) {
        out.append(u)
        continue
      }
      switch (u, keepingLinesAndTabs) {
      case ("\n", false): if i == 0 || scalars[i - 1] != "\r" { out.append(contentsOf: "\\n".unicodeScalars) }
      case ("\r", false): out.append(contentsOf: (i + 1 < scalars.count && scalars[i + 1] == "\n" ? "\\n" : "\\r").unicodeScalars)
      case ("\t", false): out.append(contentsOf: "\\t".unicodeScalars)
      default:
        if u.value < 0x20 || u.value == 0x7F {
          let hex = String(u.value, radix: 16, uppercase: true)
          out.append(contentsOf: ("\\x" + (hex.count < 2 ? "0" : "") + hex).unicodeScalars)
        } else {
          out.append(u)
        }
      }
    }
    return String(out)
  }

  /// `text` escaped for a GitHub-flavoured Markdown table cell: `|`, `\\`, `*`, `` ` `` and `~`
  /// always; `_` unless it sits between two letters or digits (where it cannot start emphasis, so
  /// `age_band` stays readable); `<` before a letter, `/`, `!` or `?` (raw HTML, autolinks); `[`
  /// when the cell holds `](` (an inline link). Other text (`55<=`, `[0.40, 0.60]`) is unchanged.
  public static func markdownEscaped(_ text: String) -> String {
    // Most cells (numbers, plain names) hold none of the characters that need a look: return them as they are.
    guard text.utf8.contains(where: { b in
      b == UInt8(ascii: "|") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "*") || b == UInt8(ascii: "`")
        || b == UInt8(ascii: "~") || b == UInt8(ascii: "_") || b == UInt8(ascii: "<") || b == UInt8(ascii: "[")
    }) else { return text }
    let scalars = Array(text.unicodeScalars)
    let linkLike = text.contains("](")
    func isWordy(_ i: Int) -> Bool {
      i >= 0 && i < scalars.count && (scalars[i].properties.isAlphabetic || scalars[i].properties.numericType != nil)
    }
    var out = String.UnicodeScalarView()
    for (i, u) in scalars.enumerated() {
      var escape = false
      switch u {
      case "|", "\\", "*", "`", "~": escape = true
      case "_": escape = !(isWordy(i - 1) && isWordy(i + 1))
      case "<":
        if i + 1 < scalars.count {
          let next = scalars[i + 1]
          escape = next.properties.isAlphabetic || next == "/" || next == "!" || next == "?"
        }
      case "[": escape = linkLike
      default: break
      }
      if escape { out.append("\\") }
      out.append(u)
    }
    return String(out)
  }

  /// RFC 4180 CSV of the header and rows (see `CSVWriter`).
  public func renderCSV() -> String {
    let n = columnCount
    return CSVWriter.render(header: (0..<n).map { cell(headers, $0) },
                            rows: rows.map { r in (0..<n).map { cell(r, $0) } })
  }

  /// A pipe table; `|` in cells is escaped as `\|`, newlines become `<br>`, and the inline syntax
  /// a cell's text could trigger is backslash-escaped (see ``markdownEscaped(_:)``), so a group
  /// named `*B*_x_` or `<b>` shows as written.
  public func renderMarkdown() -> String {
    let n = columnCount
    func escape(_ s: String) -> String {
      let e = Self.markdownEscaped(s)
      guard e.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return e }
      return e.replacingAll("\r\n", with: "<br>").replacingAll("\n", with: "<br>").replacingAll("\r", with: "<br>")
    }
    func format(_ row: [String]) -> String {
      "| " + (0..<n).map { escape(cell(row, $0)) }.joined(separator: " | ") + " |\n"
    }
    var out = ""
    if let title { out += "**\(escape(title))**\n\n" }
    out += format(headers)
    out += "|" + (0..<n).map { alignment($0) == .right ? " ---: |" : " --- |" }.joined() + "\n"
    for row in rows { out += format(row) }
    if !footnotes.isEmpty {
      out += "\n"
      for note in footnotes { out += note + "\n" }
    }
    return out
  }

  /// `{"title": …, "columns": [...], "rows": [{header: cell, …}, …], "footnotes": [...]}`
  /// (`title`/`footnotes` only when present; cells stay strings).
  public func jsonValue() -> JSONValue {
    let n = columnCount
    let names = (0..<n).map { j in j < headers.count ? headers[j] : "column\(j + 1)" }
    var object: [(String, JSONValue)] = []
    if let title { object.append(("title", .string(title))) }
    object.append(("columns", .array(names.map { .string($0) })))
    object.append(("rows", .array(rows.map { r in .object((0..<n).map { (names[$0], .string(cell(r, $0))) }) })))
    if !footnotes.isEmpty { object.append(("footnotes", .array(footnotes.map { .string($0) }))) }
    return .object(object)
  }
}

extension String {
  /// Every occurrence of `target` replaced (Foundation-free).
  func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty, contains(target) else { return self }
    return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
