import CohortLensCore
import LinearAlgebra

/// Per-feature (or per-row) scaling applied to the feature matrix before building affinities.
///
/// Each case reproduces a scikit-learn 1.9.1 transformer's `fit_transform` on dense float64
/// input, following its arithmetic order (`sklearn/preprocessing/_data.py`,
/// `sklearn/utils/extmath.py::_incremental_mean_and_var`). Measured agreement on the golden
/// fixture: ≤ 1e-12 (bit-identical on most entries).
///
/// Input must be finite (NaN handling of scikit-learn — "ignore NaN when fitting" — is not
/// reproduced; NaN propagates).
///
/// **Huge values.** Where scikit-learn's sums overflow on finite input (values near ±1.8e308: a column
/// of 1e308 has mean ∞, a column of ±1e300 variance ∞, a range 1e308 − (−1e308) = ∞, a row norm ∞) it
/// returns NaN, ∞ or zeros. CohortLens redoes only that column (or row) on its values divided by a power
/// of two (exact), which gives the finite result: a constant column of 1e308 becomes exactly 0 under
/// `standard` and `minmax`, a column of ±1e300 becomes ±1 under `standard`. Everything else follows
/// scikit-learn's arithmetic bit for bit.
public enum FeatureScaling: String, CaseIterable, Sendable {
  /// `StandardScaler()`: `(x − mean_j) / scale_j` with the population standard deviation.
  ///
  /// Mean and variance as `_incremental_mean_and_var` on a first fit:
  /// `sum_j = Σ_i x_ij` (sequential, row order), `mean_j = sum_j / n`,
  /// `t_ij = x_ij − mean_j`, `var_j = (Σ t_ij² − (Σ t_ij)² / n) / n` (corrected two-pass,
  /// Chan, Golub & LeVeque 1983). A column is *constant* when
  /// `var_j ≤ n·ε·var_j + (n·mean_j·ε)²` (`_is_constant_feature`, ε = 2.22e-16); its scale is
  /// 1 (it is only centred, so it becomes 0 or a few ulps). Otherwise `scale_j = √var_j`.
  case standard
  /// `MinMaxScaler()` to [0, 1]: `x·s_j + m_j` with `s_j = 1 / (max_j − min_j)` and
  /// `m_j = −min_j·s_j`; a range `< 10·ε` counts as 1 (`_handle_zeros_in_scale`), so a constant
  /// column becomes 0.
  case minmax
  /// `Normalizer(norm="l2")`: each row divided by its Euclidean norm; norms `< 10·ε` count as 1,
  /// so zero rows stay zero.
  case l2
  /// No scaling.
  case none

  /// The scaled copy of `x` (`n × d`, one sample per row).
  ///
  /// - Complexity: O(n·d) time, one copy of `x`.
  public func apply(_ x: Matrix) -> Matrix {
    switch self {
    case .standard: return Self.standardize(x)
    case .minmax: return Self.minMax(x)
    case .l2: return Self.normalizeRows(x)
    case .none: return x
    }
  }

  /// Where squared Euclidean distances between the rows of `x` (scaled features) exceed the `Double`
  /// range even after centring, so that ``Affinity/rbf(_:gamma:)`` (and a kNN graph) cannot be
  /// computed: the row and column of the centred entry of largest magnitude (the column to name in an
  /// error, the row to locate it), or `nil` when the distances fit (the usual case: finite entries below
  /// ≈ 1e153 after centring). See ``Pairwise/largestCenteredEntry(_:)``.
  /// - Complexity: O(n·d).
  public static func squaredDistanceOverflow(_ x: Matrix) -> (row: Int, column: Int)? {
    Pairwise.largestCenteredEntry(x).map { ($0.row, $0.column) }
  }

  /// Machine epsilon of `Double` (NumPy `finfo(float64).eps`).
  static let eps = Double.ulpOfOne

