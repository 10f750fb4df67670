import CLapack

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Weighted, centred normal equations of a design X (n × p), weights w and response y, from which
/// scikit-learn's `Ridge(alpha, fit_intercept=True).fit(X, y, sample_weight=w)` is solved for any
/// subset of columns:
///
///   x̄ = Xᵀw / Σw,  ȳ = wᵀy / Σw,  G = (X − x̄)ᵀ W (X − x̄),  c = (X − x̄)ᵀ W (y − ȳ),
///   β = (G_SS + αI)⁻¹ c_S,  intercept = ȳ − x̄_Sᵀβ   (α not rescaled, intercept not penalised).
///
/// G is formed once with BLAS `dsyrk` on √w·X (O(n·p²)); every subset fit is then O(k³).
public struct WeightedGram: Sendable {
  public let columns: Int
  /// Centred weighted Gram matrix G (p × p, row-major, symmetric).
  public var gram: [Double]
  /// c = (X − x̄)ᵀ W (y − ȳ).
  public var cross: [Double]
  public var xMean: [Double]
  public var yMean: Double
  /// Σ w (y − ȳ)², the weighted total sum of squares.
  public var totalSquares: Double
  public var weightSum: Double

  /// - Parameters: `x` row-major n × p, `w` (n) non-negative weights, `y` (n).
  /// - Complexity: O(n·p²) (one `dsyrk`), O(n·p) memory for the scaled copy.
  public init(x: [Double], rows n: Int, columns p: Int, weights w: [Double], y: [Double]) {
    var copy = x
    self = copy.withUnsafeMutableBufferPointer {
      WeightedGram(x: $0.baseAddress!, rows: n, columns: p, weights: w, y: y, binary: false)
    }
  }

