import CohortLensCore
import LinearAlgebra

/// Memory planning for the spectral pipeline, checked against a `MemoryBudget` before the N×N
/// affinity is allocated.
public enum SpectralMemory {
  /// Estimated peak working set, in bytes, of clustering `n` learners with `d` features for k up
  /// to `kMax` (`Affinity.rbf` → graph → Laplacian → embedding → k-means and scores).
  ///
  /// Formula: `8·n²·c + 8·n·(d + 4·m)` with `m = min(n, max(2·kMax, kMax + 1))` eigenpairs and
  /// `c` dense n×n matrices alive at once: 2 (the similarity matrix and the Laplacian / normalised
  /// operator), +1 when the resolved eigensolver is dense (LAPACK's working copy), +1 for an
  /// `epsilon` or `knn` graph (the adjacency is a new dense matrix beside the similarity).
  /// Silhouette and k-means work in blocks of O(n·k) and are covered by the second term.
  ///
  /// Measured (debug build, 3 features, k 2…4, peak RSS of the whole process): n = 2000 full graph
  /// dense solver 106 MiB (estimate 92 MiB + runtime), knn:10 iterative 81 MiB (estimate 92 MiB);
  /// n = 4000 full iterative 154 MiB (estimate 244 MiB). The estimate errs on the high side for the
  /// iterative solver. Saturates at `Int.max` instead of overflowing. O(1).
  public static func estimatedPeakBytes(
    learners n: Int, features d: Int, kMax: Int, graph: GraphConstruction = .full,
    solver: SpectralEigenSolver = .auto
  ) -> Int {
    let m = min(n, max(2 * kMax, kMax + 1))
    var copies = 2
    if solver.resolved(n: n, count: m) == .dense { copies += 1 }
    if graph != .full { copies += 1 }
    let square = MemoryBudget.squareMatrixBytes(n, copies: copies)
    let (thin, overflow) = n.multipliedReportingOverflow(by: 8 * (max(0, d) + 4 * m))
    if overflow { return Int.max }
    let (total, o2) = square.addingReportingOverflow(thin)
    return o2 ? Int.max : total
  }

  /// The `MemoryBudget.check` for a spectral clustering run: throws a `UsageError` naming the
  /// estimate, the limit and the ways out (fewer learners; `--max-memory`).
  public static func check(
    _ budget: MemoryBudget, learners n: Int, features d: Int, kMax: Int, graph: GraphConstruction = .full,
    solver: SpectralEigenSolver = .auto
  ) throws {
    let bytes = estimatedPeakBytes(learners: n, features: d, kMax: kMax, graph: graph, solver: solver)
    try budget.check(
      bytes: bytes,
      what: "clustering \(n) learners (the \(n)×\(n) affinity, Laplacian and eigensolver matrices)",
      hint: "cluster a random sample of the learners (the affinity grows with the square of their number; "
        + "a --graph knn:K graph is still stored as a dense \(n)×\(n) matrix, so it does not help here)")
  }
}
