import CohortLensCore
import LinearAlgebra

/// Per-series normalisation applied before DTW.
///
/// Each series is row-major (`L·d` values, `d` features per time step) and is normalised on its own:
///
/// | case | formula | reference |
/// | --- | --- | --- |
/// | `l2` | `x / ‖x‖₂` over all `L·d` values; `‖x‖₂ = √(xᵀx)` by OpenBLAS `ddot`, as NumPy's `norm` | the lecture's normalisation (`s / np.linalg.norm(s)`) |
/// | `zscore` | per feature f: `(x[t,f] − mean_f) / std_f`, population std (ddof 0); a constant feature (all values equal, std 0) becomes all zeros | tslearn 0.10.0 `TimeSeriesScalerMeanVariance()` (`tslearn/preprocessing/preprocessing.py`) |
/// | `none` | unchanged | |
///
/// Under `l2` a series whose Σx² underflows (below 2⁻⁹⁶⁹, where squares lose bits in the subnormal range) or
/// overflows is first divided by its largest |value|; under `zscore`
/// a feature whose sum or squared deviations overflow is standardised on its values divided by a power of two,
/// with the mean clamped to the values' range (a constant feature of 1.7e308 gives zeros, as one of 1 does). An all-zero
/// series has no direction: under `l2` it is an error (`ZeroSeriesError`, naming the series index)
/// instead of the NaN (0/0) that NumPy produces — tslearn's `cdist_dtw` would silently give +∞ for such a
/// series. `zscore` reproduces NumPy's summation order (`numpySum`) and is bit-identical to tslearn, except
/// for a constant feature whose NumPy mean rounds (NumPy averages 27 × 0.1 to 0.10000000000000002): tslearn's std is
/// then that rounding error and its z-scores are all ±1; here a constant feature is always zeros. `l2` takes
/// Σx² from the BLAS dot product `np.linalg.norm` calls, so it is bit-identical where NumPy's OpenBLAS and
/// ours pick the same kernel for the CPU (measured: all 30 fixture series and 995 random ones); with another
/// kernel the sum can differ in the last bit (≤ 1e-15 relative).
///
/// **Unequal lengths under `zscore`.** tslearn scales the NaN-padded dataset (`to_time_series_dataset`: every
/// series padded with NaN to the longest length `L_max`), and NumPy's `nanmean` / `nanstd` replace the NaNs by 0
/// and sum over all `L_max` steps before dividing by the count of real values (the variance squares the
/// deviations only where a value exists; the padded zeros stay in the sum). The pairwise summation therefore
/// groups a short series' values as in an array of length `L_max`, which changes the last bits of its mean and
/// standard deviation. `apply(_:dimensions:index:paddedLength:)` takes that dataset length (`paddedLength`), and
/// the dataset forms (`apply(_:dimensions:)`, `SeriesSet.normalized`) pass the longest series' length, so the
/// z-scores equal tslearn's bit for bit for unequal lengths too.
///
/// - Complexity: O(L·d) per series.
public enum SeriesNormalization: Sendable, Equatable, CaseIterable {
  case l2, zscore, none

  /// The sum NumPy's `nansum(X, axis=1)` computes over a `(n, L, d)` dataset for one series and feature: with
  /// `stride == 1` (d = 1, contiguous) NumPy's pairwise summation (`pairwise_sum`: sequential below 8 values,
  /// 8 interleaved accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus a sequential tail up to
  /// 128 values, halves split at a multiple of 8 above); with a stride (d > 1) NumPy adds row by row, i.e.
  /// sequentially. This makes `zscore` bit-identical to tslearn.
  static func numpySum(_ a: [Double], start: Int, count n: Int, stride: Int) -> Double {
    numpySum(a, start: start, count: n, stride: stride, pairwise: stride == 1)
  }

  /// The mean NumPy's `np.mean(values)` computes for a contiguous 1-D array: the pairwise sum of
  /// ``numpySum(_:start:count:stride:)`` divided by the count (so a summary's mean distance is the
  /// `np.mean(D[np.triu_indices(n, 1)])` of the same distances in the same order, bit for bit); where that sum
  /// overflows, the mean of the values without overflow (``StableMoments/mean(_:)``). Nil when empty. O(n).
  public static func numpyMean(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let mean = numpySum(values, start: 0, count: values.count, stride: 1) / Double(values.count)
    return mean.isFinite ? mean : StableMoments.mean(values)
  }

