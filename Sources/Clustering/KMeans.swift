import CohortLensCore
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import LinearAlgebra

/// The outcome of ``KMeans/fit(_:random:)``: the best of the `initCount` runs.
public struct KMeansResult: Sendable, Equatable {
  /// Cluster index `0..<k` of every row (scikit-learn's `labels_`).
  public var labels: [Int]
  /// `k × d` cluster centres in the input's coordinates (`cluster_centers_`).
  public var centers: Matrix
  /// Σᵢ ‖xᵢ − c_{labelᵢ}‖², the within-cluster sum of squares (`inertia_`).
  public var inertia: Double
  /// Lloyd iterations of the kept run (`n_iter_`).
  public var iterations: Int
  /// `true` when the kept run stopped before `maxIterations` (labels unchanged, or squared centre
  /// shift ≤ the scaled tolerance).
  public var converged: Bool

  public init(labels: [Int], centers: Matrix, inertia: Double, iterations: Int, converged: Bool) {
    self.labels = labels
    self.centers = centers
    self.inertia = inertia
    self.iterations = iterations
    self.converged = converged
  }
}

/// k-means (Lloyd) with k-means++ seeding, a reproduction of scikit-learn 1.9.1
/// `KMeans(n_clusters=k, init='k-means++', n_init=10, max_iter=300, tol=1e-4, algorithm='lloyd')`.
///
/// Minimises the inertia Σᵢ ‖xᵢ − c_{labelᵢ}‖² (unit sample weights). Given the same NumPy
/// random state, the labels are identical to scikit-learn's; the steps and their floating-point
/// order follow `sklearn/cluster/_kmeans.py` and `_k_means_lloyd.pyx`:
///
/// 1. Tolerance `tol · mean_j var(X[:, j])` (population variance, `_tolerance`).
/// 2. The data are centred, `X − mean(X)`, and the centres shifted back at the end.
/// 3. Per run, k-means++ (`_kmeans_plusplus`): the first centre is
///    `random.choice(n, p=1/n)`; then for each further centre `2 + ⌊ln k⌋` candidates are
///    drawn by `searchsorted(cumsum(D²), uniform(size=L)·ΣD²)` (clipped to n−1), and the
///    candidate giving the smallest potential Σ min(D², d²_cand) is kept (the first of those within
///    ``nearTie`` of the smallest; see "Near-ties").
///    Distances use the dot-product form ‖x‖² + ‖c‖² − 2x·c clamped at 0.
/// 4. Lloyd steps: labels by argmin over centres of ‖c‖² − 2x·c (first on ties, computed with
///    GEMM over 256-row chunks as scikit-learn does); centres become the means (sum × 1/count);
///    an empty cluster takes the point farthest from its centre (`_relocate_empty_clusters_dense`).
///    Stop when the labels do not change (strict convergence) or when Σ‖c_new − c_old‖² ≤ tol;
///    without strict convergence a final assignment step makes labels match the centres.
/// 5. Over the runs (which consume the same random state one after another) the first run is kept
///    unless a later one has a smaller inertia (by more than ``nearTie``, relative) and is not the same
///    partition up to a relabelling (`_is_same_clustering`).
///
/// **Near-ties (a deliberate difference).** scikit-learn keeps the exact `argmin` of the candidate
/// potentials and the strictly smaller inertia. When two candidates are equally good up to rounding,
/// that choice is made by the last bits of the input: on the lecture 10 effort features at k = 8 two
/// candidates' potentials differ by 3e-16 relative, and the dense and iterative eigensolvers (or two
/// CPUs' BLAS kernels), whose embeddings agree within 3e-15, gave clusterings with silhouette 0.80
/// and 0.56. Values within `nearTie = 1e-10` (relative) of the best therefore count as tied and the
/// earlier candidate or run is kept: far above the rounding noise of an embedding, far below any
/// difference that matters to the clustering. scikit-learn's partitions are reproduced whenever its own
/// choice was not such a tie (every golden case: 49 clusterings, each with both eigensolvers).
///
/// **Spectral clustering.** scikit-learn's `SpectralClustering(random_state=s, affinity='precomputed')`
/// first draws the ARPACK start vector `random_state.uniform(-1, 1, n)` in `spectral_embedding` and
/// then runs this k-means on the embedding with the same state. Hence with
/// `var rs = NumPyRandomState(seed: s); rs.skip(doubles: n)`, `fit(embedding, random: &rs).labels`
/// equals `SpectralClustering(random_state=s, affinity='precomputed').labels_` (given the same
/// embedding).
///
/// **Summation order.** scikit-learn accumulates centre sums and the inertia in OpenMP threads
/// (static schedule over 256-row chunks / rows, partial sums added at the end).
/// `referenceThreads` reproduces that order for the thread count scikit-learn ran with
/// (`sklearn.utils._openmp_helpers._openmp_effective_n_threads()`, usually the core count); the
/// result is bit-identical for 1 or 2 threads (for more, scikit-learn's own reduction order is
/// not deterministic). The computation itself is single-threaded; OpenBLAS is set to one thread
/// during `fit` and restored afterwards.
///
/// - Complexity: O(initCount · (k · L · n · d + iterations · n · k · d)) time, O(n · (k + d)) memory.
///   For n = 20 000, d = 10, k = 10 a Lloyd iteration takes ≈0.35 ms (release build), so the
///   10 runs take ≈0.1 s when they converge in a few iterations and ≈1 s if all hit 300.
/// - Reference: Arthur & Vassilvitskii (2007), "k-means++: the advantages of careful seeding";
///   scikit-learn 1.9.1 `sklearn.cluster.KMeans`.
public struct KMeans: Sendable {
  /// Number of clusters k (`n_clusters`).
  public var clusters: Int
  /// Number of k-means++ initialisations (`n_init`, default 10).
  public var initCount: Int
  /// Maximum Lloyd iterations per run (`max_iter`, default 300).
  public var maxIterations: Int
  /// Relative tolerance (`tol`, default 1e-4), scaled by the mean feature variance.
  public var tolerance: Double
  /// OpenMP thread count whose summation order is reproduced (default 2; see the type's notes).
  public var referenceThreads: Int

