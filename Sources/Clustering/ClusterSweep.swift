import CohortLensCore
import Dispatch
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import LinearAlgebra

/// Parameters of a spectral-clustering sweep over several numbers of clusters.
public struct SweepConfiguration: Sendable {
  /// The numbers of clusters to try, each in `2...n−1`.
  public var ks: [Int]
  /// Which graph Laplacian embeds the learners (default: normalised, as scikit-learn).
  public var laplacian: LaplacianKind
  /// Seed of the NumPy-compatible random stream (`RandomState(seed)`), see ``SpectralSweep``.
  public var seed: UInt32
  /// k-means restarts per k (scikit-learn `SpectralClustering.n_init`, default 10).
  public var initCount: Int
  /// How many ascending Laplacian eigenvalues to report (at least `max(2·kMax, kMax+1)`, capped at n).
  public var eigenvalueCount: Int?
  /// Eigensolver routing (dense LAPACK below the documented threshold, block Krylov above).
  public var solver: SpectralEigenSolver

  public init(
    ks: [Int], laplacian: LaplacianKind = .normalized, seed: UInt32 = 0, initCount: Int = 10,
    eigenvalueCount: Int? = nil, solver: SpectralEigenSolver = .auto
  ) {
    self.ks = ks
    self.laplacian = laplacian
    self.seed = seed
    self.initCount = initCount
    self.eigenvalueCount = eigenvalueCount
    self.solver = solver
  }
}

/// The clustering found for one k, with its quality scores.
public struct SweepEntry: Sendable {
  /// Number of clusters asked for.
  public var k: Int
  /// Cluster label (0-based) of each learner, aligned with the input rows.
  public var labels: [Int]
  /// Size of each cluster, indexed by label.
  public var clusterSizes: [Int]
  /// Mean silhouette on the spectral embedding (what k-means clustered), scikit-learn's `silhouette_score`.
  public var silhouette: Double
  /// Per-learner silhouette on the spectral embedding (`silhouette_samples`).
  public var silhouetteSamples: [Double]
  /// Davies–Bouldin index on the embedding (lower is better).
  public var daviesBouldin: Double
  /// Calinski–Harabasz index on the embedding (higher is better).
  public var calinskiHarabasz: Double
  /// k-means inertia (sum of squared distances to the centres) on the embedding.
  public var inertia: Double
  /// Adjusted Rand index against the reference labels, when given.
  public var adjustedRandIndex: Double?
}

/// Result of ``SpectralSweep/run(adjacency:configuration:truth:)``.
public struct SweepResult: Sendable {
  /// Number of learners.
  public var n: Int
  /// Ascending eigenvalues of the graph Laplacian (scipy `csgraph.laplacian(W, normed=True)` for the
  /// normalised kind), at least `max(2·kMax, kMax+1)` of them.
  public var eigenvalues: [Double]
  /// The eigengap heuristic's choice of k (see ``Eigengap``); `nil` when it is undefined (see
  /// ``eigengapUndefinedReason``).
  public var eigengapK: Int?
  /// Why ``eigengapK`` is `nil`: fewer than two eigenvalues, or a graph with more connected components
  /// than kMax (the first kMax + 1 eigenvalues are then all 0, every gap among them rounding noise).
  public var eigengapUndefinedReason: String? = nil
  /// The k of the sweep with the highest mean silhouette (first on ties).
  public var silhouetteK: Int?
  /// One entry per k, in the order asked for.
  public var entries: [SweepEntry]
  /// Number of connected components of the graph.
  public var components: Int
  /// The eigensolver that ran (`dense` or `iterative`; ``SpectralEmbedding/solver``): what `auto`
  /// resolved to, `dense` after its fallback.
  public var solver: SpectralEigenSolver
  /// Things the user should know (disconnected graph, symmetrised input, …).
  public var warnings: [String]
}

