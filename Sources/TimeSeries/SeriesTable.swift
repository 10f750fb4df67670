import CohortLensCore

/// A set of learner time series read from a table: one series per learner, `dimensions` features per step.
///
/// Series are row-major (`length·d` values, step t at `t·d ..< (t+1)·d`), in the order learners first appear
/// in the input. Lengths may differ (a learner whose last steps are missing has a shorter series).
public struct SeriesSet: Sendable, Equatable {
  /// Learner ids, one per series, in input order.
  public var ids: [String]
  /// The series, row-major, `dimensions` values per step.
  public var series: [[Double]]
  /// Features per step (the number of value columns).
  public var dimensions: Int
  /// Names of the value columns (long format) or the single column `value` (wide format).
  public var features: [String]
  /// Labels of the steps of the common time grid, ascending (the time values as written, or the
  /// wide-format column names). Series `s` covers steps `0 ..< length(s)` of this grid.
  public var steps: [String]
  /// Number of cells that `fill` replaced (0 without `--fill`).
  public var filledCells: Int

  public init(ids: [String], series: [[Double]], dimensions: Int, features: [String], steps: [String], filledCells: Int = 0) {
    self.ids = ids
    self.series = series
    self.dimensions = dimensions
    self.features = features
    self.steps = steps
    self.filledCells = filledCells
  }

  /// Number of steps of series `index`.
  public func length(_ index: Int) -> Int { series[index].count / dimensions }

  /// Every series normalised by `method` (see ``SeriesNormalization``).
  ///
  /// Under `.l2` an all-zero series (a learner with no activity at all) has no direction: it is an error
  /// (`ZeroSeriesListError`, listing every such id) unless `keepZero` is true, in which case it is kept as
  /// zeros (its DTW distance to another series `y` is then `DTW(0, y)`, e.g. `‖y‖ = 1` at radius 0). Under
  /// `.zscore` a constant series becomes all zeros (tslearn's std 0 → 1 rule), and the set is scaled as tslearn
  /// scales its NaN-padded dataset (sums over the longest series' length, see ``SeriesNormalization``); `.none`
  /// leaves values unchanged.
  ///
  /// - Complexity: O(total values) (`.zscore`: O(series × longest length)).
  public func normalized(_ method: SeriesNormalization, keepZero: Bool = false) throws -> SeriesSet {
    var out = self
    var zero: [String] = []
    let longest = series.indices.map(length).max() ?? 0
    for (i, s) in series.enumerated() {
      do {
        out.series[i] = try method.apply(s, dimensions: dimensions, index: i, paddedLength: longest)
      } catch is ZeroSeriesError {
        if keepZero { out.series[i] = s.map { _ in 0.0 } } else { zero.append(ids[i]) }
      }
    }
    if !zero.isEmpty { throw ZeroSeriesListError(ids: zero) }
    return out
  }
}

extension SeriesSet {
  /// The learners whose `method` normalisation deliberately differs from tslearn's (see
  /// ``SeriesNormalization/differsFromTSLearnOnConstantFeature(_:dimensions:paddedLength:)``): under `.zscore`,
  /// a constant series feature whose NumPy mean rounds, zeros here and ±1 in tslearn. Input order.
  public func tslearnDifferences(_ method: SeriesNormalization) -> [String] {
    guard method == .zscore else { return [] }
    let longest = series.indices.map(length).max() ?? 0
    return series.indices.filter {
      method.differsFromTSLearnOnConstantFeature(series[$0], dimensions: dimensions, paddedLength: longest)
    }.map { ids[$0] }
  }
}

/// Learners whose series is all zeros cannot be L2-normalised. Exit status 65.
public struct ZeroSeriesListError: CohortLensError, Equatable {
  /// The learner ids, in input order.
  public var ids: [String]
  public init(ids: [String]) { self.ids = ids }
  public var exitCode: Int32 { 65 }
  public var description: String {
    let shown = ids.prefix(20).map { MessageText.quoted($0) }.joined(separator: ", ")
    return "\(ids.count) learner(s) have an all-zero series, which has no L2 norm: \(shown)\(ids.count > 20 ? ", …" : ""); "
      + "drop them, use --normalize zscore|none, or keep them as zeros with --zero-series keep"
  }
}

