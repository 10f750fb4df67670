import CohortLensCore
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Binomial and multinomial draws bit-identical to NumPy's legacy `RandomState.binomial` /
/// `RandomState.multinomial` (numpy `random/src/distributions/distributions.c`:
/// `random_binomial` = inversion when `n·min(p, 1−p) ≤ 30`, else BTPE of Kachitvichyanukul &
/// Schmeiser 1988; `random_multinomial` = the binomial chain `X_j ~ Bin(n − Σ_{i<j} X_i,
/// p_j / (1 − Σ_{i<j} p_i))`), driven by ``NumPyRandomState/randomSample()``.
///
/// So `Multinomial.draw(n, p, &RandomState(seed))` repeated B times equals
/// `numpy.random.RandomState(seed).multinomial(n, p, size=B)`, row by row.
public enum Multinomial {
  /// One draw of `Binomial(n, p)`. Expected O(1) for BTPE, O(n·p) for inversion.
  ///
  /// As NumPy, `p` is not clamped: a chain ratio that rounds to slightly above 1 (or below 0)
  /// goes through the inversion branch, which then returns n (or 0) after consuming one uniform —
  /// kept so that the stream stays bit-identical.
  public static func binomial(_ n: Int, _ p: Double, _ rng: inout NumPyRandomState) -> Int {
    if n == 0 || p == 0 { return 0 }
    if p <= 0.5 {
      return p * Double(n) <= 30 ? inversion(n, p, &rng) : btpe(n, p, &rng)
    }
    let q = 1 - p
    return q * Double(n) <= 30 ? n - inversion(n, q, &rng) : n - btpe(n, q, &rng)
  }

  /// One multinomial draw of `n` items over cells with probabilities `p` (summing to 1), into `out`
  /// (resized to `p.count`). O(cells) binomial draws.
  public static func draw(_ n: Int, _ p: [Double], into out: inout [Int], _ rng: inout NumPyRandomState) {
    let d = p.count
    if out.count != d { out = [Int](repeating: 0, count: d) } else {
      for j in 0..<d { out[j] = 0 }
    }
    guard d > 0 else { return }
    var remaining = 1.0
    var dn = n
    var j = 0
    while j < d - 1 {
      out[j] = binomial(dn, p[j] / remaining, &rng)
      dn -= out[j]
      if dn <= 0 { break }
      remaining -= p[j]
      j += 1
    }
    if dn > 0 { out[d - 1] = dn }
  }

  static func inversion(_ n: Int, _ p: Double, _ rng: inout NumPyRandomState) -> Int {
    let q = 1 - p
    let qn = exp(Double(n) * log(q))
    let np = Double(n) * p
    let bound = Int(min(Double(n), np + 10 * (np * q + 1).squareRoot()))
    var x = 0
    var px = qn
    var u = rng.randomSample()
    while u > px {
      x += 1
      if x > bound {
        x = 0
        px = qn
        u = rng.randomSample()
      } else {
        u -= px
        px = (Double(n - x + 1) * p * px) / (Double(x) * q)
      }
    }
    return x
  }

  static func btpe(_ n: Int, _ p: Double, _ rng: inout NumPyRandomState) -> Int {
    let nd = Double(n)
    let r = min(p, 1 - p)
    let q = 1 - r
    let fm = nd * r + r
    let m = Int(floor(fm))
    let md = Double(m)
    let p1 = floor(2.195 * (nd * r * q).squareRoot() - 4.6 * q) + 0.5
    let xm = md + 0.5
    let xl = xm - p1
    let xr = xm + p1
    let c = 0.134 + 20.5 / (15.3 + md)
    var a = (fm - xl) / (fm - xl * r)
    let laml = a * (1 + a / 2)
    a = (xr - fm) / (xr * q)
    let lamr = a * (1 + a / 2)
    let p2 = p1 * (1 + 2 * c)
    let p3 = p2 + c / laml
    let p4 = p3 + c / lamr
    let nrq = nd * r * q
    var y = 0
    while true {
      // Step 10
      let u = rng.randomSample() * p4
      var v = rng.randomSample()
      if u <= p1 {
        y = Int(floor(xm - p1 * v + u))
        break
      }
      if u <= p2 {  // Step 20
        let x = xl + (u - p1) / c
        v = v * c + 1 - abs(md - x + 0.5) / p1
        if v > 1 { continue }
        y = Int(floor(x))
      } else if u <= p3 {  // Step 30
        let t = floor(xl + log(v) / laml)
        if t < 0 || v == 0 { continue }
        y = Int(t)
        v = v * (u - p2) * laml
      } else {  // Step 40
        let t = floor(xr - log(v) / lamr)
        if t > nd || v == 0 { continue }
        y = Int(t)
        v = v * (u - p3) * lamr
      }
      // Step 50
      let k = abs(y - m)
      let kd = Double(k)
      if !(k > 20 && kd < nrq / 2 - 1) {
        let s = r / q
        let aa = s * (nd + 1)
        var f = 1.0
        if m < y {
          var i = m + 1
          while i <= y { f *= (aa / Double(i) - s); i += 1 }
        } else if m > y {
          var i = y + 1
          while i <= m { f /= (aa / Double(i) - s); i += 1 }
        }
        if v > f { continue }
        break
      }
      // Step 52
      let rho = (kd / nrq) * ((kd * (kd / 3 + 0.625) + 0.16666666666666666) / nrq + 0.5)
      let t = -kd * kd / (2 * nrq)
      let bigA = log(v)
      if bigA < t - rho { break }
      if bigA > t + rho { continue }
      let yd = Double(y)
      let x1 = yd + 1
      let f1 = md + 1
      let z = nd + 1 - md
      let w = nd - yd + 1
      let x2 = x1 * x1, f2 = f1 * f1, z2 = z * z, w2 = w * w
      func corr(_ v2: Double, _ v1: Double) -> Double {
        (13680.0 - (462.0 - (132.0 - (99.0 - 140.0 / v2) / v2) / v2) / v2) / v1 / 166320.0
      }
      let bound = xm * log(f1 / x1) + (nd - md + 0.5) * log(z / w) + (yd - md) * log(w * r / (x1 * q))
        + corr(f2, f1) + corr(z2, z) + corr(x2, x1) + corr(w2, w)
      if bigA > bound { continue }
      break
    }
    if p > 0.5 { y = n - y }
    return y
  }
}

