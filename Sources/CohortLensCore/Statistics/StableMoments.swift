/// Means and centring shifts of finite values that neither overflow nor lose a constant column.
///
/// A plain sum of `n` values near ±1.8e308 overflows to ±∞ (1e308 + 1e308), so the mean of a column that
/// holds 1e308 in every row would come out as ∞ although 1e308 is representable. These helpers sum in the
/// usual order first (so results are bit-identical to a plain sum wherever that sum is finite) and only when
/// the sum overflows divide the values by the power of two at their largest magnitude — an exact operation —
/// sum those (each is below 2 in magnitude, nothing overflows) with compensation, and scale the mean back.
/// The result is then clamped to `[min, max]` of the values, so a constant sequence gives exactly its value
/// (and centring it gives exactly 0) even where the rescaled sum rounds.
///
/// Values that are not finite (NaN, ±∞) are not treated specially: they propagate as in a plain sum.
///
/// - Complexity: O(n) (a second and third pass only when the plain sum overflows).
public enum StableMoments {
  /// The power of two at the magnitude of `m` (`2^⌊log₂ m⌋`), so that `|x| / scale < 2` for every
  /// `|x| ≤ m`; 1 for 0 or a non-finite `m`. Dividing by it is exact unless a result is subnormal.
  public static func powerOfTwo(atMagnitude m: Double) -> Double {
    guard m.isFinite, m > 0 else { return 1 }
    return Double(sign: .plus, exponent: m.exponent, significand: 1)
  }

  /// The mean of `count` values at `base[0]`, `base[stride]`, … (the values in that order).
  ///
  /// Sequential sum divided by `count` when the sum is finite (or some value is not); otherwise the
  /// rescaled compensated sum described in the type's notes. Clamped to the values' range either way (a
  /// plain sum of a constant column can round away from its value: 0.1 three times averages to
  /// 0.10000000000000002). `nil` for `count == 0`.
  public static func mean(_ base: UnsafePointer<Double>, count: Int, stride: Int = 1) -> Double? {
    guard count > 0 else { return nil }
    var sum = 0.0
    var lo = Double.infinity, hi = -Double.infinity
    for t in 0..<count {
      let v = base[t * stride]
      sum += v
      lo = Swift.min(lo, v)
      hi = Swift.max(hi, v)
    }
    if !(lo.isFinite && hi.isFinite) { return sum / Double(count) }
    var m = sum / Double(count)
    if !m.isFinite { m = rescaledMean(base, count: count, stride: stride, largest: Swift.max(-lo, hi)) }
    return Swift.min(Swift.max(m, lo), hi)
  }

  /// ``mean(_:count:stride:)`` of an array; `nil` when it is empty.
  public static func mean(_ values: [Double]) -> Double? {
    values.withUnsafeBufferPointer { p in p.isEmpty ? nil : mean(p.baseAddress!, count: p.count) }
  }

  /// Column centring shifts of a row-major `rows × columns` matrix: for every column the
  /// ``mean(_:count:stride:)`` of its values (0 for an empty matrix).
  ///
  /// Subtracting them makes every constant column exactly 0 and moves the data next to the origin, which
  /// is what the dot-product form of squared distances `‖a‖² + ‖b‖² − 2aᵀb` needs to stay accurate: its
  /// rounding error is relative to `‖a‖²`, so an offset of 1.7e12 (epoch milliseconds) or a column of
  /// 1e10 cancels every digit of the distances between ordinary points.
  public static func columnCentres(_ x: UnsafeBufferPointer<Double>, rows: Int, columns: Int) -> [Double] {
    guard rows > 0, columns > 0, let base = x.baseAddress else { return [Double](repeating: 0, count: columns) }
    return (0..<columns).map { j in mean(base + j, count: rows, stride: columns)! }
  }

  /// Mean of values whose plain sum overflowed: each divided by the power of two at `largest`, summed with
  /// TwoSum compensation, averaged and scaled back (may round to ±∞ next to ±1.8e308; the caller clamps).
  static func rescaledMean(_ base: UnsafePointer<Double>, count: Int, stride: Int, largest: Double) -> Double {
    let scale = powerOfTwo(atMagnitude: largest)
    var sum = 0.0, compensation = 0.0
    for t in 0..<count {
      let v = base[t * stride] / scale
      let s = sum + v
      let vv = s - sum
      compensation += (sum - (s - vv)) + (v - vv)
      sum = s
    }
    return (sum + compensation) / Double(count) * scale
  }
}