/// How a missing step inside a series is handled.
public enum SeriesFill: String, Sendable, CaseIterable {
  /// A missing step before the series' last present step is an error naming learner and step (default).
  case error
  /// Missing values inside a series become 0.
  case zero
  /// Missing values inside a series take the learner's previous value of that feature (a missing first
  /// step is still an error: there is no previous value).
  case previous
}

/// Reads learner time series from a `Table` in long or wide format.
///
/// **Long format** (one row per learner and step): an id column, a time column and one or more value columns
/// (several = a multivariate series, features in the order given). The time column is numeric or an ISO 8601
/// date (`YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]` with `T` or a space, optional `Z`); all cells of the
/// column must be of one kind. The common time grid is the ascending set of distinct time values of the whole
/// table; each learner's series runs from the first grid step to the learner's last step with a value.
/// A grid step without a row (or with a missing value) before that is a *gap*: an error naming learner and
/// step, unless `fill` is `.zero` or `.previous`. Missing steps at the end shorten the series (unequal
/// lengths). Two rows for the same (id, time) are an error naming both lines.
///
/// **Wide format** (one row per learner): step columns in header order; a missing cell inside a row is a gap,
/// missing cells at the end of a row shorten the series. Univariate.
///
/// Reference: the long → wide pivot of the lecture (`df.pivot(index=id, columns=time, values=value)`), which
/// orders steps by sorted time values.
///
/// - Complexity: O(rows · (features + log rows)).
public enum SeriesTable {
  /// Reads long-format series.
  ///
  /// - Throws: `InputError` (located) for an unknown column, a non-numeric value, a missing id or time, a
  ///   time that is neither a number nor an ISO date, a duplicate (id, time), a gap without `fill`, or a
  ///   learner without any value; `InputError` for a table without data rows.
  public static func long(
    _ table: Table, id: String, time: String, values: [String], fill: SeriesFill = .error
  ) throws -> SeriesSet {
    precondition(!values.isEmpty, "SeriesTable.long: no value column")
    let idColumn = try table.columnIndex(id)
    let timeColumn = try table.columnIndex(time)
    let valueColumns = try values.map { try table.columnIndex($0) }
    try table.requireDataRows(hint: "add one row per learner and time step")
    let idCells = try table.strings(at: idColumn)
    try table.requireNoNUL(ids: idCells, column: idColumn)
    let timeCells = try table.strings(at: timeColumn)
    let columns = try table.numbers(at: valueColumns, hints: valueHints)
    let d = values.count

    // Time keys: numeric if every cell is a number, otherwise ISO dates.
    var keys = [SeriesTimeKey](repeating: SeriesTimeKey(value: 0), count: table.rowCount)
    for r in 0..<table.rowCount {
      guard idCells[r] != nil else {
        throw InputError(table: table, row: r, column: idColumn, message: "missing learner id",
          hint: "every row needs an id; fill the cell or remove the row")
      }
      guard timeCells[r] != nil else {
        throw InputError(table: table, row: r, column: timeColumn, message: "missing time in column \(MessageText.quoted(time))",
          hint: "every row needs a time step; fill the cell or remove the row")
      }
    }
    // Numbers or ISO dates, as the first cell is; the first cell of the other kind (or of neither) is
    // the one reported, so `1, 2, 10-20` points at `10-20`, not at `1`.
    let numericTime = table.rowCount > 0 && DecimalParser.parse(trimmed(timeCells[0]!)) != nil
    for r in 0..<table.rowCount {
      let text = trimmed(timeCells[r]!)
      if numericTime, let v = DecimalParser.parse(text) {
        keys[r] = SeriesTimeKey(value: v, integer: Int64(text))
      } else if !numericTime, let k = isoInstant(text) {
        // Compared exactly: whole seconds, then the fraction's digits (a Double of epoch seconds has an ulp of
        // 2.4e-7 s today, so `.00000001` and `.00000002` were one step).
        keys[r] = SeriesTimeKey(value: k.approximateSeconds, integer: k.seconds, leap: k.leap, fraction: k.fraction)
      } else {
        let first = trimmed(timeCells[0]!)
        throw InputError(table: table, row: r, column: timeColumn,
          message: r == 0
            ? "time \(MessageText.quoted(text)) in column \(MessageText.quoted(time)) is neither a number nor an ISO date (YYYY-MM-DD[THH:MM:SS])"
            : "time \(MessageText.quoted(text)) in column \(MessageText.quoted(time)) is not \(numericTime ? "a number" : "an ISO date (YYYY-MM-DD[THH:MM:SS])") like the first time step \(MessageText.quoted(first))",
          hint: "write every time step as a number or as an ISO 8601 date")
      }
    }
    // Integer times are compared exactly (epoch nanoseconds exceed 2^53, where distinct integers
    // share a Double); as soon as one numeric time is not an integer, all compare as Doubles.
    if numericTime && keys.contains(where: { $0.integer == nil }) {
      keys = keys.map { SeriesTimeKey(value: $0.value) }
    }
    // The grid: distinct keys ascending, labelled by their first spelling.
    var labelOfKey: [SeriesTimeKey: String] = [:]
    for r in 0..<table.rowCount where labelOfKey[keys[r]] == nil { labelOfKey[keys[r]] = trimmed(timeCells[r]!) }
    let grid = labelOfKey.keys.sorted()
    var stepOfKey: [SeriesTimeKey: Int] = [:]
    for (s, k) in grid.enumerated() { stepOfKey[k] = s }
    let steps = grid.map { labelOfKey[$0]! }

    // Learners in order of first appearance; rows per learner by step.
    var learnerIndex: [ExactText: Int] = [:]  // ids as written (code points), as pandas' groupby
    var ids: [String] = []
    var rowAt: [[Int: Int]] = []  // learner → step → row
    for r in 0..<table.rowCount {
      let lid = idCells[r]!
      let li: Int
      if let x = learnerIndex[ExactText(lid)] {
        li = x
      } else {
        li = ids.count
        learnerIndex[ExactText(lid)] = li
        ids.append(lid)
        rowAt.append([:])
      }
      let step = stepOfKey[keys[r]]!
      if let other = rowAt[li][step] {
        let first = table.location(row: other, column: timeColumn).line
        throw InputError(table: table, row: r, column: timeColumn,
          message: "learner \(MessageText.quoted(lid)) has two rows for time \(MessageText.quoted(steps[step])) (lines \(first) and \(table.location(row: r, column: timeColumn).line))",
          hint: "keep one row per learner and time step")
      }
      rowAt[li][step] = r
    }

    var series: [[Double]] = []
    series.reserveCapacity(ids.count)
    var filled = 0
    for (li, lid) in ids.enumerated() {
      // Last step with at least one value.
      var last = -1
      for (step, r) in rowAt[li] where step > last {
        if columns.contains(where: { $0[r] != nil }) { last = step }
      }
      guard last >= 0 else {
        let r = rowAt[li].values.min()!
        throw InputError(table: table, row: r, column: valueColumns[0],
          message: "learner \(MessageText.quoted(lid)) has no value in \(values.map { MessageText.quoted($0) }.joined(separator: ", ")) (an empty series)",
          hint: "remove the learner's rows or fill in its values")
      }
      var s = [Double](repeating: 0, count: (last + 1) * d)
      for step in 0...last {
        let r = rowAt[li][step]
        for f in 0..<d {
          if let r, let v = columns[f][r] {
            s[step * d + f] = v
            continue
          }
          switch fill {
          case .error:
            let where_ = r == nil ? "no row" : "missing value in \(MessageText.quoted(values[f]))"
            let message = "learner \(MessageText.quoted(lid)) has a gap at time \(MessageText.quoted(steps[step])) (\(where_)) inside its series (last value at time \(MessageText.quoted(steps[last])))"
            let hint = "add the step, or fill gaps with --fill zero|previous"
            if let r {
              throw InputError(table: table, row: r, column: valueColumns[f], message: message, hint: hint)
            }
            let anyRow = rowAt[li].values.min()!
            throw InputError(table: table, row: anyRow, column: idColumn, message: message, hint: hint)
          case .zero:
            s[step * d + f] = 0
          case .previous:
            guard step > 0 else {
              let anyRow = r ?? rowAt[li].values.min()!
              throw InputError(table: table, row: anyRow, column: r == nil ? idColumn : valueColumns[f],
                message: "learner \(MessageText.quoted(lid)) has no value at the first time \(MessageText.quoted(steps[0])) in \(MessageText.quoted(values[f])), so --fill previous has nothing to repeat",
                hint: "add the first step or use --fill zero")
            }
            s[step * d + f] = s[(step - 1) * d + f]
          }
          filled += 1
        }
      }
      series.append(s)
    }
    return SeriesSet(ids: ids, series: series, dimensions: d, features: values, steps: steps, filledCells: filled)
  }

