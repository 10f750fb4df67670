import ArgumentParser
import CohortLensCore
import TimeSeries

/// `--radius R|full` parsed: a non-negative integer Sakoe-Chiba radius or `full` (unconstrained).
func parseRadius(_ text: String) throws -> DTW.Radius {
  let t = Table.trimmedBlanks(text)
  if keyword(t, among: ["full"]) != nil { return .full }
  let digits = !t.isEmpty && t.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
  if digits && Int(t) == nil {
    throw ValidationError(
      "--radius \(t) is beyond the largest integer; a radius of at least the longest series' length minus 1 is the unconstrained DTW: write --radius full")
  }
  guard digits, let r = Int(t) else {
    throw ValidationError(
      "--radius must be a non-negative integer (the Sakoe-Chiba radius r: cells with |i-j| <= r) or 'full', got \(MessageText.quoted(text))")
  }
  return .band(r)
}

/// The text of a radius for reports: the integer or `full`.
func radiusText(_ r: DTW.Radius) -> String {
  switch r {
  case .full: return "full"
  case .band(let v): return String(v)
  }
}

func radiusJSON(_ r: DTW.Radius) -> JSONValue {
  switch r {
  case .full: return .string("full")
  case .band(let v): return .int(v)
  }
}

extension SeriesNormalization: ExpressibleByArgument {
  public init?(argument: String) {
    switch keyword(argument, among: Self.allValueStrings) {
    case "l2": self = .l2
    case "zscore": self = .zscore
    case "none": self = .none
    default: return nil
    }
  }
  public static var allValueStrings: [String] { ["l2", "zscore", "none"] }
  var name: String {
    switch self {
    case .l2: return "l2"
    case .zscore: return "zscore"
    case .none: return "none"
    }
  }
}

extension SeriesFill: KeywordArgument {
  public init?(argument: String) { self.init(keywordArgument: argument) }
}

/// What to do with all-zero series under `--normalize l2`.
enum ZeroSeriesPolicy: String, KeywordArgument {
  case error, keep
}

/// Reads learner series for `dtw` and `cluster --series`: long format (`--time`, `--value`) or wide
/// (`--wide`, step columns from `--columns` or, in header order, every numeric or empty column except the id
/// and `exclude`).
func readSeries(
  path: String, id: String, time: String?, value: String?, wide: Bool, columns: String?, fill: SeriesFill,
  digest: Bool, exclude: [String] = []
) throws -> (set: SeriesSet, table: Table) {
  let table = try Table.read(path: path, digest: digest)
  if wide {
    if time != nil || value != nil {
      throw UsageError("--time and --value describe the long format; with --wide the step columns are --columns (default: every numeric column except --id, and every empty column between two of them)")
    }
    _ = try table.columnIndex(id)
    let steps: [String]
    if let list = columns {
      steps = try resolvedColumns(try splitColumnList(list, option: "--columns"), in: table, option: "--columns")
      if steps.isEmpty { throw UsageError("--columns names no column") }
    } else {
      // Every numeric column, and every empty one between two of them: a step column without any value (a
      // week nobody has data for) stays on the time axis in header order — a gap inside the series (an error,
      // or filled by --fill) — as such a step is in the long format, instead of being dropped and the later
      // steps moved one step earlier. An empty column before the first or after the last numeric column is not
      // a step (an empty metadata column; trailing empty steps would only shorten every series).
      let found = try defaultFeatureColumns(table, excluding: Set([id] + exclude))
      if found.columns.isEmpty {
        throw UsageError("\(path) has no numeric column besides \(MessageText.quoted(id)); name the step columns with --columns")
      }
      let numeric = try found.columns.map { try table.columnIndex($0) }
      let inside = numeric.min()!...numeric.max()!
      let empty = try found.empty.filter { inside.contains(try table.columnIndex($0)) }
      steps = try (found.columns + empty).sorted { try table.columnIndex($0) < table.columnIndex($1) }
    }
    return (try SeriesTable.wide(table, id: id, columns: steps, fill: fill), table)
  }
  guard let time, let value else {
    throw UsageError("give --time COLUMN and --value COLUMN[,COLUMN…] (long format: one row per learner and step), or --wide")
  }
  if columns != nil { throw UsageError("--columns selects the step columns of --wide; in the long format use --value") }
  let values = try resolvedColumns(try splitColumnList(value, option: "--value"), in: table, option: "--value")
  if values.isEmpty { throw UsageError("--value names no column") }
  return (try SeriesTable.long(table, id: id, time: time, values: values, fill: fill), table)
}

