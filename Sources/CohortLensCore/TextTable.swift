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

  /// Columns separated by two spaces, a dashed rule under the header, no trailing spaces.
  public func renderText() -> String {
    let n = columnCount
    let all = [headers] + rows
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
    out += format(headers)
    out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
    for row in rows { out += format(row) }
    if !footnotes.isEmpty {
      out += "\n"
      for note in footnotes { out += note + "\n" }
    }
    return out
  }

  /// RFC 4180 CSV of the header and rows (see `CSVWriter`).
  public func renderCSV() -> String {
    let n = columnCount
    return CSVWriter.render(header: (0..<n).map { cell(headers, $0) },
                            rows: rows.map { r in (0..<n).map { cell(r, $0) } })
  }

  /// A pipe table; `|` in cells is escaped as `\|` and newlines become `<br>`.
  public func renderMarkdown() -> String {
    let n = columnCount
    func escape(_ s: String) -> String {
      s.replacingAll("|", with: "\\|").replacingAll("\r\n", with: "<br>").replacingAll("\n", with: "<br>")
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
