#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Pearson's χ² test of independence on an r × c table of counts, with Cramér's V.
///
/// Used to ask whether behaviour clusters are proxies for a demographic attribute (cluster ×
/// group counts).
///
/// - Expected counts `E_ij = (row_i · col_j) / N`; statistic `χ² = Σ (O_ij − E_ij)² / E_ij`;
///   degrees of freedom `(r − 1)(c − 1)`; p-value `Q(dof/2, χ²/2)` (regularised upper incomplete
///   gamma function).
/// - Rows and columns whose total is 0 are dropped first (they carry no information and would
///   make `E` zero); the result says how many were dropped.
/// - With one degree of freedom (a 2 × 2 table) Yates' continuity correction is applied to the
///   statistic and p-value, as `scipy.stats.chi2_contingency(correction=True)` (its default) does:
///   each `|O − E|` is moved towards 0 by at most 0.5.
/// - Cramér's V = `√(χ²_uncorrected / (N · min(r − 1, c − 1)))`, as
///   `scipy.stats.contingency.association(method="cramer")` (no continuity correction).
/// - Undefined states: fewer than 2 non-empty rows or columns → no test (`undefined` says why).
/// - Cochran's rule of thumb: the χ² approximation is doubtful when more than 20 % of expected
///   counts are below 5 or any is below 1; ``lowExpectedCounts`` flags that.
///
/// Complexity O(r·c). Reference: scipy.stats.chi2_contingency, scipy.stats.contingency.association
/// (SciPy 1.17); W. G. Cochran (1954), "Some methods for strengthening the common χ² tests".
public struct ContingencyTest: Sendable, Equatable {
  /// χ² statistic (with Yates' correction when `dof == 1`), nil when undefined.
  public var statistic: Double?
  /// Degrees of freedom after dropping empty rows and columns.
  public var degreesOfFreedom: Int
  /// p-value, nil when undefined.
  public var pValue: Double?
  /// Cramér's V in [0, 1], nil when undefined.
  public var cramersV: Double?
  /// Whether Yates' continuity correction was applied (one degree of freedom).
  public var yatesCorrection: Bool
  /// Expected counts of the table actually tested (after dropping empty rows and columns).
  public var expected: [[Double]]
  /// Number of rows and columns dropped because their total was 0.
  public var droppedRows: Int
  public var droppedColumns: Int
  /// Total count N.
  public var total: Int
  /// Cochran's rule violated: > 20 % of expected counts below 5, or one below 1.
  public var lowExpectedCounts: Bool
  /// Why the test is undefined, or nil.
  public var undefined: String?

  /// Runs the test on `counts` (rows × columns, non-negative).
  public init(counts: [[Int]]) {
    let r0 = counts.count
    let c0 = counts.map(\.count).max() ?? 0
    let table = counts.map { row in row + Array(repeating: 0, count: c0 - row.count) }
    let rowTotals0 = table.map { $0.reduce(0, +) }
    let colTotals0 = (0..<c0).map { j in table.reduce(0) { $0 + $1[j] } }
    let rows = (0..<r0).filter { rowTotals0[$0] > 0 }
    let cols = (0..<c0).filter { colTotals0[$0] > 0 }
    droppedRows = r0 - rows.count
    droppedColumns = c0 - cols.count
    total = rowTotals0.reduce(0, +)
    let r = rows.count, c = cols.count
    degreesOfFreedom = max(0, (r - 1) * (c - 1))
    yatesCorrection = degreesOfFreedom == 1
    let n = Double(total)
    expected = rows.map { i in cols.map { j in Double(rowTotals0[i]) * Double(colTotals0[j]) / n } }
    guard r >= 2, c >= 2 else {
      statistic = nil
      pValue = nil
      cramersV = nil
      lowExpectedCounts = false
      undefined =
        total == 0
        ? "the table is empty" : "needs at least two non-empty rows and two non-empty columns (has \(r) × \(c))"
      return
    }
    undefined = nil
    var chi2 = 0.0, chi2Yates = 0.0
    var below5 = 0, below1 = false
    for (a, i) in rows.enumerated() {
      for (b, j) in cols.enumerated() {
        let e = expected[a][b]
        let d = Double(table[i][j]) - e
        chi2 += d * d / e
        // scipy: shrink |O − E| by 0.5 but not past 0.
        let ad = Swift.max(Swift.abs(d) - 0.5, 0)
        chi2Yates += ad * ad / e
        if e < 5 { below5 += 1 }
        if e < 1 { below1 = true }
      }
    }
    lowExpectedCounts = below1 || Double(below5) > 0.2 * Double(r * c)
    statistic = yatesCorrection ? chi2Yates : chi2
    pValue = SpecialFunctions.regularizedGammaQ(Double(degreesOfFreedom) / 2, statistic! / 2)
    cramersV = (chi2 / (n * Double(Swift.min(r - 1, c - 1)))).squareRoot()
  }
}

/// Special functions used by the statistics code.
public enum SpecialFunctions {
  /// Regularised upper incomplete gamma function `Q(a, x) = Γ(a, x) / Γ(a)` for `a > 0`, `x ≥ 0`.
  ///
  /// Series expansion of `P(a, x)` for `x < a + 1`, Lentz's continued fraction for `Q` otherwise
  /// (Numerical Recipes §6.2), both to relative accuracy ≈ 1e-15. `Q(a, 0) = 1`.
  public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
    precondition(a > 0 && x >= 0)
    if x == 0 { return 1 }
    if x.isInfinite { return 0 }
    let logPrefix = -x + a * log(x) - lgamma(a)
    if x < a + 1 {
      // P(a, x) = e^{-x} x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n))
      var ap = a, sum = 1 / a, del = 1 / a
      for _ in 0..<10_000 {
        ap += 1
        del *= x / ap
        sum += del
        if Swift.abs(del) < Swift.abs(sum) * 1e-17 { break }
      }
      return Swift.max(0, 1 - sum * exp(logPrefix))
    }
    // Continued fraction for Q(a, x) (modified Lentz).
    let tiny = 1e-300
    var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
    for i in 1...10_000 {
      let an = -Double(i) * (Double(i) - a)
      b += 2
      d = an * d + b
      if Swift.abs(d) < tiny { d = tiny }
      c = b + an / c
      if Swift.abs(c) < tiny { c = tiny }
      d = 1 / d
      let del = d * c
      h *= del
      if Swift.abs(del - 1) < 1e-16 { break }
    }
    return exp(logPrefix) * h
  }
}
