import CBlockKernel
import CLapack
import CohortLensCore


/// Which symmetric eigensolver computes the largest eigenpairs in
/// ``SymmetricEigen/largest(_:count:solver:tolerance:seed:)``.
public enum EigenSolverChoice: String, Sendable, CaseIterable {
  /// Dense below ``IterativeEigen/minimumIterativeOrder(count:)`` (at least ``IterativeEigen/denseThreshold``), iterative from it on.
  case auto
  /// LAPACK `dsyevr` (range 'I'): O(n³), exact to rounding, always succeeds on finite input.
  case dense
  /// ``IterativeEigen/largest(_:count:vectorCount:tolerance:maxIterations:seed:)``: O(n²·(basis size)) per
  /// pass, BLAS-3 bound.
  case iterative
}

/// Iterative symmetric eigensolver for the few largest eigenpairs of a dense symmetric matrix.
///
/// ## Method: block Lanczos with full reorthogonalisation and Krylov–Schur thick restarts
///
/// The solver keeps an orthonormal basis `V` (`n × p`) of a block Krylov space, the products
/// `AV` and the projected matrix `H = VᵀAV` (built from GEMMs, exactly symmetrised). They
/// satisfy the Krylov–Schur relation `A·V = V·H + F·Eᵀ`, where `E` selects the block last
/// multiplied by `A` and `F` is that block's image orthogonalised against `V`. One
/// *iteration* is one BLAS-3 product of `A` with a block of at most
/// `b` vectors, `b = count + max(4, ⌈count/5⌉)` rounded up to a multiple of 3 (16 where `dgemm`
/// computes the product; see ``blockSize(count:)``; doubled when the solve stalls, see `maxIterations`):
///
/// 1. **Product and projection**: `A·Q` for the pending block `Q` (see `multiplyByA`), new
///    columns of `H = VᵀA·Q` for the rows of `V` that `A·Q` couples with in exact arithmetic:
///    the block whose product produced `Q` and `Q` itself (the block three-term recurrence),
///    every row after a thick restart or fresh random directions. The other entries are 0 in
///    `H` (they are at rounding level, and the pass of step 2 removes what rounding leaves).
/// 2. **Next block (full reorthogonalisation)**: `F = A·Q − V·(VᵀA·Q)` over those rows, with
///    the coefficients just computed, and modified Gram–Schmidt inside the block; then a block
///    classical Gram–Schmidt pass against all of `V` (two GEMMs) and modified Gram–Schmidt
///    again. A further round is skipped only when every column kept ≥ 1/√2 of its norm (Kahan's
///    "twice is enough"). Columns reduced below 1e-13 of their norm (numerically in span `V`)
///    are dropped. `F = Q_next·B`, `B = Q_nextᵀ·A·Q`. The GEMMs of steps 1–2 (and of the Ritz
///    vectors) are split in two fixed halves on two threads (see `inHalves`).
/// 3. **Rayleigh–Ritz**: the `count` largest pairs `(θᵢ, sᵢ)` of `H` and its smallest
///    eigenvalue: `dsytrd`, `dsterf`, `dstein` (inverse iteration) and `dormtr` for the wanted
///    vectors only, so the O(p³) back-transformation of all `p` vectors is avoided; the `kKeep`
///    vectors of a restart are taken from the same tridiagonal form only when the test fails. The
///    residual of Ritz pair `(θᵢ, V·sᵢ)` is `F·sᵢ[last block]`, so its norm `‖B·sᵢ[last]‖₂`
///    costs no `n`-sized work.
/// 4. **Convergence**: all of the `vectorCount` (default `count`) largest pairs satisfy
///    `‖A yᵢ − θᵢ yᵢ‖₂ ≤ tolerance · ‖A‖` and the other wanted pairs an eigenvalue-error bound
///    `min(r, ‖R_G‖²/δ_G) ≤ tolerance · ‖A‖` over runs `G` of near Ritz values
///    (``errorMeasures(theta:residuals:count:vectorCount:)``; see
///    ``largest(_:count:vectorCount:tolerance:maxIterations:seed:)``), where `‖A‖` is
///    estimated by `max |θ|` over every Ritz value seen so far (a lower bound of `‖A‖₂`, exact once the extreme Ritz values have
///    converged, which in a Krylov space happens first). The estimate is then confirmed with
///    explicit residuals `(AV)·sᵢ − θᵢ·V·sᵢ` before returning.
///    Step 3–4 are only needed for this test, so they are skipped for half the number of
///    iterations that the observed (linear) residual decay still predicts, at most 2 in a row
///    (never when a restart is due): once the basis resolves the cluster below the wanted
///    eigenvalues the decay becomes superlinear, and a longer skip overshoots by many products.
/// 5. **Thick restart**: when the basis would exceed `pMax = max(12·b, 64)` columns, it is
///    replaced by the `kKeep = ⌊pMax/2⌋` largest Ritz vectors (`AV` by the
///    matching `(AV)·S`, `H` by `diag(θ)`); the pending block stays valid because the kept
///    Ritz vectors lie in the old span (Krylov–Schur restart).
///
/// The start block `X₀` (`n × b`) is uniform in [-1, 1) from a SplitMix64 stream seeded with
/// `seed`, so results are bit-for-bit reproducible for a fixed seed and OpenBLAS thread count
/// (OpenBLAS's threaded level-2 kernels inside `dsytrd` sum in a thread-count dependent order,
/// so calls running concurrently with other OpenBLAS work may differ in the last bits).
///
/// **No spectral shift or polynomial filter is applied.** Krylov spaces are shift-invariant
/// (`K(A + σI, X) = K(A, X)`), so the `(A + I)/2` shift that subspace iteration needs to damp
/// the negative end of a normalised affinity brings nothing here, and a Chebyshev filter of
/// degree d costs the same d products with `A` as d Krylov blocks, whose Ritz values are
/// optimal over all polynomials of that degree.
///
/// **Near-degenerate and repeated eigenvalues** (the `k` eigenvalues ≈ 1 of the normalised
/// affinity of `k` well-separated clusters): a block method resolves a cluster of up to `b`
/// eigenvalues however tight, because convergence depends on the gap to the eigenvalues below
/// the cluster, not on gaps inside it; the returned vectors then span the invariant subspace
/// (for an exactly repeated eigenvalue any orthonormal basis of its eigenspace is returned, as
/// with `dsyevr`). A single-vector Krylov method would find only one copy. Eigenvalue errors
/// are at most the residual norm, `tolerance·‖A‖` (typically its square over the gap).
///
/// Measured on the normalised RBF affinity of 5 Gaussian blobs in 8-D (γ = 1/8; 5 eigenvalues
/// ≈ 1, ~40 in [0.15, 0.29], the bulk below 0.1), n = 1000–4000: 10 / 20 pairs with all
/// vectors 14 / 12 iterations (224 / 384 products); with 5 vectors (as the spectral embedding
/// asks) 11–12 / 9–10 iterations (176–192 / 288–320 products); eigenvalues agree with `dsyevr`
/// to ≈1e-14 either way. Solver time (2 threads, min of 15 runs on a shared machine), before
/// this layout (all vectors, b = 14 / 24, full `dsyevr` Rayleigh–Ritz) → now with 5 vectors:
/// 10 pairs 0.038 → 0.034 s (n = 1000), 0.110 → 0.064 s (2000), 0.334 → 0.210 s (4000);
/// 20 pairs 0.057 → 0.041 s, 0.143 → 0.081 s, 0.442 → 0.240 s. Inverse iteration instead of
/// MRRR in the Rayleigh–Ritz step (see `ProjectedTridiagonal.pairs(top:)` below), runs of the old and new
/// build interleaved, min of 5 each: 10 pairs at n = 1000 0.028–0.034 → 0.023–0.024 s (the six
/// steps 12.5–14 → 6.1–6.3 ms); at n = 2000 and 4000 the difference is within the machine's
/// run-to-run noise (±10 %).
///
/// - Complexity: per iteration one `n × n × m` GEMM (m ≤ b) plus O(n·p·b) for
///   reorthogonalisation and O(p³) for the projected eigenproblem (restarts O(n·p·kKeep));
///   memory `n²` (the input) plus about `4·pMax·n` doubles.
/// - Reference: Y. Saad, *Numerical Methods for Large Eigenvalue Problems*, 2nd ed., SIAM 2011,
///   §6.3 (block Lanczos), §4.3 (Rayleigh–Ritz); G. W. Stewart, "A Krylov–Schur algorithm for
///   large eigenproblems", SIAM J. Matrix Anal. Appl. 23 (2001); L. Giraud, J. Langou,
///   M. Rozložník, "The loss of orthogonality in the Gram–Schmidt orthogonalization process",
///   Comput. Math. Appl. 50 (2005) (CGS2).
public enum IterativeEigen {
  /// Smallest matrix order for which ``EigenSolverChoice/auto`` uses the iterative solver
  /// (dense `dsyevr` below it); for many pairs the bar is higher, see
  /// ``minimumIterativeOrder(count:)``.
  ///
  /// Chosen from measurements on the normalised RBF affinity of 5 Gaussian blobs in 8-D
  /// (γ = 1/8; 2 shared cores, OpenBLAS 0.3.21 with 2 threads, release build). Dense `dsyevr`
  /// range 'I' vs iterative, seconds:
  ///
  /// | n    | dense (5 / 10 / 20 pairs) | iterative (5 / 10 / 20 pairs) |
  /// |------|---------------------------|-------------------------------|
  /// | 400  | 0.015 / 0.011 / 0.012     | 0.012 / 0.028 / 0.050         |
  /// | 600  | 0.028 / 0.029 / 0.029     | 0.015 / 0.037 / 0.067         |
  /// | 800  | 0.052 / 0.052 / 0.055     | 0.021 / 0.046 / 0.079         |
  /// | 1000 | 0.091 / 0.088 / 0.091     | 0.029 / 0.063 / 0.100         |
  /// | 1200 | 0.135 / 0.143 / 0.152     | 0.042 / 0.111 / 0.129         |
  ///
  /// The break-even order grows with the block size `b` (≈500 for 5 pairs, ≈850 for 10,
  /// ≈1100 for 20), i.e. roughly `n ≈ 50·b`. Below the threshold the dense solver is also
  /// preferable because it is exact to rounding and cannot fail to converge.
  public static let denseThreshold = 500

