import CohortLensCore
import Foundation
import LinearAlgebra
import Testing
@testable import Clustering

/// Fixtures/golden/kmeans.json, written by Scripts/golden/kmeans.py (scikit-learn 1.9.1).
struct KMeansGolden: Decodable {
  struct KMeansCase: Decodable {
    let name: String
    let rows: Int
    let columns: Int
    let x: [Double]
    let k: Int
    let seed: UInt32
    let n_init: Int
    let labels: [Int]
    let inertia: Double
    let n_iter: Int
    let centers: [Double]
    let equals_spectral_clustering: Bool?
    var matrix: Matrix { Matrix(rows: rows, columns: columns, storage: x) }
  }
  struct ScoresCase: Decodable {
    let name: String
    let rows: Int
    let columns: Int
    let x: [Double]
    let labels: [Int]
    let silhouette_samples: [Double]
    let silhouette_score: Double
    let silhouette_precomputed: [Double]
    let davies_bouldin: Double
    let calinski_harabasz: Double
    var matrix: Matrix { Matrix(rows: rows, columns: columns, storage: x) }
  }
  struct ARICase: Decodable {
    let a: [Int]
    let b: [Int]
    let ari: Double
  }
  let openmp_threads: Int
  let kmeans: [KMeansCase]
  let scores: [ScoresCase]
  let ari: [ARICase]

  static let shared: KMeansGolden = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Fixtures/golden/kmeans.json")
    let data = try! Data(contentsOf: url)
    return try! JSONDecoder().decode(KMeansGolden.self, from: data)
  }()
}

@Test(arguments: Array(0..<KMeansGolden.shared.kmeans.count))
func kmeansMatchesScikitLearn(index: Int) {
  let g = KMeansGolden.shared
  let c = g.kmeans[index]
  var rs = NumPyRandomState(seed: c.seed)
  rs.skip(doubles: c.rows)  // spectral_embedding's ARPACK v0 = uniform(-1, 1, n)
  let km = KMeans(clusters: c.k, initCount: c.n_init, referenceThreads: g.openmp_threads)
  let r = km.fit(c.matrix, random: &rs)
  #expect(r.labels == c.labels, "\(c.name)")
  #expect(abs(r.inertia - c.inertia) <= 1e-9 * abs(c.inertia), "\(c.name): \(r.inertia) vs \(c.inertia)")
  #expect(r.iterations == c.n_iter, "\(c.name)")
  let maxDiff = zip(r.centers.storage, c.centers).map { abs($0 - $1) }.max() ?? 0
  #expect(maxDiff <= 1e-9, "\(c.name): centres differ by \(maxDiff)")
}

@Test func spectralEmbeddingCasesAreSpectralClusteringLabels() {
  // The script asserts these labels equal SpectralClustering(random_state=seed,
  // affinity='precomputed').labels_ on the RBF affinity whose embedding is stored.
  let g = KMeansGolden.shared
  let cases = g.kmeans.filter { $0.equals_spectral_clustering == true }
  #expect(cases.count == 2)
  for c in cases {
    let r = KMeans(clusters: c.k, referenceThreads: g.openmp_threads)
      .fit(c.matrix, seed: c.seed, skippingDoubles: c.rows)
    #expect(r.labels == c.labels, "\(c.name)")
  }
}

@Test func singleClusterIsTheMean() {
  let x = Matrix(rowArrays: [[1, 2], [3, 6], [5, 10]])
  let r = KMeans(clusters: 1, initCount: 2).fit(x, seed: 0)
  #expect(r.labels == [0, 0, 0])
  #expect(r.centers.storage == [3, 6])
  #expect(abs(r.inertia - 40) < 1e-12)  // (4 + 16) + 0 + (4 + 16)
  #expect(r.converged)
}