  /// `numpySum(_:start:count:stride:)` with the summation order chosen explicitly: pairwise (NumPy's inner loop
  /// over a contiguous axis) or sequential (the reduced axis is not the innermost one, d > 1).
  static func numpySum(_ a: [Double], start: Int, count n: Int, stride: Int, pairwise: Bool) -> Double {
    if !pairwise || n < 8 {
      var r = 0.0
      for t in 0..<n { r += a[start + t * stride] }
      return r
    }
    if n <= 128 {
      var r0 = a[start], r1 = a[start + stride], r2 = a[start + 2 * stride], r3 = a[start + 3 * stride]
      var r4 = a[start + 4 * stride], r5 = a[start + 5 * stride], r6 = a[start + 6 * stride], r7 = a[start + 7 * stride]
      var i = 8
      while i < n - n % 8 {
        let p = start + i * stride
        r0 += a[p]; r1 += a[p + stride]; r2 += a[p + 2 * stride]; r3 += a[p + 3 * stride]
        r4 += a[p + 4 * stride]; r5 += a[p + 5 * stride]; r6 += a[p + 6 * stride]; r7 += a[p + 7 * stride]
        i += 8
      }
      var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
      while i < n {
        res += a[start + i * stride]
        i += 1
      }
      return res
    }
    var n2 = n / 2
    n2 -= n2 % 8
    return numpySum(a, start: start, count: n2, stride: stride, pairwise: true)
      + numpySum(a, start: start + n2 * stride, count: n - n2, stride: stride, pairwise: true)
  }

  /// Normalises every series of `series` (`dimensions` features per time step), as one dataset: under
  /// `.zscore` the sums run over the longest series' length (tslearn's NaN-padded dataset, see above).
  ///
  /// - Throws: `ZeroSeriesError` for the first all-zero series under `.l2`.
  public func apply(_ series: [[Double]], dimensions d: Int = 1) throws -> [[Double]] {
    let longest = series.map { $0.count / Swift.max(1, d) }.max() ?? 0
    var out: [[Double]] = []
    out.reserveCapacity(series.count)
    for (index, s) in series.enumerated() {
      out.append(try apply(s, dimensions: d, index: index, paddedLength: longest))
    }
    return out
  }