/// Small statistical helpers: normal quantile, Wilson interval, percentiles, Holm.
public enum FairnessStatistics {
  /// The standard normal quantile Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation refined
  /// by one Halley step with `erfc` (relative error below 1e-15). O(1).
  public static func normalQuantile(_ p: Double) -> Double {
    precondition(p > 0 && p < 1, "normalQuantile needs p in (0, 1)")
    let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
             -3.066479806614716e+01, 2.506628277459239e+00]
    let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
             -1.328068155288572e+01]
    let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
             4.374664141464968e+00, 2.938163982698783e+00]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    let low = 0.02425
    var x: Double
    if p < low {
      let q = (-2 * log(p)).squareRoot()
      x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    } else if p <= 1 - low {
      let q = p - 0.5, r = q * q
      x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    } else {
      let q = (-2 * log(1 - p)).squareRoot()
      x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    // Halley refinement.
    let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
    let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x = x - u / (1 + x * u / 2)
    return x
  }

  /// Wilson score interval for `k` successes in `n` trials at normal quantile `z`:
  /// `(p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`, clamped to [0, 1] (exactly 0 at k = 0, 1 at k = n). `nil` when n = 0.
  /// Reference: Wilson (1927); Brown, Cai & DasGupta (2001). O(1).
  public static func wilson(_ k: Int, _ n: Int, z: Double) -> (lower: Double, upper: Double)? {
    guard n > 0 else { return nil }
    let nd = Double(n), p = Double(k) / nd, z2 = z * z
    let denom = 1 + z2 / nd
    let center = (p + z2 / (2 * nd)) / denom
    let half = z / denom * (p * (1 - p) / nd + z2 / (4 * nd * nd)).squareRoot()
    // The exact limits at k = 0 and k = n are 0 and 1 (rounding would leave ±1e-17).
    return (k == 0 ? 0 : max(0, center - half), k == n ? 1 : min(1, center + half))
  }

  /// NumPy's default (`method='linear'`) quantile of `sorted` (ascending, no NaN): position
  /// `q·(n−1)`, linear interpolation between neighbours. `nil` when empty. O(1).
  public static func quantile(sorted: [Double], _ q: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let pos = q * Double(sorted.count - 1)
    let lo = Int(floor(pos)), hi = min(lo + 1, sorted.count - 1)
    let g = pos - Double(lo)
    // numpy's _lerp: a + (b − a)·g, and b − (b − a)·(1 − g) when g ≥ 0.5.
    let a = sorted[lo], b = sorted[hi]
    let diff = b - a
    return g >= 0.5 ? b - diff * (1 - g) : a + diff * g
  }

  /// Holm–Bonferroni step-down adjusted p-values (same order as `p`):
  /// `p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j))`. Holm (1979). O(m log m).
  public static func holm(_ p: [Double]) -> [Double] {
    let m = p.count
    let order = p.indices.sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
    var out = [Double](repeating: 0, count: m)
    var running = 0.0
    for (rank, i) in order.enumerated() {
      running = max(running, min(1, Double(m - rank) * p[i]))
      out[i] = running
    }
    return out
  }
}
