#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import CSpectralKernel
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
  /// order, on the centred rows (``Pairwise/centered(_:)``, see below):
  /// `d_ij = max(0, (−2·x_iᵀx_j + ‖x_i‖²) + ‖x_j‖²)` with the Gram entries `x_iᵀx_j`
  /// from `dgemm` (as scikit-learn's `X @ Y.T`), the diagonal set to exactly 0 (so `S_ii = 1`
  /// exactly); then `S = exp(d·(−γ))` by the vectorised table-driven ``VectorExp`` (within
  /// ≈ 0.502 ulp, so nearly always the C library's correctly rounded value; `exp(0) = 1`). Only the upper triangle is evaluated and mirrored,
  /// so `S` is exactly symmetric (scikit-learn evaluates both triangles; they can differ from
  /// each other by an ulp). Agreement with scikit-learn: ≤ 1e-12 absolute on the golden fixture.
  /// Like scikit-learn, distances between near-identical points carry ≈1e-9 relative
  /// cancellation error.
  ///
  /// **Deviation from scikit-learn**: columns whose mean exceeds their spread (an offset or a
  /// constant column) are centred, their means subtracted (``Pairwise/centringShift(_:)``, O(n·d)),
  /// before the Gram entries are formed. Distances are translation-invariant; scikit-learn's
  /// uncentred trick loses every digit under a large common offset (a column of epoch milliseconds
  /// ≈ 1.7e12, or a constant column of 1e10) and overflows to NaN on a column of 1e308, while here
  /// such a column is centred (a constant one exactly to 0) and the distances are those of the
  /// un-offset data. Columns near the origin (standardised features) are not touched, so there the
  /// result is bit-identical to the uncentred computation. Squared distances that still exceed
  /// the `Double` range after centring (entries beyond ≈ 1e154) give NaN entries: check
  /// ``FeatureScaling/squaredDistanceOverflow(_:)`` first to report them.
  ///
  /// - Parameters:
  ///   - x: `n × d` features, one sample per row.
  ///   - gamma: bandwidth γ > 0 (not checked: validate user input before calling); `nil` →
  ///     ``defaultGamma(features:)``.
  /// - Complexity: O(n·d) to centre, O(n²·d/2) for the Gram entries + n²/2 vector `exp` evaluations, in bands of
  ///   64 rows × 256 columns of the upper triangle (Gram block by one single-threaded `dgemm`,
  ///   then `exp`, then mirrored onto the lower triangle while in cache); bands interleaved over
  ///   2 threads, OpenBLAS set to 1 thread meanwhile. n² doubles of memory, written once (no
  ///   zero-fill pass; huge pages advised on Linux). On x86-64 with AVX2 the per-block work after
  ///   `dgemm` (distances, `exp`, mirror) runs in the C kernel `csk_rbf_block` (CSpectralKernel), bit-identical
  ///   to the Swift code kept as the fallback. Measured, exp + mirror of all blocks at n = 1000, one thread,
  ///   2-core Zen 4 guest: Swift (SSE2) ≈ 1.5 ms, C (AVX2) 1.19 ms; the rest of the call is the `dgemm`
  ///   blocks (≈ 40 % of the kernel time, `dgemm_beta` zeroing included) and the kernel's zero-fill of the
  ///   8 MB of fresh pages.
  public static func rbf(_ x: Matrix, gamma: Double? = nil) -> Matrix { rbf(x, gamma: gamma, native: true) }

  /// ``rbf(_:gamma:)``; `native: false` forces the portable Swift code of every block (tests compare the two).
  static func rbf(_ x: Matrix, gamma: Double?, native: Bool) -> Matrix {
    let n = x.rows, d = x.columns
    let g = gamma ?? defaultGamma(features: x.columns)
    if n == 0 { return Matrix(rows: 0, columns: 0) }
    let x = Pairwise.centered(x)
    let norms = Pairwise.rowSquaredNorms(x)
    let negGamma = -g
    let previousThreads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(previousThreads) }
    let storage = spectralUninitializedStorage(count: n * n) { base in
      VectorExp.table.withUnsafeBufferPointer { tp in
      norms.withUnsafeBufferPointer { np in
        x.storage.withUnsafeBufferPointer { xp in
          let shared = SpectralSharedRows(base: base)
          let sharedNorms = SpectralSharedRows(base: UnsafeMutablePointer(mutating: np.baseAddress!))
          let sharedTable = SpectralSharedRows(base: UnsafeMutablePointer(mutating: tp.baseAddress!))
          let sharedX = SpectralSharedRows(base: UnsafeMutablePointer(mutating: xp.baseAddress ?? UnsafePointer(base)))
          let band = rbfBandRows
          let bands = (n + band - 1) / band
          spectralForEachRow(bands, costPerRow: band * n * (10 + d)) { b in
            rbfBand(
              shared.base, n: n, x: sharedX.base, d: d, norms: sharedNorms.base, negGamma: negGamma,
              table: sharedTable.base, rows: (b * band)..<Swift.min(n, (b + 1) * band), native: native)
          }
        }
      }
      }
    }
    return Matrix(rows: n, columns: n, storage: storage)
  }

  /// Rows per band of ``rbf(_:gamma:)``.
  static let rbfBandRows = 64
  /// Columns per block of a band (64 × 256 doubles = 128 KiB, cache-resident).
  static let rbfBlockColumns = 256

  /// One band of ``rbf(_:gamma:)``: for rows `i` in `rows` and columns `j ≥ rows.lowerBound`, in
  /// blocks of ``rbfBlockColumns``: Gram block `x_iᵀx_j` by `dgemm`, then for `j > i`
  /// `p[i, j] = exp(γ'·max(0, (−2·g_ij + ‖x_i‖²) + ‖x_j‖²))` (γ' = −γ, 8 lanes at a time),
  /// `p[i, i] = 1`, and the block's upper part copied onto `p[j, i]` (destination rows in turn,
  /// each segment written contiguously while the block is still in cache).
  ///
  /// - Complexity: O(|rows|·(n − lo)·(d + 30)); bands are independent (disjoint writes).
  static func rbfBand(
    _ p: UnsafeMutablePointer<Double>, n: Int, x: UnsafeMutablePointer<Double>, d: Int,
    norms: UnsafeMutablePointer<Double>, negGamma: Double, table: UnsafeMutablePointer<Double>, rows: Range<Int>,
    native: Bool = true
  ) {
    typealias V = SIMD8<Double>
    let lo = rows.lowerBound
    let rawNorms = UnsafeRawPointer(norms)
    var jb = lo
    while jb < n {
      let jEnd = Swift.min(n, jb + rbfBlockColumns)
      BLAS.gemmTransposedB(
        m: rows.count, n: jEnd - jb, k: d, a: x + lo * d, lda: Swift.max(1, d), b: x + jb * d,
        ldb: Swift.max(1, d), c: p + lo * n + jb, ldc: n)
      if native
        && csk_rbf_block(p, n, norms, negGamma, table, lo, rows.upperBound, jb, jEnd) != 0
      {
        jb = jEnd
        continue
      }
      for i in rows {
        let row = p + i * n
        let ni = norms[i]
        if jb <= i && i < jEnd { row[i] = 1 }
        var j = Swift.max(jb, i + 1)
        let rawRow = UnsafeMutableRawPointer(row)
        while j + 8 <= jEnd {
          var v = -2 * rawRow.loadUnaligned(fromByteOffset: j * 8, as: V.self) + ni
          v += rawNorms.loadUnaligned(fromByteOffset: j * 8, as: V.self)
          v.replace(with: 0, where: v .< 0)
          rawRow.storeBytes(of: VectorExp.exp(v * negGamma, table: table), toByteOffset: j * 8, as: V.self)
          j += 8
        }
        if j < jEnd {
          let start = j
          while j < jEnd {
            var v = -2 * row[j] + ni
            v += norms[j]
            if v < 0 { v = 0 }
            row[j] = v * negGamma
            j += 1
          }
          VectorExp.apply(row + start, count: jEnd - start, table: table)
        }
      }
      // Mirror the block's upper part onto the lower triangle: destination rows j in turn,
      // each written contiguously (p[j, lo..<min(j, hi)]) from the cache-resident block.
      let hi = rows.upperBound
      for j in Swift.max(jb, lo + 1)..<jEnd {
        let dst = p + j &* n
        var i = lo
        let iEnd = Swift.min(j, hi)
        while i < iEnd {
          dst[i] = p[i &* n &+ j]
          i &+= 1
        }
      }
      jb = jEnd
    }
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