  /// The order from which ``EigenSolverChoice/auto`` uses the iterative solver for `count`
  /// pairs: `max(denseThreshold, 50 · (count + max(4, ⌈count/5⌉)))` (500 for up to 5 pairs, 700
  /// for 10, 1200 for 20), the break-even measured with blocks of `count + max(4, ⌈count/5⌉)`
  /// (see ``denseThreshold``); conservative for the wider blocks used now.
  ///
  /// Re-measured after the cheaper Rayleigh–Ritz step (same setting, but on a loaded machine
  /// — load average ≈ 4 on 2 cores — min of 5 runs; dense / iterative seconds, all vectors):
  ///
  /// | n    | 5 pairs       | 10 pairs      | 20 pairs      |
  /// |------|---------------|---------------|---------------|
  /// | 400  | 0.018 / 0.020 | 0.019 / 0.058 | 0.015 / 0.068 |
  /// | 600  | 0.034 / 0.013 | 0.034 / 0.043 | 0.040 / 0.074 |
  /// | 800  | 0.071 / 0.022 | 0.072 / 0.055 | 0.078 / 0.101 |
  /// | 1000 | 0.110 / 0.029 | 0.121 / 0.075 | 0.103 / 0.124 |
  /// | 1200 | 0.158 / 0.035 | 0.194 / 0.092 | 0.184 / 0.165 |
  ///
  /// so the break-even is still ≈ 500 / 700 / 1100–1200 with all vectors accurate; when only a
  /// few vectors are needed (`vectorCount`), the iterative solver is faster and the bar is
  /// conservative.
  public static func minimumIterativeOrder(count: Int) -> Int {
    max(denseThreshold, 50 * (count + max(4, (count + 4) / 5)))
  }

  /// The error measure of each of the `count` wanted Ritz pairs that the convergence test compares
  /// with `tolerance · ‖A‖`. For the first `vectorCount` pairs it is the residual norm `rᵢ`. For
  /// the others (eigenvalue only) it is the smallest bound on the eigenvalue error over every run
  /// `G = a…c` of consecutive Ritz values containing `i` (at most ``clusterBoundWidth`` of them,
  /// the run `{i}` included):
  /// `min(rᵢ, ‖R_G‖² / δ_G)`, with `‖R_G‖² = Σ_{j∈G} rⱼ²` (the Frobenius norm bounds the 2-norm of
  /// the run's residual block) and `δ_G` the gap between the run's Ritz values and the rest of
  /// the spectrum, estimated from the other Ritz values as
  /// `min(min_{j<a}(θⱼ − rⱼ) − θ_a, θ_c − max_{j>c}(θⱼ + rⱼ)) − ‖R_G‖` (an eigenvalue lies within
  /// `rⱼ` of every Ritz value `θⱼ`). The run `{i}` is the Kato–Temple / Saad Thm. 3.8 bound
  /// `rᵢ²/δᵢ`; longer runs are the quadratic residual bound for a cluster of eigenvalues
  /// (R. Mathias, "Quadratic residual bounds for the Hermitian eigenvalue problem", SIAM J.
  /// Matrix Anal. Appl. 19 (1998)): near-equal eigenvalues, whose individual gaps are tiny, are
  /// bounded by the gap around their group. On the 5-blob affinity (n = 1000, 10 pairs, 5
  /// vectors) pairs 8–10 lie within 6e-5 of each other but 4e-3 from the rest; the run bound
  /// ends the solve one block product earlier (11 instead of 12).
  /// `theta`/`residuals` are descending and may hold one pair more than `count` (the nearest
  /// one below); without it the runs ending at the last wanted pair have no gap below and give
  /// no bound.
  static func errorMeasures(theta: [Double], residuals: [Double], count: Int, vectorCount: Int) -> [Double] {
    let known = min(theta.count, residuals.count)
    // lowestAbove[a] = min over j < a of θⱼ − rⱼ; highestBelow[c] = max over c < j < known of θⱼ + rⱼ.
    var lowestAbove = [Double](repeating: .infinity, count: count + 1)
    for j in 0..<count { lowestAbove[j + 1] = min(lowestAbove[j], theta[j] - residuals[j]) }
    var highestBelow = [Double](repeating: -.infinity, count: known + 1)
    for j in stride(from: known - 1, through: 0, by: -1) { highestBelow[j] = max(highestBelow[j + 1], theta[j] + residuals[j]) }
    var measure = (0..<count).map { residuals[$0] }
    for a in 0..<count {
      let above = lowestAbove[a] - theta[a]
      var squares = 0.0
      for c in a..<min(count, a + Self.clusterBoundWidth) {
        squares += residuals[c] * residuals[c]
        // Runs made only of pairs that need their vectors bound nothing.
        guard c >= vectorCount else { continue }
        let below = c + 1 < known ? theta[c] - highestBelow[c + 1] : -Double.infinity
        let gap = min(above, below) - squares.squareRoot()
        guard gap > 0 && gap.isFinite else { continue }
        let error = squares / gap
        for i in Swift.max(a, vectorCount)...c where residuals[i] > 0 {
          measure[i] = min(measure[i], error)
        }
      }
    }
    return measure
  }

  /// Longest run of consecutive Ritz values that
  /// ``errorMeasures(theta:residuals:count:vectorCount:)`` bounds together (16: the work is
  /// O(count · 16²) per Rayleigh–Ritz step).
  static let clusterBoundWidth = 16

  /// Block size used for `count` wanted pairs: `count + max(4, ⌈count/5⌉)`, rounded up to a
  /// multiple of 3 where the block product uses the row kernel (``rowKernelAvailable``: its
  /// tiles are 4 rows × 3 vectors), to a multiple of 16 where it uses `dgemm`. The guard vectors
  /// make the convergence rate depend on the gap after the block, not after pair `count`.
  ///
  /// **Row kernel.** Its cost is proportional to the block size, so the smallest block with the
  /// guard vectors is about the fastest: whole eigensolver on the 5-blob affinity (n = 1000,
  /// `count` pairs, `count / 2` vectors, min of 10–15 interleaved rounds while other builds ran,
  /// ms; for 4 pairs the rounding to 9 costs a little against 8, for 10 pairs 15 beats 14 by
  /// converging one block product earlier):
  ///
  /// | count | b = 8 | 9 | 12 | 14 | 15 | 16 | 24 | 27 | 32 |
  /// |-------|-------|---|----|----|----|----|----|----|----|
  /// | 4     | 6.7   | 7.9 | 9.5 | | | 12.8 | | | |
  /// | 10    |       |   | 10.9 | 10.8 | 9.9 | 11.9 | | | |
  /// | 20    |       |   |    |    |    |    | 36.5 | 45.7 | 56.7 |
  ///
  /// **`dgemm`.** The rounding to 16 is measured, not cosmetic: OpenBLAS's partitioning of a
  /// thin block over its threads makes odd widths slow. Time of one `b × n · n × n` product,
  /// OpenBLAS 0.3.21, 2 threads, 2 shared cores, n = 4000:
  ///
  /// | b    | 12  | 14  | 16  | 20  | 24  | 28  | 30  | 32  | 36  | 40  |
  /// |------|-----|-----|-----|-----|-----|-----|-----|-----|-----|-----|
  /// | ms   | 18.5| 18.2| 15.0| 19.0| 26.4| 32.5| 22.3| 16.9| 21.5| 26.3|
  public static func blockSize(count: Int) -> Int {
    blockSize(count: count, rowKernel: rowKernelAvailable)
  }

  /// ``blockSize(count:)`` for the row kernel (`true`) or `dgemm` (`false`).
  static func blockSize(count: Int, rowKernel: Bool) -> Int {
    let guarded = count + max(4, (count + 4) / 5)
    return rowKernel ? (guarded + 2) / 3 * 3 : (guarded + 15) / 16 * 16
  }

  /// Whether the block product uses the AVX2/FMA row kernel (`cbk_symmetric_rows_product`) on
  /// this processor rather than `dgemm`; fixed for the process (a read-only CPU feature test).
  static let rowKernelAvailable = cbk_symmetric_rows_product_available() != 0

  /// The row kernel's `out[v, i] = Σ_j A[i, j]·Q[v, j]` for the rows `i` in `rows` of `a`
  /// (`n × n`) and the rows `v` of `q` (`m × n`), as an `m × n` matrix (columns outside `rows`
  /// are 0); `nil` where ``rowKernelAvailable`` is false. For tests.
  static func rowKernelProduct(_ a: Matrix, _ q: Matrix, rows: Range<Int>) -> Matrix? {
    precondition(a.rows == a.columns && q.columns == a.rows && rows.clamped(to: 0..<a.rows) == rows)
    var out = Matrix(rows: q.rows, columns: a.rows)
    let done = a.storage.withUnsafeBufferPointer { ap in
      q.storage.withUnsafeBufferPointer { qp in
        out.storage.withUnsafeMutableBufferPointer { op in
          cbk_symmetric_rows_product(
            ap.baseAddress!, a.rows, qp.baseAddress!, q.rows, op.baseAddress!, rows.lowerBound, rows.upperBound)
        }
      }
    }
    return done == 1 ? out : nil
  }