  public init(
    clusters: Int, initCount: Int = 10, maxIterations: Int = 300, tolerance: Double = 1e-4,
    referenceThreads: Int = 2
  ) {
    precondition(clusters >= 1, "KMeans needs at least one cluster")
    precondition(initCount >= 1, "KMeans needs initCount ≥ 1")
    precondition(maxIterations >= 1, "KMeans needs maxIterations ≥ 1")
    precondition(tolerance >= 0, "KMeans needs tolerance ≥ 0")
    self.clusters = clusters
    self.initCount = initCount
    self.maxIterations = maxIterations
    self.tolerance = tolerance
    self.referenceThreads = max(1, referenceThreads)
  }

  /// Relative margin below which two k-means++ candidate potentials, or two runs' inertias, count as
  /// tied: `1e-10` (see the type's documentation, "Near-ties").
  public static let nearTie = 1e-10

  /// Clusters the rows of `x` (`n × d`, n ≥ k), drawing the seeding from `random` (advanced as
  /// scikit-learn advances the `RandomState` it was given).
  ///
  /// - Parameter afterEachRun: called after each of the `initCount` runs (seeding and Lloyd), on the
  ///   calling thread, e.g. to count restarts for a progress display; it does not affect the result.
  public func fit(_ x: Matrix, random: inout NumPyRandomState, afterEachRun: (() -> Void)? = nil) -> KMeansResult {
    let n = x.rows, d = x.columns, k = clusters
    precondition(n >= k, "KMeans: n_samples=\(n) should be >= n_clusters=\(k)")
    precondition(d >= 1, "KMeans needs at least one column")

    let tol = Self.scaledTolerance(x, tolerance)
    let mean = x.storage.withUnsafeBufferPointer {
      KMeansNumPySum.columnMeans($0.baseAddress!, rows: n, columns: d)
    }
    var xc = x
    xc.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<n { for j in 0..<d { p[i * d + j] -= mean[j] } }
    }
    let norms = Pairwise.rowSquaredNorms(xc)
    let engine = KMeansLloydEngine(x: xc, threads: referenceThreads, k: k)
    // The BLAS calls here are thin (k or L ≤ ~10 columns); OpenBLAS's thread pool only adds
    // synchronisation, so it runs single-threaded for the duration.
    let savedThreads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(savedThreads) }

    var best: (labels: [Int32], centers: [Double], inertia: Double, iterations: Int, converged: Bool)?
    for _ in 0..<initCount {
      let initial = Self.kMeansPlusPlus(xc, norms: norms, k: k, random: &random)
      let run = engine.run(initialCenters: initial, maxIterations: maxIterations, tolerance: tol)
      if let b = best {
        if run.inertia < b.inertia - Self.nearTie * abs(b.inertia) && !Self.isSameClustering(run.labels, b.labels, k) {
          best = run
        }
      } else {
        best = run
      }
      afterEachRun?()
    }
    let b = best!
    var centers = Matrix(rows: k, columns: d, storage: b.centers)
    for c in 0..<k { for j in 0..<d { centers.storage[c * d + j] += mean[j] } }
    return KMeansResult(
      labels: b.labels.map { Int($0) }, centers: centers, inertia: b.inertia,
      iterations: b.iterations, converged: b.converged)
  }

  /// ``fit(_:random:)`` with `NumPyRandomState(seed: seed)` advanced by `skippingDoubles` draws
  /// first. With `skippingDoubles = x.rows` on a spectral embedding this reproduces
  /// `SpectralClustering(random_state=seed, affinity='precomputed').labels_` (the ARPACK start
  /// vector `uniform(-1, 1, n)` is drawn from the same state before k-means).
  public func fit(_ x: Matrix, seed: UInt32, skippingDoubles: Int = 0) -> KMeansResult {
    var random = NumPyRandomState(seed: seed)
    random.skip(doubles: skippingDoubles)
    return fit(x, random: &random)
  }

  /// `tol · mean(np.var(X, axis=0))` (`_tolerance`): population variances with NumPy's
  /// reduction orders; 0 when `tol == 0`.
  static func scaledTolerance(_ x: Matrix, _ tol: Double) -> Double {
    if tol == 0 { return 0 }
    let n = x.rows, d = x.columns
    return x.storage.withUnsafeBufferPointer { p -> Double in
      let mean = KMeansNumPySum.columnMeans(p.baseAddress!, rows: n, columns: d)
      var v = [Double](repeating: 0, count: d)
      for i in 0..<n {
        for j in 0..<d { let e = p[i * d + j] - mean[j]; v[j] += e * e }
      }
      for j in 0..<d { v[j] /= Double(n) }
      return KMeansNumPySum.pairwise(v) / Double(d) * tol
    }
  }

  /// scikit-learn's `_is_same_clustering`: the same partition up to a relabelling
  /// (checked through the mapping labels1 → labels2).
  static func isSameClustering(_ a: [Int32], _ b: [Int32], _ k: Int) -> Bool {
    var mapping = [Int32](repeating: -1, count: k)
    for i in 0..<a.count {
      let l = Int(a[i])
      if mapping[l] == -1 {
        mapping[l] = b[i]
      } else if mapping[l] != b[i] {
        return false
      }
    }
    return true
  }

  /// Squared distances from the given rows of `x` to all rows, as scikit-learn's
  /// `_euclidean_distances(X[rows], X, Y_norm_squared=norms, squared=True)`:
  /// `max(0, (−2·x_r·x_i + ‖x_r‖²) + ‖x_i‖²)`, one row per requested index.
  static func squaredDistances(from rows: [Int], _ x: Matrix, norms: [Double]) -> Matrix {
    let sub = x.selectingRows(rows)
    var g = BLAS.gemm(sub, x, transposeB: .transpose, alpha: -2)
    let n = x.rows
    g.storage.withUnsafeMutableBufferPointer { p in
      for (r, idx) in rows.enumerated() {
        let xx = norms[idx]
        for i in 0..<n {
          let v = (p[r * n + i] + xx) + norms[i]
          p[r * n + i] = v > 0 ? v : 0
        }
      }
    }
    return g
  }

  /// k-means++ seeding with local trials (`_kmeans_plusplus`, unit sample weights); returns the
  /// `k × d` initial centres (row-major).
  static func kMeansPlusPlus(_ x: Matrix, norms: [Double], k: Int, random: inout NumPyRandomState) -> [Double] {
    let n = x.rows, d = x.columns
    let trials = 2 + Int(log(Double(k)))
    var centers = [Double](repeating: 0, count: k * d)
    let p = [Double](repeating: 1.0 / Double(n), count: n)
    let first = random.choice(n, p: p)
    for j in 0..<d { centers[j] = x.storage[first * d + j] }
    var closest = squaredDistances(from: [first], x, norms: norms).storage
    let ones = [Double](repeating: 1, count: n)
    var currentPot = BLAS.gemv(Matrix(rows: 1, columns: n, storage: closest), ones)[0]
    var cumsum = [Double](repeating: 0, count: n)
    if k < 2 { return centers }
    for c in 1..<k {
      var s = 0.0
      for i in 0..<n { s += closest[i]; cumsum[i] = s }
      var candidates = [Int](repeating: 0, count: trials)
      for t in 0..<trials {
        let v = random.randomSample() * currentPot
        // searchsorted(side='left'): first index with cumsum[i] >= v
        var lo = 0, hi = n
        while lo < hi {
          let mid = (lo + hi) / 2
          if cumsum[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        candidates[t] = min(lo, n - 1)
      }
      var dist = squaredDistances(from: candidates, x, norms: norms)
      dist.storage.withUnsafeMutableBufferPointer { q in
        for t in 0..<trials {
          for i in 0..<n where closest[i] < q[t * n + i] { q[t * n + i] = closest[i] }
        }
      }
      let pots = BLAS.gemv(dist, ones)
      // The first candidate whose potential is within `nearTie` of the smallest (see the type's documentation).
      let smallest = pots.min()!
      let bestT = pots.firstIndex { $0 <= smallest + Self.nearTie * abs(smallest) }!
      currentPot = pots[bestT]
      closest = Array(dist.storage[(bestT * n)..<((bestT + 1) * n)])
      let idx = candidates[bestT]
      for j in 0..<d { centers[c * d + j] = x.storage[idx * d + j] }
    }
    return centers
  }
}
