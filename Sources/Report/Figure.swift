import CohortLensCore

/// A table of already-formatted cells for the report: a plot's "numbers beneath" or any data table.
///
/// Numeric columns (every non-empty cell looks like a number, an `a/b` count, a percentage, or one
/// of the undefined markers `undefined`, `—`, `n/a`, `nan`) are right-aligned with tabular figures
/// unless `numericColumns` says otherwise. Cells are escaped when rendered. The cells listed in
/// `undefinedCells` (value cells, not the first column, which labels the row) are shown in the
/// muted italic "undefined" style; no cell is styled for what its text says, so a group called
/// `undefined`, `inf` or `—` looks like any other name.
public struct DataTable: Sendable, Equatable {
  /// A cell's position: 0-based row of `rows` and column.
  public struct CellIndex: Sendable, Hashable {
    public var row: Int
    public var column: Int
    public init(row: Int, column: Int) {
      self.row = row
      self.column = column
    }
  }

  /// Shown above the table (`<caption>`).
  public var caption: String?
  /// Column headers.
  public var headers: [String]
  /// Rows of cells; short rows are padded with empty cells.
  public var rows: [[String]]
  /// Explicit per-column numeric flags; `nil` = detect from the cells.
  public var numericColumns: [Bool]?
  /// The value cells that hold an undefined value (a rate with a zero denominator, a bin without
  /// members…), rendered in the "undefined" style; see ``undefined(_:)`` to build rows with them.
  public var undefinedCells: Set<CellIndex>

  public init(caption: String? = nil, headers: [String], rows: [[String]], numericColumns: [Bool]? = nil,
              undefinedCells: Set<CellIndex> = []) {
    self.caption = caption
    self.headers = headers
    self.rows = rows
    self.numericColumns = numericColumns
    self.undefinedCells = undefinedCells
  }

  /// A table whose cells are given as ``Cell``s: rows of text with the undefined ones marked
  /// (``undefinedCells``).
  public init(caption: String? = nil, headers: [String], cells: [[Cell]], numericColumns: [Bool]? = nil) {
    var undefined = Set<CellIndex>()
    for (r, row) in cells.enumerated() {
      for (c, cell) in row.enumerated() where cell.isUndefined { undefined.insert(CellIndex(row: r, column: c)) }
    }
    self.init(caption: caption, headers: headers, rows: cells.map { $0.map(\.text) }, numericColumns: numericColumns,
              undefinedCells: undefined)
  }

  /// A cell's text and whether it stands for an undefined value.
  public struct Cell: Sendable, Equatable, ExpressibleByStringLiteral {
    public var text: String
    public var isUndefined: Bool
    public init(_ text: String, undefined: Bool = false) {
      self.text = text
      self.isUndefined = undefined
    }
    public init(stringLiteral value: String) { self.init(value) }
  }

  /// An undefined value's cell: `text` (e.g. `undefined: no positives`) marked as undefined.
  public static func undefined(_ text: String = "undefined") -> Cell { Cell(text, undefined: true) }

  /// A data table from a `TextTable` (title → caption, right-aligned columns → numeric).
  public init(_ table: TextTable) {
    caption = table.title
    headers = table.headers
    rows = table.rows
    numericColumns = table.alignments.isEmpty ? nil : (0..<table.headers.count).map {
      $0 < table.alignments.count && table.alignments[$0] == .right
    }
    undefinedCells = []
  }

  /// The same cells as a `TextTable` (numeric columns right-aligned), e.g. to write them as CSV
  /// next to the report with `renderCSV()`.
  public var textTable: TextTable {
    TextTable(title: caption, headers: headers,
              alignments: (0..<columnCount).map { isNumeric(column: $0) ? .right : .left }, rows: rows)
  }

  /// Number of columns (the widest of headers and rows).
  public var columnCount: Int { rows.reduce(headers.count) { max($0, $1.count) } }

  /// Whether column `c` is right-aligned.
  public func isNumeric(column c: Int) -> Bool {
    if let numericColumns { return c < numericColumns.count && numericColumns[c] }
    var sawNumber = false
    for row in rows where c < row.count {
      let cell = row[c]
      if cell.isEmpty { continue }
      if Self.undefinedMarkers.contains(cell.lowercased()) { continue }
      if !Self.looksNumeric(cell) { return false }
      sawNumber = true
    }
    return sawNumber
  }

  static let undefinedMarkers: Set<String> = ["undefined", "—", "-", "n/a", "nan", "na", "inf", "-inf"]

  /// `12`, `-0.5`, `1e-3`, `45%`, `12/40`, `0.81 [0.7, 0.9]`, `+0.12`, `−0.3`: the first token parses
  /// as a number after removing a trailing `%` and a leading `+`/`−`.
  static func looksNumeric(_ cell: String) -> Bool {
    var token = Substring(cell.split(separator: " ", maxSplits: 1).first ?? "")
    if token.hasPrefix("−") { token = token.dropFirst() } else if token.hasPrefix("+") { token = token.dropFirst() }
    if token.hasSuffix("%") { token = token.dropLast() }
    if token.hasSuffix(",") { token = token.dropLast() }
    if let slash = token.firstIndex(of: "/") {
      return Double(token[..<slash]) != nil && Double(token[token.index(after: slash)...]) != nil
    }
    return Double(token) != nil
  }
}

/// A rendered chart: the SVG, a title and caption, and the table of the numbers it draws.
///
/// `Figure`s come from the chart types (`ScatterChart`, `LineChart`, …) and are added to an
/// `HTMLDocument` section, which renders them as `<figure>` + `<figcaption>` + the numbers table.
public struct Figure: Sendable {
  /// Heading of the figure.
  public var title: String
  /// One or two sentences saying what the plot shows and how to read it.
  public var caption: String
  /// The plotted numbers, rendered beneath the plot (accessible and copyable).
  public var table: DataTable
  /// Extra notes rendered under the table (e.g. downsampling, undefined values).
  public var notes: [String]
  /// Width and height of the SVG viewBox.
  public let size: (width: Double, height: Double)
  /// SVG markup with `Figure.idToken` where the document-unique id prefix goes.
  let template: String
  /// Element counts by class name, for tests and summaries (e.g. `"bar"` → 5).
  public let counts: [String: Int]

  /// Placeholder for the figure id inside `template`. It contains U+E000, which
  /// `HTMLEscaping.escape` never lets through from data, so data cannot forge it.
  static let idToken = "\u{E000}fig"

  init(title: String, caption: String, table: DataTable, notes: [String] = [], width: Double, height: Double,
       body: SVGBuilder, defs: String = "", counts: [String: Int] = [:]) {
    self.title = title
    self.caption = caption
    self.table = table
    self.notes = notes
    self.size = (width, height)
    self.counts = counts
    let t = Self.idToken
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\""
    svg += " width=\"100%\" role=\"img\" aria-labelledby=\"\(t)--title \(t)--desc\""
    svg += " font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\">"
    svg += "<title id=\"\(t)--title\">\(HTMLEscaping.escape(title))</title>"
    svg += "<desc id=\"\(t)--desc\">\(HTMLEscaping.escape(caption))</desc>"
    if !defs.isEmpty { svg += "<defs>\(defs)</defs>" }
    svg += body.body
    svg += "</svg>"
    template = svg
  }

  /// The `<svg>` element with ids prefixed by `id` (which must be a slug, see `HTMLEscaping.slug`).
  public func svg(id: String) -> String {
    template.replacing(Self.idToken, with: HTMLEscaping.escape(id))
  }
}
