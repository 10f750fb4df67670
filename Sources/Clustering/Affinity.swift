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
  /// `d_ij = max(0, (−2·x_iᵀx_j + ‖x_i‖²) + ‖x_j‖²)` with the Gram entries
  /// `x_iᵀx_j = fma(x_{i,d−1}, x_{j,d−1}, … fma(x_i1, x_j1, x_i0·x_j0))` summed in feature order with fused
  /// multiply-adds (scikit-learn's `X @ Y.T` leaves the order to its BLAS; on this machine OpenBLAS's
  /// `dgemm` gives the same bits at d = 2 and 8), the diagonal set to exactly 0 (so `S_ii = 1`
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
  /// result is bit-identical to the uncentred computation (same Gram order, no shift subtracted). Squared distances that still exceed
  /// the `Double` range after centring (entries beyond ≈ 1e154) give NaN entries: check
  /// ``FeatureScaling/squaredDistanceOverflow(_:)`` first to report them.
  ///
  /// - Parameters:
  ///   - x: `n × d` features, one sample per row.
  ///   - gamma: bandwidth γ > 0 (not checked: validate user input before calling); `nil` →
  ///     ``defaultGamma(features:)``.
  /// - Complexity: O(n·d) to centre and transpose, O(n²·d/2) for the Gram entries + n²/2 vector `exp`
  ///   evaluations, in bands of 64 rows × 256 columns of the upper triangle (Gram entries, distances and
  ///   `exp` per row group, then mirrored onto the lower triangle while in cache); bands interleaved over
  ///   2 threads (each entry is computed the same way whichever thread takes its band: results do not depend
  ///   on the thread count). n² doubles of memory, written once (no zero-fill pass; huge pages advised on
  ///   Linux). On x86-64 with AVX2 and FMA each block runs in the C kernel `csk_rbf_gram_block`
  ///   (CSpectralKernel: Gram entries in 4 × 8 register tiles, no separate Gram pass), bit-identical to the
  ///   Swift code kept as the fallback (where FMA is missing in hardware, as on x86-64 before AVX2, the
  ///   fallback's `addProduct` calls the C library's `fma`: correct but slow). Measured in-process, n = 1000,
  ///   d = 8, 2-core Zen 4 guest, min of 40 interleaved with the previous `dgemm` + kernel version:
  ///   1.46 → 1.40 ms (the call is dominated by first-touch page faults of the 8 MB and the exp: 0.71 ms
  ///   per 5·10⁵ values on one thread); at n = 4000, d = 8: 44.9 → 41.0 ms; n = 2000, d = 64: 17.9 → 17.4 ms.
  public static func rbf(_ x: Matrix, gamma: Double? = nil) -> Matrix { rbf(x, gamma: gamma, native: true) }

  /// ``rbf(_:gamma:)``; `native: false` forces the portable Swift code of every block (tests compare the two).
  static func rbf(_ x: Matrix, gamma: Double?, native: Bool) -> Matrix {
    let n = x.rows, d = x.columns
    let g = gamma ?? defaultGamma(features: x.columns)
    if n == 0 { return Matrix(rows: 0, columns: 0) }
    let x = Pairwise.centered(x)
    // Norms and the transposed features, padded by `rbfPadding` zeros so that 8-lane loads past the last
    // column stay inside (their lanes are computed and never stored).
    let ldxt = n + rbfPadding
    var norms = [Double](repeating: 0, count: ldxt)
    var xt = [Double](repeating: 0, count: Swift.max(1, d * ldxt))
    x.storage.withUnsafeBufferPointer { xp in
      for i in 0..<n {
        var s = 0.0
        for k in 0..<d {
          let v = xp[i * d + k]
          s += v * v
          xt[k * ldxt + i] = v
        }
        norms[i] = s  // Pairwise.rowSquaredNorms, in its order
      }
    }
    let negGamma = -g
    let storage = spectralUninitializedStorage(count: n * n) { base in
      VectorExp.table.withUnsafeBufferPointer { tp in
      norms.withUnsafeBufferPointer { np in
      xt.withUnsafeBufferPointer { xtp in
        x.storage.withUnsafeBufferPointer { xp in
          let shared = SpectralSharedRows(base: base)
          let sharedNorms = SpectralSharedRows(base: UnsafeMutablePointer(mutating: np.baseAddress!))
          let sharedTable = SpectralSharedRows(base: UnsafeMutablePointer(mutating: tp.baseAddress!))
          let sharedXT = SpectralSharedRows(base: UnsafeMutablePointer(mutating: xtp.baseAddress!))
          let sharedX = SpectralSharedRows(base: UnsafeMutablePointer(mutating: xp.baseAddress ?? xtp.baseAddress!))
          let band = rbfBandRows
          let bands = (n + band - 1) / band
          spectralForEachRow(bands, costPerRow: band * n * (10 + d)) { b in
            rbfBand(
              shared.base, n: n, x: sharedX.base, d: d, xt: sharedXT.base, ldxt: ldxt, norms: sharedNorms.base,
              negGamma: negGamma, table: sharedTable.base, rows: (b * band)..<Swift.min(n, (b + 1) * band),
              native: native)
          }
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
  /// Zero entries after the last column of the transposed features and of the norms (one 8-lane load).
  static let rbfPadding = 8

  /// One band of ``rbf(_:gamma:)``: for rows `i` in `rows` and columns `j ≥ rows.lowerBound`, in
  /// blocks of ``rbfBlockColumns``: for `j > i` the Gram entry `g_ij = x_i0·x_j0`, then
  /// `g_ij.addProduct(x_ik, x_jk)` for k = 1..<d in order (`+0` when `d = 0`), and
  /// `p[i, j] = exp(γ'·max(0, (−2·g_ij + ‖x_i‖²) + ‖x_j‖²))` (γ' = −γ, 8 lanes at a time),
  /// `p[i, i] = 1`, and the block's upper part copied onto `p[j, i]` (destination rows in turn,
  /// each segment written contiguously while the block is still in cache). `xt` is `x` transposed
  /// (`d` rows of stride `ldxt`), `xt` and `norms` padded by ``rbfPadding`` readable entries.
  ///
  /// - Complexity: O(|rows|·(n − lo)·(d + 30)); bands are independent (disjoint writes).
  static func rbfBand(
    _ p: UnsafeMutablePointer<Double>, n: Int, x: UnsafeMutablePointer<Double>, d: Int,
    xt: UnsafeMutablePointer<Double>, ldxt: Int, norms: UnsafeMutablePointer<Double>, negGamma: Double,
    table: UnsafeMutablePointer<Double>, rows: Range<Int>, native: Bool = true
  ) {
    typealias V = SIMD8<Double>
    let lo = rows.lowerBound
    let rawNorms = UnsafeRawPointer(norms)
    var jb = lo
    while jb < n {
      let jEnd = Swift.min(n, jb + rbfBlockColumns)
      if native
        && csk_rbf_gram_block(p, n, x, d, xt, ldxt, norms, negGamma, table, lo, rows.upperBound, jb, jEnd) != 0
      {
        jb = jEnd
        continue
      }
      for i in rows {
        let row = p + i * n
        let xi = x + i * d
        let ni = norms[i]
        if jb <= i && i < jEnd { row[i] = 1 }
        var j = Swift.max(jb, i + 1)
        while j < jEnd {
          // 8 lanes j ..< j + 8 (the padding keeps the loads in bounds); lanes ≥ jEnd are not stored.
          var g = V(repeating: 0)
          if d > 0 {
            g = V(repeating: xi[0]) * UnsafeRawPointer(xt + j).loadUnaligned(as: V.self)
            for k in 1..<d {
              g.addProduct(V(repeating: xi[k]), UnsafeRawPointer(xt + k * ldxt + j).loadUnaligned(as: V.self))
            }
          }
          var v = -2 * g + ni
          v += rawNorms.loadUnaligned(fromByteOffset: j * 8, as: V.self)
          v.replace(with: 0, where: v .< 0)
          let e = VectorExp.exp(v * negGamma, table: table)
          if j + 8 <= jEnd {
            UnsafeMutableRawPointer(row + j).storeBytes(of: e, as: V.self)
          } else {
            for l in 0..<(jEnd - j) { row[j + l] = e[l] }
          }
          j += 8
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