  /// Normalises one series; `index` is reported in the error. `paddedLength` (`.zscore` only): the length of
  /// the dataset the series belongs to (its longest series; default and minimum: this series' length). NumPy's
  /// `nanmean` / `nanstd` over tslearn's NaN-padded dataset sum that many terms, the padding counting as 0, so
  /// the last bits of a shorter series' mean and standard deviation depend on it.
  ///
  /// - Throws: `ZeroSeriesError(index:)` for an all-zero series under `.l2`.
  public func apply(_ s: [Double], dimensions d: Int = 1, index: Int = 0, paddedLength: Int? = nil) throws -> [Double] {
    precondition(d >= 1 && s.count % d == 0, "SeriesNormalization: series length not a multiple of dimensions")
    switch self {
    case .none:
      return s
    case .l2:
      // NumPy's norm is √(x.dot(x)), an OpenBLAS ddot: the same call gives the same sum.
      let sum = BLAS.squaredNorm(s)
      // Below 2⁻⁹⁶⁹ the squares of the largest values are within 53 bits of the subnormal range, where they
      // lose precision (values of 3e-162 square to 9e-324 ≈ 2 × 2⁻¹⁰⁷⁴): rescaled too, like an underflow to 0.
      // NumPy divides by that inexact norm (‖x/‖x‖‖ = 1.006 for [3e-162, 1e-162]); above it, by NumPy's own.
      if sum >= 0x1p-969 && sum.isFinite {
        let norm = sum.squareRoot()
        return s.map { $0 / norm }
      }
      // Σx² underflowed (to 0 or near the subnormals) or overflowed: rescale by max |x| first (never 0/0 or x/∞).
      let largest = s.reduce(0.0) { max($0, abs($1)) }
      guard largest > 0 else { throw ZeroSeriesError(index: index) }
      let scaled = s.map { $0 / largest }
      let norm = BLAS.squaredNorm(scaled).squareRoot()
      return scaled.map { $0 / norm }
    case .zscore:
      let length = s.count / d
      guard length > 0 else { return s }
      // tslearn's dataset is padded with NaN to `padded` steps; NumPy's nan-reductions read the padding as 0
      // and sum all `padded` terms (pairwise for d = 1, where the reduced axis is contiguous; sequentially,
      // step by step, for d > 1), then divide by the `length` real values.
      let padded = Swift.max(paddedLength ?? length, length)
      let pairwise = d == 1
      var out = s
      // One feature, its values divided by `scale` (a power of two, so the division is exact).
      func standardize(_ f: Int, scale: Double) -> Bool {
        // A constant feature has standard deviation 0 and becomes zeros. Computed, its mean can round
        // (NumPy averages 27 × 0.1 to 0.10000000000000002): the deviations are then all the same rounding error,
        // the "standard deviation" that error, and every z-score ±1 — what tslearn returns there.
        let first = s[f]
        if (1..<length).allSatisfy({ s[$0 * d + f] == first }) {
          for t in 0..<length { out[t * d + f] = 0 }
          return true
        }
        var x = [Double](repeating: 0, count: padded)
        for t in 0..<length { x[t] = scale == 1 ? s[t * d + f] : s[t * d + f] / scale }
        var mean = Self.numpySum(x, start: 0, count: padded, stride: 1, pairwise: pairwise) / Double(length)
        if scale != 1 {
          // Rescaled (overflow) path only: keep the mean inside the values' range (the rescaled sum of
          // values near 1.8e308 can round outside it).
          var lo = Double.infinity, hi = -Double.infinity
          for t in 0..<length { lo = min(lo, x[t]); hi = max(hi, x[t]) }
          mean = min(max(mean, lo), hi)
        }
        // Squared deviations where a value exists; the padding stays 0 in the sum (NumPy's nanvar).
        var deviations = [Double](repeating: 0, count: padded)
        for t in 0..<length {
          let c = x[t] - mean
          deviations[t] = c * c
        }
        let squares = Self.numpySum(deviations, start: 0, count: padded, stride: 1, pairwise: pairwise)
        var std = (squares / Double(length)).squareRoot()
        if std == 0 { std = 1 }
        var finite = mean.isFinite && std.isFinite
        for t in 0..<length {
          let z = (x[t] - mean) / std
          out[t * d + f] = z
          finite = finite && z.isFinite
        }
        return finite
      }
      for f in 0..<d where !standardize(f, scale: 1) {
        // The sum or the squared deviations overflowed (values near ±1.8e308, where tslearn returns
        // inf/NaN, or zeros when only the variance overflows). z-scores do not change when the values
        // are scaled, so redo this feature with the values divided by the power of two at their
        // largest magnitude: |x| < 2, nothing overflows (the mean clamped to the values' range).
        var largest = 0.0
        for t in 0..<length { largest = max(largest, abs(s[t * d + f])) }
        _ = standardize(f, scale: StableMoments.powerOfTwo(atMagnitude: largest))
      }
      return out
    }
  }
}

extension SeriesNormalization {
  /// Whether `.zscore` of `s` deliberately differs from tslearn: some feature has all its values equal (a
  /// constant feature, which this type z-scores to zeros) while NumPy's mean of those equal values rounds
  /// away from them (27 × 0.1 averages to 0.10000000000000002). tslearn's `TimeSeriesScalerMeanVariance`
  /// then divides the rounding error by itself and returns ±1 at every step. Always `false` for `.l2` and
  /// `.none`, and for a constant feature whose mean is exact (tslearn gives zeros too).
  ///
  /// `paddedLength` as in ``apply(_:dimensions:index:paddedLength:)``. Complexity: O(length · d).
  public func differsFromTSLearnOnConstantFeature(_ s: [Double], dimensions d: Int = 1, paddedLength: Int? = nil) -> Bool {
    guard self == .zscore, d >= 1, s.count % d == 0 else { return false }
    let length = s.count / d
    guard length > 0 else { return false }
    let padded = Swift.max(paddedLength ?? length, length)
    for f in 0..<d {
      let first = s[f]
      guard first.isFinite, (1..<length).allSatisfy({ s[$0 * d + f] == first }) else { continue }
      var x = [Double](repeating: 0, count: padded)
      for t in 0..<length { x[t] = first }
      let mean = Self.numpySum(x, start: 0, count: padded, stride: 1, pairwise: d == 1) / Double(length)
      if mean.isFinite && mean != first { return true }
    }
    return false
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