/// The warning when `--normalize` deliberately differs from tslearn on some learners of `raw` (not yet
/// normalised): under `zscore`, a constant series feature whose NumPy mean rounds becomes zeros here and ±1 in
/// tslearn's `TimeSeriesScalerMeanVariance` (docs/dtw.md). nil when no learner is concerned.
func tslearnDifferenceWarning(_ raw: SeriesSet, method: SeriesNormalization) -> String? {
  let ids = raw.tslearnDifferences(method)
  guard !ids.isEmpty else { return nil }
  let shown = ids.prefix(5).map { MessageText.quoted($0) }.joined(separator: ", ")
  return "\(ids.count) learner(s) have a constant series feature, z-scored to zeros (\(shown)\(ids.count > 5 ? ", …" : "")); "
    + "tslearn's TimeSeriesScalerMeanVariance gives ±1 at every step there, because NumPy's mean of the equal values "
    + "rounds and its standard deviation is that rounding error (a deliberate difference, see docs/dtw.md)"
}

/// The id cell of the first row of learner `learner` in `table` (id column `id`); the header line when the id
/// is not found.
func learnerIdCell(of learner: String?, table: Table, id: String) throws -> (line: Int, column: Int?) {
  let j = try table.columnIndex(id)
  let ids = try table.strings(at: j)
  if let r = ids.firstIndex(where: { v in v.map { ExactText($0) } == learner.map { ExactText($0) } }) {
    let l = table.location(row: r, column: j)
    return (l.line, l.column)
  }
  return (table.headerLine, nil)
}

/// `D.ids.txt` holds one learner id per line, so an id containing a line break (`\n` or `\r`, possible in a
/// quoted CSV field) would split into several lines and no longer match the rows of `D.npy`. Such an id is a data
/// error (exit 65) at the id cell of the learner's first row, before any work; the CSV matrix quotes such ids
/// and is not concerned. O(total id length).
func checkIdsFitOnePerLine(_ ids: [String], table: Table, path: String, id: String, output: String) throws {
  guard let bad = ids.first(where: { $0.unicodeScalars.contains { $0 == "\n" || $0 == "\r" } }) else { return }
  let at = try learnerIdCell(of: bad, table: table, id: id)
  throw InputError(file: path, line: at.line, column: at.column,
    message: "learner id \(MessageText.quoted(bad)) contains a line break, which \(DTWCommand.idsPath(forNPY: output)) (one id per line) cannot hold",
    hint: "rename the learner, or write the matrix as CSV (--output D.csv), where such ids are quoted")
}

/// `set` normalised, with the zero-series policy; and the checks every DTW command needs (n ≥ 2). Errors point at
/// the id cell of the learner concerned in `table` (read from `path` with id column `id`): the only learner's
/// first row, or the first all-zero learner's first row.
func normalizedSeries(
  _ set: SeriesSet, method: SeriesNormalization, zero: ZeroSeriesPolicy, path: String, table: Table, id: String
) throws -> SeriesSet {
  /// The id cell of the first row of learner `learner` (the header when the id is not found).
  func firstRow(of learner: String?) throws -> (line: Int, column: Int?) {
    try learnerIdCell(of: learner, table: table, id: id)
  }
  guard set.ids.count >= 2 else {
    let at = try firstRow(of: set.ids.first)
    throw InputError(file: path, line: at.line, column: at.column,
      message: "only \(set.ids.count) learner series\(set.ids.first.map { " (\(MessageText.quoted($0)))" } ?? ""); DTW distances need at least 2",
      hint: "check the --id column")
  }
  do {
    return try set.normalized(method, keepZero: zero == .keep)
  } catch let e as ZeroSeriesListError {
    // Located at the first such learner's first row; the message lists them all by id.
    let at = try firstRow(of: e.ids.first)
    throw InputError(file: path, line: at.line, column: at.column, message: e.description)
  }
}