  /// The same on a buffer that is scaled by √w in place for `dsyrk` and then restored. With
  /// `binary` (0/1 entries) and all weights positive the restoration is exact (s·1/s = 1); otherwise
  /// a scaled copy is used and `x` is not touched.
  init(x: UnsafeMutablePointer<Double>, rows n: Int, columns p: Int, weights w: [Double], y: [Double], binary: Bool) {
    columns = p
    var s = 0.0
    for i in 0..<n { s += w[i] }
    weightSum = s
    var ym = 0.0
    for i in 0..<n { ym += w[i] * y[i] }
    ym /= s
    yMean = ym
    var xm = [Double](repeating: 0, count: p)
    var c = [Double](repeating: 0, count: p)
    var tss = 0.0
    for i in 0..<n { tss += w[i] * (y[i] - ym) * (y[i] - ym) }
    totalSquares = tss
    let inPlace = binary && w.allSatisfy { $0 > 0 }
    var scratch = inPlace ? [] : [Double](repeating: 0, count: n * p)
    var g = [Double](repeating: 0, count: p * p)
    // x̄·Σw = Xᵀw and c = Xᵀ(w∘(y − ȳ)) by BLAS, before any scaling.
    var r = [Double](repeating: 0, count: n)
    for i in 0..<n { r[i] = w[i] * (y[i] - ym) }
    cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(p), 1.0, x, Int32(p), w, 1, 0.0, &xm, 1)
    cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(p), 1.0, x, Int32(p), r, 1, 0.0, &c, 1)
    scratch.withUnsafeMutableBufferPointer { scratchBuffer in
      let target = inPlace ? x : scratchBuffer.baseAddress!
      for i in 0..<n {
        let sw = w[i].squareRoot()
        let row = x + i * p, out = target + i * p
        for j in 0..<p { out[j] = sw * row[j] }
      }
      g.withUnsafeMutableBufferPointer { gp in
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(p), Int32(n), 1.0, target, Int32(p),
                    0.0, gp.baseAddress, Int32(p))
      }
      if inPlace {  // binary entries: every non-zero was 1
        for t in 0..<(n * p) { x[t] = x[t] != 0 ? 1 : 0 }
      }
    }
    for j in 0..<p { xm[j] /= s }
    for j in 0..<p {
      for k in j..<p {
        let v = g[j * p + k] - s * xm[j] * xm[k]
        g[j * p + k] = v
        g[k * p + j] = v
      }
    }
    gram = g
    xMean = xm
    cross = c
  }

  /// Ridge coefficients on the columns `subset` (in that order) with penalty `alpha`.
  /// Cholesky; if the system is singular (α = 0 and collinear columns) the minimum-norm
  /// least-squares solution by eigendecomposition, as scikit-learn's fallback to `lstsq`.
  public func coefficients(subset: [Int], alpha: Double) -> [Double] {
    let k = subset.count
    var a = [Double](repeating: 0, count: k * k)
    var b = [Double](repeating: 0, count: k)
    for (r, j) in subset.enumerated() {
      b[r] = cross[j]
      for (q, l) in subset.enumerated() { a[r * k + q] = gram[j * columns + l] }
      a[r * k + r] += alpha
    }
    if let x = WeightedGram.choleskySolve(a, b, k) { return x }
    return WeightedGram.pseudoInverseSolve(a, b, k)
  }

  /// Intercept ȳ − x̄_Sᵀβ.
  public func intercept(subset: [Int], coefficients beta: [Double]) -> Double {
    var s = yMean
    for (r, j) in subset.enumerated() { s -= xMean[j] * beta[r] }
    return s
  }

  /// Weighted R² of the unpenalised fit (α = 0) on `subset`: 1 − (TSS − βᵀc)/TSS
  /// (1 when TSS = RSS = 0, 0 when only TSS = 0, as scikit-learn's `r2_score`).
  public func rSquaredUnpenalised(subset: [Int]) -> Double {
    let beta = coefficients(subset: subset, alpha: 0)
    var explained = 0.0
    for (r, j) in subset.enumerated() { explained += beta[r] * cross[j] }
    let rss = totalSquares - explained
    if totalSquares == 0 { return rss == 0 ? 1 : 0 }
    return 1 - rss / totalSquares
  }

  static func choleskySolve(_ a: [Double], _ b: [Double], _ k: Int) -> [Double]? {
    if k > 24 {
      var a = a, b = b
      let info = LAPACKE_dposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(k), 1, &a, Int32(k), &b, 1)
      return info == 0 ? b : nil
    }
    var l = [Double](repeating: 0, count: k * k)
    for i in 0..<k {
      for j in 0...i {
        var s = a[i * k + j]
        for m in 0..<j { s -= l[i * k + m] * l[j * k + m] }
        if i == j {
          if !(s > 0) { return nil }
          l[i * k + i] = s.squareRoot()
        } else {
          l[i * k + j] = s / l[j * k + j]
        }
      }
    }
    var z = b
    for i in 0..<k {
      var s = z[i]
      for m in 0..<i { s -= l[i * k + m] * z[m] }
      z[i] = s / l[i * k + i]
    }
    for i in stride(from: k - 1, through: 0, by: -1) {
      var s = z[i]
      for m in (i + 1)..<k { s -= l[m * k + i] * z[m] }
      z[i] = s / l[i * k + i]
    }
    return z
  }

  static func pseudoInverseSolve(_ a: [Double], _ b: [Double], _ k: Int) -> [Double] {
    var m = a
    var ev = [Double](repeating: 0, count: k)
    let info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(k), &m,
                             Int32(k), &ev)
    guard info == 0 else { return [Double](repeating: 0, count: k) }
    let cutoff = (ev.map { Swift.abs($0) }.max() ?? 0) * Double(k) * Double.ulpOfOne
    var x = [Double](repeating: 0, count: k)
    for e in 0..<k where Swift.abs(ev[e]) > cutoff {
      var proj = 0.0
      for i in 0..<k { proj += m[i * k + e] * b[i] }
      proj /= ev[e]
      for i in 0..<k { x[i] += proj * m[i * k + e] }
    }
    return x
  }
}
