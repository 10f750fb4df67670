import LinearAlgebra

/// Spectral embedding of a graph and the low end of its Laplacian spectrum, computed once for
/// the largest number of clusters needed.
///
/// Reproduces scikit-learn 1.9.1 `spectral_embedding(W, n_components=k, drop_first=False,
/// norm_laplacian=…)` (`sklearn/manifold/_spectral_embedding.py`, the ARPACK branch used by
/// `SpectralClustering`):
///
/// - ``LaplacianKind/normalized``: `L_sym` from ``GraphLaplacian`` with every diagonal entry set
///   to 1 (`_set_diag`; differs from SciPy's `L` only at isolated nodes, whose eigenpair becomes
///   `(1, e_i)`), its `k` smallest eigenvectors `x`, `u = x / √d` row-wise (`√d := 1` for
///   isolated nodes). The columns of `u` are eigenvectors of `L_rw = I − D^{-1}W`,
///   D-orthonormal (`uᵀDu = 1`), the first one constant `1/√vol(G)` on a connected graph.
/// - ``LaplacianKind/unnormalized``: the `k` smallest unit eigenvectors of `D − W` (no division).
/// - Each column is then sign-flipped so its largest-magnitude entry (the first, on ties) is
///   positive (`sklearn/utils/extmath.py::_deterministic_vector_sign_flip`).
///
/// The embedding for `k ≤ kMax` clusters is the first `k` columns: scikit-learn's per-k fit
/// returns the same vectors up to a rotation inside eigenspaces of repeated eigenvalues
/// (ARPACK's choice there is arbitrary), and k-means is invariant to such rotations.
/// Measured on the golden fixture: coordinates within 1e-8 of scikit-learn (signs included),
/// eigenvalues within 1e-10 of `scipy.linalg.eigh`.
///
/// **Eigenvalues** (for the eigengap) are those of the Laplacian *as SciPy returns it*
/// (isolated node → eigenvalue 0, the convention of the EPFL lecture notebook), ascending,
/// for the chosen ``LaplacianKind``.
///
/// Reference: U. von Luxburg, "A tutorial on spectral clustering", Statistics and Computing
/// 17 (2007), §§3–5; Shi & Malik (2000).
public struct SpectralEmbedding: Sendable {
  /// The smallest `max(eigenvalueCount, 2·kMax, kMax + 1)` eigenvalues of the Laplacian (at most
  /// n), ascending.
  public var eigenvalues: [Double]
  /// `n × kMax`, column j = embedding coordinate j (see the type's documentation).
  public var embedding: Matrix
  /// Degrees of the nodes (self-loops ignored).
  public var degrees: [Double]
  /// `√degree`, 1 for isolated nodes (SciPy's `dd`); the row divisor of the normalised embedding.
  public var sqrtDegree: [Double]
  /// Number of connected components of the graph.
  public var components: Int
  /// Which Laplacian was used.
  public var laplacian: LaplacianKind
  /// Which solver actually ran (``SpectralEigenSolver/dense`` or ``SpectralEigenSolver/iterative``).
  public var solver: SpectralEigenSolver
  /// Caveats, e.g. ``SpectralWarning/disconnectedGraph(components:isolatedNodes:)``.
  public var warnings: [SpectralWarning]

  /// The first `k` embedding columns (`n × k`), the input to k-means for `k` clusters.
  public func coordinates(clusters k: Int) -> Matrix {
    precondition(k >= 1 && k <= embedding.columns, "coordinates: k must be in 1...\(embedding.columns)")
    return k == embedding.columns ? embedding : embedding.selectingColumns(Array(0..<k))
  }

  /// The fewest eigenvalues ``compute(adjacency:dimensions:eigenvalueCount:laplacian:solver:)``
  /// returns for `kMax` columns: `max(2·kMax, kMax + 1)` (before capping at n).
  public static func minimumEigenvalueCount(maxK kMax: Int) -> Int { Swift.max(2 * kMax, kMax + 1) }