  /// `z` after the solver's modified Gram–Schmidt step against the rows of `q` (orthonormal,
  /// `q.columns == z.count`): `cbk_mgs_subtract`. For tests.
  static func modifiedGramSchmidtStep(_ q: Matrix, _ z: [Double]) -> [Double] {
    precondition(q.columns == z.count)
    var out = z
    q.storage.withUnsafeBufferPointer { qp in
      out.withUnsafeMutableBufferPointer { zp in
        if let base = qp.baseAddress, let zb = zp.baseAddress { cbk_mgs_subtract(base, q.rows, q.columns, zb) }
      }
    }
    return out
  }

  /// Column ranges of `A` (rows, for the row kernel; the same for symmetric `A`) in which the block
  /// product `Qᵀ·A` is computed: two halves (the first rounded up to a multiple of 64 columns)
  /// from order 512 on, else one range. Fixed by the order only, so results do not depend on the
  /// number of threads or cores.
  public static func productChunks(order n: Int) -> [Range<Int>] {
    if n < 512 { return [0..<n] }
    let half = min(n, (n / 2 + 63) / 64 * 64)
    return [0..<half, half..<n]
  }

  /// The parts in which the solver's basis products (projection, reorthogonalisation, Ritz
  /// vectors) split a dimension of size `extent`: two halves (the first rounded up to a multiple of
  /// 8) from order `n` = 512 on, else one range. Fixed by the sizes only.
  static func halves(_ extent: Int, order n: Int) -> [Range<Int>] {
    if n < 512 || extent < 16 { return [0..<extent] }
    let half = min(extent, (extent / 2 + 7) / 8 * 8)
    return half == extent ? [0..<extent] : [0..<half, half..<extent]
  }

  /// Largest basis before a thick restart, for block size `b`: `max(12·b, 64)` (enough for
  /// ≈12 block steps, which covers typical affinity spectra without a restart).
  public static func basisLimit(blockSize b: Int) -> Int {
    max(12 * b, 64)
  }

  /// The `count` largest eigenpairs of the symmetric matrix `a`, eigenvalues ascending,
  /// `vectors` `n × count` with orthonormal columns, residual
  /// `‖A v − λ v‖₂ ≤ tolerance · ‖A‖` for every pair (see the type's documentation for the
  /// method).
  ///
  /// Only the symmetric matrix is valid input (it is not checked; the whole matrix is used).
  /// When the whole space fits in the Krylov basis (`n ≤ basisLimit + blockSize`) the problem is
  /// solved densely with ``SymmetricEigen/highest(_:count:vectors:)`` instead.
  ///
  /// - Parameters:
  ///   - count: number of pairs, `1...n`.
  ///   - vectorCount: how many of the largest pairs need accurate vectors (default `count`).
  ///     For the `count − vectorCount` others only the eigenvalue is converged: the test is the
  ///     eigenvalue-error bound `min(r, r²/δ) ≤ tolerance · ‖A‖` (`r` the residual norm, `δ` the
  ///     gap to the other Ritz values, each shrunk by the residuals; Kato–Temple / Saad Thm. 3.8),
  ///     or its form for a run of near-equal Ritz values, `‖R_G‖²/δ_G` with the gap around the
  ///     whole run (Mathias 1998; ``errorMeasures(theta:residuals:count:vectorCount:)``), so
  ///     their eigenvalues stay within ≈`tolerance·‖A‖` of the exact ones while their vectors
  ///     only have residual ≈`√(tolerance·δ)·‖A‖` (about 1e-7 on normalised affinities at 1e-10).
  ///     When measured with the Kato–Temple test alone, on the 5-blob affinity, 10 pairs with 5
  ///     vectors took 12 instead of 15 block steps (b = 14: 168 instead of 210 products); 20
  ///     pairs with 5: 10 instead of 13 (b = 24: 240 instead of 312).
  ///   - tolerance: relative residual bound (default 1e-10; below ≈1e-14 it is unattainable in
  ///     double precision).
  ///   - maxIterations: maximum number of block products with `a` (default 500), in all: a block
  ///     resolves a cluster of at most `b` eigenvalues, so when more lie within the tolerance of the
  ///     wanted ones (the normalised affinity of a nearly disconnected graph) an attempt that has not
  ///     converged after `maxIterations / 4` products is repeated with a block twice as wide, as long
  ///     as that block leaves room for a Krylov basis (``widenedBlockSize(_:order:)``; the last
  ///     attempt gets the rest of the budget; ``Diagnostics/widenings`` counts them).
  ///   - seed: seed of the random start block (default 0).
  /// - Throws: ``LinearAlgebraError`` if not every pair has converged after `maxIterations`
  ///   block products, if the Ritz values are not finite (non-finite input), or if `dsyevr`
  ///   fails on the projected matrix.
  /// - Complexity: O(n²·b) per iteration; see ``IterativeEigen``.
  public static func largest(
    _ a: Matrix, count: Int, vectorCount: Int? = nil, tolerance: Double = 1e-10, maxIterations: Int = 500,
    seed: UInt64 = 0
  ) throws -> EigenDecomposition {
    try largestWithDiagnostics(
      a, count: count, vectorCount: vectorCount, tolerance: tolerance, maxIterations: maxIterations, seed: seed
    ).0
  }

  /// Work done by one call of ``largestWithDiagnostics(_:count:vectorCount:tolerance:maxIterations:seed:)``.
  public struct Diagnostics: Sendable, Equatable {
    /// Block products with `A` (iterations); 0 when the dense fallback was used.
    public var iterations = 0
    /// Columns multiplied by `A` in total (matrix–vector products).
    public var matrixVectorProducts = 0
    /// Thick restarts.
    public var restarts = 0
    /// Final estimate of ‖A‖₂ (largest |Ritz value|).
    public var normEstimate = 0.0
    /// Largest `‖A v − λ v‖ / ‖A‖` over the returned pairs with accurate vectors (the
    /// `vectorCount` largest; as computed from the stored `AV`).
    public var maxRelativeResidual = 0.0
    /// Largest `‖A v − λ v‖ / ‖A‖` over the pairs beyond `vectorCount` (0 if there are none).
    public var maxValueOnlyRelativeResidual = 0.0
    /// `true` when the problem was small enough to be solved densely.
    public var usedDenseFallback = false
    /// Rayleigh–Ritz steps done.
    public var rayleighRitzSteps = 0
    /// Rayleigh–Ritz steps whose vectors came from MRRR (`dstemr`) because inverse iteration
    /// (`dstein`) reported a vector that did not converge (0 on the blob affinities of n = 1000–4000,
    /// 10 and 20 pairs, and on the test matrices).
    public var mrrrSteps = 0
    /// Times the block was doubled because a cluster of more eigenvalues than the block holds
    /// kept the solve from converging within a quarter of `maxIterations` (0 on the blob
    /// affinities; see ``IterativeEigen/largestWithDiagnostics(_:count:vectorCount:tolerance:maxIterations:seed:)``).
    public var widenings = 0
    public init() {}

    /// Adds the work of another attempt (the norm and residual figures are the last attempt's).
    mutating func add(_ other: Diagnostics) {
      iterations += other.iterations
      matrixVectorProducts += other.matrixVectorProducts
      restarts += other.restarts
      rayleighRitzSteps += other.rayleighRitzSteps
      mrrrSteps += other.mrrrSteps
      normEstimate = other.normEstimate
      maxRelativeResidual = other.maxRelativeResidual
      maxValueOnlyRelativeResidual = other.maxValueOnlyRelativeResidual
    }
  }

  /// ``largest(_:count:vectorCount:tolerance:maxIterations:seed:)`` that also returns the work done.
  public static func largestWithDiagnostics(
    _ a: Matrix, count: Int, vectorCount: Int? = nil, tolerance: Double = 1e-10, maxIterations: Int = 500,
    seed: UInt64 = 0
  ) throws -> (EigenDecomposition, Diagnostics) {
    try largestWithDiagnostics(
      a, count: count, vectorCount: vectorCount, tolerance: tolerance, maxIterations: maxIterations, seed: seed,
      ritzVectors: .inverseIteration)
  }

  /// The `count` largest eigenpairs of `M = S⁻¹·W·S⁻¹` (`M_ij = W_ij / (s_i·s_j)`, `S = diag(s)`) without
  /// forming `M`: each block product scales the block's rows by `r = 1/s` (rounded once; an `m × n` scratch),
  /// multiplies by `W` with the kernel of ``largest(_:count:vectorCount:tolerance:maxIterations:seed:)`` and
  /// scales the result by `r`, `(M·q)_i = (Σ_j W_ij·(q_j·r_j))·r_i`. Everything else is that solver's.
  ///
  /// The spectral pipeline's normalised affinity `D^{-1/2}·W·D^{-1/2}` is this operator with `s = √d` (and
  /// the diagonal of `W` set to 0 by the caller); it saves the O(n²) pass with two divisions per entry that
  /// builds `M`, at the cost of 2·n·m multiplications per product (negligible next to its n²·m multiply-adds).
  /// The results differ from the explicit operator's only by rounding (the products are associated
  /// differently): on the 5-blob affinities of n = 1000–4000 (10 pairs, 5 vectors) eigenvalues within 3.7e-15
  /// and the same iteration counts; the span of the top 5 vectors within 1.2e-14 (their individual vectors are
  /// not defined beyond rounding there: the 5 eigenvalues are within 1e-9 of each other).
  ///
  /// When the whole space fits in the Krylov basis (the dense case of the explicit solver) `M` is formed,
  /// `M_ij = (W_ij / s_j) / s_i` (the bits SciPy's normalised Laplacian has off the diagonal), and solved densely.
  ///
  /// - Parameters:
  ///   - w: symmetric `n × n` matrix (its diagonal is used as it is).
  ///   - s: `n` positive finite divisors.
  ///   - Others as in ``largest(_:count:vectorCount:tolerance:maxIterations:seed:)``.
  /// - Throws: as ``largest(_:count:vectorCount:tolerance:maxIterations:seed:)``.
  /// - Complexity: as the explicit solver, plus `2·n·m` multiplications per block product of `m` vectors; memory
  ///   `(b + 1)·n` more doubles (inside the solver's one huge-page buffer).
  public static func largest(
    _ w: Matrix, dividedBy s: [Double], count: Int, vectorCount: Int? = nil, tolerance: Double = 1e-10,
    maxIterations: Int = 500, seed: UInt64 = 0
  ) throws -> EigenDecomposition {
    try largestWithDiagnostics(
      w, dividedBy: s, count: count, vectorCount: vectorCount, tolerance: tolerance, maxIterations: maxIterations,
      seed: seed
    ).0
  }

