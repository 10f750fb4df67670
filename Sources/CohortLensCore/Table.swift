#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A CSV file held in memory, typed lazily, column by column.
///
/// # CohortLensCore
///
/// The foundation module of CohortLens: everything between a file on disk and a number in a model,
/// and between a result and a file on disk.
///
/// - **Input.** `Table.read(path:options:)` loads a whole CSV file (RFC 4180: quoted fields with
///   embedded delimiters, quotes and newlines; UTF-8 with optional BOM; LF or CRLF; a header row)
///   with a byte-level state machine. Cells stay byte ranges into the file buffer until a column is
///   asked for as `strings`, `numbers`, `ids` or a `numericMatrix`. Missing cells (empty, or one of
///   pandas' default missing tokens such as `NA`, `NULL`, `NaN`, `None`: ``defaultMissingTokens``) are
///   reported as `nil`, never as 0. Numbers are converted bit-identically to
///   C `strtod` (`DecimalParser`). `Table.join` performs an inner join on id columns.
///   `summaries(columns:)` types and summarises columns (counts, min, max, compensated mean) in one
///   block-parallel pass; `read(path:options:digest: true)` also fingerprints the file (`sha256`) on a
///   background thread while it is read and tokenised.
/// - **Errors.** Every failure is a `CohortLensError` with an exit status; `InputError` carries
///   `file:line:column` (physical line, character column of the field) and a hint how to fix it.
/// - **Output.** `OutputFormat`, `TextTable` (aligned text, CSV, Markdown), `JSONValue` (ordered,
///   round-trip doubles), `CSVWriter`, `NumberFormatting`, `AtomicFile` (temp file + fsync + rename)
///   and `SHA256` (input fingerprints in reports).
///
/// Storage: the file bytes, one 8-byte `CellRef` per cell (row-major) and one `RowOrigin` per row
/// (its physical line, for error messages). Reading is O(file size); a column conversion is
/// O(rows). `Table` is an immutable-by-default value type and `Sendable`; derived tables
/// (`selecting`, `join`) share the file buffers.
public struct Table: Sendable {
  /// Cell texts that mean "missing" by default: pandas' default `na_values` (`STR_NA_VALUES`, pandas 2
  /// and 3): the empty cell, `#N/A`, `#N/A N/A`, `#NA`, `-1.#IND`, `-1.#QNAN`, `-NaN`, `-nan`, `1.#IND`,
  /// `1.#QNAN`, `<NA>`, `N/A`, `NA`, `NULL`, `NaN`, `None`, `n/a`, `nan`, `null`.
  /// Matched exactly (case-sensitive) after trimming ASCII spaces and tabs (pandas does not trim).
  public static let defaultMissingTokens: [String] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
  ]

  struct Source: Sendable {
    var path: String
    var bytes: [UInt8]
    /// SHA-256 of `bytes`, being computed in the background (only when read with `digest: true`).
    var digest: SHA256.PendingDigest? = nil
    /// 1-based physical line of the header row (blank lines before it are skipped).
    var headerLine: Int = 1
    /// Where the header record starts (for ``Table/headerLocation(column:)``).
    var headerOrigin: RowOrigin
  }

  /// The table's name: the file stem (`grades` for `data/grades.csv`). Used to prefix clashing
  /// column names in `join`.
  public let name: String
  /// Column names from the header row, in file order.
  public let columnNames: [String]
  /// Number of data rows (the header is not counted).
  public let rowCount: Int

  var sources: [Source]
  var columnSource: [Int]
  /// The header field of each column in its source's bytes (for ``headerLocation(column:)``).
  var headerCells: [CellRef]
  var cells: [CellRef]
  var origins: [[RowOrigin]]
  var missingTokens: [[UInt8]]
  /// `columnNames` hashed for lookups by name (shared by tables with the same columns).
  let lookup: ColumnLookup

  /// Number of columns.
  public var columnCount: Int { columnNames.count }
  /// The path of the (first) file the table was read from, as used in error messages.
  public var path: String { sources[0].path }
  /// 1-based line of the header row in ``path`` (1 unless blank lines precede it), used to
  /// locate errors about column names or about the table as a whole.
  public var headerLine: Int { sources[0].headerLine }

  /// Throws `file:1: the file has a header but no data rows` (with `hint`) when the table has no rows.
  public func requireDataRows(hint: String = "add one row per learner below the header") throws {
    guard rowCount == 0 else { return }
    throw InputError(file: path, line: headerLine, message: "the file has a header but no data rows", hint: hint)
  }

  // MARK: Reading

  /// Reads and tokenises the CSV file at `path` (whole file into memory with `read(2)`).
  ///
  /// Format: RFC 4180 with a required header row; UTF-8 with an optional BOM; records end at LF,
  /// CRLF, a bare CR or end of file; blank lines (empty, or only spaces and tabs other than the
  /// delimiter) are skipped, also before the header; a header may name a column twice (selecting that
  /// name is then an error, see ``columnIndex(_:byPosition:)``); a field starting with `"` is
  /// quoted and may contain the delimiter, line breaks and `""` (a literal quote); a `"` inside an
  /// unquoted field is literal. A cell is *missing* when, trimmed of ASCII spaces and tabs, it is
  /// empty or one of `options.missingTokens` (quoted or not).
  ///
  /// - Throws: `InputError` if the file cannot be read, is empty, has an unbalanced quote, a ragged
  ///   row (field count differs from the header) or a non-UTF-8 header.
  /// - Complexity: O(file size).
  public static func read(path: String, options: CSVOptions = CSVOptions()) throws -> Table {
    let bytes = try FileIO.readAll(path: path)
    return try parse(bytes: bytes, name: path, options: options)
  }

  /// `read(path:options:)`, also fingerprinting the file: with `digest: true` the SHA-256 of the
  /// bytes read is computed on a background thread while the file is tokenised (and while the
  /// caller goes on to convert columns), so the file is read once and hashing costs little wall
  /// time on a machine with a spare core. Get the result from ``sha256``.
  /// - Throws: as `read(path:options:)`.
  public static func read(path: String, options: CSVOptions = CSVOptions(), digest: Bool) throws -> Table {
    guard digest else { return try read(path: path, options: options) }
    let hasher = SHA256.BackgroundHasher()
    let pending = hasher.pending
    let bytes = try FileIO.readAll(path: path, hasher: hasher)
    var table = try parse(bytes: bytes, name: path, options: options)
    table.sources[0].digest = pending
    return table
  }

  /// Lower-case hexadecimal SHA-256 of the file the table was read from (the first file, for a
  /// joined table), or `nil` unless it was read with `read(path:options:digest: true)`.
  /// Waits for the background computation if it has not finished yet.
  public var sha256: String? {
    sources[0].digest?.hex
  }

  /// Tokenises CSV `bytes`; `name` is the path used in error messages (its stem becomes `Table.name`).
  /// - Throws: `InputError` as for `read(path:options:)`; `UsageError` for an invalid delimiter.
  public static func parse(bytes: [UInt8], name: String, options: CSVOptions = CSVOptions()) throws -> Table {
    let parsed = try CSVTokenizer.parse(bytes, path: name, options: options)
    return Table(
      name: FileIO.stem(of: name), columnNames: parsed.header, rowCount: parsed.origins.count,
      sources: [Source(path: name, bytes: bytes, headerLine: parsed.headerLine, headerOrigin: parsed.headerOrigin)],
      columnSource: Array(repeating: 0, count: parsed.header.count), headerCells: parsed.headerCells,
      cells: parsed.cells, origins: [parsed.origins],
      missingTokens: options.missingTokens.map { Array($0.utf8) })
  }

  /// Builds a table from strings (`nil` = missing) by writing them as CSV and reading that back,
  /// so it behaves exactly like a file (a literal `NA` cell reads as missing). `name` is used as the
  /// file name in errors. Every row must have `columnNames.count` cells.
  public init(name: String, columnNames: [String], rows: [[String?]]) throws {
    var text = CSVWriter.line(columnNames)
    for row in rows { text += CSVWriter.line(row.map { $0 ?? "" }) }
    self = try Table.parse(bytes: Array(text.utf8), name: name)
  }

  init(name: String, columnNames: [String], rowCount: Int, sources: [Source], columnSource: [Int],
       headerCells: [CellRef], cells: [CellRef], origins: [[RowOrigin]], missingTokens: [[UInt8]],
       lookup: ColumnLookup? = nil) {
    self.name = name
    self.columnNames = columnNames
    self.lookup = lookup ?? ColumnLookup(columnNames)
    self.rowCount = rowCount
    self.sources = sources
    self.columnSource = columnSource
    self.headerCells = headerCells
    self.cells = cells
    self.origins = origins
    self.missingTokens = missingTokens
  }

  // MARK: Columns

  /// The index of the column called `name`: the header written exactly so; else the header equal to it
  /// as a `String` (canonical equivalence); else the header equal to it once blanks (spaces and tabs)
  /// around both are ignored, so that `--columns x0` selects a header written ` x0 ` (command-line lists are
  /// trimmed; headers are kept as written); else, for `#N` (with `byPosition`), the N-th column.
  ///
  /// A header may be written twice (a file is read whatever its header holds, as pandas reads it), but a
  /// name that several columns answer to cannot select one of them.
  /// - Throws: `InputError` at the header when several headers have the name (naming their positions and
  ///   suggesting to select one as `#N`), or when none has it: listing the available columns (the first 50),
  ///   suggesting the closest name (see ``closest(to:in:)``).
  /// - Complexity: O(name length) expected when found; O(columns × name length²) on failure.
  public func columnIndex(_ name: String, byPosition: Bool = true) throws -> Int {
    switch resolution(of: name, byPosition: byPosition) {
    case .found(let j):
      return j
    case .ambiguous(let matches, let byBlanks):
      let shown = matches.prefix(5).map { "'#\($0 + 1)'" }
      let positions = shown.count == 2 ? shown.joined(separator: " or ")
        : shown.joined(separator: ", ") + (matches.count > 5 ? ", …" : "")
      let listed = matches.prefix(5).map { "#\($0 + 1) \(MessageText.quoted(columnNames[$0]))" }.joined(separator: ", ")
        + (matches.count > 5 ? ", …" : "")
      if byBlanks {
        throw InputError(file: path, line: headerLine,
          message: "column name \(MessageText.quoted(name)) matches \(matches.count) columns once the blanks around names are ignored: \(listed)",
          hint: "select one by its position (\(positions)), or rename the columns in the header so that they differ by more than surrounding blanks",
          subject: name)
      }
      throw InputError(file: path, line: headerLine,
        message: "column name \(MessageText.quoted(name)) is the name of \(matches.count) columns: \(listed)",
        hint: "select one by its position (\(positions)), or rename the columns in the header", subject: name)
    case .none:
      var hint = "available columns: " + listedColumns()
      if let suggestion = Table.closest(to: name, in: columnNames) {
        hint = "did you mean \(MessageText.quoted(suggestion))? " + hint
      }
      throw InputError(file: path, line: headerLine, message: "no column named \(MessageText.quoted(name))", hint: hint,
                       subject: name)
    }
  }

  /// The column `name` selects, without throwing: as ``columnIndex(_:byPosition:)`` finds it (the header
  /// written exactly so, else one canonically equal to it, else the one header equal to it once the blanks
  /// around both are ignored, else, for `#N` with 1 ≤ N ≤ ``columnCount``, the N-th column (1-based; for a
  /// column without a name, such as the index column pandas writes with an empty header, or one whose name
  /// another column has too)); `nil` when none or several match (``columnIndex(_:)`` says which).
  /// O(name length) expected.
  ///
  /// `byPosition: false` leaves `#N` out, for names that must be headers (a model file's feature names).
  public func findColumn(_ name: String, byPosition: Bool = true) -> Int? {
    if case .found(let j) = resolution(of: name, byPosition: byPosition) { return j }
    return nil
  }

  /// The column `name` selects as ``columnIndex(_:byPosition:)`` finds it, or `nil` when there is none.
  /// - Throws: the `InputError` of ``columnIndex(_:byPosition:)`` when several columns have the name.
  public func columnIndexIfPresent(_ name: String, byPosition: Bool = true) throws -> Int? {
    if case .none = resolution(of: name, byPosition: byPosition) { return nil }
    return try columnIndex(name, byPosition: byPosition)
  }

  /// What `name` selects: one column, several (`byBlanks`: only once blanks are ignored), or none.
  enum Resolution: Equatable {
    case found(Int)
    case ambiguous([Int], byBlanks: Bool)
    case none
  }

  func resolution(of name: String, byPosition: Bool) -> Resolution {
    if let e = lookup.exact[ExactText(name)] { return e.count == 1 ? .found(e[0]) : .ambiguous(e, byBlanks: false) }
    if let c = lookup.canonical[name] { return c.count == 1 ? .found(c[0]) : .ambiguous(c, byBlanks: false) }
    let key = Table.trimmedBlanks(name)
    if let t = lookup.trimmed[key] { return t.count == 1 ? .found(t[0]) : .ambiguous(t, byBlanks: true) }
    if byPosition, let k = Table.position(key), k <= columnCount { return .found(k - 1) }
    return .none
  }

  /// The columns of the header for a message: each as ``listedName(ofColumn:)``, the first 50, then how many
  /// more there are.
  public func listedColumns() -> String {
    let shown = (0..<Swift.min(columnCount, 50)).map { listedName(ofColumn: $0) }.joined(separator: ", ")
    return columnCount > 50 ? shown + ", … (\(columnCount - 50) more)" : shown
  }

  /// N for a column reference `#N` (N ≥ 1, ASCII digits only), else `nil`.
  static func position(_ name: String) -> Int? {
    guard name.hasPrefix("#"), name.count > 1, name.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }),
          let k = Int(name.dropFirst()), k >= 1 else { return nil }
    return k
  }

  /// Whether column `j` has no name of its own: its header is empty or blank, or written exactly so by
  /// another column too. Such a column is selected, and shown in results, as `#N`.
  public func isUnnamed(column j: Int) -> Bool {
    lookup.duplicated[j] || Table.trimmedBlanks(columnNames[j]).isEmpty
  }

  /// Whether the header of column `j` is written exactly so by another column too (`id,a,b,a`).
  public func hasDuplicatedName(column j: Int) -> Bool { lookup.duplicated[j] }

  /// The name by which column `j` is selected and shown in results: its header, or `#N` when the header
  /// is empty (or blank) or another column has the same header.
  public func displayName(ofColumn j: Int) -> String {
    isUnnamed(column: j) ? "#\(j + 1)" : columnNames[j]
  }

  /// Column `j` as messages list it: `'name'` (see ``MessageText``), `#N (no name)`, or `#N 'name'` when
  /// another column has the same header.
  public func listedName(ofColumn j: Int) -> String {
    if Table.trimmedBlanks(columnNames[j]).isEmpty { return "#\(j + 1) (no name)" }
    return lookup.duplicated[j] ? "#\(j + 1) \(MessageText.quoted(columnNames[j]))" : MessageText.quoted(columnNames[j])
  }

  /// `name` without the blanks around it: spaces (Unicode category Zs) and tabs, as command-line lists are
  /// trimmed.
  public static func trimmedBlanks<S: StringProtocol>(_ name: S) -> String {
    func isBlank(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
    let scalars = Substring(name).unicodeScalars
    guard let first = scalars.firstIndex(where: { !isBlank($0) }) else { return "" }
    let last = scalars.lastIndex(where: { !isBlank($0) })!
    return String(Substring(scalars[first...last]))
  }

  /// The cells of `column` as text, `nil` for missing cells. Present text is kept exactly as written
  /// (no trimming; `""` inside quotes decoded to `"`).
  /// - Throws: `InputError` (with location) for an unknown column or a cell that is not valid UTF-8.
  /// - Complexity: O(rows + bytes of the column).
  public func strings(_ column: String) throws -> [String?] {
    try strings(at: columnIndex(column))
  }

  /// `strings(_:)` by column index (`0 ..< columnCount`).
  public func strings(at column: Int) throws -> [String?] {
    precondition(column >= 0 && column < columnCount, "column index out of range")
    let s = columnSource[column]
    return try sources[s].bytes.withUnsafeBufferPointer { buf in
      var out: [String?] = []
      out.reserveCapacity(rowCount)
      for r in 0..<rowCount {
        let cell = cells[r * columnCount + column]
        if isMissing(cell, in: buf) {
          out.append(nil)
          continue
        }
        guard let text = Table.decode(cell, in: buf) else {
          throw notUTF8Error(row: r, column: column, in: buf)
        }
        out.append(text)
      }
      return out
    }
  }

  /// The cells of `column` as numbers, `nil` for missing cells.
  ///
  /// Leading/trailing ASCII spaces and tabs are ignored. Syntax and rounding follow `DecimalParser`
  /// (bit-identical to `strtod`). Non-finite values (`inf`, `-inf`, `Infinity`, or overflow such as
  /// `1e999`) are rejected: models in CohortLens need finite inputs; `NaN`/`nan` are missing tokens.
  /// - Throws: `InputError` `file:line:column: column 'x' row N: 'abc' is not a number` with the hint of
  ///   `hints` (the caller knows what fixes the cell: the default suits a feature table read with `--columns`).
  /// - Complexity: O(rows + bytes of the column).
  public func numbers(_ column: String, hints: NumberHints = .featureTable) throws -> [Double?] {
    try numbers(at: columnIndex(column), hints: hints)
  }

  /// `numbers(_:)` by column index (`0 ..< columnCount`).
  public func numbers(at column: Int, hints: NumberHints = .featureTable) throws -> [Double?] {
    precondition(column >= 0 && column < columnCount, "column index out of range")
    let s = columnSource[column]
    return try sources[s].bytes.withUnsafeBufferPointer { buf in
      var out = [Double?](repeating: nil, count: rowCount)
      let cc = columnCount
      for r in 0..<rowCount {
        out[r] = try Table.fastNumber(cells[r * cc + column], in: buf)
          ?? number(row: r, column: column, in: buf, hints: hints)
      }
      return out
    }
  }

  /// How to fix a cell that should hold a number: the hints of the two errors of ``numbers(_:hints:)``.
  /// The caller supplies them, since what fixes a cell depends on what the column is (a feature column can be
  /// left out with `--columns`, an entry of a precomputed matrix cannot be missing, a series value can).
  public struct NumberHints: Sendable, Equatable {
    /// Appended to `'abc' is not a number`.
    public var notANumber: String
    /// Appended to `'inf' is not a finite number`.
    public var notFinite: String

    public init(notANumber: String, notFinite: String) {
      self.notANumber = notANumber
      self.notFinite = notFinite
    }

    /// For a column chosen with `--columns` (a feature table): fix the cell or leave the column out; a
    /// non-finite value can also be marked missing.
    public static let featureTable = NumberHints(
      notANumber: "fix the cell or exclude the column with --columns",
      notFinite: "replace it with a finite value or mark it missing (empty or NA)")
  }

  /// Several columns as numbers at once: `numbers(at: c)` for each `c` of `columns`, in that order.
  ///
  /// Reads row by row: the cells of one row are adjacent in the file, so this is one sequential
  /// pass over it instead of one strided pass per column (for a 25-column, 4 MB series file the
  /// per-column passes stalled on a cache miss at nearly every cell). Values are identical to
  /// `numbers(at:)`; of several bad cells the first in file order is reported.
  /// - Complexity: O(rows × columns.count + bytes of those columns).
  public func numbers(at columns: [Int], hints: NumberHints = .featureTable) throws -> [[Double?]] {
    for c in columns { precondition(c >= 0 && c < columnCount, "column index out of range") }
    var out = columns.map { _ in [Double?](repeating: nil, count: rowCount) }
    let cc = columnCount
    // Columns grouped by source buffer (a table built by joining has more than one).
    for s in Set(columns.map { columnSource[$0] }).sorted() {
      let mine = columns.indices.filter { columnSource[columns[$0]] == s }
      try sources[s].bytes.withUnsafeBufferPointer { buf in
        for r in 0..<rowCount {
          for k in mine {
            let column = columns[k]
            out[k][r] = try Table.fastNumber(cells[r * cc + column], in: buf)
              ?? number(row: r, column: column, in: buf, hints: hints)
          }
        }
      }
    }
    return out
  }

  /// What to do with rows that have a missing value in a selected column.
  public enum MissingPolicy: String, Sendable, CaseIterable {
    /// Throw an `InputError` naming the first (up to 5) such rows, with the caller's hint.
    case error
    /// Leave such rows out; `NumericMatrix.keptRows` says which rows remain.
    case drop
  }

  /// Several numeric columns as one dense row-major matrix.
  ///
  /// - Parameters:
  ///   - columns: column names, in the order of the matrix columns.
  ///   - missing: `.error` (default) or `.drop`.
  ///   - missingHint: how to fix missing values, appended to the `.error` message (the default names
  ///     the `--columns` and `--drop-missing` options of the commands that have them).
  ///   - hints: how to fix a non-numeric or non-finite cell (see ``numbers(_:hints:)``).
  /// - Throws: `InputError` for an unknown column, a non-numeric or non-finite cell (see `numbers`),
  ///   or (with `.error`) missing values.
  /// - Complexity: O(rows × columns).
  public func numericMatrix(
    columns: [String], missing: MissingPolicy = .error,
    missingHint: String = "fill the cells, exclude the columns with --columns, or skip these rows with --drop-missing",
    hints: NumberHints = .featureTable
  ) throws -> NumericMatrix {
    let indices = try columns.map { try columnIndex($0) }
    let k = indices.count
    let cc = columnCount
    var kept: [Int] = []
    kept.reserveCapacity(rowCount)
    var missingRows: [(row: Int, column: Int)] = []
    var missingCount = 0
    let sourceOf = indices.map { columnSource[$0] }
    let values = try withSourceBuffers { buffers in
      try cells.withUnsafeBufferPointer { cp in
        // Rows are written at `w`; a row with a missing value is overwritten by the next row.
        try [Double](unsafeUninitializedCapacity: rowCount * k) { out, count in
          var w = 0
          for r in 0..<rowCount {
            var rowMissing = -1
            let base = r * cc
            for m in 0..<k {
              let j = indices[m]
              let buf = buffers[sourceOf[m]]
              let v = try Table.fastNumber(cp[base + j], in: buf) ?? number(row: r, column: j, in: buf, hints: hints)
              (out.baseAddress! + (w * k + m)).initialize(to: v ?? .nan)
              if v == nil && rowMissing < 0 { rowMissing = j }
            }
            if rowMissing >= 0 {
              missingCount += 1
              if missingRows.count < 5 { missingRows.append((r, rowMissing)) }
            } else {
              kept.append(r)
              w += 1
            }
          }
          count = w * k
        }
      }
    }
    if missing == .error, let first = missingRows.first {
      let list = missingRows.map { m -> String in
        let record = origins[columnSource[m.column]][m.row].record
        return "row \(record) (line \(location(row: m.row, column: m.column).line), column \(MessageText.quoted(displayName(ofColumn: m.column))))"
      }.joined(separator: ", ")
      let more = missingCount > missingRows.count ? ", …" : ""
      throw InputError(
        table: self, row: first.row, column: first.column,
        message: "\(missingCount) row\(missingCount == 1 ? " has" : "s have") missing values: \(list)\(more)",
        hint: missingHint)
    }
    return NumericMatrix(columnNames: columns, rowCount: kept.count, values: values, keptRows: kept)
  }

  /// The cells of `column` as identifiers, exactly as written (no trimming, `""` decoded to `"`).
  ///
  /// - Throws: `InputError` with location for a missing id (empty or a missing token), invalid UTF-8,
  ///   or a duplicate id (naming the id and both line numbers).
  /// - Complexity: O(rows) expected (hashing).
  public func ids(_ column: String) throws -> [String] {
    try ids(at: columnIndex(column))
  }

  /// `ids(_:)` by column index (`0 ..< columnCount`).
  public func ids(at column: Int) throws -> [String] {
    let values = try strings(at: column)
    try requireNoNUL(ids: values, column: column)
    // Ids are told apart exactly as written (code points, as pandas): 'Amélie' precomposed and
    // decomposed are two ids, not a duplicate.
    var seen: [ExactText: Int] = [:]
    seen.reserveCapacity(rowCount)
    var out: [String] = []
    out.reserveCapacity(rowCount)
    let buffer = sources[columnSource[column]].bytes
    for (r, v) in values.enumerated() {
      guard let v else {
        throw buffer.withUnsafeBufferPointer {
          error(row: r, column: column, in: $0, message: "missing id",
                hint: "every row needs an id; fill the cell or remove the row")
        }
      }
      if let previous = seen.updateValue(r, forKey: ExactText(v)) {
        let (l1, l2) = buffer.withUnsafeBufferPointer {
          (location(row: previous, column: column, in: $0), location(row: r, column: column, in: $0))
        }
        throw InputError(
          file: sources[columnSource[column]].path, line: l2.line, column: l2.column,
          message: "duplicate id \(MessageText.quoted(v)) in column \(MessageText.quoted(displayName(ofColumn: column))) (lines \(l1.line) and \(l2.line))",
          hint: "ids must be unique; remove or rename one of the rows")
      }
      out.append(v)
    }
    return out
  }

  /// Refuses an id (a cell of `values`, the text of `column`) that holds a NUL byte (U+0000). Such a byte is
  /// no part of an id but of a damaged export; printed, it would end the id early in C tools and vanish on a
  /// terminal, and JSON would write it `\u0000`. pandas keeps it as part of the id (`'4\x00'`): a
  /// deliberate difference, the same for every command that reads ids.
  /// - Throws: `InputError` located at the first such cell. O(bytes of the column).
  public func requireNoNUL(ids values: [String?], column: Int) throws {
    guard let r = values.firstIndex(where: { $0?.utf8.contains(0) == true }), let v = values[r] else { return }
    let count = values.filter { $0?.utf8.contains(0) == true }.count
    let path = sources[columnSource[column]].path
    let fixed = path.hasSuffix(".csv") ? String(path.dropLast(4)) + ".fixed.csv" : path + ".fixed"
    throw sources[columnSource[column]].bytes.withUnsafeBufferPointer {
      error(row: r, column: column, in: $0,
            message: "id \(MessageText.quoted(v)) holds a NUL byte\(count > 1 ? " (\(count) ids do)" : ""): the file is probably damaged",
            hint: "delete the NUL bytes (tr -d '\\000' < \(MessageText.shellWord(path)) > \(MessageText.shellWord(fixed))) and check the ids")
    }
  }

  // MARK: Column typing

  /// Type and missing count of `column`; used by `cohortlens inspect`.
  /// - Complexity: O(rows + bytes of the column).
  public func profile(_ column: String) throws -> ColumnProfile {
    try profile(at: columnIndex(column))
  }

  /// `profile(_:)` by column index: the type and counts of `summary(at:)` (one pass, one
  /// classification rule for every caller).
  public func profile(at column: Int) -> ColumnProfile {
    summary(at: column).profile
  }

  /// The inferred type of `column`: `.numeric` if every present cell is a finite number, `.empty`
  /// if every cell is missing (or there are no rows), `.text` otherwise.
  ///
  /// - Precondition: `column` is one of `columnNames` (validate user input with `columnIndex`).
  /// - Complexity: O(rows + bytes of the column).
  public func inferType(_ column: String) -> ColumnType {
    guard let j = findColumn(column) else {
      preconditionFailure("inferType: no column named \(MessageText.quoted(column)); validate names with columnIndex(_:)")
    }
    return profile(at: j).type
  }

  /// `inferType(_:)` by column index (`0 ..< columnCount`).
  public func inferType(at column: Int) -> ColumnType {
    profile(at: column).type
  }

  /// Profiles of all columns, in column order.
  public func profiles() -> [ColumnProfile] {
    summaries().map(\.profile)
  }

  // MARK: Numeric summaries

  /// Rows per block of `summaries(columns:)`: fixed (not derived from the number of threads), so
  /// the blocks, and therefore the results, are the same on every machine.
  static let summaryBlockRows = 16_384

  /// Type, counts and numeric statistics of `column` in one pass over its cells (each cell is
  /// parsed once); see `ColumnSummary`.
  /// - Complexity: O(rows + bytes of the column).
  public func summary(_ column: String) throws -> ColumnSummary {
    try summary(at: columnIndex(column))
  }

  /// `summary(_:)` by column index (`0 ..< columnCount`).
  public func summary(at column: Int) -> ColumnSummary {
    summaries(columns: [column])[0]
  }

  /// `summary(at:)` for each of `columns` (default: every column, in column order), computed in a
  /// single pass over the rows.
  ///
  /// The rows are cut into fixed blocks of 16,384 that run concurrently
  /// (`DispatchQueue.concurrentPerform`); each block accumulates every requested column and the
  /// block results are combined in row order, so the output is deterministic — independent of the
  /// number of cores and of scheduling. A cell is numeric iff it parses as a finite number, else
  /// missing iff it is a missing token, else text; values match `numbers(at:)` bit for bit.
  /// - Precondition: every index is in `0 ..< columnCount`.
  /// - Complexity: O(rows × columns.count + bytes of those columns) work, spread over the cores.
  public func summaries(columns: [Int]? = nil) -> [ColumnSummary] {
    let indices = columns ?? Array(0..<columnCount)
    for j in indices { precondition(j >= 0 && j < columnCount, "column index out of range") }
    let k = indices.count
    let blockRows = Table.summaryBlockRows
    let blocks = (rowCount + blockRows - 1) / blockRows
    var partial = [SummaryAccumulator](repeating: SummaryAccumulator(), count: Swift.max(1, blocks) * k)
    if k > 0 && blocks > 0 {
      let sourceOf = indices.map { columnSource[$0] }
      let cc = columnCount
      let rows = rowCount
      withSourceBuffers { buffers in
        cells.withUnsafeBufferPointer { cp in
          partial.withUnsafeMutableBufferPointer { acc in
            // Each block writes only its own `k` accumulators; the buffers are read-only.
            nonisolated(unsafe) let out = acc
            nonisolated(unsafe) let buffers = buffers
            nonisolated(unsafe) let cp = cp
            let work: @Sendable (Int) -> Void = { b in
              let lo = b * blockRows
              let hi = Swift.min(rows, lo + blockRows)
              let a = out.baseAddress! + b * k
              for r in lo..<hi {
                let base = r * cc
                for m in 0..<k {
                  let j = indices[m]
                  let buf = buffers[sourceOf[m]]
                  let cell = cp[base + j]
                  if let v = Table.fastNumber(cell, in: buf) {
                    a[m].add(v)
                    continue
                  }
                  let v = Table.withTrimmed(cell, in: buf) { t -> Double? in DecimalParser.parse(t) }
                  if let v, v.isFinite {
                    a[m].add(v)
                  } else if isMissing(cell, in: buf) {
                    a[m].missing += 1
                  } else if a[m].firstTextRow < 0 {
                    a[m].firstTextRow = r
                  }
                }
              }
            }
            if blocks == 1 {
              work(0)
            } else {
              DispatchQueue.concurrentPerform(iterations: blocks, execute: work)
            }
          }
        }
      }
    }
    var result: [ColumnSummary] = []
    result.reserveCapacity(k)
    for m in 0..<k {
      var total = SummaryAccumulator()
      for b in 0..<blocks { total.merge(partial[b * k + m]) }
      let j = indices[m]
      var firstText: String? = nil
      if total.firstTextRow >= 0 {
        firstText = sources[columnSource[j]].bytes.withUnsafeBufferPointer {
          Table.displayText(cells[total.firstTextRow * columnCount + j], in: $0)
        }
      }
      let type: ColumnType = firstText != nil ? .text : (total.missing == rowCount ? .empty : .numeric)
      let n = total.numeric
      let profile = ColumnProfile(
        name: columnNames[j], type: type, missingCount: total.missing, presentCount: rowCount - total.missing,
        numericCount: n, firstNonNumeric: firstText, firstNonNumericRow: firstText != nil ? total.firstTextRow : nil)
      result.append(ColumnSummary(
        profile: profile, min: n > 0 ? total.lo : nil, max: n > 0 ? total.hi : nil,
        mean: n > 0 ? (total.sum + total.compensation) / Double(n) : nil))
    }
    return result
  }

  // MARK: Deriving tables

  /// The rows at `rows` (indices into this table, in the given order; repeats allowed).
  /// - Complexity: O(rows.count × columns).
  public func selecting(rows: [Int]) -> Table {
    var newCells: [CellRef] = []
    newCells.reserveCapacity(rows.count * columnCount)
    for r in rows {
      precondition(r >= 0 && r < rowCount, "row index \(r) out of range 0..<\(rowCount)")
      let base = r * columnCount
      newCells.append(contentsOf: cells[base ..< base + columnCount])
    }
    let newOrigins = origins.map { o in rows.map { o[$0] } }
    return Table(name: name, columnNames: columnNames, rowCount: rows.count, sources: sources,
                 columnSource: columnSource, headerCells: headerCells, cells: newCells, origins: newOrigins,
                 missingTokens: missingTokens, lookup: lookup)
  }

  /// The columns called `columns`, in that order.
  /// - Throws: `InputError` for an unknown column (see `columnIndex`).
  /// - Complexity: O(rows × columns.count).
  public func selecting(columns: [String]) throws -> Table {
    let idx = try columns.map { try columnIndex($0) }
    var newCells: [CellRef] = []
    newCells.reserveCapacity(rowCount * idx.count)
    for r in 0..<rowCount {
      for j in idx { newCells.append(cells[r * columnCount + j]) }
    }
    return Table(name: name, columnNames: idx.map { columnNames[$0] }, rowCount: rowCount,
                 sources: sources, columnSource: idx.map { columnSource[$0] },
                 headerCells: idx.map { headerCells[$0] }, cells: newCells,
                 origins: origins, missingTokens: missingTokens)
  }

  /// The result of `Table.join`.
  public struct JoinResult: Sendable {
    /// Matched rows, in the order of the left table.
    public var table: Table
    /// Ids of the left table without a partner on the right, in left order.
    public var unmatchedLeft: [String]
    /// Ids of the right table without a partner on the left, in right order.
    public var unmatchedRight: [String]
  }

  /// Inner join of `left` and `right` on `left[leftId] == right[rightId]` (exact equality of the
  /// ids as written: Unicode scalars, no normalisation, as pandas; see ``ExactText``).
  ///
  /// The result has the left columns (the id column keeps the name `leftId`) followed by the right
  /// columns except `rightId`. Non-id columns present on both sides are kept twice, renamed
  /// `<left.name>.<column>` and `<right.name>.<column>` (`left.` / `right.` when both tables have
  /// the same name); a right column named like `leftId` becomes `<right.name>.<column>`.
  /// Missing tokens of the left table apply to the whole result.
  /// - Throws: `InputError` for unknown id columns, missing or duplicate ids on either side, or when
  ///   a renamed column of one side has the name of a column of the other (a name written twice in
  ///   one file is kept twice).
  /// - Complexity: O(left.rowCount + right.rowCount) expected, plus O(matches × columns).
  public static func join(_ left: Table, _ right: Table, leftId: String, rightId: String) throws -> JoinResult {
    let li = try left.columnIndex(leftId)
    let ri = try right.columnIndex(rightId)
    let leftIds = try left.ids(at: li)
    let rightIds = try right.ids(at: ri)
    var rightRow: [ExactText: Int] = [:]
    rightRow.reserveCapacity(rightIds.count)
    for (r, id) in rightIds.enumerated() { rightRow[ExactText(id)] = r }

    var pairs: [(Int, Int)] = []
    var unmatchedLeft: [String] = []
    var matchedRight = [Bool](repeating: false, count: rightIds.count)
    for (l, id) in leftIds.enumerated() {
      if let r = rightRow[ExactText(id)] {
        pairs.append((l, r))
        matchedRight[r] = true
      } else {
        unmatchedLeft.append(id)
      }
    }
    let unmatchedRight = rightIds.indices.filter { !matchedRight[$0] }.map { rightIds[$0] }

    // Column names.
    let rightColumns = (0..<right.columnCount).filter { $0 != ri }
    let leftOther = Set(left.columnNames.indices.filter { $0 != li }.map { left.columnNames[$0] })
    let rightOther = Set(rightColumns.map { right.columnNames[$0] })
    let clash = leftOther.intersection(rightOther)
    let (lp, rp) = left.name == right.name ? ("left.", "right.") : (left.name + ".", right.name + ".")
    var names = left.columnNames.enumerated().map { j, n in j != li && clash.contains(n) ? lp + n : n }
    names += rightColumns.map { j -> String in
      let n = right.columnNames[j]
      return clash.contains(n) || n == leftId ? rp + n : n
    }
    // A name written twice in one file stays so (selecting it is an error naming both); one file's
    // column renamed onto the other's is refused.
    let leftNames = Set(names[..<left.columnCount])
    if let n = names[left.columnCount...].first(where: { leftNames.contains($0) }) {
      throw InputError(file: right.path, line: right.headerLine,
                       message: "joined tables would have two columns named \(MessageText.quoted(n))",
                       hint: "rename the column in one of the files")
    }

    let sourceShift = left.sources.count
    let columnSource = left.columnSource + rightColumns.map { right.columnSource[$0] + sourceShift }
    var cells: [CellRef] = []
    cells.reserveCapacity(pairs.count * names.count)
    for (l, r) in pairs {
      let lb = l * left.columnCount
      cells.append(contentsOf: left.cells[lb ..< lb + left.columnCount])
      let rb = r * right.columnCount
      for j in rightColumns { cells.append(right.cells[rb + j]) }
    }
    let origins = left.origins.map { o in pairs.map { o[$0.0] } }
      + right.origins.map { o in pairs.map { o[$0.1] } }
    let table = Table(name: left.name, columnNames: names, rowCount: pairs.count,
                      sources: left.sources + right.sources, columnSource: columnSource,
                      headerCells: left.headerCells + rightColumns.map { right.headerCells[$0] }, cells: cells,
                      origins: origins, missingTokens: left.missingTokens)
    return JoinResult(table: table, unmatchedLeft: unmatchedLeft, unmatchedRight: unmatchedRight)
  }

  // MARK: Locations

  /// File, 1-based physical line and 1-based character column of the cell at (`row`, `column`).
  public func location(row: Int, column: Int) -> (file: String, line: Int, column: Int) {
    let s = columnSource[column]
    let l = sources[s].bytes.withUnsafeBufferPointer { location(row: row, column: column, in: $0) }
    return (sources[s].path, l.line, l.column)
  }

  /// File, 1-based physical line and 1-based character column of column `column`'s name in the header
  /// (where a message about the column itself, rather than one of its cells, points).
  public func headerLocation(column: Int) -> (file: String, line: Int, column: Int) {
    let s = columnSource[column]
    let l = sources[s].bytes.withUnsafeBufferPointer {
      Table.location(of: headerCells[column], origin: sources[s].headerOrigin, in: $0)
    }
    return (sources[s].path, l.line, l.column)
  }

  /// 1-based data-row number of `row` in the file it came from (the header is not counted; for a
  /// joined table, the left file).
  public func sourceRecord(row: Int) -> Int {
    Int(origins[0][row].record)
  }

  func location(row: Int, column: Int, in buf: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
    Table.location(of: cells[row * columnCount + column], origin: origins[columnSource[column]][row], in: buf)
  }

  static func location(of cell: CellRef, origin: RowOrigin, in buf: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
    location(ofOffset: cell.fieldStart, origin: origin, in: buf)
  }

  /// Line and character column of byte `offset`, counting from the row's start.
  static func location(ofOffset offset: Int, origin: RowOrigin, in buf: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
    var line = Int(origin.line)
    var lineStart = Int(origin.offset)
    var k = lineStart
    while k < offset {
      // LF, CRLF (at its LF) and a bare CR end a line, as the parser counts them.
      let b = buf[k]
      if b == UInt8(ascii: "\n") || (b == UInt8(ascii: "\r") && (k + 1 >= buf.count || buf[k + 1] != UInt8(ascii: "\n"))) {
        line += 1
        lineStart = k + 1
      }
      k += 1
    }
    var column = 1
    k = lineStart
    while k < offset {
      if buf[k] & 0xC0 != 0x80 { column += 1 }
      k += 1
    }
    return (line, column)
  }

  func error(row: Int, column: Int, in buf: UnsafeBufferPointer<UInt8>, message: String, hint: String?) -> InputError {
    let loc = location(row: row, column: column, in: buf)
    let record = origins[columnSource[column]][row].record
    return InputError(file: sources[columnSource[column]].path, line: loc.line, column: loc.column,
                      message: "column \(MessageText.quoted(displayName(ofColumn: column))) row \(record): " + message, hint: hint)
  }

  // MARK: Cell access

  /// Calls `body` with the byte buffers of all sources (indexed like `sources`).
  func withSourceBuffers<R>(_ body: ([UnsafeBufferPointer<UInt8>]) throws -> R) rethrows -> R {
    func nest(_ i: Int, _ acc: [UnsafeBufferPointer<UInt8>]) throws -> R {
      if i == sources.count { return try body(acc) }
      return try sources[i].bytes.withUnsafeBufferPointer { try nest(i + 1, acc + [$0]) }
    }
    return try nest(0, [])
  }

  /// The common case of `number(row:column:in:)`: an unescaped, finite number. `nil` means "take
  /// the slow path" (missing, escaped, invalid or non-finite), not "missing".
  @inline(__always)
  static func fastNumber(_ cell: CellRef, in buf: UnsafeBufferPointer<UInt8>) -> Double? {
    guard cell.packed & CellRef.escapedBit == 0 else { return nil }
    let start = Int(cell.start)
    if let base = buf.baseAddress,
       let v = DecimalParser.parseShort(base, start: start, end: start + cell.length, readable: buf.count) {
      return v
    }
    let raw = UnsafeBufferPointer(start: buf.baseAddress! + start, count: cell.length)
    let t = trim(raw)
    guard t.count > 0, let v = DecimalParser.parse(t), v.isFinite else { return nil }
    return v
  }

  @inline(__always)
  func number(row r: Int, column: Int, in buf: UnsafeBufferPointer<UInt8>, hints: NumberHints) throws -> Double? {
    let cell = cells[r * columnCount + column]
    let parsed = Table.withTrimmed(cell, in: buf) { t -> Double? in
      t.isEmpty ? .nan : DecimalParser.parse(t)
    }
    if let v = parsed {
      if v.isFinite { return v }
      if v.isNaN { return nil }  // blank cell
    }
    if isMissing(cell, in: buf) { return nil }
    let shown = Table.displayText(cell, in: buf)
    let text = "'" + shown + "'"  // as MessageText.quoted
    if parsed != nil || Table.looksInfinite(Table.trimmedBlanks(shown)) {
      throw error(row: r, column: column, in: buf, message: "\(text) is not a finite number", hint: hints.notFinite)
    }
    if Table.decode(cell, in: buf) == nil {
      throw notUTF8Error(row: r, column: column, in: buf)
    }
    // A number with digit grouping or a decimal comma (a quoted "5,286.20" in a comma-separated file): say so.
    if let (how, hint) = CellDiagnosis.numberWithSeparators(Table.trimmedBlanks(Table.decode(cell, in: buf) ?? "")) {
      throw error(row: r, column: column, in: buf, message: "\(text) is not a number: \(how)", hint: hint)
    }
    throw error(row: r, column: column, in: buf, message: "\(text) is not a number", hint: hints.notANumber)
  }

  /// The error for the cell at (`r`, `column`) that is not valid UTF-8, naming Windows-1252 (Latin-1) when its
  /// bytes look like it (see ``CellDiagnosis/notUTF8(_:what:path:)``).
  func notUTF8Error(row r: Int, column: Int, in buf: UnsafeBufferPointer<UInt8>) -> InputError {
    let bytes = Table.unescape(cells[r * columnCount + column], in: buf)
    let (message, hint) = CellDiagnosis.notUTF8(bytes, what: "cell", path: sources[columnSource[column]].path)
    return error(row: r, column: column, in: buf, message: message, hint: hint)
  }

  static func looksInfinite(_ text: String) -> Bool {
    var t = text.lowercased()
    if t.hasPrefix("-") || t.hasPrefix("+") { t.removeFirst() }
    return t == "inf" || t == "infinity"
  }

  /// Calls `body` with the cell's decoded bytes, trimmed of ASCII spaces and tabs.
  @inline(__always)
  static func withTrimmed<R>(_ cell: CellRef, in buf: UnsafeBufferPointer<UInt8>,
                             _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    if cell.isEscaped {
      let decoded = unescape(cell, in: buf)
      return try decoded.withUnsafeBufferPointer { try body(trim($0)) }
    }
    let raw = UnsafeBufferPointer(rebasing: buf[Int(cell.start) ..< Int(cell.start) + cell.length])
    return try body(trim(raw))
  }

  @inline(__always)
  static func trim(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var lo = 0
    var hi = b.count
    while lo < hi && (b[lo] == 0x20 || b[lo] == 0x09) { lo += 1 }
    while hi > lo && (b[hi - 1] == 0x20 || b[hi - 1] == 0x09) { hi -= 1 }
    if lo == 0 && hi == b.count { return b }
    return UnsafeBufferPointer(rebasing: b[lo..<hi])
  }

  func isMissing(_ cell: CellRef, in buf: UnsafeBufferPointer<UInt8>) -> Bool {
    Table.withTrimmed(cell, in: buf) { t in
      for token in missingTokens where token.count == t.count {
        if token.elementsEqual(t) { return true }
      }
      return false
    }
  }

  /// The cell's bytes with `""` decoded to `"`.
  static func unescape(_ cell: CellRef, in buf: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    let start = Int(cell.start)
    let end = start + cell.length
    guard cell.isEscaped else { return Array(buf[start..<end]) }
    var out: [UInt8] = []
    out.reserveCapacity(cell.length)
    var k = start
    while k < end {
      let c = buf[k]
      out.append(c)
      k += c == UInt8(ascii: "\"") ? 2 : 1
    }
    return out
  }

  /// The cell as a `String`, or `nil` if it is not valid UTF-8.
  static func decode(_ cell: CellRef, in buf: UnsafeBufferPointer<UInt8>) -> String? {
    if cell.isEscaped { return String(validating: unescape(cell, in: buf), as: UTF8.self) }
    let start = Int(cell.start)
    return String(validating: UnsafeBufferPointer(rebasing: buf[start ..< start + cell.length]), as: UTF8.self)
  }

  /// A cell's text for a message, as ``MessageText/excerpt(_:)`` shows it: lossy UTF-8, at most 40
  /// characters, control and other invisible characters (a line break inside a quoted field) shown escaped
  /// so the message stays on one line. O(40) whatever the cell's size.
  static func displayText(_ cell: CellRef, in buf: UnsafeBufferPointer<UInt8>) -> String {
    MessageText.excerpt(String(decoding: prefixBytes(cell, in: buf), as: UTF8.self))
  }

  /// The cell's first (decoded) bytes: enough for ``MessageText``'s excerpt (4 bytes per scalar it may
  /// show, and one more scalar to know that there is more).
  static func prefixBytes(_ cell: CellRef, in buf: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    let wanted = (MessageText.limit * 8 + 1) * 4
    let start = Int(cell.start)
    guard cell.isEscaped else { return Array(buf[start ..< start + Swift.min(cell.length, wanted)]) }
    var out: [UInt8] = []
    var k = start
    let end = start + cell.length
    while k < end && out.count < wanted {
      let c = buf[k]
      out.append(c)
      k += c == UInt8(ascii: "\"") ? 2 : 1
    }
    return out
  }

  // MARK: Suggestions

  /// The candidate equal to `name` ignoring case (and the blanks around both), else the closest one that
  /// is close: at an edit distance of at most max(1, L / 3), where L is the length of `name` in
  /// characters, and smaller than the longer of the two (a name is never "close" to one it shares no
  /// character with, `y` to `x`); the first of equally close ones. Compared without the surrounding
  /// blanks; the candidate is returned as written. A candidate without a name is never suggested.
  public static func closest(to name: String, in candidates: [String]) -> String? {
    let lower = trimmedBlanks(name).lowercased()
    let keys = candidates.map { trimmedBlanks($0).lowercased() }
    if let i = keys.firstIndex(of: lower), !lower.isEmpty { return candidates[i] }
    let target = Array(lower)
    let allowed = Swift.max(1, target.count / 3)
    var best: (String, Int)? = nil
    // A column without a name is never suggested (it is selected as #N).
    for (c, key) in zip(candidates, keys) where !key.isEmpty {
      // Lengths further apart than the allowed distance cannot be close (and a long name is not walked).
      let k = Array(key.prefix(target.count + allowed + 1))
      guard k.count <= target.count + allowed, k.count >= target.count - allowed else { continue }
      let d = editDistance(target, k)
      if d <= allowed && d < Swift.max(target.count, k.count) && (best == nil || d < best!.1) { best = (c, d) }
    }
    return best?.0
  }

  /// Levenshtein distance, O(a × b) time, O(b) memory.
  static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}

