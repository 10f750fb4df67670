import CohortLensCore

/// Per-series normalisation applied before DTW.
///
/// Each series is row-major (`L·d` values, `d` features per time step) and is normalised on its own:
///
/// | case | formula | reference |
/// | --- | --- | --- |
/// | `l2` | `x / ‖x‖₂` over all `L·d` values; `‖x‖₂ = √(Σ x²)` summed in order | the lecture's normalisation (`s / np.linalg.norm(s)`) |
/// | `zscore` | per feature f: `(x[t,f] − mean_f) / std_f`, population std (ddof 0); a constant feature (std 0) keeps scale 1, i.e. becomes all zeros | tslearn 0.10.0 `TimeSeriesScalerMeanVariance()` (`tslearn/preprocessing/preprocessing.py`) |
/// | `none` | unchanged | |
///
/// Under `l2` a series whose Σx² underflows or overflows is first divided by its largest |value|. An all-zero
/// series has no direction: under `l2` it is an error (`ZeroSeriesError`, naming the series index)
/// instead of the NaN (0/0) that NumPy produces — tslearn's `cdist_dtw` would silently give +∞ for such a
/// series. Sums are sequential, so `l2` and `zscore` can differ from NumPy's pairwise/BLAS sums in the last
/// bit (≤ 1e-15 relative); DTW itself is exact for given inputs.
///
/// - Complexity: O(L·d) per series.
public enum SeriesNormalization: Sendable, Equatable, CaseIterable {
  case l2, zscore, none

  /// Normalises every series of `series` (`dimensions` features per time step).
  ///
  /// - Throws: `ZeroSeriesError` for the first all-zero series under `.l2`.
  public func apply(_ series: [[Double]], dimensions d: Int = 1) throws -> [[Double]] {
    var out: [[Double]] = []
    out.reserveCapacity(series.count)
    for (index, s) in series.enumerated() {
      out.append(try apply(s, dimensions: d, index: index))
    }
    return out
  }

  /// Normalises one series; `index` is reported in the error.
  ///
  /// - Throws: `ZeroSeriesError(index:)` for an all-zero series under `.l2`.
  public func apply(_ s: [Double], dimensions d: Int = 1, index: Int = 0) throws -> [Double] {
    precondition(d >= 1 && s.count % d == 0, "SeriesNormalization: series length not a multiple of dimensions")
    switch self {
    case .none:
      return s
    case .l2:
      var sum = 0.0
      for v in s { sum += v * v }
      if sum > 0 && sum.isFinite {
        let norm = sum.squareRoot()
        return s.map { $0 / norm }
      }
      // Σx² underflowed to 0 or overflowed: rescale by max |x| first (never 0/0 or x/∞).
      let largest = s.reduce(0.0) { max($0, abs($1)) }
      guard largest > 0 else { throw ZeroSeriesError(index: index) }
      let scaled = s.map { $0 / largest }
      var scaledSum = 0.0
      for v in scaled { scaledSum += v * v }
      let norm = scaledSum.squareRoot()
      return scaled.map { $0 / norm }
    case .zscore:
      let length = s.count / d
      guard length > 0 else { return s }
      var out = s
      for f in 0..<d {
        var total = 0.0
        for t in 0..<length { total += s[t * d + f] }
        let mean = total / Double(length)
        var squares = 0.0
        for t in 0..<length {
          let c = s[t * d + f] - mean
          squares += c * c
        }
        var std = (squares / Double(length)).squareRoot()
        if std == 0 { std = 1 }
        for t in 0..<length { out[t * d + f] = (s[t * d + f] - mean) / std }
      }
      return out
    }
  }
}

/// An all-zero series cannot be L2-normalised (its norm is 0). `index` is the 0-based position of the series
/// in the input (the CLI maps it to a learner id). Exit status 65 (`EX_DATAERR`).
public struct ZeroSeriesError: CohortLensError, Equatable {
  /// 0-based index of the offending series.
  public var index: Int
  public init(index: Int) { self.index = index }
  public var exitCode: Int32 { 65 }
  public var description: String {
    "series \(index) is all zeros and cannot be L2-normalised; drop it or use another normalisation"
  }
}