  /// ``largest(_:dividedBy:count:vectorCount:tolerance:maxIterations:seed:)`` that also returns the work done.
  public static func largestWithDiagnostics(
    _ w: Matrix, dividedBy s: [Double], count: Int, vectorCount: Int? = nil, tolerance: Double = 1e-10,
    maxIterations: Int = 500, seed: UInt64 = 0
  ) throws -> (EigenDecomposition, Diagnostics) {
    precondition(s.count == w.rows, "IterativeEigen.largest: one divisor per row")
    return try largestWithDiagnostics(
      w, count: count, vectorCount: vectorCount, tolerance: tolerance, maxIterations: maxIterations, seed: seed,
      ritzVectors: .inverseIteration, rowScale: s)
  }

  /// `M_ij = (W_ij / s_j) / s_i`, the operator of ``largest(_:dividedBy:count:vectorCount:tolerance:maxIterations:seed:)``
  /// formed explicitly (its dense case; tests).
  static func scaledOperator(_ w: Matrix, dividedBy s: [Double]) -> Matrix {
    var m = w
    let n = w.rows
    for i in 0..<n {
      let si = s[i]
      for j in 0..<n { m.storage[i * n + j] = (m.storage[i * n + j] / s[j]) / si }
    }
    return m
  }

  /// How the Rayleigh–Ritz step computes the Ritz vectors of the projected matrix.
  enum RitzVectorMethod: Sendable {
    /// `dstein`, with MRRR as the fallback (the default).
    case inverseIteration
    /// MRRR (`dstemr`) only: the fallback path, selectable so tests can compare the two.
    case mrrr
  }

  static func largestWithDiagnostics(
    _ a: Matrix, count: Int, vectorCount: Int?, tolerance: Double, maxIterations: Int, seed: UInt64,
    ritzVectors method: RitzVectorMethod, rowScale: [Double]? = nil
  ) throws -> (EigenDecomposition, Diagnostics) {
    precondition(a.rows == a.columns, "IterativeEigen.largest needs a square matrix")
    let n = a.rows
    precondition(count >= 1 && count <= n, "IterativeEigen.largest: count must be in 1...n")
    precondition(tolerance >= 0 && tolerance.isFinite, "IterativeEigen.largest: tolerance must be ≥ 0")
    precondition(vectorCount.map { $0 >= 0 && $0 <= count } ?? true, "IterativeEigen.largest: vectorCount must be in 0...count")
    precondition(maxIterations >= 1, "IterativeEigen.largest: maxIterations must be ≥ 1")
    var b = blockSize(count: count)
    var diagnostics = Diagnostics()
    if n <= basisLimit(blockSize: b) + b {
      diagnostics.usedDenseFallback = true
      let explicit = rowScale.map { scaledOperator(a, dividedBy: $0) } ?? a
      return (try SymmetricEigen.highest(explicit, count: count), diagnostics)
    }
    var remaining = maxIterations
    while true {
      // A block can resolve a cluster of at most b eigenvalues: when more lie within the
      // tolerance of the wanted ones the solve stalls, so an attempt that may still be followed
      // by a wider one (see ``widenedBlockSize(_:order:)``) gets a quarter of the budget.
      let wider = widenedBlockSize(b, order: n)
      let budget = wider == nil ? remaining : min(remaining, max(1, maxIterations / 4))
      let pMax = basisLimit(blockSize: b)
      let attempt: Result<EigenDecomposition, Error>
      var solver = BlockKrylov(
        n: n, count: count, vectorCount: vectorCount ?? count, blockSize: b, basisLimit: pMax, rowScale: rowScale)
      solver.ritzMethod = method
      attempt = a.storage.withUnsafeBufferPointer { pa in
        Result { try solver.run(pa.baseAddress!, tolerance: tolerance, maxIterations: budget, seed: seed) }
      }
      solver.deallocate()
      diagnostics.add(solver.diagnostics)
      remaining -= solver.diagnostics.iterations
      switch attempt {
      case .success(let e): return (e, diagnostics)
      case .failure(let error):
        guard solver.exhausted, let wider, remaining > 0 else {
          if solver.exhausted {
            throw LinearAlgebraError(
              "IterativeEigen.largest: \(count) eigenpairs not converged to relative residual \(tolerance) after \(maxIterations) block products (n = \(n), block size up to \(b))")
          }
          throw error
        }
        b = wider
        diagnostics.widenings += 1
      }
    }
  }

  /// The block size a stalled solve retries with: `2·b`, or `nil` when that block would no
  /// longer leave room for a Krylov basis (`n ≤ basisLimit(2b) + 2b`, where the solve would be
  /// dense): the attempt with `b` is then the last and gets the whole remaining budget.
  static func widenedBlockSize(_ b: Int, order n: Int) -> Int? {
    let wider = 2 * b
    return n > basisLimit(blockSize: wider) + wider ? wider : nil
  }
}

extension SymmetricEigen {
  /// The `count` largest eigenpairs of the symmetric matrix `a`, eigenvalues ascending, with the
  /// solver chosen by `solver`.
  ///
  /// - ``EigenSolverChoice/dense``: ``highest(_:count:vectors:)`` (`dsyevr`, range 'I').
  /// - ``EigenSolverChoice/iterative``:
  ///   ``IterativeEigen/largest(_:count:vectorCount:tolerance:maxIterations:seed:)``.
  /// - ``EigenSolverChoice/auto`` (default): iterative when
  ///   `n ≥ IterativeEigen.minimumIterativeOrder(count:)`
  ///   (`max(IterativeEigen.denseThreshold, 50·blockSize)`), dense otherwise; should the
  ///   iterative solver fail to converge (it has not in any test), `auto` falls back to dense.
  ///
  /// `tolerance` and `seed` are passed to the iterative solver only.
  /// - Throws: ``LinearAlgebraError`` from the solver used.
  public static func largest(
    _ a: Matrix, count: Int, solver: EigenSolverChoice = .auto, tolerance: Double = 1e-10, seed: UInt64 = 0
  ) throws -> EigenDecomposition {
    switch resolvedSolver(solver, order: a.rows, count: count) {
    case .iterative:
      do {
        return try IterativeEigen.largest(a, count: count, tolerance: tolerance, seed: seed)
      } catch where solver == .auto {
        return try highest(a, count: count)
      }
    default:
      return try highest(a, count: count)
    }
  }

  /// The solver ``largest(_:count:solver:tolerance:seed:)`` uses for an `order × order` matrix
  /// and `count` pairs: `.dense` or `.iterative` (never `.auto`).
  public static func resolvedSolver(_ choice: EigenSolverChoice, order n: Int, count: Int) -> EigenSolverChoice {
    switch choice {
    case .dense, .iterative: return choice
    case .auto: return n >= IterativeEigen.minimumIterativeOrder(count: count) ? .iterative : .dense
    }
  }
}

// MARK: - Implementation

/// SplitMix64 (Steele, Lea, Flood 2014): the deterministic start-block generator.
extension Double {
  /// Natural logarithm of a positive finite value without Foundation: `e·ln 2 + 2·atanh((m−1)/(m+1))`
  /// for `self = m·2^e`, `m ∈ [1, 2)` (series to 1e-19); 0 for non-positive or non-finite input.
  fileprivate var logValue: Double {
    guard self > 0 && isFinite else { return 0 }
    let e = Double(exponent)
    let m = significand  // in [1, 2)
    let t = (m - 1) / (m + 1)
    var sum = 0.0, power = t
    for k in stride(from: 1, through: 39, by: 2) { sum += power / Double(k); power *= t * t }
    return e * 0.6931471805599453 + 2 * sum
  }
}

