#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Standard normal distribution functions used by LIME's truncated-normal sampler, following the
/// definitions of SciPy 1.17 (`scipy.special.ndtr`, `log_ndtr`, `ndtri`, `ndtri_exp` and
/// `scipy.stats.truncnorm._ppf`). Values agree with SciPy to a few ulp (not bit for bit: the
/// C library's `erf`/`erfc` stand in for Cephes).
public enum NormalDistribution {
  static let sqrt1_2 = 0.707_106_781_186_547_524_400_844_362_104_849_039
  static let sqrt2pi = 2.506_628_274_631_000_502_415_765_284_811_045_253
  static let logSqrt2pi = 0.918_938_533_204_672_741_780_329_736_405_617_639

  /// Φ(a) = ½·erfc(−a/√2), evaluated as Cephes `ndtr` (erf near 0, erfc in the tails).
  public static func cdf(_ a: Double) -> Double {
    let x = a * 0.707_106_781_186_547_524_4
    let z = Swift.abs(x)
    if z < 0.707_106_781_186_547_524_4 { return 0.5 + 0.5 * erf(x) }
    let y = 0.5 * erfc(z)
    return x > 0 ? 1 - y : y
  }

  /// log Φ(a) as SciPy's `log_ndtr`: `−Φ(−a)` above 6, `log Φ(a)` down to −20, an asymptotic
  /// series below (accurate to full precision in the far left tail).
  public static func logCDF(_ a: Double) -> Double {
    if a > 6 { return -cdf(-a) }
    if a > -20 { return log(cdf(a)) }
    let logLHS = -0.5 * a * a - log(-a) - logSqrt2pi
    var lastTotal = 0.0, rhs = 1.0, numerator = 1.0, denomFactor = 1.0
    let denomCons = 1.0 / (a * a)
    var sign = 1.0, i = 0.0
    while Swift.abs(lastTotal - rhs) > Double.ulpOfOne {
      i += 1
      lastTotal = rhs
      sign = -sign
      denomFactor *= denomCons
      numerator *= 2 * i - 1
      rhs += sign * numerator * denomFactor
    }
    return logLHS + log(rhs)
  }

  /// Acklam's rational approximation of Φ⁻¹(p) (relative error < 1.2e-9), no refinement.
  public static func quantileApproximation(_ p: Double) -> Double {
    if p <= 0 { return -.infinity }
    if p >= 1 { return .infinity }
    let pLow = 0.02425
    if p < pLow {
      let q = (-2 * log(p)).squareRoot()
      return (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
        - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
        / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
          + 3.754408661907416e+00) * q + 1)
    }
    if p <= 1 - pLow {
      let q = p - 0.5
      let r = q * q
      return (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
        + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
        / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
          + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1)
    }
    let q = (-2 * log1p(-p)).squareRoot()
    return -(((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
      - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
      / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
        + 3.754408661907416e+00) * q + 1)
  }

  /// Φ⁻¹(p) to full double precision (Acklam + one Halley step on erfc), as SciPy's `ndtri`.
  public static func quantile(_ p: Double) -> Double {
    var x = quantileApproximation(p)
    guard x.isFinite else { return x }
    let e = 0.5 * erfc(-x * sqrt1_2) - p
    let u = e * sqrt2pi * exp(0.5 * x * x)
    x -= u / (1 + 0.5 * x * u)
    return x
  }

  /// Φ⁻¹(exp(y)) for y ≤ 0 (SciPy `ndtri_exp`): `−ndtri(−expm1(y))` near 0, `ndtri(exp(y))` in
  /// the middle, Newton iterations on `log_ndtr` in the far tail.
  public static func quantileOfLog(_ y: Double) -> Double {
    if y == -.infinity { return -.infinity }
    if y >= 0 { return .infinity }
    if y > -0.145_413_457_868_744_91 { return -quantile(-expm1(y)) }  // log1p(−exp(−2))
    if y > -700 { return quantile(exp(y)) }
    // Far tail: x² ≈ −2y − 2·log(−x) − log 2π, refined by Newton on log Φ(x) = y.
    var x = -(-2 * y).squareRoot()
    x = -(-2 * y - 2 * log(-x) - 2 * logSqrt2pi).squareRoot()
    for _ in 0..<4 {
      let l = logCDF(x)
      let ratio = exp(-0.5 * x * x - logSqrt2pi - l)
      x -= (l - y) / ratio
    }
    return x
  }