  /// Reads wide-format series: one row per learner, `columns` (in that order) are the steps.
  ///
  /// - Throws: `InputError` (located) for an unknown column, a missing or duplicate id, a non-numeric cell,
  ///   a gap without `fill`, or a row without any value.
  public static func wide(_ table: Table, id: String, columns: [String], fill: SeriesFill = .error) throws -> SeriesSet {
    try table.requireDataRows(hint: "add one row per learner")
    guard !columns.isEmpty else {
      throw InputError(file: table.path, line: table.headerLine, message: "no step columns", hint: "name the step columns with --columns")
    }
    let ids = try table.ids(id)
    let indices = try columns.map { try table.columnIndex($0) }
    let cells = try table.numbers(at: indices, hints: valueHints)
    var series: [[Double]] = []
    var filled = 0
    for (r, lid) in ids.enumerated() {
      guard let last = (0..<columns.count).last(where: { cells[$0][r] != nil }) else {
        throw InputError(table: table, row: r, column: indices[0],
          message: "learner \(MessageText.quoted(lid)) has no value in the step columns (an empty series)",
          hint: "remove the row or fill in its values")
      }
      var s = [Double](repeating: 0, count: last + 1)
      for t in 0...last {
        if let v = cells[t][r] {
          s[t] = v
          continue
        }
        switch fill {
        case .error:
          throw InputError(table: table, row: r, column: indices[t],
            message: "learner \(MessageText.quoted(lid)) has a gap at step \(MessageText.quoted(columns[t])) inside its series (last value at \(MessageText.quoted(columns[last])))",
            hint: "fill the cell, or fill gaps with --fill zero|previous")
        case .zero: s[t] = 0
        case .previous:
          guard t > 0 else {
            throw InputError(table: table, row: r, column: indices[t],
              message: "learner \(MessageText.quoted(lid)) has no value at the first step \(MessageText.quoted(columns[0])), so --fill previous has nothing to repeat",
              hint: "fill the cell or use --fill zero")
          }
          s[t] = s[t - 1]
        }
        filled += 1
      }
      series.append(s)
    }
    return SeriesSet(ids: ids, series: series, dimensions: 1, features: ["value"], steps: columns, filledCells: filled)
  }