  /// Computes the embedding (`kMax` columns) and the smallest `eigenvalueCount` eigenvalues.
  ///
  /// - Parameters:
  ///   - adjacency: symmetric, non-negative `n × n` adjacency `W` (diagonal ignored).
  ///   - kMax: number of embedding columns, 1...n.
  ///   - eigenvalueCount: number of eigenvalues wanted; raised to
  ///     ``minimumEigenvalueCount(maxK:)`` = `max(2·kMax, kMax + 1)` (the eigengap over
  ///     k ≤ kMax needs kMax + 1; the extra ones show what follows), capped at n.
  ///   - laplacian: ``LaplacianKind/normalized`` (default, scikit-learn's) or unnormalised.
  ///   - solver: ``SpectralEigenSolver/auto`` (default) = dense `dsyevr` up to
  ///     `IterativeEigen.minimumIterativeOrder(count:)` nodes, iterative above; should the
  ///     iterative solver fail (no convergence within 500 block products, a basis that cannot be
  ///     extended), `auto` solves the same operator densely and reports
  ///     ``SpectralWarning/iterativeSolverFellBack(reason:)`` (``solver`` is then `dense`).
  ///     An explicit `iterative` never falls back: its failure is thrown.
  /// - Throws: ``SpectralError`` for invalid input or a solver failure.
  /// - Complexity: O(n²) to build the Laplacian: one read of `W` for the degrees (with the
  ///   finiteness check), a breadth-first search that stops once every node is reached (O(n)
  ///   row entries on a connected dense graph), one in-place pass turning `W` into the solver's
  ///   matrix (none for the normalised Laplacian on the iterative solver without isolated nodes,
  ///   which applies `D^{-1/2} W D^{-1/2}` implicitly; see ``lowestEigenpairs``). Dense solver O(n³)
  ///   (Householder tridiagonalisation dominates); iterative solver O(n²) per block matrix product.
  ///   Memory: `adjacency` is consumed and its storage reused for the Laplacian (or
  ///   `D^{-1/2} W D^{-1/2}`), so a caller passing its last reference (`consume w`) adds no
  ///   n × n matrix; otherwise one copy is made. Isolated nodes (normalised) need one
  ///   `|active|²` gathered matrix instead.
  public static func compute(
    adjacency w: consuming Matrix, dimensions kMax: Int, eigenvalueCount: Int,
    laplacian kind: LaplacianKind = .normalized, solver: SpectralEigenSolver = .auto
  ) throws -> SpectralEmbedding {
    try compute(
      adjacency: consume w, dimensions: kMax, eigenvalueCount: eigenvalueCount, laplacian: kind, solver: solver,
      iterativeMaxIterations: 500)
  }

  /// Degrees below this fraction of the largest (but not 0) get
  /// ``SpectralWarning/weaklyConnectedNodes(count:smallestRatio:)``: `1e-16`, where dividing by
  /// √degree magnifies rounding by 1e8 or more.
  public static let weakDegreeRatio = 1e-16