/// The inferred type of a column.
public enum ColumnType: String, Sendable, CaseIterable {
  /// Every present cell is a finite number (and at least one cell is present).
  case numeric
  /// At least one present cell is not a finite number.
  case text
  /// Every cell is missing.
  case empty
}

/// A column's type and missing-value count (see `Table.profile`).
public struct ColumnProfile: Sendable, Equatable {
  /// The column name.
  public var name: String
  /// The inferred type (see `Table.inferType`).
  public var type: ColumnType
  /// Cells that are missing (empty or a missing token).
  public var missingCount: Int
  /// Cells that are present (`rowCount - missingCount`).
  public var presentCount: Int
  /// Present cells that parse as finite numbers.
  public var numericCount: Int
  /// The first present cell that is not a finite number (at most 40 characters), if any.
  public var firstNonNumeric: String?
  /// The 0-based data row of ``firstNonNumeric``.
  public var firstNonNumericRow: Int?

  public init(name: String, type: ColumnType, missingCount: Int, presentCount: Int, numericCount: Int,
              firstNonNumeric: String?, firstNonNumericRow: Int?) {
    self.name = name
    self.type = type
    self.missingCount = missingCount
    self.presentCount = presentCount
    self.numericCount = numericCount
    self.firstNonNumeric = firstNonNumeric
    self.firstNonNumericRow = firstNonNumericRow
  }
}