  /// What fixes a non-numeric or non-finite series value: correct it, or mark it missing (a gap inside a
  /// series is then filled by `--fill`, one at the end shortens the series). Leaving the column out is no fix:
  /// it is a value column (long format) or a time step (wide format).
  static let valueHints = Table.NumberHints(
    notANumber: "correct the cell, or mark it missing (empty or NA) and fill gaps with --fill zero|previous",
    notFinite: "replace it with a finite value, or mark it missing (empty or NA) and fill gaps with --fill zero|previous")

  static func trimmed(_ s: String) -> String {
    var sub = Substring(s)
    while let c = sub.first, c == " " || c == "\t" { sub = sub.dropFirst() }
    while let c = sub.last, c == " " || c == "\t" { sub = sub.dropLast() }
    return String(sub)
  }

  /// Seconds since 1970-01-01T00:00:00 (proleptic Gregorian, no time zone) of an ISO 8601 date or date-time,
  /// or nil. Accepted: `YYYY-MM-DD`, then optionally `T` or space, `HH:MM`, `:SS`, `.fraction`, `Z`.
  public static func isoDateKey(_ text: String) -> Double? {
    let b = Array(text.utf8)
    func digits(_ at: Int, _ count: Int) -> Int? {
      guard at + count <= b.count else { return nil }
      var v = 0
      for k in at..<(at + count) {
        let c = b[k]
        guard c >= 48 && c <= 57 else { return nil }
        v = v * 10 + Int(c - 48)
      }
      return v
    }
    guard b.count >= 10, let y = digits(0, 4), b[4] == 45, let mo = digits(5, 2), b[7] == 45, let da = digits(8, 2),
      (1...12).contains(mo), da >= 1, da <= daysInMonth(y, mo)
    else { return nil }
    var seconds = Double(daysFromCivil(y, mo, da)) * 86_400
    var p = 10
    if p == b.count { return seconds }
    guard b[p] == 84 || b[p] == 32, let h = digits(p + 1, 2), b.count > p + 3, b[p + 3] == 58, let mi = digits(p + 4, 2),
      h < 24, mi < 60
    else { return nil }
    seconds += Double(h * 3600 + mi * 60)
    p += 6
    if p < b.count && b[p] == 58 {
      guard let s = digits(p + 1, 2), s < 61 else { return nil }
      seconds += Double(s)
      p += 3
      if p < b.count && b[p] == 46 {
        var q = p + 1
        var scale = 0.1
        var frac = 0.0
        while q < b.count, b[q] >= 48 && b[q] <= 57 {
          frac += Double(b[q] - 48) * scale
          scale /= 10
          q += 1
        }
        guard q > p + 1 else { return nil }
        seconds += frac
        p = q
      }
    }
    if p < b.count && b[p] == 90 { p += 1 }
    return p == b.count ? seconds : nil
  }