/// Row-major `C = α·op(A)·op(B) + β·C` on raw pointers.
@inline(__always)
private func dgemm(
  _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
  _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
  _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int
) {
  if m == 0 || n == 0 { return }
  cblas_dgemm(
    CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Two threads for two-part tasks: the caller and one worker that spins briefly between tasks
/// (C `cbk_team`, see `cbk_team.h`). `DispatchQueue.concurrentPerform` wakes a parked worker for
/// every call, 15–30 µs in a 2-vCPU guest, as long as the solver's basis GEMMs themselves: the
/// 10-pair solve at n = 1000 took 10.1–10.4 ms with it and 8.9–9.1 ms with this team (min of 30
/// interleaved rounds, three runs, idle 2-core EPYC guest; run one after the other, the halves had
/// taken 11.3 ms against 12.0 with `concurrentPerform` in an earlier run while other builds ran).
/// Part 0 runs on the caller, part 1 on the worker unless the caller gets to it first;
/// each part computes the same bits on either thread. Owned by one solve: ``close()`` stops the
/// worker.
struct TwoThreadTeam {
  private let handle: OpaquePointer

  /// Starts the worker; nil if the thread cannot be created.
  init?() {
    guard let handle = cbk_team_create() else { return nil }
    self.handle = handle
  }

  /// Runs `body(0)` and `body(1)`, on the two threads; returns when both have returned.
  func run(_ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { escaping in
      var call = escaping
      withUnsafeMutablePointer(to: &call) { pointer in
        cbk_team_run(handle, { context, part in
          context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
        }, UnsafeMutableRawPointer(pointer))
      }
    }
  }

  /// Stops and joins the worker (once; the team is unusable afterwards).
  func close() { cbk_team_destroy(handle) }
}

/// Working state of one ``IterativeEigen/largest(_:count:vectorCount:tolerance:maxIterations:seed:)`` call.
///
/// Vectors are stored as rows (`vt` is `Vᵀ`), so appending a basis vector appends a row. The
/// basis `V` (rows `0..<p`) satisfies the block Krylov–Schur relation
/// `A·V = V·H + F·Eᵀ`, where `E` selects the last block multiplied by `A` and `F` is that
/// block's image orthogonalised against `V`; `F = Q·B` with `Q` the *pending* block (rows
/// `p..<p+pending`, orthonormal, orthogonal to `V`, not yet multiplied by `A`).
/// A raw pointer handed to the worker threads of ``BlockKrylov/multiplyByA(_:first:count:)``
/// (disjoint writes).
private struct KrylovPointer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
}

/// The largest Ritz pairs of the projected matrix `H` (``ProjectedTridiagonal/pairs(top:)``).
private struct RitzPairs {
  /// The `k` largest eigenvalues of `H`, descending.
  var top: [Double]
  /// The smallest eigenvalue of `H` (for the estimate of ‖A‖).
  var lowest: Double
  /// `k × p` row-major: row `i` is the unit eigenvector of `H` for `top[i]`.
  var vectors: [Double]
  /// `true` when the vectors came from MRRR rather than inverse iteration.
  var byMRRR = false
}

/// The projected matrix `H = QTQᵀ` of one Rayleigh–Ritz step in tridiagonal form
/// (``BlockKrylov/tridiagonalH()``), with every eigenvalue of `T`, ascending.
///
/// ## The reduction
///
/// `Q = H(0)·H(1)···H(p−2)`, `H(i) = I − τᵢ·vᵢ·vᵢᵀ`, in LAPACK's `dsytrd` 'L' format (`d`, `e`, `tau`,
/// `vᵢ` below the subdiagonal of column `i` of ``hh``), which `dsterf`, `dstein` and `dormtr` take as
/// they are. Two implementations (``Reduction``):
///
/// - **Kernel** (`cbk_tridiagonalize` in CBlockKernel, up to ``kernelMaxOrder``): LAPACK's unblocked
///   `dsytd2` (with `dlarfg`: its sign of β, its rescaling of tiny β, `τ = 0` for a zero column), fused:
///   step `i` applies the rank-2 update of step `i − 1` to the trailing triangle in the same pass
///   that computes `T·vᵢ` (a dot product along each row of the upper triangle and an axpy), so the
///   triangle is read and written once per step instead of twice; rows in blocks of 4 sharing the
///   loads of the vectors, AVX2 + FMA. Flops as LAPACK, 4/3·p³. The portable path performs the same
///   operations with `fma()` and gives the same bits (tested); it runs where `fma` is an instruction
///   (arm64). On an x86-64 without AVX2/FMA (`fma()` in software, ≈ 60× slower) `dsytrd` is used.
///   Rounding differs from `dsytrd`'s: eigenvalues of `T` agree with LAPACK's to ≈ 10–25 ulps of
///   ‖H‖ at p = 100–400 (norm-wise backward stable either way; Q·T·Qᵀ reconstructs H to ≈ 3e-16‖H‖).
/// - **LAPACK** (`dsytrd`, blocked: `dlatrd` + `dsyr2k`) above ``kernelMaxOrder`` and without the kernel.
///
/// Measured standalone (one thread, clang -O2, min of 300 calls, 2-core Zen 4 guest shared with
/// builds), kernel / `dsytrd` in µs: p = 33: 4.6 / 17.8, 100: 58 / 129, 120: 93 / 182, 165: 210 / 367,
/// 250: 730 / 970, 300: 1340 / 1530, 400: 2560 / 3210, 500: 6670 / 6060, 800: 32100 / 30300
/// (the working set leaves L2 near p ≈ 400).
struct ProjectedTridiagonal {
  let p: Int
  fileprivate let method: IterativeEigen.RitzVectorMethod
  /// The Householder reflectors (column-major `p × p`, leading dimension ``ld``, lower) and their
  /// factors.
  var hh: [Double]
  /// Leading dimension of ``hh``: `p`, or `p + 3` for the kernel (3 zero rows and columns of padding).
  let ld: Int
  var tau: [Double]
  /// Diagonal and off-diagonal of `T`.
  var d: [Double]
  var e: [Double]
  /// All eigenvalues of `T` (= of `H`), ascending (`dsterf`).
  var eigenvalues: [Double] = []

  /// How ``init(h:ld:p:method:reduction:)`` reduces `H`.
  enum Reduction: Sendable {
    /// The kernel for `p ≤ kernelMaxOrder` where it is fast (x86-64 with AVX2 and FMA, arm64), else `dsytrd`.
    case automatic
    /// LAPACK `dsytrd`.
    case lapack
    /// The kernel's portable path (for tests).
    case kernelPortable
    /// The kernel's AVX2 path (for tests; only where ``kernelAVX2Available``).
    case kernelAVX2
  }

  /// Largest order reduced by the kernel under ``Reduction/automatic``: measured crossover with
  /// `dsytrd` between 400 and 500 (see the table above).
  static let kernelMaxOrder = 400

  /// Whether the kernel's AVX2 path runs on this processor.
  static var kernelAVX2Available: Bool { cbk_tridiagonalize_avx2_available() != 0 }

  /// The kernel's path (`cbk_tridiagonalize`'s `path`) under ``Reduction/automatic``, nil for `dsytrd`.
  static var automaticKernelPath: Int32? {
    #if arch(arm64)
      return 1
    #else
      return kernelAVX2Available ? 2 : nil
    #endif
  }

  /// Reduces the symmetric `p × p` matrix `h` (row-major, leading dimension `ld`; only the upper
  /// triangle `j ≥ i`, which is also the lower triangle column-major, is read) and computes all
  /// eigenvalues of `T` (`dsterf`, O(p²)). Runs on the calling thread; the caller keeps OpenBLAS on
  /// one thread (see ``BLASThreads/withSingleThread(_:)``).
  init(
    h: UnsafePointer<Double>, ld hld: Int, p: Int, method: IterativeEigen.RitzVectorMethod = .inverseIteration,
    reduction: Reduction = .automatic
  ) throws {
    self.p = p
    self.method = method
    tau = [Double](repeating: 0, count: max(1, p - 1))
    d = [Double](repeating: 0, count: p)
    e = [Double](repeating: 0, count: p)
    let path: Int32?
    switch reduction {
    case .automatic: path = p <= Self.kernelMaxOrder ? Self.automaticKernelPath : nil
    case .lapack: path = nil
    case .kernelPortable: path = 1
    case .kernelAVX2:
      precondition(Self.kernelAVX2Available, "ProjectedTridiagonal: the AVX2 path needs AVX2 and FMA")
      path = 2
    }
    var info: Int32 = 0
    if let path, p > 0 {
      let ld = p + 3
      self.ld = ld
      hh = [Double](repeating: 0, count: ld * ld)
      var work = [Double](repeating: 0, count: 4 * (p + 4))
      hh.withUnsafeMutableBufferPointer { a in
        for i in 0..<p { (a.baseAddress! + i * ld + i).update(from: h + i * hld + i, count: p - i) }
        cbk_tridiagonalize(p, a.baseAddress!, ld, &d, &e, &tau, &work, path)
      }
    } else {
      ld = max(1, p)
      hh = [Double](repeating: 0, count: p * p)
      for i in 0..<p { for j in i..<p { hh[i * p + j] = h[i * hld + j] } }
      if p > 0 {
        info = LAPACKE_dsytrd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(p), &hh, Int32(p), &d, &e, &tau)
      }
    }
    eigenvalues = d
    var offDiagonal = e
    if info == 0 && p > 0 { info = LAPACKE_dsterf(Int32(p), &eigenvalues, &offDiagonal) }
    if info != 0 {
      throw LinearAlgebraError("IterativeEigen.largest: the eigensolver failed on the \(p)×\(p) projected matrix (info = \(info))")
    }
  }

  /// `z ← Q·z` for `z` column-major `p × k` (`dormtr`, O(p²·k)); LAPACK's `info`.
  mutating func applyQ(to z: inout [Double], columns k: Int) -> Int32 {
    guard p > 1 else { return 0 }
    return LAPACKE_dormtr(
      LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "N")), Int32(p),
      Int32(k), &hh, Int32(ld), &tau, &z, Int32(p))
  }

  /// The `k` largest eigenpairs of `H` and its smallest eigenvalue: the vectors of the `k`
  /// largest by inverse iteration (`dstein`, O(p·k) plus Gram–Schmidt inside clusters closer
  /// than `1e-3·‖T‖₁`) and the back-transformation of those `k` vectors only (`dormtr`,
  /// O(p²·k) instead of O(p³)).
  ///
  /// Should `dstein` report a vector that did not converge, the `k` pairs are recomputed by MRRR
  /// (`dstemr`, range 'I', as inside `dsyevr`). MRRR was the only path before: its bisection and
  /// refinement of the wanted eigenvalues (`dlarrd`, `dlarrb`) cost 1.2 ms of the 2.3 ms of one
  /// step at `p ≈ 130–190` (10 pairs, n = 1000: 7 of the solver's 28–40 ms); `dstein` takes
  /// ≈0.36 ms there, one whole step ≈1.0 ms.
  fileprivate mutating func pairs(top k: Int) throws -> RitzPairs {
    // One BLAS thread: results independent of OPENBLAS_NUM_THREADS (see BLASThreads.withSingleThread).
    try BLASThreads.withSingleThread { try pairsSerial(top: k) }
  }

  private mutating func pairsSerial(top k: Int) throws -> RitzPairs {
    if method == .inverseIteration, let pairs = inverseIteration(top: k) { return pairs }
    var dd = d, ee = e
    var w = [Double](repeating: 0, count: p)
    var z = [Double](repeating: 0, count: p * k)
    var isuppz = [Int32](repeating: 0, count: 2 * k)
    var found: Int32 = 0
    var tryrac: Int32 = 1
    var info = LAPACKE_dstemr(
      LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), Int32(p), &dd, &ee, 0, 0,
      Int32(p - k + 1), Int32(p), &found, &w, &z, Int32(p), Int32(k), &isuppz, &tryrac)
    if info == 0 && Int(found) == k { info = applyQ(to: &z, columns: k) }
    if info != 0 || Int(found) != k {
      throw LinearAlgebraError("IterativeEigen.largest: the eigensolver failed on the \(p)×\(p) projected matrix (info = \(info))")
    }
    return descending(values: w, vectors: z, count: k, byMRRR: true)
  }

  /// ``RitzPairs`` from `k` ascending eigenpairs of `H` (`values[0..<k]`, `vectors` column-major
  /// `p × k`): largest first, row `i` of ``RitzPairs/vectors`` belonging to `top[i]`.
  private func descending(values w: [Double], vectors z: [Double], count k: Int, byMRRR: Bool) -> RitzPairs {
    var vectors = [Double](repeating: 0, count: p * k)
    for i in 0..<k {
      let source = (k - 1 - i) * p
      for r in 0..<p { vectors[i * p + r] = z[source + r] }
    }
    return RitzPairs(top: (0..<k).map { w[k - 1 - $0] }, lowest: eigenvalues[0], vectors: vectors, byMRRR: byMRRR)
  }

  /// The `k` largest pairs by `dstein` on `T` taken as one block (a numerically split `T` is
  /// still a valid input: inverse iteration then returns vectors supported on the split-off
  /// part), then `dormtr`. `nil` if `dstein` or `dormtr` fails.
  private mutating func inverseIteration(top k: Int) -> RitzPairs? {
    // W, IBLOCK and ISPLIT have dimension N in LAPACK, and LAPACKE_dstein checks all N entries
    // of W for NaN: the k wanted eigenvalues (ascending, as dstein wants them within a block)
    // come first, padded to p.
    var w = [Double](repeating: 0, count: p)
    for i in 0..<k { w[i] = eigenvalues[p - k + i] }
    let block = [Int32](repeating: 1, count: p)
    var split = [Int32](repeating: 0, count: p)
    split[0] = Int32(p)
    var z = [Double](repeating: 0, count: p * k)
    var failed = [Int32](repeating: 0, count: k)
    var info = LAPACKE_dstein(
      LAPACK_COL_MAJOR, Int32(p), d, e, Int32(k), w, block, split, &z, Int32(p), &failed)
    if info == 0 { info = applyQ(to: &z, columns: k) }
    guard info == 0 else { return nil }
    return descending(values: w, vectors: z, count: k, byMRRR: false)
  }
}