/// Spectral clustering of one graph for several k, as scikit-learn's
/// `SpectralClustering(affinity='precomputed', assign_labels='kmeans')` does it for each k.
///
/// 1. The spectral embedding is computed once for `kMax = max(ks)` (``SpectralEmbedding``);
///    the embedding for k is its first k columns (k-means is invariant to rotations inside an
///    eigenspace, so this equals a separate fit per k).
/// 2. For each k a fresh `NumPyRandomState(seed)` first skips the n uniforms that scikit-learn
///    draws for ARPACK's start vector (`v0 = random_state.uniform(-1, 1, n)`), then runs
///    k-means++ / Lloyd with `initCount` restarts (``KMeans``). With the same seed the labels
///    therefore equal `SpectralClustering(n_clusters=k, random_state=seed).labels_`.
/// 3. Silhouette, Davies–Bouldin and Calinski–Harabasz are computed on that k-column embedding
///    (the EPFL lecture 10 convention), and the adjusted Rand index against `truth` if given.
///
/// The per-k work runs on all cores (OpenBLAS set to one thread meanwhile); results do not
/// depend on the thread count.
///
/// - Complexity: one eigensolve (O(n³) dense, or O(n²·m·iterations) iterative) plus, per k,
///   O(initCount · iterations · n · k²) for k-means and O(n²·k) for the silhouette.
public enum SpectralSweep {
  ///
  /// - Parameter adjacency: the graph's `W`; consumed (its storage becomes the solver's matrix,
  ///   so pass `consume w` when it is no longer needed to avoid an n × n copy).
  /// - Parameter progress: called (on the calling thread) after each stage with a short
  ///   description, for a progress display; the library itself never prints.
  /// - Parameter restartProgress: called after every k-means restart with (restarts done, total),
  ///   total = number of k × `initCount`, from the worker threads (calls are serialised, the counts
  ///   increase by one each time); for a progress display of long `--n-init` runs. It does not
  ///   affect the result.
  public static func run(
    adjacency: consuming Matrix, configuration: SweepConfiguration, truth: [String]? = nil,
    progress: ((String) -> Void)? = nil, restartProgress: (@Sendable (Int, Int) -> Void)? = nil
  ) throws -> SweepResult {
    let n = adjacency.rows
    let ks = configuration.ks
    guard let kMax = ks.max() else { return SweepResult(n: n, eigenvalues: [], eigengapK: nil, silhouetteK: nil, entries: [], components: 0, solver: configuration.solver == .iterative ? .iterative : .dense, warnings: []) }
    let eigenCount = min(n, max(configuration.eigenvalueCount ?? 0, 2 * kMax, kMax + 1))
    let embedding = try SpectralEmbedding.compute(
      adjacency: consume adjacency, dimensions: kMax, eigenvalueCount: eigenCount,
      laplacian: configuration.laplacian, solver: configuration.solver)
    progress?("embedding: \(embedding.eigenvalues.count) eigenpairs by the \(embedding.solver.rawValue) solver")
    var warnings = embedding.warnings.map(\.description)

    let truthCodes: [Int]? = truth.map { t in
      // Labels told apart exactly as written (code points), as scikit-learn's label encoding does.
      var codes: [ExactText: Int] = [:]
      return t.map { s in
        if let c = codes[ExactText(s)] { return c }
        let c = codes.count
        codes[ExactText(s)] = c
        return c
      }
    }

    let results = ResultSlots<SweepEntry>(count: ks.count)
    // One BLAS thread for every k, also for a single k: the products here are thin (n × k) and
    // OpenBLAS's threaded kernels give thread-count-dependent last bits (silhouette,
    // Davies–Bouldin), which must not reach the report (see BLASThreads.withSingleThread).
    let previousThreads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(previousThreads) }
    let seed = configuration.seed
    let initCount = configuration.initCount
    let restarts = restartProgress.map { RestartCounter(total: ks.count * initCount, report: $0) }
    DispatchQueue.concurrentPerform(iterations: ks.count) { index in
      let k = ks[index]
      let x = embedding.coordinates(clusters: k)
      var random = NumPyRandomState(seed: seed)
      random.skip(doubles: n)
      let fit = KMeans(clusters: k, initCount: initCount).fit(x, random: &random, afterEachRun: restarts.map { r in { r.increment() } })
      let entry = Self.score(k: k, x: x, fit: fit, truthCodes: truthCodes)
      results.set(index, entry)
    }
    let entries = results.values
    progress?("k-means and scores for k = \(MessageText.joined(ks.map(String.init), separator: ","))")
    for e in entries where e.clusterSizes.contains(0) {
      warnings.append("k = \(e.k): k-means returned \(e.clusterSizes.filter { $0 == 0 }.count) empty cluster(s)")
    }
    for e in entries where e.silhouette.isNaN {
      let nonEmpty = e.clusterSizes.filter { $0 > 0 }.count
      warnings.append("k = \(e.k): silhouette, Davies–Bouldin and Calinski–Harabasz are undefined: \(nonEmpty) non-empty cluster(s) among \(n) learners (they need 2 to n − 1)")
    }
    let best = silhouetteSuggestion(entries)
    var result = SweepResult(
      n: n, eigenvalues: embedding.eigenvalues,
      eigengapK: Eigengap.suggest(eigenvalues: embedding.eigenvalues, maxK: kMax),
      silhouetteK: best, entries: entries, components: embedding.components, solver: embedding.solver,
      warnings: warnings)
    if result.eigengapK == nil {
      result.eigengapUndefinedReason = "fewer than two eigenvalues"
    } else if embedding.components > kMax {
      // Eigenvalue 0 has multiplicity = the number of components (isolated nodes included), so the first
      // kMax + 1 eigenvalues are 0 up to rounding and NumPy's argmax would pick one gap of noise: a k set by
      // the solver's last bits.
      let count = min(kMax + 1, embedding.eigenvalues.count)
      let reason = "the first \(count) Laplacian eigenvalues are 0 up to rounding (the graph has \(embedding.components) connected components), so every gap among them is noise"
      result.eigengapK = nil
      result.eigengapUndefinedReason = reason
      result.warnings.append("eigengap undefined: \(reason); with more connected components than the largest k, sweep k up to the number of components or use a graph with fewer components (e.g. a larger --graph knn:K)")
    }
    return result
  }

  /// The k with the largest mean silhouette (the first on ties), among the entries whose silhouette is
  /// defined; nil when none is.
  static func silhouetteSuggestion(_ entries: [SweepEntry]) -> Int? {
    var best: SweepEntry?
    for e in entries where !e.silhouette.isNaN && (best == nil || e.silhouette > best!.silhouette) { best = e }
    return best?.k
  }

  static func score(k: Int, x: Matrix, fit: KMeansResult, truthCodes: [Int]?) -> SweepEntry {
    var sizes = [Int](repeating: 0, count: k)
    for l in fit.labels { sizes[l] += 1 }
    // The scores are undefined (NaN, reported as such) unless there are 2…n−1 non-empty clusters;
    // ClusterScores checks that and throws.
    let samples = (try? ClusterScores.silhouetteSamples(x, labels: fit.labels)) ?? []
    let silhouette = samples.isEmpty ? .nan : samples.reduce(0, +) / Double(samples.count)
    let dbch = try? ClusterScores.daviesBouldinAndCalinskiHarabasz(x, labels: fit.labels)
    let db = dbch?.daviesBouldin ?? .nan, ch = dbch?.calinskiHarabasz ?? .nan
    let ari = truthCodes.map { ClusterScores.adjustedRandIndex($0, fit.labels) }
    return SweepEntry(
      k: k, labels: fit.labels, clusterSizes: sizes, silhouette: silhouette, silhouetteSamples: samples,
      daviesBouldin: db, calinskiHarabasz: ch, inertia: fit.inertia, adjustedRandIndex: ari)
  }
}

/// Counts k-means restarts across the concurrent per-k fits and reports each new count (under a lock,
/// so the reports arrive one at a time and in increasing order).
final class RestartCounter: @unchecked Sendable {
  private var done = 0
  private let total: Int
  private let report: @Sendable (Int, Int) -> Void
  private let lock = Lock()
  init(total: Int, report: @escaping @Sendable (Int, Int) -> Void) {
    self.total = total
    self.report = report
  }
  func increment() {
    lock.withLock {
      done += 1
      report(done, total)
    }
  }
}

/// Write-once result slots filled from concurrent iterations (disjoint indices).
final class ResultSlots<T: Sendable>: @unchecked Sendable {
  private var storage: [T?]
  private let lock = Lock()
  init(count: Int) { storage = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ v: T) { lock.withLock { storage[i] = v } }
  var values: [T] { lock.withLock { storage.map { $0! } } }
}
