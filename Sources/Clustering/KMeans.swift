import CohortLensCore
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import CLapack
import Dispatch
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
/// not deterministic). OpenBLAS is set to one thread during `fit` and restored afterwards.
///
/// **Threads.** A run's seeding draws `1 + (k − 1)·L` doubles whatever the data, so run r starts from the
/// random state advanced by r times that: the runs are independent. From 200 rows on they are dealt round-robin
/// to the cores (at most 8, `DispatchQueue.concurrentPerform`, in batches of 8 runs per worker), each worker with
/// its own buffers, and the best run is then chosen in run order, exactly as when they run one after another;
/// the result does not depend on the number of threads.
///
/// - Complexity: O(initCount · (k · L · n · d + iterations · n · k · d)) time, O(n · (k + d)) memory per
///   worker plus the labels of one batch of runs. For n = 20 000, d = 10, k = 10 a Lloyd iteration takes
///   ≈0.35 ms (release build), so the 10 runs take ≈0.1 s when they converge in a few iterations and ≈1 s if
///   all hit 300. The cluster benchmark's k-means (n = 1000, 5-D embedding, k = 5, 10 runs) takes 0.40 ms on
///   this project's 2-core reference machine (0.58 ms on one core; 0.74 ms before the buffers were reused and
///   the runs spread over the cores).
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
  ///   calling thread, e.g. to count restarts for a progress display; it does not affect the result. With
  ///   several threads the calls for a batch of runs come together once the batch is done.
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
    let seeding = KMeansPlusPlus(x: xc, norms: norms, k: k)
    // The BLAS calls here are thin (k or L ≤ ~10 columns); OpenBLAS's thread pool only adds
    // synchronisation, so it runs single-threaded for the duration.
    let savedThreads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(savedThreads) }

    // Every run draws the same number of doubles, so run r starts from the state advanced by r · draws: the runs
    // are independent and go to `workers` threads (round-robin within batches); the best one is then chosen in run
    // order, exactly as one after another.
    let draws = seeding.drawsPerRun
    let cores = n >= Self.parallelMinimumRows ? Swift.min(Processors.available(), 8) : 1
    let workers = Swift.max(1, Swift.min(cores, initCount))
    let batchSize = workers * 8
    let maxIterations = self.maxIterations
    var best: KMeansLloydEngine.Run?
    var done = 0
    while done < initCount {
      let count = Swift.min(batchSize, initCount - done)
      let runs: [KMeansLloydEngine.Run]
      if workers == 1 {
        var plusPlus = seeding
        var workspace = KMeansLloydEngine.Workspace(k: k, d: d)
        var state = random
        runs = (0..<count).map { _ in
          let initial = plusPlus.centers(random: &state)
          return engine.run(initialCenters: initial, maxIterations: maxIterations, tolerance: tol, workspace: &workspace)
        }
      } else {
        let slots = ResultSlots<KMeansLloydEngine.Run>(count: count)
        let start = random
        let w = Swift.min(workers, count)
        DispatchQueue.concurrentPerform(iterations: w) { worker in
          var plusPlus = seeding
          var workspace = KMeansLloydEngine.Workspace(k: k, d: d)
          var state = start
          state.skip(doubles: worker * draws)
          var r = worker
          while r < count {
            let initial = plusPlus.centers(random: &state)
            slots.set(r, engine.run(initialCenters: initial, maxIterations: maxIterations, tolerance: tol, workspace: &workspace))
            r += w
            if r < count { state.skip(doubles: (w - 1) * draws) }
          }
        }
        runs = slots.values
      }
      random.skip(doubles: count * draws)
      for run in runs {
        if let b = best {
          if run.inertia < b.inertia - Self.nearTie * abs(b.inertia) && !Self.isSameClustering(run.labels, b.labels, k) {
            best = run
          }
        } else {
          best = run
        }
        afterEachRun?()
      }
      done += count
    }
    let b = best!
    var centers = Matrix(rows: k, columns: d, storage: b.centers)
    for c in 0..<k { for j in 0..<d { centers.storage[c * d + j] += mean[j] } }
    return KMeansResult(
      labels: b.labels.map { Int($0) }, centers: centers, inertia: b.inertia,
      iterations: b.iterations, converged: b.converged)
  }

  /// Rows from which ``fit(_:random:afterEachRun:)`` runs its restarts on several threads (below, one thread:
  /// a run takes a few microseconds and starting threads would cost more).
  static let parallelMinimumRows = 200

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

  /// k-means++ seeding with local trials (`_kmeans_plusplus`, unit sample weights); returns the
  /// `k × d` initial centres (row-major). See ``KMeansPlusPlus``.
  static func kMeansPlusPlus(_ x: Matrix, norms: [Double], k: Int, random: inout NumPyRandomState) -> [Double] {
    var seeding = KMeansPlusPlus(x: x, norms: norms, k: k)
    return seeding.centers(random: &random)
  }
}

/// k-means++ seeding with local trials, scikit-learn's `_kmeans_plusplus` (unit sample weights), on centred
/// data with its squared row norms; the buffers it needs are made once and reused from run to run (a copy
/// per thread).
///
/// The first centre is `choice(n, p=1/n)` (its normalised cumulative sums are computed once, by the same
/// operations as ``NumPyRandomState/choice(_:p:)``); then each further centre is the best of
/// `2 + ⌊ln k⌋` candidates drawn by `searchsorted(cumsum(D²), uniform·ΣD²)`. Squared distances are
/// `max(0, (−2·x_c·x_i + ‖x_c‖²) + ‖x_i‖²)` (`dgemm` with α = −2) and potentials Σ min(D², d²) by `dgemv`
/// against ones, as `_euclidean_distances` and NumPy's `sum` over a row do in scikit-learn.
struct KMeansPlusPlus: @unchecked Sendable {
  let x: Matrix
  let norms: [Double]
  let k: Int
  let n: Int
  let d: Int
  /// Candidates per centre after the first: `2 + ⌊ln k⌋`.
  let trials: Int
  /// `cumsum(p) / cumsum(p)[-1]` for `p = 1/n` (`choice`'s CDF).
  private let uniformCDF: [Double]
  private let ones: [Double]
  /// Scratch: the candidate rows (`trials × d`), their squared distances to all rows (`trials × n`), the
  /// current squared distance to the nearest centre, its cumulative sums, and the candidates' potentials.
  private var candidateRows: [Double]
  private var distances: [Double]
  private var closest: [Double]
  private var cumsum: [Double]
  private var potentials: [Double]
  private var candidates: [Int]