  /// ``compute(adjacency:dimensions:eigenvalueCount:laplacian:solver:)`` with the iterative
  /// solver's block-product limit (500 there); tests lower it to exercise the dense fallback.
  static func compute(
    adjacency w: consuming Matrix, dimensions kMax: Int, eigenvalueCount: Int,
    laplacian kind: LaplacianKind, solver: SpectralEigenSolver, iterativeMaxIterations: Int,
    implicitOperator: Bool = true
  ) throws -> SpectralEmbedding {
    let n = w.rows
    guard w.rows == w.columns, n > 0 else {
      throw SpectralError.invalidArgument("adjacency matrix must be square and non-empty, got \(w.rows)×\(w.columns)")
    }
    guard kMax >= 1, kMax <= n else {
      throw SpectralError.invalidArgument("embedding dimension \(kMax) must be in 1...\(n) (the number of nodes)")
    }
    let degrees = try GraphLaplacian.degrees(of: w)
    let sqrtDegree = GraphLaplacian.sqrtDegrees(degrees)
    let components = GraphLaplacian.connectedComponents(w)
    let isolated = degrees.indices.filter { degrees[$0] == 0 }
    var warnings: [SpectralWarning] = []
    if components > 1 {
      warnings.append(.disconnectedGraph(components: components, isolatedNodes: isolated.count))
    }
    if let largest = degrees.max(), largest > 0 {
      let weak = degrees.filter { $0 > 0 && $0 < Self.weakDegreeRatio * largest }
      if let smallest = weak.min() {
        warnings.append(.weaklyConnectedNodes(count: weak.count, smallestRatio: smallest / largest))
      }
    }
    let m = min(n, Swift.max(eigenvalueCount, minimumEigenvalueCount(maxK: kMax)))

    // Solve on the non-isolated nodes only (for the normalised Laplacian): there SciPy's L and
    // scikit-learn's L with diagonal 1 coincide. Isolated nodes contribute eigenpairs (0, e_i)
    // to SciPy's L and (1, e_i) to scikit-learn's.
    let active: [Int]
    if kind == .normalized && !isolated.isEmpty {
      var isIso = [Bool](repeating: false, count: n)
      for i in isolated { isIso[i] = true }
      active = (0..<n).filter { !isIso[$0] }
    } else {
      active = Array(0..<n)
    }
    let nA = active.count
    let mA = min(nA, m)
    var used = solver.resolved(n: nA, count: mA)
    var pairs = (values: [Double](), vectors: Matrix(rows: nA, columns: 0))
    if mA > 0 {
      // One BLAS thread: OpenBLAS's threaded kernels make the last bits of the eigenvectors
      // depend on OPENBLAS_NUM_THREADS (see BLASThreads.withSingleThread); reports must not.
      let savedThreads = BLASThreads.current
      BLASThreads.set(1)
      defer { BLASThreads.set(savedThreads) }
      let solved = try lowestEigenpairs(
        consume w, nodes: active, degrees: degrees, sqrtDegree: sqrtDegree, count: mA, kind: kind, solver: used,
        vectorCount: Swift.min(kMax, mA), denseFallback: solver == .auto,
        iterativeMaxIterations: iterativeMaxIterations, implicitOperator: implicitOperator)
      pairs = (solved.values, solved.vectors)
      if let reason = solved.iterativeFailure {
        used = .dense
        warnings.append(.iterativeSolverFellBack(reason: reason))
      }
      guard pairs.values.count == mA, pairs.vectors.columns == mA else {
        throw SpectralError.eigensolverFailed("\(used) solver returned \(pairs.values.count) of \(mA) eigenpairs")
      }
    }

    // Eigenvalues of SciPy's Laplacian.
    var eigenvalues: [Double]
    if kind == .normalized && !isolated.isEmpty {
      eigenvalues = Array((Array(repeating: 0.0, count: isolated.count) + pairs.values).sorted().prefix(m))
    } else {
      eigenvalues = pairs.values
    }

    // Embedding columns: the kMax lowest of {reduced pairs} ∪ {(1, e_i) : i isolated}
    // (reduced pairs first on ties).
    var order: [(value: Double, column: Int)] = pairs.values.enumerated().map { ($0.element, $0.offset) }
    if kind == .normalized {
      order += isolated.map { (1.0, -1 - $0) }
      order = order.enumerated().sorted { a, b in
        a.element.value < b.element.value || (a.element.value == b.element.value && a.offset < b.offset)
      }.map { $0.element }
    }
    var u = Matrix(rows: n, columns: kMax)
    for (c, entry) in order.prefix(kMax).enumerated() {
      if entry.column >= 0 {
        for (r, node) in active.enumerated() { u[node, c] = pairs.vectors[r, entry.column] }
      } else {
        u[-1 - entry.column, c] = 1
      }
    }
    if kind == .normalized {
      for i in 0..<n {
        let s = sqrtDegree[i]
        for c in 0..<kMax { u[i, c] /= s }
      }
    }
    signFlip(&u)
    return SpectralEmbedding(
      eigenvalues: eigenvalues, embedding: u, degrees: degrees, sqrtDegree: sqrtDegree,
      components: components, laplacian: kind, solver: used, warnings: warnings)
  }