private struct BlockKrylov {
  let n: Int, count: Int, vectorCount: Int, b: Int, pMax: Int, kKeep: Int
  /// Basis `Vᵀ` (`p` rows) followed by the pending block; capacity `(pMax + b) × n`.
  let vt: UnsafeMutablePointer<Double>
  /// `(AV)ᵀ`, capacity `pMax × n`.
  let avt: UnsafeMutablePointer<Double>
  /// Ritz vectors `Yᵀ` and `(AY)ᵀ`, capacity `kKeep × n`.
  let yt: UnsafeMutablePointer<Double>
  let ayt: UnsafeMutablePointer<Double>
  /// Projected matrix `H = VᵀAV`, leading dimension `pMax`.
  let h: UnsafeMutablePointer<Double>
  /// Scratch, `pMax × pMax` (Gram–Schmidt coefficients, selected eigenvectors).
  let scratch: UnsafeMutablePointer<Double>
  /// The reciprocals `1/s_i` of the divisors of the operator `S⁻¹·A·S⁻¹` (`n`), nil for `A` itself (see
  /// ``multiplyByA(_:first:count:)``).
  let rowScale: UnsafeMutablePointer<Double>?
  /// `S⁻¹·Q` for the block being multiplied, capacity `b × n` (with ``rowScale`` only).
  let scaledBlock: UnsafeMutablePointer<Double>?
  /// The one allocation holding every array above.
  let memory: LargeBuffer
  /// The worker thread of the two-part splits (see ``onTwoThreads(_:)``); nil when the parts run
  /// one after the other.
  let team: TwoThreadTeam?
  var p = 0
  /// First row of `V` with which `A·Q` of the pending block `Q` has non-zero coefficients in exact
  /// arithmetic: the block whose product produced `Q` (block Lanczos three-term recurrence), 0
  /// after a thick restart or fresh random directions. Rows below it are neither projected
  /// (their `H` entries are set to 0) nor subtracted in the first pass; the full
  /// reorthogonalisation pass that always follows removes what rounding left there.
  var couplingStart = 0
  var diagnostics = IterativeEigen.Diagnostics()
  var ritzMethod = IterativeEigen.RitzVectorMethod.inverseIteration
  /// Set when ``run(_:tolerance:maxIterations:seed:)`` stopped at `maxIterations` without converging.
  var exhausted = false

  init(n: Int, count: Int, vectorCount: Int, blockSize: Int, basisLimit: Int, rowScale scale: [Double]? = nil) {
    self.n = n
    self.count = count
    self.vectorCount = vectorCount
    self.b = blockSize
    self.pMax = basisLimit
    self.kKeep = basisLimit / 2  // ≥ 6·b > count since basisLimit ≥ 12·b
    var sizes = [(pMax + b) * n, pMax * n, kKeep * n, kKeep * n, pMax * pMax, pMax * pMax]
    if scale != nil { sizes += [n, b * n] }
    memory = LargeBuffer(count: sizes.reduce(0, +))
    var next = memory.base
    var parts = [UnsafeMutablePointer<Double>]()
    for size in sizes {
      parts.append(next)
      next += size
    }
    (vt, avt, yt, ayt, h, scratch) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    if let scale {
      precondition(scale.count == n)
      for i in 0..<n { parts[6][i] = 1 / scale[i] }
      (rowScale, scaledBlock) = (parts[6], parts[7])
    } else {
      (rowScale, scaledBlock) = (nil, nil)
    }
    // Two threads for the fixed two-part splits when there are two parts and OpenBLAS runs on one thread
    // (as in the spectral pipeline); one after the other otherwise (or if the worker cannot be started).
    team = IterativeEigen.productChunks(order: n).count > 1 && BLASThreads.current == 1 ? TwoThreadTeam() : nil
  }

  func deallocate() {
    memory.release()
    team?.close()
  }

  /// `body(0)` and `body(1)`, on two threads when there is a ``team``.
  func onTwoThreads(_ body: (Int) -> Void) {
    if let team {
      team.run(body)
    } else {
      body(0)
      body(1)
    }
  }

