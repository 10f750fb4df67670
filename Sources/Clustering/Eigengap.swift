/// The eigengap heuristic for choosing the number of clusters.
///
/// Rule (the seed notebook's convention): with ascending Laplacian eigenvalues
/// `λ_0 ≤ λ_1 ≤ …` and an upper bound `kMax`, take the gaps `g_i = λ_{i+1} − λ_i` for
/// `i = 0 … kMax − 1` (i.e. over the first `kMax + 1` eigenvalues) and return
/// `k̂ = argmax_i g_i + 1`, the **first** maximum on ties (NumPy `argmax`; a NaN gap counts as
/// the maximum, as in NumPy). `k̂ = 1` is possible (largest gap right after `λ_0`). If fewer
/// than `kMax + 1` eigenvalues are given, all of them are used.
///
/// Justification and limits — U. von Luxburg, "A tutorial on spectral clustering" (2007),
/// §8.3: a graph with k connected components has eigenvalue 0 with multiplicity k, and by
/// perturbation theory k well-separated clusters give k small eigenvalues followed by a jump;
/// the heuristic "works well if the clusters in the data are very well pronounced" and is
/// unreliable for noisy or overlapping clusters. Measured with a fully connected RBF graph
/// (CohortLens reference notes, spectral.md §5), k̂ for eigenvalue counts m = 5 / 10 / 15 / 21:
/// 8-D blobs n = 2000 (true 5): 4 / 5 / 5 / 5 (with m = 5 the largest possible k̂ is 4);
/// overlapping 2-D blobs (true 5): 2 / 2 / 2 / 2; two moons with γ = 30 (true 2):
/// 4 / 8 / 12 / 12. The answer therefore depends on `kMax` and on the graph; report it as a
/// suggestion alongside the gaps.
public enum Eigengap {
  /// The gaps `λ_{i+1} − λ_i`, `i = 0 … min(kMax, count − 1) − 1` (for display).
  public static func gaps(eigenvalues: [Double], maxK: Int) -> [Double] {
    let m = min(eigenvalues.count, max(0, maxK) + 1)
    guard m >= 2 else { return [] }
    return (0..<(m - 1)).map { eigenvalues[$0 + 1] - eigenvalues[$0] }
  }

  /// The suggested number of clusters `k̂ ∈ 1…kMax`, or `nil` when `maxK < 1` or fewer than two
  /// eigenvalues are given.
  ///
  /// - Complexity: O(kMax).
  public static func suggest(eigenvalues: [Double], maxK: Int) -> Int? {
    let g = gaps(eigenvalues: eigenvalues, maxK: maxK)
    guard !g.isEmpty else { return nil }
    var best = 0
    if g[0].isNaN { return 1 }
    for i in 1..<g.count {
      if g[i].isNaN { return i + 1 }
      if g[i] > g[best] { best = i }
    }
    return best + 1
  }
}