  /// The `count` smallest eigenpairs of the Laplacian of `w` restricted to `nodes` (no isolated
  /// nodes there if normalised), ascending, by the given concrete solver. Only the matrix the
  /// solver needs is built, in `w`'s storage when `nodes` is every node (else one `|nodes|²`
  /// matrix).
  ///
  /// `vectorCount` (default all): only the vectors of the lowest `vectorCount` pairs must be
  /// accurate (residual ≤ 1e-10); the iterative solver then converges the others to eigenvalue
  /// accuracy only (error estimate r²/gap, or ‖R‖²/gap over a run of near-equal values, ≤ 1e-10; their vectors are less accurate). The
  /// embedding uses the lowest `kMax` vectors.
  ///
  /// Iterative route: the largest eigenpairs `μ` of `M = c·I − L` with `c = 1` for the normalised
  /// Laplacian (so `M = D^{-1/2} W D^{-1/2}` with zero diagonal) and `c = 2·max d_i`
  /// (Gershgorin bound, `M` positive semi-definite) for the unnormalised one; `λ = c − μ`.
  /// For the normalised Laplacian on every node (`implicitOperator`, the default) `M` is not formed:
  /// the diagonal of `W` is set to 0 in place (O(n)) and the solver applies `S⁻¹·W·S⁻¹`, `s = √d`,
  /// block by block (``IterativeEigen/largest(_:dividedBy:count:vectorCount:tolerance:maxIterations:seed:)``),
  /// which saves the O(n²) pass with two divisions per entry that writes `M` over `W`. The results differ
  /// from the formed operator's by rounding only: on the 5-blob benchmark affinities (n = 1000–4000,
  /// 10 pairs, 5 vectors) eigenvalues within 3.7e-15, the same iteration counts, embedding spans within
  /// 1.2e-14, k-means labels identical; individual columns of eigenvalues closer than the solver's tolerance
  /// (the 5 eigenvalues within 1e-9 of 0 there) are a rounding-dependent basis of their span either way.
  /// `implicitOperator: false` forms `M` as before (tests compare the two).
  ///
  /// `denseFallback` (the `auto` choice): if the iterative solver fails (no convergence within
  /// `iterativeMaxIterations` block products, a basis that cannot be extended, a failed projected
  /// solve), the same operator `M` is solved densely (LAPACK `dsyevr`, one more `|nodes|²` working
  /// copy; on the implicit route `M` is first formed from the intact `W` exactly as the explicit
  /// route forms it) and the iterative solver's error is returned as `iterativeFailure`. Without it the error
  /// is thrown (an explicitly requested `iterative` solver).
  static func lowestEigenpairs(
    _ w: consuming Matrix, nodes: [Int], degrees: [Double], sqrtDegree: [Double], count: Int, kind: LaplacianKind,
    solver: SpectralEigenSolver, vectorCount: Int? = nil, denseFallback: Bool = false,
    iterativeMaxIterations: Int = 500, implicitOperator: Bool = true
  ) throws -> (values: [Double], vectors: Matrix, iterativeFailure: String?) {
    switch solver {
    case .dense, .auto:
      let l = GraphLaplacian.operatorMatrix(
        consume w, nodes: nodes, degrees: degrees, sqrtDegree: sqrtDegree, kind: kind, form: .laplacian)
      do {
        let e = try SymmetricEigen.lowest(l, count: count)
        return (e.values, e.vectors, nil)
      } catch {
        throw SpectralError.eigensolverFailed(String(describing: error))
      }
    case .iterative:
      let shift: Double
      switch kind {
      case .normalized: shift = 1
      case .unnormalized: shift = Swift.max(2 * (nodes.map { degrees[$0] }.max() ?? 0), 1)
      }
      // The normalised operator on every node is applied implicitly, M = S⁻¹·W₀·S⁻¹ with W₀ = W with a
      // zero diagonal (O(n) in place) and s = √d, instead of being written over W (one O(n²) pass with two
      // divisions per entry); W₀ stays intact for the dense fallback, which builds M from it as before.
      let implicit = implicitOperator && kind == .normalized && nodes.count == w.rows
      var mat: Matrix
      if implicit {
        let n = w.rows
        w.storage.withUnsafeMutableBufferPointer { p in
          for i in 0..<n { p[i * n + i] = 0 }
        }
        mat = consume w
      } else {
        mat = GraphLaplacian.operatorMatrix(
          consume w, nodes: nodes, degrees: degrees, sqrtDegree: sqrtDegree, kind: kind, form: .shifted(shift))
      }
      let e: EigenDecomposition
      var failure: String? = nil
      do {
        if implicit {
          e = try IterativeEigen.largest(
            mat, dividedBy: sqrtDegree, count: count, vectorCount: vectorCount, tolerance: 1e-10,
            maxIterations: iterativeMaxIterations, seed: 0)
        } else {
          e = try IterativeEigen.largest(
            mat, count: count, vectorCount: vectorCount, tolerance: 1e-10, maxIterations: iterativeMaxIterations,
            seed: 0)
        }
      } catch {
        guard denseFallback else { throw SpectralError.eigensolverFailed(String(describing: error)) }
        failure = String(describing: error)
        if implicit {
          mat = GraphLaplacian.operatorMatrix(
            consume mat, nodes: nodes, degrees: degrees, sqrtDegree: sqrtDegree, kind: kind, form: .shifted(shift))
        }
        do {
          e = try SymmetricEigen.highest(mat, count: count)
        } catch let dense {
          throw SpectralError.eigensolverFailed("\(failure!); the dense fallback failed too: \(dense)")
        }
      }
      let m = e.values.count
      // μ ascending → λ = c − μ descending; reverse both.
      let values = e.values.reversed().map { shift - $0 }
      let vectors = e.vectors.selectingColumns(Array((0..<m).reversed()))
      return (values, vectors, failure)
    }
  }

  /// scikit-learn `_deterministic_vector_sign_flip` on the columns of `u`: each column is
  /// multiplied by the sign of its largest-|value| entry (first index on ties).
  static func signFlip(_ u: inout Matrix) {
    for c in 0..<u.columns {
      var best = 0, bestAbs = -1.0
      for r in 0..<u.rows where abs(u[r, c]) > bestAbs {
        bestAbs = abs(u[r, c])
        best = r
      }
      if u.rows > 0 && u[best, c] < 0 {
        for r in 0..<u.rows { u[r, c] = -u[r, c] }
      }
    }
  }
}