  mutating func run(
    _ a: UnsafePointer<Double>, tolerance: Double, maxIterations: Int, seed: UInt64
  ) throws -> EigenDecomposition {
    var rng = SplitMix64(seed: seed)
    for i in 0..<(b * n) { vt[i] = rng.nextSigned() }
    var pending = orthonormalizeAppended(b)
    var normA = 0.0
    var nextRayleighRitz = 1
    var previousQ = Double.infinity, previousIteration = 0
    while true {
      if pending == 0 {
        // span V is (numerically) invariant but the wanted pairs are not there yet:
        // continue with fresh random directions.
        let fresh = min(b, pMax - p)
        for i in 0..<(fresh * n) { vt[p * n + i] = rng.nextSigned() }
        pending = orthonormalizeAppended(fresh)
        couplingStart = 0
        if pending == 0 {
          throw LinearAlgebraError("IterativeEigen.largest: could not extend the Krylov basis (n = \(n), basis \(p))")
        }
      }
      if diagnostics.iterations == maxIterations {
        exhausted = true
        throw LinearAlgebraError(
          "IterativeEigen.largest: \(count) eigenpairs not converged to relative residual \(tolerance) after \(maxIterations) block products (n = \(n))")
      }
      // (AQ)ᵀ = Qᵀ·A for the pending block Q (A is symmetric).
      let last = p, lastCount = pending
      multiplyByA(a, first: last, count: lastCount)
      diagnostics.iterations += 1
      diagnostics.matrixVectorProducts += lastCount
      extendProjection(newColumns: lastCount)

      // Next block: F = A·Q − V·(VᵀA·Q) over the coupled rows (the coefficients are the new
      // columns of H), then orthonormalised against all of V; B = Q_nextᵀ·A·Q.
      let next = vt + p * n
      next.update(from: avt + last * n, count: lastCount * n)
      let reference = (0..<lastCount).map { cblas_dnrm2(Int32(n), next + $0 * n, 1) }
      let local = couplingStart > 0
      do {
        // next −= (VᵀAQ)ᵀ·Vᵀ over the rows couplingStart..<p of V, by halves of the n columns.
        let cs = couplingStart
        let coefficients = KrylovPointer(base: h + cs * pMax + last), v = KrylovPointer(base: vt + cs * n)
        let f = KrylovPointer(base: next)
        let (n, p, pMax) = (self.n, self.p, self.pMax)
        inHalves(n) { c in
          dgemm(true, false, lastCount, c.count, p - cs, -1, coefficients.base, pMax, v.base + c.lowerBound, n, 1,
                f.base + c.lowerBound, n)
        }
      }
      pending = orthonormalizeAppended(
        lastCount, reference: reference, firstPassDone: true, firstPassWasLocal: local)
      // The new pending block couples (in exact arithmetic) with the block just multiplied and itself.
      couplingStart = last
      var bq = [Double](repeating: 0, count: max(1, pending * lastCount))
      if pending > 0 {
        dgemm(false, true, pending, lastCount, n, 1, next, n, avt + last * n, n, 0, &bq, lastCount)
      }
      let restart = p + max(pending, 1) > pMax
      if !restart && diagnostics.iterations < nextRayleighRitz { continue }

      // Rayleigh–Ritz: H = S·Θ·Sᵀ; the residual of Ritz pair i is F·s_i[last block]
      // = Q_next·B·s_i[last], of norm ‖B·s_i[last]‖. Only the count + 1 largest vectors are
      // computed here; the kKeep a restart keeps are computed from the same tridiagonal form
      // once the test has failed (a converged step at a restart does not pay for them).
      var projected = try tridiagonalH()
      let ritz = try projected.pairs(top: min(p, count + 1))
      diagnostics.rayleighRitzSteps += 1
      if ritz.byMRRR { diagnostics.mrrrSteps += 1 }
      let theta = ritz.top, sv = ritz.vectors
      guard ritz.lowest.isFinite && theta[0].isFinite else {
        throw LinearAlgebraError("IterativeEigen.largest: non-finite Ritz values (is the matrix finite?)")
      }
      normA = max(normA, abs(ritz.lowest), abs(theta[0]))
      let bound = tolerance * normA
      // q = largest estimated residual of the wanted pairs over the bound (converged when ≤ 1).
      var q = Double.infinity
      var residuals = [Double]()
      if p >= count {
        var t = [Double](repeating: 0, count: pending)
        for i in 0..<theta.count {
          for r in 0..<pending {
            var acc = 0.0
            for c in 0..<lastCount { acc += bq[r * lastCount + c] * sv[i * p + last + c] }
            t[r] = acc
          }
          residuals.append(t.reduce(0) { $0 + $1 * $1 }.squareRoot())
        }
        q = convergenceRatio(theta, residuals, bound: bound)
      }
      if q <= 1 {
        // Confirm with explicit residuals ‖AV·s − θ·V·s‖.
        ritzVectors(sv, count)
        for i in 0..<count {
          let r = ayt + i * n
          cblas_daxpy(Int32(n), -theta[i], yt + i * n, 1, r, 1)
          residuals[i] = cblas_dnrm2(Int32(n), r, 1)
        }
        if convergenceRatio(theta, residuals, bound: bound) <= 1 {
          var worstVector = 0.0, worstValue = 0.0
          for i in 0..<count {
            if i < vectorCount { worstVector = max(worstVector, residuals[i]) } else { worstValue = max(worstValue, residuals[i]) }
          }
          diagnostics.normEstimate = normA
          diagnostics.maxRelativeResidual = normA > 0 ? worstVector / normA : 0
          diagnostics.maxValueOnlyRelativeResidual = normA > 0 ? worstValue / normA : 0
          return result(theta)
        }
        nextRayleighRitz = diagnostics.iterations + 1
      } else {
        // Skip the Rayleigh–Ritz step for half the iterations the observed residual
        // decay predicts are still needed (it is only needed to test convergence).
        var skip = 1
        if q.isFinite && previousQ.isFinite && q < previousQ {
          let rate = (previousQ / q).logValue / Double(max(1, diagnostics.iterations - previousIteration))
          let predicted = rate > 0 ? q.logValue / rate : 0
          if predicted.isFinite { skip = max(1, Int(min(0.5 * predicted, 3))) }
        }
        previousQ = q
        previousIteration = diagnostics.iterations
        nextRayleighRitz = diagnostics.iterations + skip
      }
      if restart {
        // Thick (Krylov–Schur) restart: V ← the kKeep largest Ritz vectors, H ← diag(θ);
        // the pending block stays valid since the Ritz vectors lie in the old span V.
        diagnostics.restarts += 1
        let kept = try projected.pairs(top: kKeep)
        if kept.byMRRR && !ritz.byMRRR { diagnostics.mrrrSteps += 1 }  // one step, counted once
        ritzVectors(kept.vectors, kKeep)
        vt.update(from: yt, count: kKeep * n)
        avt.update(from: ayt, count: kKeep * n)
        for r in 0..<pending { (vt + (kKeep + r) * n).update(from: vt + (p + r) * n, count: n) }
        h.update(repeating: 0, count: pMax * pMax)
        for i in 0..<kKeep { h[i * pMax + i] = kept.top[i] }
        p = kKeep
        // A·(pending) couples with every kept Ritz vector (the arrowhead of a Krylov–Schur restart).
        couplingStart = 0
      }
    }
  }

  /// `(AQ)ᵀ = Qᵀ·A` for the `m` rows `first..<first+m` of `vt`, written to the same rows of `avt`.
  ///
  /// The product streams all of `A` (n² doubles) for a thin block, so it is bound by memory
  /// bandwidth and by one core's flops. On x86-64 with AVX2 and FMA it is computed by rows,
  /// `out[v, i] = Σ_j A[i, j]·q[v, j]` (`cbk_symmetric_rows_product`, equal to `Qᵀ·A` for the
  /// symmetric `A` this solver takes): it reads each row of `A` once, where a thin `dgemm` first
  /// copies all of `A` into its packed panel layout on every call. One product in a standalone C
  /// benchmark, 2 threads each on half the rows, m = 16, min of 40 per run, five runs (2-core Zen 3
  /// guest): row kernel / `dgemm` time 0.62–0.89 at n = 1000, 0.77–0.86 at n = 2000, 0.78–0.91 at
  /// n = 4000 (best times 0.78 → 0.59 ms, 2.39 → 2.05 ms, 10.1 → 9.0 ms). In a whole `cluster`
  /// run (5 blobs in 8-D, 10 eigenpairs, min of 12 per build, two rounds) the embedding step went
  /// 55–57 → 50–55 ms at n = 2000 and 168–176 → 158–171 ms at n = 4000; at n = 1000 the
  /// difference is within the machine's noise. Elsewhere it is one `dgemm` per chunk. Either way
  /// the work is split into ``IterativeEigen/productChunks(order:)`` fixed ranges of `A`, on two
  /// threads (``TwoThreadTeam``) when OpenBLAS runs on one thread (as in the spectral pipeline),
  /// one after the other otherwise. Each output element is always computed by the same
  /// sequence of operations, so the result does not depend on how many threads ran the chunks.
  ///
  /// With ``rowScale`` the operator is `S⁻¹·A·S⁻¹`: the block is first scaled column-wise,
  /// `Q'[v, j] = Q[v, j]·(1/s_j)` (into ``scaledBlock``, on the calling thread), `A` multiplies `Q'` as above,
  /// and each chunk scales its own outputs, `out[v, i] *= 1/s_i` (elementwise products with the reciprocals
  /// computed once: the same bits however they are vectorised or split, each within an ulp of the quotient).
  /// Multiplications rather than divisions: 2·n·m of them per product, a few µs at n = 1000, m = 15, where
  /// as many baseline (2-lane SSE2) divisions would take tens of µs per product.
  func multiplyByA(_ a: UnsafePointer<Double>, first: Int, count m: Int) {
    let ranges = IterativeEigen.productChunks(order: n)
    let out = KrylovPointer(base: avt + first * n)
    let matrix = KrylovPointer(base: UnsafeMutablePointer(mutating: a))
    let n = self.n
    let q: KrylovPointer
    let scale = rowScale.map { KrylovPointer(base: $0) }
    if let scale, let scaledBlock {
      Self.scaleRows(vt + first * n, rows: m, n: n, columns: 0..<n, by: scale.base, into: scaledBlock)
      q = KrylovPointer(base: scaledBlock)
    } else {
      q = KrylovPointer(base: vt + first * n)
    }
    let byRows = IterativeEigen.rowKernelAvailable
    let chunk: @Sendable (Int) -> Void = { c in
      let r = ranges[c]
      if byRows {
        _ = cbk_symmetric_rows_product(matrix.base, n, q.base, m, out.base, r.lowerBound, r.upperBound)
      } else {
        dgemm(false, false, m, r.count, n, 1, q.base, n, matrix.base + r.lowerBound, n, 0, out.base + r.lowerBound, n)
      }
      if let scale { Self.scaleRows(out.base, rows: m, n: n, columns: r, by: scale.base, into: out.base) }
    }
    if ranges.count == 2 {
      onTwoThreads(chunk)
    } else {
      for c in ranges.indices { chunk(c) }
    }
  }