@Test func scaledToleranceIsMeanPopulationVariance() {
  // population variances: column [1, 2, 3] → 2/3, column [0, 0, 6] → 8
  let x = Matrix(rowArrays: [[1, 0], [2, 0], [3, 6]])
  #expect(abs(KMeans.scaledTolerance(x, 1e-4) - 1e-4 * (2.0 / 3.0 + 8.0) / 2) < 1e-18)
  #expect(KMeans.scaledTolerance(x, 0) == 0)
}

@Test func tinyExampleByHand() {
  // Two well separated pairs: the partition is forced, inertia = 4 · 0.5² = 1.
  let x = Matrix(rowArrays: [[0, 0], [1, 0], [10, 0], [11, 0]])
  var rs = NumPyRandomState(seed: 3)
  let r = KMeans(clusters: 2, initCount: 3).fit(x, random: &rs)
  #expect(r.labels[0] == r.labels[1] && r.labels[2] == r.labels[3] && r.labels[0] != r.labels[2])
  #expect(r.inertia == 1.0)
  #expect(r.converged)
  let c0 = r.labels[0]
  #expect(r.centers[c0, 0] == 0.5 && r.centers[1 - c0, 0] == 10.5)
}

@Test func sameClusteringUpToRelabelling() {
  #expect(KMeans.isSameClustering([0, 0, 1, 2], [2, 2, 0, 1], 3))
  #expect(!KMeans.isSameClustering([0, 0, 1, 2], [2, 1, 0, 1], 3))
}

@Test func openMPStaticSchedule() {
  #expect(KMeansLloydEngine.staticSchedule(5, threads: 2) == [0..<3, 3..<5])
  #expect(KMeansLloydEngine.staticSchedule(1, threads: 1) == [0..<1])
}

@Test func numpyPairwiseSum() {
  // 0.1 summed 1000 times: NumPy gives 100.00000000000001 (pairwise), a plain loop 99.9999999999986.
  #expect(KMeansNumPySum.pairwise([Double](repeating: 0.1, count: 1000)) == 100.00000000000001)
}

/// Rounding noise in the embedding (another eigensolver, another CPU's BLAS kernels) must not change the
/// clustering. On the lecture 10 effort features at k = 8 two k-means++ candidates give potentials equal to
/// 3e-16 relative, so an exact `argmin` let the last bits of the embedding choose the seeding (silhouette
/// 0.80 or 0.56); near-ties (``KMeans/nearTie``) now go to the first candidate.
@Test func roundingNoiseInTheEmbeddingDoesNotChangeTheClustering() throws {
  let doc = try SweepGoldenTests.load()
  let ds = try #require(doc.datasets.first { $0.name == "effort" })
  let raw = try SpectralPipelineGolden.readColumns(SweepGoldenTests.root.appendingPathComponent(ds.file), ds.columns)
  let x = FeatureScaling.standard.apply(raw)
  let w = Affinity.rbf(x, gamma: try #require(ds.gamma))
  let e = try SpectralEmbedding.compute(adjacency: w, dimensions: 8, eigenvalueCount: 16, solver: .dense).embedding
  func fit(_ m: Matrix) -> KMeansResult {
    var random = NumPyRandomState(seed: 0)
    random.skip(doubles: m.rows)
    return KMeans(clusters: 8, initCount: 10).fit(m, random: &random)
  }
  let reference = fit(e)
  let golden = try #require(ds.per_k.first { $0.k == 8 })
  #expect(ClusterScores.adjustedRandIndex(reference.labels, golden.labels) == 1)
  var state: UInt64 = 12345
  for trial in 0..<12 {
    // Each coordinate times (1 + δ), |δ| ≤ 4e-15: a few ulps, the size of the solvers' differences.
    var noisy = e
    for i in noisy.storage.indices {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      let delta = (Double(state >> 11) / Double(1 << 53) - 0.5) * 8e-15
      noisy.storage[i] *= 1 + delta
    }
    let r = fit(noisy)
    #expect(r.labels == reference.labels, "trial \(trial): inertia \(r.inertia) against \(reference.inertia)")
  }
}