  /// log(eᵃ + eᵇ) (two-term `scipy.special.logsumexp`).
  public static func logSum(_ a: Double, _ b: Double) -> Double {
    let m = Swift.max(a, b), o = Swift.min(a, b)
    if m == -.infinity { return m }
    return m + log1p(exp(o - m))
  }

  /// log(eᵃ − eᵇ) for a ≥ b.
  public static func logDiff(_ a: Double, _ b: Double) -> Double {
    a + log1p(-exp(b - a))
  }

  /// log(Φ(b) − Φ(a)), SciPy's `_log_gauss_mass`: left tail directly, right tail by symmetry,
  /// central intervals as log1p(−Φ(a) − Φ(−b)).
  public static func logMass(_ a: Double, _ b: Double) -> Double {
    if b <= 0 { return logDiff(logCDF(b), logCDF(a)) }
    if a > 0 { return logDiff(logCDF(-a), logCDF(-b)) }
    return log1p(-cdf(a) - cdf(-b))
  }
}

/// A standard normal truncated to [a, b], sampled by inverse CDF as SciPy 1.17
/// `truncnorm.rvs(a, b, loc, scale, random_state)`: one uniform `q` per draw, then `_ppf`:
/// for a < 0, x = ndtri_exp(logsumexp(log Φ(a), log q + log M)), else
/// x = −ndtri_exp(logsumexp(log Φ(−b), log1p(−q) + log M)), with M = Φ(b) − Φ(a);
/// the draw is x·scale + loc. Constants per interval are computed once.
public struct TruncatedNormal: Sendable {
  public let a: Double
  public let b: Double
  public let loc: Double
  public let scale: Double
  let left: Bool
  let logTail: Double
  let logMass: Double
  // Probability-space constants for the fast sampler.
  let tailCDF: Double
  let mass: Double

  public init(a: Double, b: Double, loc: Double, scale: Double) {
    self.a = a
    self.b = b
    self.loc = loc
    self.scale = scale
    left = a < 0
    logMass = NormalDistribution.logMass(a, b)
    logTail = left ? NormalDistribution.logCDF(a) : NormalDistribution.logCDF(-b)
    if left {
      tailCDF = NormalDistribution.cdf(a)
      mass = NormalDistribution.cdf(b) - tailCDF
    } else {
      tailCDF = NormalDistribution.cdf(-b)
      mass = NormalDistribution.cdf(-a) - tailCDF
    }
  }

  /// SciPy's ppf at `q` ∈ [0, 1), times `scale` plus `loc` (reference path, ≈1e-15 relative).
  public func exact(_ q: Double) -> Double {
    let x: Double
    if left {
      x = NormalDistribution.quantileOfLog(NormalDistribution.logSum(logTail, log(q) + logMass))
    } else {
      x = -NormalDistribution.quantileOfLog(NormalDistribution.logSum(logTail, log1p(-q) + logMass))
    }
    return x * scale + loc
  }

  /// The same inverse CDF in probability space with Acklam's approximation (≈1e-9 relative in x):
  /// the default sampler, several times faster than `exact`. Falls back to `exact` when the
  /// interval's mass is too small for probability space.
  public func fast(_ q: Double) -> Double {
    guard mass > 1e-12 else { return exact(q) }
    let x: Double
    if left {
      x = NormalDistribution.quantileApproximation(tailCDF + q * mass)
    } else {
      x = -NormalDistribution.quantileApproximation(tailCDF + (1 - q) * mass)
    }
    return Swift.min(Swift.max(x, a), b) * scale + loc
  }
}