/// A column's type, counts and numeric statistics from one pass (see `Table.summary(at:)`).
///
/// `min`, `max` and `mean` are taken over the numeric cells (`numericCount` of them) and are `nil`
/// when there are none; for a `.numeric` column those are exactly the present cells. The mean uses
/// compensated summation (Knuth's TwoSum per value, error terms summed separately, blocks of rows
/// combined in row order), so it is accurate to about one rounding of the exact mean regardless of
/// the row count, and deterministic.
@dynamicMemberLookup
public struct ColumnSummary: Sendable, Equatable {
  /// Type and counts (name, type, missing / present / numeric counts, first non-numeric cell), as
  /// `Table.profile(at:)` reports them; its fields are also readable directly on the summary
  /// (`summary.missingCount`).
  public var profile: ColumnProfile
  /// Smallest numeric cell (`nil` if there is none).
  public var min: Double?
  /// Largest numeric cell (`nil` if there is none).
  public var max: Double?
  /// Mean of the numeric cells (`nil` if there is none).
  public var mean: Double?

  public init(profile: ColumnProfile, min: Double?, max: Double?, mean: Double?) {
    self.profile = profile
    self.min = min
    self.max = max
    self.mean = mean
  }

  /// The fields of ``profile``.
  public subscript<T>(dynamicMember keyPath: KeyPath<ColumnProfile, T>) -> T { profile[keyPath: keyPath] }
}