  static func standardize(_ x: Matrix) -> Matrix {
    let n = x.rows, d = x.columns
    guard n > 0, d > 0 else { return x }
    let nn = Double(n)
    var sum = [Double](repeating: 0, count: d)
    x.storage.withUnsafeBufferPointer { p in
      for i in 0..<n { for j in 0..<d { sum[j] += p[i * d + j] } }
    }
    let mean = sum.map { $0 / nn }
    var correction = [Double](repeating: 0, count: d)
    var squares = [Double](repeating: 0, count: d)
    x.storage.withUnsafeBufferPointer { p in
      for i in 0..<n {
        for j in 0..<d {
          let t = p[i * d + j] - mean[j]
          correction[j] += t
          squares[j] += t * t
        }
      }
    }
    var scale = [Double](repeating: 1, count: d)
    for j in 0..<d {
      let variance = (squares[j] - correction[j] * correction[j] / nn) / nn
      let bound = nn * eps * variance + (nn * mean[j] * eps) * (nn * mean[j] * eps)
      scale[j] = variance <= bound ? 1 : variance.squareRoot()
    }
    // Columns whose sums overflowed although every value is finite are redone rescaled.
    var rescaled = [Bool](repeating: false, count: d)
    for j in 0..<d where !(mean[j].isFinite && squares[j].isFinite && correction[j].isFinite) {
      rescaled[j] = x.storage.withUnsafeBufferPointer { p in (0..<n).allSatisfy { p[$0 * d + j].isFinite } }
    }
    var out = x
    out.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<n { for j in 0..<d where !rescaled[j] { p[i * d + j] = (p[i * d + j] - mean[j]) / scale[j] } }
    }
    for j in 0..<d where rescaled[j] { standardizeRescaled(&out, column: j) }
    return out
  }

  /// `standardize` of column j (finite values whose sum or squared deviations overflow), on the values
  /// divided by the power of two `s` at their largest magnitude: mean by ``StableMoments`` (clamped to the
  /// column's range, so a constant column centres to exactly 0), then the same corrected two-pass variance
  /// and constant-column rule on `x/s − mean/s` (both sides of the rule scale by s², so it is unchanged).
  static func standardizeRescaled(_ x: inout Matrix, column j: Int) {
    let n = x.rows, d = x.columns, nn = Double(n)
    x.storage.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      let mean = StableMoments.mean(base + j, count: n, stride: d)!
      var largest = 0.0
      for i in 0..<n { largest = Swift.max(largest, abs(p[i * d + j])) }
      let s = StableMoments.powerOfTwo(atMagnitude: largest)
      let meanScaled = mean / s
      var correction = 0.0, squares = 0.0
      for i in 0..<n {
        let t = p[i * d + j] / s - meanScaled
        correction += t
        squares += t * t
      }
      let variance = (squares - correction * correction / nn) / nn
      let bound = nn * eps * variance + (nn * meanScaled * eps) * (nn * meanScaled * eps)
      if variance <= bound {
        for i in 0..<n { p[i * d + j] -= mean }
      } else {
        let std = variance.squareRoot()
        for i in 0..<n { p[i * d + j] = (p[i * d + j] / s - meanScaled) / std }
      }
    }
  }

  static func minMax(_ x: Matrix) -> Matrix {
    let n = x.rows, d = x.columns
    guard n > 0, d > 0 else { return x }
    var lo = x.row(0), hi = x.row(0)
    for i in 1..<max(1, n) {
      for j in 0..<d {
        let v = x.storage[i * d + j]
        if v < lo[j] { lo[j] = v }
        if v > hi[j] { hi[j] = v }
      }
    }
    var scale = [Double](repeating: 1, count: d), shift = [Double](repeating: 0, count: d)
    // max − min overflows only for finite values of both signs near ±1.8e308: halve both first.
    var halved = [Bool](repeating: false, count: d)
    for j in 0..<d {
      var range = hi[j] - lo[j]
      if range == .infinity && lo[j].isFinite && hi[j].isFinite { halved[j] = true; range = hi[j] / 2 - lo[j] / 2 }
      if range < 10 * eps { range = 1 }
      scale[j] = 1.0 / range
      shift[j] = 0 - lo[j] * scale[j]
    }
    var out = x
    out.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<n {
        for j in 0..<d {
          p[i * d + j] = halved[j] ? (p[i * d + j] / 2 - lo[j] / 2) * scale[j] : p[i * d + j] * scale[j] + shift[j]
        }
      }
    }
    return out
  }

  static func normalizeRows(_ x: Matrix) -> Matrix {
    let n = x.rows, d = x.columns
    var out = x
    out.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<n {
        var s = 0.0
        var largest = 0.0
        for j in 0..<d { let v = p[i * d + j]; s += v * v; largest = Swift.max(largest, abs(v)) }
        if s == .infinity && largest.isFinite {
          // Σx² overflowed on finite values: divide by the power of two at the largest first.
          let scale = StableMoments.powerOfTwo(atMagnitude: largest)
          var t = 0.0
          for j in 0..<d { let v = p[i * d + j] / scale; t += v * v }
          let norm = t.squareRoot()
          for j in 0..<d { p[i * d + j] = p[i * d + j] / scale / norm }
          continue
        }
        var norm = s.squareRoot()
        if norm < 10 * eps { norm = 1 }
        for j in 0..<d { p[i * d + j] /= norm }
      }
    }
    return out
  }
}
