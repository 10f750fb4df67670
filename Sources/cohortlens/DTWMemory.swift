import CohortLensCore

/// Memory planning for `cohortlens dtw` when it computes the full matrix (not `--knn`), checked
/// against a `MemoryBudget` (`--max-memory`, default 75 % of physical memory) after the series are
/// read and before the n×n matrix is allocated.
enum DTWMemory {
  /// What the full-matrix run produces, which decides the size of the output buffer.
  enum Product {
    /// `--output D.csv`: the matrix as text, about 24 bytes per cell (a round-trip number and a comma).
    case csv
    /// `--output D.npy`: the matrix is computed straight into a shared mapping of the output's
    /// temporary file, so there is no buffer beside it (0 bytes per cell).
    case npy
    /// No `--output`: the summary copies the n(n−1)/2 upper-triangle distances (4 bytes per cell) and
    /// sorts them (the standard library's merge buffer: up to half of that again), 6 bytes per cell.
    case summary
  }

  /// Bytes per matrix cell of the output buffer of `product`.
  static func outputBytesPerCell(_ product: Product) -> Int {
    switch product {
    case .csv: return 24
    case .npy: return 0
    case .summary: return 6
    }
  }

  /// Estimated peak working set, in bytes, of the full DTW matrix of `n` learners whose normalised
  /// series hold `seriesValues` doubles in all.
  ///
  /// Formula: `n²·(8 + b) + 8·seriesValues`, with 8 bytes per cell for the float64 matrix and `b`
  /// bytes per cell for the output buffer (``outputBytesPerCell(_:)``: CSV 24, `.npy` 0, summary 6).
  /// The DTW engine's per-thread rows are O(series length) and not counted. Saturates at `Int.max`
  /// instead of overflowing. O(1).
  ///
  /// Measured (debug build, 1500 learners × 10 steps, one thread; peak RSS minus the 29.0 MiB of the same
  /// run with `--knn 2`): CSV 58.0 MiB (estimate 68.8 MiB), `.npy` 16.9 MiB (estimate 17.3 MiB), summary
  /// 29.6 MiB (estimate 30.2 MiB).
  static func estimatedPeakBytes(learners n: Int, seriesValues: Int, product: Product) -> Int {
    let square = MemoryBudget.squareMatrixBytes(n)
    let (perCell, o1) = n.multipliedReportingOverflow(by: n)
    let (buffer, o2) = perCell.multipliedReportingOverflow(by: outputBytesPerCell(product))
    let (input, o3) = max(0, seriesValues).multipliedReportingOverflow(by: 8)
    let (a, o4) = square.addingReportingOverflow(buffer)
    let (total, o5) = a.addingReportingOverflow(input)
    return o1 || o2 || o3 || o4 || o5 || square == Int.max ? Int.max : total
  }

  /// Throws a `UsageError` (exit 64) naming the estimate, the limit and the way out (`--knn K`,
  /// sampling, `--max-memory`) when the full matrix does not fit in `budget`.
  static func check(_ budget: MemoryBudget, learners n: Int, seriesValues: Int, product: Product) throws {
    let bytes = estimatedPeakBytes(learners: n, seriesValues: seriesValues, product: product)
    let buffer: String
    switch product {
    case .csv: buffer = "plus its CSV text"
    case .npy: buffer = "mapped onto its .npy file"
    case .summary: buffer = "plus the sorted distances of the summary"
    }
    try budget.check(
      bytes: bytes,
      what: "the DTW matrix of \(n) learners (\(n)×\(n) float64 \(buffer))",
      hint: "use --knn K for each learner's K nearest neighbours (exact, without the \(n)×\(n) matrix), "
        + "or compute the matrix of a random sample of the learners")
  }
}
