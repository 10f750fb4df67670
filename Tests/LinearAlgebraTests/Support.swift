import CohortLensCore
import Foundation
import LinearAlgebra

/// Reproducible test data on SplitMix64.
struct TestRNG {
  var base: SplitMix64
  init(_ seed: UInt64) { base = SplitMix64(seed: seed) }
  mutating func next() -> UInt64 { base.next() }
  /// Uniform in [0, 1).
  mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
  /// Standard normal (Box–Muller).
  mutating func normal() -> Double {
    let u = max(uniform(), 1e-300), v = uniform()
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
  }
}

enum Fixtures {
  /// A `rows × columns` matrix with entries uniform in [-1, 1).
  static func random(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
    var r = TestRNG(seed)
    return Matrix(rows: rows, columns: columns, storage: (0..<(rows * columns)).map { _ in 2 * r.uniform() - 1 })
  }

  /// A random symmetric matrix with entries uniform in [-1, 1).
  static func randomSymmetric(_ n: Int, seed: UInt64) -> Matrix {
    var r = TestRNG(seed)
    var a = Matrix(rows: n, columns: n)
    for i in 0..<n {
      for j in i..<n {
        let v = 2 * r.uniform() - 1
        a[i, j] = v
        a[j, i] = v
      }
    }
    return a
  }

  /// `Q·diag(values)·Qᵀ` with `Q` a random orthogonal matrix (eigenvectors of a random
  /// symmetric matrix), exactly symmetrised.
  static func withSpectrum(_ values: [Double], seed: UInt64) throws -> Matrix {
    let n = values.count
    let q = try SymmetricEigen.all(randomSymmetric(n, seed: seed)).vectors
    var qd = q
    for i in 0..<n { for j in 0..<n { qd[i, j] *= values[j] } }
    return BLAS.gemm(qd, q, transposeB: .transpose).symmetrized
  }

  /// `n` points from `k` Gaussian blobs in `d` dimensions (std 1, centres uniform in [-10, 10]^d),
  /// point i in blob i mod k.
  static func blobs(n: Int, k: Int, d: Int, seed: UInt64) -> Matrix {
    var r = TestRNG(seed)
    let centres = (0..<k).map { _ in (0..<d).map { _ in 20 * r.uniform() - 10 } }
    var x = Matrix(rows: n, columns: d)
    for i in 0..<n { for j in 0..<d { x[i, j] = centres[i % k][j] + r.normal() } }
    return x
  }

  /// Normalised RBF affinity `D^-½·W·D^-½`, `W_ij = exp(−γ‖x_i − x_j‖²)`, `D = diag(W·1)`.
  static func normalisedAffinity(_ x: Matrix, gamma: Double) -> Matrix {
    var w = Pairwise.squaredEuclidean(x)
    let n = x.rows
    for i in 0..<(n * n) { w.storage[i] = exp(-gamma * w.storage[i]) }
    var s = [Double](repeating: 0, count: n)
    for i in 0..<n {
      var t = 0.0
      for j in 0..<n { t += w.storage[i * n + j] }
      s[i] = 1 / t.squareRoot()
    }
    for i in 0..<n { for j in 0..<n { w.storage[i * n + j] *= s[i] * s[j] } }
    return w
  }
}

enum Check {
  /// The rows of `q` made orthonormal by two passes of Gram–Schmidt in plain Swift (rows must be
  /// independent; throws otherwise).
  static func orthonormalRows(_ q: Matrix) throws -> Matrix {
    var out = q
    let n = q.columns
    for r in 0..<q.rows {
      for _ in 0..<2 {
        for k in 0..<r {
          var c = 0.0
          for i in 0..<n { c += out[k, i] * out[r, i] }
          for i in 0..<n { out[r, i] -= c * out[k, i] }
        }
      }
      var norm = 0.0
      for i in 0..<n { norm += out[r, i] * out[r, i] }
      norm = norm.squareRoot()
      guard norm > 1e-8 else { throw LinearAlgebraError("rows are dependent") }
      for i in 0..<n { out[r, i] /= norm }
    }
    return out
  }

  /// Largest |x_i − y_i|.
  static func maxAbsDiff(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count)
    return zip(x, y).map { abs($0 - $1) }.max() ?? 0
  }

  /// ‖P₁ − P₂‖_F for the orthogonal projectors onto the column spans of the orthonormal
  /// `n × k` matrices `u` and `v`, computed without cancellation as √2·‖(I − uuᵀ)·v‖_F
  /// (√2 times the norm of the sines of the principal angles).
  static func projectorDistance(_ u: Matrix, _ v: Matrix) -> Double {
    let m = BLAS.gemm(u, v, transposeA: .transpose)
    let um = BLAS.gemm(u, m)
    var s = 0.0
    for i in 0..<v.storage.count { let d = v.storage[i] - um.storage[i]; s += d * d }
    return (2 * s).squareRoot()
  }

  /// max |(VᵀV − I)_ij|.
  static func orthonormalityError(_ v: Matrix) -> Double {
    let g = BLAS.gemm(v, v, transposeA: .transpose)
    var e = 0.0
    for i in 0..<g.rows { for j in 0..<g.columns { e = max(e, abs(g[i, j] - (i == j ? 1 : 0))) } }
    return e
  }

  /// Largest ‖A·v_j − λ_j·v_j‖₂ over the pairs.
  static func maxResidual(_ a: Matrix, _ e: EigenDecomposition) -> Double {
    let av = BLAS.gemm(a, e.vectors)
    var worst = 0.0
    for j in 0..<e.values.count {
      var s = 0.0
      for i in 0..<a.rows {
        let r = av[i, j] - e.values[j] * e.vectors[i, j]
        s += r * r
      }
      worst = max(worst, s.squareRoot())
    }
    return worst
  }
}
