import Foundation
import LinearAlgebra

/// Similarity (affinity) matrices for spectral clustering.
public enum Affinity {
  /// scikit-learn's default RBF bandwidth, `γ = 1 / n_features`
  /// (`sklearn.metrics.pairwise.rbf_kernel`; note `SpectralClustering` itself defaults to γ = 1).
  public static func defaultGamma(features: Int) -> Double { 1.0 / Double(max(1, features)) }

  /// Gaussian (RBF) kernel `S_ij = exp(−γ‖x_i − x_j‖²)` between the rows of `x`
  /// (`sklearn.metrics.pairwise.rbf_kernel(X, gamma=γ)`, `sklearn/metrics/pairwise.py`).
  ///
  /// Squared distances use scikit-learn's `euclidean_distances` dot-product trick, in its
  /// order: `d_ij = max(0, (−2·x_iᵀx_j + ‖x_i‖²) + ‖x_j‖²)` with the Gram matrix from one
  /// `dsyrk`, the diagonal set to exactly 0 (so `S_ii = 1` exactly); then `S = exp(d·(−γ))`.
  /// Only the upper triangle is evaluated and mirrored, so `S` is exactly symmetric
  /// (scikit-learn evaluates both triangles; they can differ from each other by an ulp).
  /// Agreement with scikit-learn: ≤ 1e-12 absolute on the golden fixture. Like scikit-learn,
  /// distances between near-identical points carry ≈1e-9 relative cancellation error.
  ///
  /// - Parameters:
  ///   - x: `n × d` features, one sample per row.
  ///   - gamma: bandwidth γ > 0 (not checked: validate user input before calling); `nil` →
  ///     ``defaultGamma(features:)``.
  /// - Complexity: O(n²·d) for the Gram matrix (BLAS) + n²/2 `exp` calls, rows interleaved over
  ///   2 threads (OpenBLAS is idle meanwhile); n² doubles of memory.
  public static func rbf(_ x: Matrix, gamma: Double? = nil) -> Matrix {
    let n = x.rows
    let g = gamma ?? defaultGamma(features: x.columns)
    var s = BLAS.syrk(x)
    if n == 0 { return s }
    let norms = Pairwise.rowSquaredNorms(x)
    let negGamma = -g
    s.storage.withUnsafeMutableBufferPointer { buf in
      let shared = SpectralSharedRows(base: buf.baseAddress!)
      spectralForEachRow(n, costPerRow: n / 2 * 20) { i in
        let p = shared.base
        let base = i * n
        let ni = norms[i]
        p[base + i] = 1
        var j = i + 1
        while j < n {
          var d = -2 * p[base + j] + ni
          d += norms[j]
          if !(d > 0) { d = d.isNaN ? d : 0 }
          p[base + j] = Foundation.exp(d * negGamma)
          j += 1
        }
      }
      spectralMirrorUpper(buf.baseAddress!, n)
    }
    return s
  }

  /// A user-supplied similarity matrix (`affinity='precomputed'`).
  ///
  /// The matrix must be square and finite with non-negative entries. If it fails scikit-learn's
  /// `check_symmetric` test (`|a_ij − a_ji| ≤ 1e-10 + 1e-5·|a_ji|` for all pairs,
  /// `sklearn/utils/validation.py`), it is replaced by `0.5·(A + Aᵀ)` and a
  /// ``SpectralWarning/asymmetricAffinitySymmetrized(maxAbsoluteDifference:)`` is returned,
  /// as scikit-learn warns and repairs.
  ///
  /// - Complexity: O(n²).
  public static func precomputed(_ a: Matrix) throws -> (matrix: Matrix, warnings: [SpectralWarning]) {
    guard a.rows == a.columns else {
      throw SpectralError.invalidArgument(
        "precomputed affinity must be square, got \(a.rows)×\(a.columns)")
    }
    guard a.spectralAllFinite else {
      throw SpectralError.nonFiniteValues("precomputed affinity contains NaN or infinite values")
    }
    if let bad = a.storage.firstIndex(where: { $0 < 0 }) {
      throw SpectralError.invalidArgument(
        "precomputed affinity must be non-negative; entry (\(bad / a.columns), \(bad % a.columns)) = \(a.storage[bad])")
    }
    if a.isSymmetric() { return (a, []) }
    var maxDiff = 0.0
    let n = a.rows
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) { maxDiff = max(maxDiff, abs(a.storage[i * n + j] - a.storage[j * n + i])) }
    }
    return (a.symmetrized, [.asymmetricAffinitySymmetrized(maxAbsoluteDifference: maxDiff)])
  }
}

/// Copies the strict upper triangle of the `n × n` row-major buffer onto the lower one,
/// in 64 × 64 tiles (cache-friendly transposition).
func spectralMirrorUpper(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
  let tile = 64
  var ib = 0
  while ib < n {
    let iEnd = min(n, ib + tile)
    var jb = ib
    while jb < n {
      let jEnd = min(n, jb + tile)
      for i in ib..<iEnd {
        var j = max(jb, i + 1)
        while j < jEnd {
          p[j * n + i] = p[i * n + j]
          j += 1
        }
      }
      jb += tile
    }
    ib += tile
  }
}
