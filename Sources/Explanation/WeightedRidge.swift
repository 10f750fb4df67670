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
  /// - Complexity: O(n·p²) (`dsyrk` on blocks of rows), O(256·p) scratch memory.
  public init(x: [Double], rows n: Int, columns p: Int, weights w: [Double], y: [Double]) {
    self = x.withUnsafeBufferPointer {
      WeightedGram(x: $0.baseAddress!, rows: n, columns: p, weights: w, y: y)
    }
  }

  /// The same on a buffer. The design is centred before any product, as scikit-learn's
  /// `_preprocess_data` does: `z = √w·(x − x̄)` and `r = √w·(y − ȳ)` per block of 256 rows,
  /// `G += zᵀz` (`dsyrk`) and `c += zᵀr` (`dgemv`). Forming `XᵀWX − Σw·x̄x̄ᵀ` instead loses
  /// every digit of a column whose spread is small against its mean, and `Xᵀw(y − ȳ)` keeps
  /// `x̄·Σw(y − ȳ)`, which is rounding only but grows with the size of the model's answers (a
  /// linear model answering 1e9 gave weights 1e-4 off, and a made-up weight to a column that
  /// never varies). A column equal in every row contributes exactly 0 to G and c, so its
  /// coefficient is exactly 0, as scikit-learn's.
  init(x: UnsafePointer<Double>, rows n: Int, columns p: Int, weights w: [Double], y: [Double]) {
    columns = p
    let (s, ym, tss) = WeightedGram.moments(weights: w, y: y, rows: n)
    weightSum = s
    yMean = ym
    totalSquares = tss
    // x̄ = Xᵀw / Σw, summed in row order like Σw, so that a column of ones has mean exactly 1.
    var xm = [Double](repeating: 0, count: p)
    var varies = [Bool](repeating: false, count: p)
    for i in 0..<n {
      let wi = w[i], row = x + i * p
      for j in 0..<p {
        xm[j] += wi * row[j]
        varies[j] = varies[j] || row[j] != x[j]
      }
    }
    for j in 0..<p { xm[j] /= s }
    var g = [Double](repeating: 0, count: p * p)
    var c = [Double](repeating: 0, count: p)
    let block = Swift.min(n, 256)
    var z = [Double](repeating: 0, count: block * p)
    var r = [Double](repeating: 0, count: block)
    var start = 0
    while start < n {
      let m = Swift.min(block, n - start)
      for t in 0..<m {
        let i = start + t, sw = w[i].squareRoot(), row = x + i * p
        for j in 0..<p { z[t * p + j] = varies[j] ? sw * (row[j] - xm[j]) : 0 }
        r[t] = sw * (y[i] - ym)
      }
      g.withUnsafeMutableBufferPointer { gp in
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(p), Int32(m), 1.0, z, Int32(p),
                    1.0, gp.baseAddress, Int32(p))
      }
      cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(p), 1.0, z, Int32(p), r, 1, 1.0, &c, 1)
      start += m
    }
    for j in 0..<p {
      for k in (j + 1)..<p { g[k * p + j] = g[j * p + k] }
    }
    gram = g
    xMean = xm
    cross = c
  }

  /// Σw, ȳ = wᵀy/Σw and Σw(y − ȳ)², each summed in row order.
  static func moments(weights w: [Double], y: [Double], rows n: Int) -> (Double, Double, Double) {
    var s = 0.0
    for i in 0..<n { s += w[i] }
    var ym = 0.0
    for i in 0..<n { ym += w[i] * y[i] }
    ym /= s
    var tss = 0.0
    for i in 0..<n { tss += w[i] * (y[i] - ym) * (y[i] - ym) }
    return (s, ym, tss)
  }

  /// G − Σw·x̄x̄ᵀ from the upper triangle of the uncentred XᵀWX, mirrored to the lower one.
  static func centre(_ g: inout [Double], columns p: Int, weightSum s: Double, means xm: [Double]) {
    for j in 0..<p {
      for k in j..<p {
        let v = g[j * p + k] - s * xm[j] * xm[k]
        g[j * p + k] = v
        g[k * p + j] = v
      }
    }
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

/// A 0/1 design packed as bits, row-major: row i occupies `words` UInt64 words, feature j is bit
/// `j % 64` of word `j / 64` (the remaining bits of the last word are 0).
struct BitDesign {
  let rows: Int
  let columns: Int
  let words: Int
  let bits: UnsafePointer<UInt64>

  static func words(columns: Int) -> Int { (columns + 63) >> 6 }

  @inline(__always) func value(_ i: Int, _ j: Int) -> Double {
    Double((bits[i &* words &+ (j >> 6)] >> UInt64(j & 63)) & 1)
  }

  /// Sets row 0 (the student) to all ones.
  static func setAllOnes(_ bits: UnsafeMutablePointer<UInt64>, columns p: Int) {
    for w in 0..<words(columns: p) {
      let width = Swift.min(64, p - w * 64)
      bits[w] = width == 64 ? ~0 : (1 << UInt64(width)) - 1
    }
  }

  /// Number of ones of row i.
  @inline(__always) func ones(_ i: Int) -> Int {
    var c = 0
    for w in 0..<words { c &+= bits[i &* words &+ w].nonzeroBitCount }
    return c
  }
}

/// 8 doubles (0 or 1) per byte value: the bits of the byte, least significant first.
private let byteExpansion: [Double] = (0..<256).flatMap { b in (0..<8).map { Double((b >> $0) & 1) } }

/// Transposes a 64 × 64 bit matrix in place: afterwards bit r of word c is what bit c of word r
/// was (Hacker's Delight, 2nd ed., 7–3, extended to 64 bits).
@inline(__always)
func transpose64(_ a: UnsafeMutablePointer<UInt64>) {
  var j = 32
  var m: UInt64 = 0x0000_0000_FFFF_FFFF
  while j != 0 {
    var k = 0
    while k < 64 {
      let t = ((a[k] >> UInt64(j)) ^ a[k + j]) & m
      a[k + j] ^= t
      a[k] ^= t << UInt64(j)
      k = (k + j + 1) & ~j
    }
    j >>= 1
    m ^= m << UInt64(j)
  }
}

extension WeightedGram {
  /// The same normal equations for a 0/1 design whose row weights depend only on the number of
  /// ones of the row (discretized LIME: w = kernel(√(p − ones))), computed exactly by counting:
  ///
  ///   (XᵀWX)_jk = Σ_m w(m) · #{rows with m ones, x_j = x_k = 1},
  ///
  /// rows grouped by m (counting sort, each group padded to whole 64-row words, so every word has
  /// one weight), the groups' columns transposed into bit columns, and every count a popcount of
  /// ANDed words, weighted per word. x̄ and c are
  /// summed in row order with an 8-bits-at-a-time expansion. Deterministic (no BLAS, no threads);
  /// the integer counts are exact, so G differs from `dsyrk` on √w·X only by the rounding of the
  /// ≤ p + 1 weighted group sums.
  /// - Parameters: `weightOfOnes[m]` = the weight of a row with m ones (m = 0...p); `w[i]` the
  ///   same weights per row (used for the sums over rows).
  /// - Complexity: O(n·p) for the sums, O(p²·(n/64 + groups)) popcounts for G; O(p·(n/64 +
  ///   groups)) words of memory instead of the n × p doubles `dsyrk` needs.
  init(design x: BitDesign, weights w: [Double], weightOfOnes: [Double], y: [Double]) {
    let n = x.rows, p = x.columns, words = x.words
    columns = p
    let (s, ym, tss) = WeightedGram.moments(weights: w, y: y, rows: n)
    weightSum = s
    yMean = ym
    totalSquares = tss
    // Xᵀw and Xᵀ(w∘(y − ȳ)) in row order, 8 columns per byte of the row.
    let padded = words * 64
    var xm = [Double](repeating: 0, count: padded)
    var c = [Double](repeating: 0, count: padded)
    byteExpansion.withUnsafeBufferPointer { lut in
      xm.withUnsafeMutableBufferPointer { xmp in
        c.withUnsafeMutableBufferPointer { cp in
          for i in 0..<n {
            let wi = w[i], ri = w[i] * (y[i] - ym)
            for ww in 0..<words {
              var word = x.bits[i * words + ww]
              var base = ww * 64
              while word != 0 {
                let byte = Int(word & 0xFF)
                if byte != 0 {
                  let e = lut.baseAddress! + byte * 8
                  for t in 0..<8 {
                    xmp[base + t] += wi * e[t]
                    cp[base + t] += ri * e[t]
                  }
                }
                word >>= 8
                base += 8
              }
            }
          }
        }
      }
    }
    xm.removeLast(padded - p)
    c.removeLast(padded - p)
    // Group rows by their number of ones (counting sort, stable), each group word-aligned.
    var count = [Int](repeating: 0, count: p + 2)
    for i in 0..<n { count[x.ones(i) + 1] += 1 }
    var groups: [(ones: Int, rows: Int)] = []
    var groupWords: [Int] = []  // words per group
    for m in 0...p where count[m + 1] > 0 {
      groups.append((m, count[m + 1]))
      groupWords.append((count[m + 1] + 63) >> 6)
    }
    var start = [Int](repeating: 0, count: p + 1)  // first slot (in rows) of group m
    var total = 0
    for (g, grp) in groups.enumerated() {
      start[grp.ones] = total * 64
      total += groupWords[g]
    }
    var order = [Int](repeating: -1, count: total * 64)  // row at each slot, -1 = padding
    var next = start
    for i in 0..<n {
      let m = x.ones(i)
      order[next[m]] = i
      next[m] += 1
    }
    // Bit columns: column j = `total` words, group after group.
    let cols = UnsafeMutablePointer<UInt64>.allocate(capacity: padded * total)
    defer { cols.deallocate() }
    let block = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
    defer { block.deallocate() }
    for b in 0..<total {
      for ww in 0..<words {
        for r in 0..<64 {
          let i = order[b * 64 + r]
          block[r] = i < 0 ? 0 : x.bits[i * words + ww]
        }
        transpose64(block)
        for t in 0..<64 { cols[(ww * 64 + t) * total + b] = block[t] }
      }
    }
    // G_jk = Σ_words w(group of the word)·popcount(col_j ∧ col_k), four columns k at a time
    // (independent sums), then centred: G − Σw·x̄x̄ᵀ.
    for j in 0..<p { xm[j] /= s }
    var g = [Double](repeating: 0, count: p * p)
    var wordWeight = [Double](repeating: 0, count: total)
    var t0 = 0
    for (q, grp) in groups.enumerated() {
      for t in t0..<(t0 + groupWords[q]) { wordWeight[t] = weightOfOnes[grp.ones] }
      t0 += groupWords[q]
    }
    wordWeight.withUnsafeBufferPointer { ww in
      g.withUnsafeMutableBufferPointer { gp in
        for j in 0..<p {
          let a = UnsafePointer(cols + j * total)
          var k = j
          while k + 4 <= p {
            let b0 = cols + k * total, b1 = b0 + total, b2 = b1 + total, b3 = b2 + total
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            for t in 0..<total {
              let x = a[t], w = ww[t]
              s0 += w * Double((x & b0[t]).nonzeroBitCount)
              s1 += w * Double((x & b1[t]).nonzeroBitCount)
              s2 += w * Double((x & b2[t]).nonzeroBitCount)
              s3 += w * Double((x & b3[t]).nonzeroBitCount)
            }
            gp[j * p + k] = s0
            gp[j * p + k + 1] = s1
            gp[j * p + k + 2] = s2
            gp[j * p + k + 3] = s3
            k += 4
          }
          while k < p {
            let b = cols + k * total
            var s0 = 0.0
            for t in 0..<total { s0 += ww[t] * Double((a[t] & b[t]).nonzeroBitCount) }
            gp[j * p + k] = s0
            k += 1
          }
        }
      }
    }
    WeightedGram.centre(&g, columns: p, weightSum: s, means: xm)
    // c = Xᵀ(w∘(y − ȳ)) − x̄·Σw(y − ȳ): the second term is rounding only, but it grows with the
    // size of the answers (see `init(x:…)`). Summed in row order as c was, so for a column of ones
    // (x̄ exactly 1, its c exactly that sum) the result is exactly 0.
    var residualSum = 0.0
    for i in 0..<n { residualSum += w[i] * (y[i] - ym) }
    for j in 0..<p { c[j] -= xm[j] * residualSum }
    // A column of ones (the student's bin in every sample) has no variance: exactly 0, as
    // scikit-learn's centred design gives, so its coefficient is exactly 0.
    for j in 0..<p {
      var ones = 0
      for t in 0..<total { ones &+= cols[j * total + t].nonzeroBitCount }
      guard ones == n else { continue }
      for k in 0..<p {
        g[j * p + k] = 0
        g[k * p + j] = 0
      }
      c[j] = 0
    }
    gram = g
    xMean = xm
    cross = c
  }
}