  init(x: Matrix, norms: [Double], k: Int) {
    self.x = x
    self.norms = norms
    self.k = k
    n = x.rows
    d = x.columns
    trials = 2 + Int(log(Double(k)))
    // choice(n, p) with uniform p: the same cdf for every draw, computed once.
    uniformCDF = NumPyRandomState.choiceCDF([Double](repeating: 1.0 / Double(n), count: n))
    ones = [Double](repeating: 1, count: n)
    candidateRows = [Double](repeating: 0, count: trials * d)
    distances = [Double](repeating: 0, count: trials * n)
    closest = [Double](repeating: 0, count: n)
    cumsum = [Double](repeating: 0, count: n)
    potentials = [Double](repeating: 0, count: trials)
    candidates = [Int](repeating: 0, count: trials)
  }

  /// Doubles one seeding draws from the random state: the first centre, then `trials` per further centre.
  var drawsPerRun: Int { 1 + (k - 1) * trials }

  /// `choice(n, p=1/n)`: one `random_sample()`, then `searchsorted(cdf, u, side='right')`.
  private func uniformChoice(_ random: inout NumPyRandomState) -> Int {
    let u = random.randomSample()
    var lo = 0, hi = n
    while lo < hi {
      let mid = (lo + hi) / 2
      if uniformCDF[mid] <= u { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// Rows `0..<m` of `distances`: the squared distances from the rows `candidates[0..<m]` of `x` to all rows,
  /// `max(0, (−2·x_r·x_i + ‖x_r‖²) + ‖x_i‖²)`; with `nearest`, each then lowered to `closest[i]` where that is
  /// smaller.
  private mutating func squaredDistances(count m: Int, nearest: Bool) {
    let n = self.n, d = self.d
    for r in 0..<m {
      let idx = candidates[r]
      for j in 0..<d { candidateRows[r * d + j] = x.storage[idx * d + j] }
    }
    x.storage.withUnsafeBufferPointer { pb in
      candidateRows.withUnsafeBufferPointer { pa in
        distances.withUnsafeMutableBufferPointer { pc in
          cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(d), -2, pa.baseAddress,
            Int32(Swift.max(1, d)), pb.baseAddress, Int32(Swift.max(1, d)), 0, pc.baseAddress, Int32(Swift.max(1, n)))
        }
      }
    }
    distances.withUnsafeMutableBufferPointer { q in
      norms.withUnsafeBufferPointer { nb in
        closest.withUnsafeBufferPointer { cb in
          for r in 0..<m {
            let xx = nb[candidates[r]]
            let row = q.baseAddress! + r * n
            for i in 0..<n {
              let v = (row[i] + xx) + nb[i]
              var e = v > 0 ? v : 0
              if nearest && cb[i] < e { e = cb[i] }
              row[i] = e
            }
          }
        }
      }
    }
  }

  /// `y = D·1` for the first `m` rows of `distances` (`dgemv`), into `potentials`.
  private mutating func rowSums(count m: Int) {
    let n = self.n
    distances.withUnsafeBufferPointer { pa in
      ones.withUnsafeBufferPointer { px in
        potentials.withUnsafeMutableBufferPointer { py in
          cblas_dgemv(
            CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, pa.baseAddress, Int32(n), px.baseAddress, 1, 0,
            py.baseAddress, 1)
        }
      }
    }
  }

  /// The `k × d` initial centres (row-major) of one run, drawn from `random`.
  mutating func centers(random: inout NumPyRandomState) -> [Double] {
    let n = self.n, d = self.d
    var centers = [Double](repeating: 0, count: k * d)
    let first = uniformChoice(&random)
    for j in 0..<d { centers[j] = x.storage[first * d + j] }
    candidates[0] = first
    squaredDistances(count: 1, nearest: false)
    for i in 0..<n { closest[i] = distances[i] }
    rowSums(count: 1)
    var currentPot = potentials[0]
    if k < 2 { return centers }
    for c in 1..<k {
      var s = 0.0
      for i in 0..<n { s += closest[i]; cumsum[i] = s }
      for t in 0..<trials {
        let v = random.randomSample() * currentPot
        // searchsorted(side='left'): first index with cumsum[i] >= v
        var lo = 0, hi = n
        while lo < hi {
          let mid = (lo + hi) / 2
          if cumsum[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        candidates[t] = Swift.min(lo, n - 1)
      }
      squaredDistances(count: trials, nearest: true)
      rowSums(count: trials)
      // The first candidate whose potential is within `nearTie` of the smallest (see ``KMeans``, "Near-ties").
      let smallest = potentials.min()!
      let bestT = potentials.firstIndex { $0 <= smallest + KMeans.nearTie * abs(smallest) }!
      currentPot = potentials[bestT]
      for i in 0..<n { closest[i] = distances[bestT * n + i] }
      let idx = candidates[bestT]
      for j in 0..<d { centers[c * d + j] = x.storage[idx * d + j] }
    }
    return centers
  }
}