  /// An ISO 8601 date or date-time (as ``isoDateKey(_:)`` accepts) as an exact instant: whole seconds since
  /// 1970-01-01T00:00:00, whether the second is a leap second (`:60`, ordered after `:59.999…` of its minute and
  /// before the next minute), and the digits of the fraction without trailing zeros (`.0000001` → `[0,0,0,0,0,0,1]`,
  /// compared digit by digit: no two distinct instants are equal, however fine the fraction); nil if not a date.
  /// O(length).
  static func isoInstant(_ text: String) -> (seconds: Int64, leap: Bool, fraction: [UInt8], approximateSeconds: Double)? {
    guard let approximate = isoDateKey(text) else { return nil }
    let b = Array(text.utf8)
    func number(_ at: Int, _ count: Int) -> Int64 {
      var v: Int64 = 0
      for k in at..<(at + count) { v = v * 10 + Int64(b[k] - 48) }
      return v
    }
    let y = Int(number(0, 4)), mo = Int(number(5, 2)), da = Int(number(8, 2))
    var seconds = Int64(daysFromCivil(y, mo, da)) * 86_400
    var leap = false
    var fraction: [UInt8] = []
    if b.count > 10, b[10] != 90 {  // `THH:MM…` or ` HH:MM…` (isoDateKey checked the layout)
      seconds += number(11, 2) * 3600 + number(14, 2) * 60
      if b.count > 16, b[16] == 58 {
        let sec = number(17, 2)
        leap = sec == 60
        seconds += leap ? 59 : sec
        if b.count > 19, b[19] == 46 {
          var q = 20
          while q < b.count, b[q] >= 48 && b[q] <= 57 { fraction.append(b[q] - 48); q += 1 }
          while fraction.last == 0 { fraction.removeLast() }
        }
      }
    }
    return (seconds, leap, fraction, approximate)
  }

  static func daysInMonth(_ y: Int, _ m: Int) -> Int {
    switch m {
    case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
  static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }
}

/// The identity and order of a time step: its numeric value (a number, or seconds since 1970 for an
/// ISO date) and, when every time is written as an integer, that integer exactly; for ISO dates the whole
/// seconds exactly (`integer`), the leap second flag and the fraction's digits. Keys with an `integer`
/// compare exactly by (integer, leap, fraction digits); others by value (with an integer key, only
/// numeric times that are all integers or ISO dates meet, never mixed with value-only keys).
struct SeriesTimeKey: Hashable, Comparable, Sendable {
  var value: Double
  var integer: Int64? = nil
  var leap = false
  /// Decimal digits of the fraction of a second, trailing zeros removed (ISO dates only).
  var fraction: [UInt8] = []

  static func < (a: Self, b: Self) -> Bool {
    if let x = a.integer, let y = b.integer {
      if x != y { return x < y }
      if a.leap != b.leap { return !a.leap }
      return a.fraction.lexicographicallyPrecedes(b.fraction)
    }
    if a.value != b.value { return a.value < b.value }
    return (a.integer ?? .min) < (b.integer ?? .min)
  }

  static func == (a: Self, b: Self) -> Bool {
    a.integer != nil && b.integer != nil
      ? a.integer == b.integer && a.leap == b.leap && a.fraction == b.fraction : a.value == b.value
  }

  func hash(into h: inout Hasher) {
    if let integer {
      h.combine(integer)
      h.combine(leap)
      h.combine(fraction)
    } else {
      h.combine(value)
    }
  }
}