/// Running statistics of one column over a block of rows (see `Table.summaries(columns:)`).
struct SummaryAccumulator {
  var missing = 0
  var numeric = 0
  var firstTextRow = -1
  var lo = Double.infinity
  var hi = -Double.infinity
  var sum = 0.0
  var compensation = 0.0

  @inline(__always)
  mutating func add(_ v: Double) {
    numeric += 1
    lo = Swift.min(lo, v)
    hi = Swift.max(hi, v)
    addToSum(v)
  }

  /// `sum += v`, keeping the exact rounding error (Knuth's TwoSum, branch-free) in `compensation`.
  @inline(__always)
  mutating func addToSum(_ v: Double) {
    let t = sum + v
    let vv = t - sum
    compensation += (sum - (t - vv)) + (v - vv)
    sum = t
  }

  /// Appends the rows of `next` (a later block of the same column).
  mutating func merge(_ next: SummaryAccumulator) {
    missing += next.missing
    if firstTextRow < 0 { firstTextRow = next.firstTextRow }
    if next.numeric > 0 {
      numeric += next.numeric
      lo = Swift.min(lo, next.lo)
      hi = Swift.max(hi, next.hi)
      addToSum(next.sum)
      compensation += next.compensation
    }
  }
}

/// Dense numeric data extracted from a `Table` (see `Table.numericMatrix`).
public struct NumericMatrix: Sendable, Equatable {
  /// The selected column names, one per matrix column.
  public var columnNames: [String]
  /// Number of rows kept.
  public var rowCount: Int
  /// Row-major values: element (i, j) at `values[i * columnNames.count + j]`.
  public var values: [Double]
  /// For each matrix row, the index of the table row it came from.
  public var keptRows: [Int]
  /// Number of columns.
  public var columnCount: Int { columnNames.count }
}