  /// `dst[v·n + j] = src[v·n + j] · r[j]` for the `rows` rows `v` and `j` in `columns` (`dst` may be `src`),
  /// 8 lanes at a time (each product is one correctly rounded multiplication, so the bits do not depend on
  /// the vector width).
  @inline(__always)
  static func scaleRows(
    _ src: UnsafeMutablePointer<Double>, rows: Int, n: Int, columns: Range<Int>, by r: UnsafeMutablePointer<Double>,
    into dst: UnsafeMutablePointer<Double>
  ) {
    typealias V = SIMD8<Double>
    let rs = UnsafeRawPointer(r)
    for v in 0..<rows {
      let from = UnsafeRawPointer(src + v * n), to = UnsafeMutableRawPointer(dst + v * n)
      var j = columns.lowerBound
      while j + 8 <= columns.upperBound {
        let x = from.loadUnaligned(fromByteOffset: j * 8, as: V.self)
        let d = rs.loadUnaligned(fromByteOffset: j * 8, as: V.self)
        to.storeBytes(of: x * d, toByteOffset: j * 8, as: V.self)
        j += 8
      }
      while j < columns.upperBound {
        dst[v * n + j] = src[v * n + j] * r[j]
        j += 1
      }
    }
  }

  /// Runs `body` on ``IterativeEigen/halves(_:order:)`` of `0..<extent`: on two threads
  /// (``TwoThreadTeam``) when OpenBLAS runs on one thread (as in the spectral pipeline), one after
  /// the other otherwise.
  /// The split depends on `extent` and `n` only and every part is one single-threaded BLAS call
  /// writing its own outputs, so the result does not depend on how many threads ran the parts.
  func inHalves(_ extent: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = IterativeEigen.halves(extent, order: n)
    if parts.count == 2 {
      onTwoThreads { body(parts[$0]) }
    } else {
      for r in parts { body(r) }
    }
  }

  /// Adds the rows/columns of `H` for the `m` basis vectors just multiplied by `A`
  /// (rows `p..<p+m`), then advances `p`.
  mutating func extendProjection(newColumns m: Int) {
    let total = p + m
    let cs = couplingStart
    // scratch (total × m) = Vᵀ[cs..<total] · (AV)[:, p..<p+m], by halves of those rows of Vᵀ;
    // rows 0..<cs are 0 (exactly in the block Krylov recurrence, to rounding level here).
    let v = KrylovPointer(base: vt + cs * n), av = KrylovPointer(base: avt + p * n)
    let out = KrylovPointer(base: scratch + cs * m)
    let n = self.n
    inHalves(total - cs) { r in
      dgemm(false, true, r.count, m, n, 1, v.base + r.lowerBound * n, n, av.base, n, 0, out.base + r.lowerBound * m, m)
    }
    scratch.update(repeating: 0, count: cs * m)
    for i in 0..<p {
      for j in 0..<m {
        let v = scratch[i * m + j]
        h[i * pMax + p + j] = v
        h[(p + j) * pMax + i] = v
      }
    }
    for i in 0..<m {
      for j in i..<m {
        let v = 0.5 * (scratch[(p + i) * m + j] + scratch[(p + j) * m + i])
        h[(p + i) * pMax + p + j] = v
        h[(p + j) * pMax + p + i] = v
      }
    }
    p = total
  }

  /// The tridiagonal form of the projected matrix `H` (`p × p`) and all its eigenvalues:
  /// Householder tridiagonalisation (the fused AVX2 kernel up to p = 400, else `dsytrd`; O(p³), see
  /// ``ProjectedTridiagonal``) and the eigenvalues of the tridiagonal matrix `T` (`dsterf`, O(p²),
  /// but a serial chain of two divisions per rotation: at p = 165 it now costs more than the
  /// reduction). The Ritz pairs are then taken from it by
  /// ``ProjectedTridiagonal/pairs(top:)``, as many as needed: the `count + 1` largest for the
  /// convergence test, and at a thick restart the `kKeep` largest from the same factorisation.
  ///
  /// Measured (10 pairs, n = 1000, b = 16): at the step where the solver converges the basis is
  /// full (p = 192) and a restart is due; that step took 3.0 ms while it computed the 96 vectors a
  /// restart keeps before the test (the step before, p = 176 with the 11 the test needs: 1.2 ms).
  /// The six Rayleigh–Ritz steps of the solve went 5.3 → 3.7 ms.
  func tridiagonalH() throws -> ProjectedTridiagonal {
    // One BLAS thread: results independent of OPENBLAS_NUM_THREADS (see BLASThreads.withSingleThread).
    // H is symmetric, so its row-major upper triangle is also its column-major lower triangle.
    try BLASThreads.withSingleThread { try ProjectedTridiagonal(h: h, ld: pMax, p: p, method: ritzMethod) }
  }

  /// Writes the `k` largest Ritz vectors (descending) to `yt` and their images `AV·s` to `ayt`;
  /// `s` holds at least `k` coefficient vectors of length `p`, largest first (``RitzPairs``).
  func ritzVectors(_ s: [Double], _ k: Int) {
    s.withUnsafeBufferPointer { ps in
      let coefficients = KrylovPointer(base: UnsafeMutablePointer(mutating: ps.baseAddress!))
      let v = KrylovPointer(base: vt), av = KrylovPointer(base: avt), y = KrylovPointer(base: yt)
      let ay = KrylovPointer(base: ayt)
      let (n, p) = (self.n, self.p)
      inHalves(n) { c in
        let j = c.lowerBound
        dgemm(false, false, k, c.count, p, 1, coefficients.base, p, v.base + j, n, 0, y.base + j, n)
        dgemm(false, false, k, c.count, p, 1, coefficients.base, p, av.base + j, n, 0, ay.base + j, n)
      }
    }
  }

  /// Orthonormalises the `m` rows `p..<p+m` of `vt` against rows `0..<p` and among themselves,
  /// compacting the survivors; returns how many survive.
  ///
  /// Each round is one block classical Gram–Schmidt pass against `V` (two GEMMs) followed by
  /// modified Gram–Schmidt inside the block. A second round is made unless every row kept at
  /// least 1/√2 of its norm in the first (Kahan's "twice is enough" criterion). Rows reduced
  /// below 1e-13 of their original norm (numerically in the span) are dropped.
  func orthonormalizeAppended(
    _ m: Int, reference given: [Double]? = nil, firstPassDone: Bool = false, firstPassWasLocal: Bool = false
  ) -> Int {
    let z = vt + p * n
    var reference = given ?? (0..<m).map { cblas_dnrm2(Int32(n), z + $0 * n, 1) }
    var keep = m
    for round in 0..<(firstPassWasLocal ? 3 : 2) {
      if p > 0 && keep > 0 && !(round == 0 && firstPassDone) {
        // scratch (keep × p) = Z·V by halves of the p columns, then Z −= scratch·Vᵀ by halves of the n columns.
        let zz = KrylovPointer(base: z), v = KrylovPointer(base: vt), c = KrylovPointer(base: scratch)
        let (n, p, rows) = (self.n, self.p, keep)
        inHalves(p) { r in
          dgemm(false, true, rows, r.count, n, 1, zz.base, n, v.base + r.lowerBound * n, n, 0, c.base + r.lowerBound, p)
        }
        inHalves(n) { r in
          dgemm(false, false, rows, r.count, p, -1, c.base, p, v.base + r.lowerBound, n, 1, zz.base + r.lowerBound, n)
        }
      }
      var kept = 0
      var worstRatio = 1.0
      for j in 0..<keep {
        let zj = z + j * n
        // Modified Gram–Schmidt against the rows kept so far: one C call (no threads) instead of
        // `kept` ddot/daxpy pairs (measured in the 10-pair solve at n = 1000: 0.81 → 0.65 ms).
        cbk_mgs_subtract(z, kept, n, zj)
        let norm = cblas_dnrm2(Int32(n), zj, 1)
        let before = reference[j]
        let dropBelow = round == 0 ? 1e-13 * before : 0.5
        if norm > dropBelow && norm > 0 {
          worstRatio = min(worstRatio, norm / before)
          cblas_dscal(Int32(n), 1 / norm, zj, 1)
          if kept != j { (z + kept * n).update(from: zj, count: n) }
          reference[kept] = 1
          kept += 1
        }
      }
      keep = kept
      // A local first pass only removed the coupled rows: one pass against all of V always follows.
      if worstRatio >= 0.7071 && !(round == 0 && firstPassWasLocal) { break }
    }
    return keep
  }

  /// The largest ratio, over the `count` wanted Ritz pairs, of the error measure
  /// (``IterativeEigen/errorMeasures(theta:residuals:count:vectorCount:)``) to `bound`
  /// (converged when ≤ 1; NaN propagates).
  func convergenceRatio(_ theta: [Double], _ residuals: [Double], bound: Double) -> Double {
    var q = 0.0
    for measure in IterativeEigen.errorMeasures(theta: theta, residuals: residuals, count: count, vectorCount: vectorCount) {
      let ratio = bound > 0 ? measure / bound : (measure == 0 ? 0 : .infinity)
      if !(ratio <= q) { q = ratio }  // propagates NaN
    }
    return q
  }

  /// The `count` largest Ritz pairs (in `yt`) as an ``EigenDecomposition`` (ascending).
  func result(_ theta: [Double]) -> EigenDecomposition {
    var vectors = Matrix(rows: n, columns: count)
    for j in 0..<count {
      let y = yt + (count - 1 - j) * n
      let scale = 1 / cblas_dnrm2(Int32(n), y, 1)
      for i in 0..<n { vectors.storage[i * count + j] = y[i] * scale }
    }
    return EigenDecomposition(values: (0..<count).map { theta[count - 1 - $0] }, vectors: vectors)
  }
}
