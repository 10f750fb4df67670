import Foundation
import LinearAlgebra
import Testing

@testable import Clustering

/// The whole `cluster` pipeline against scikit-learn 1.9.1 (`Fixtures/golden/spectral.json`,
/// written by `Scripts/golden/spectral.py`): for every dataset and k = 2…8, the labels of
/// `SpectralClustering(n_clusters=k, affinity='precomputed', random_state=0, n_init=10)`,
/// and silhouette / Davies–Bouldin / Calinski–Harabasz on the spectral embedding.
///
/// Tolerances (issue "Foundation", §6): ARI(labels, sklearn) ≥ 0.999 for every k; silhouette
/// within 1e-6 absolute; Davies–Bouldin and Calinski–Harabasz within 1e-6 relative.
@Suite struct SweepGoldenTests {
  struct PerK: Decodable {
    let k: Int
    let labels: [Int]
    let silhouette, davies_bouldin, calinski_harabasz: Double
    let ari_truth: Double?
  }
  struct Dataset: Decodable {
    let name, file, scale, graph: String
    let columns: [String]
    let truth_column: String?
    let gamma: Double?
    let k_values: [Int]
    let eigengap_k: Int
    let eigenvalues: [Double]
    let per_k: [PerK]
  }
  struct Document: Decodable { let datasets: [Dataset] }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static func load() throws -> Document {
    let data = try Data(contentsOf: root.appendingPathComponent("Fixtures/golden/spectral.json"))
    return try JSONDecoder().decode(Document.self, from: data)
  }
  static let names = ["blobs_separated", "blobs_separated_gamma10", "blobs_overlapping", "moons", "effort", "moons_knn10", "effort_epsilon"]

  @Test func goldenCoversTheRequiredCases() throws {
    let doc = try Self.load()
    #expect(doc.datasets.map(\.name) == Self.names)
    for d in doc.datasets { #expect(d.k_values == Array(2...8)) }
  }

  @Test(arguments: names, [SpectralEigenSolver.dense, .iterative])
  func sweepMatchesScikitLearn(name: String, solver: SpectralEigenSolver) throws {
    let doc = try Self.load()
    let ds = try #require(doc.datasets.first { $0.name == name })
    let raw = try SpectralPipelineGolden.readColumns(Self.root.appendingPathComponent(ds.file), ds.columns)
    let x = try #require(FeatureScaling(rawValue: ds.scale)).apply(raw)
    let w = try GraphConstruction(parsing: ds.graph).adjacency(similarity: ds.gamma.map { Affinity.rbf(x, gamma: $0) }, features: x)
    let result = try SpectralSweep.run(adjacency: w, configuration: SweepConfiguration(ks: ds.k_values, seed: 0, solver: solver))
    #expect(result.eigengapK == ds.eigengap_k)
    #expect(result.eigenvalues.count >= 16)
    for (mine, golden) in zip(result.eigenvalues, ds.eigenvalues) { #expect(abs(mine - golden) <= 1e-8, "\(name) eigenvalues") }
    for (entry, golden) in zip(result.entries, ds.per_k) {
      #expect(entry.k == golden.k)
      let ari = ClusterScores.adjustedRandIndex(entry.labels, golden.labels)
      #expect(ari >= 0.999, "\(name) \(solver) k=\(golden.k): ARI \(ari) against scikit-learn")
      #expect(abs(entry.silhouette - golden.silhouette) <= 1e-6, "\(name) k=\(golden.k) silhouette")
      #expect(abs(entry.daviesBouldin - golden.davies_bouldin) <= 1e-6 * abs(golden.davies_bouldin), "\(name) k=\(golden.k) DB")
      #expect(abs(entry.calinskiHarabasz - golden.calinski_harabasz) <= 1e-6 * abs(golden.calinski_harabasz), "\(name) k=\(golden.k) CH")
    }
    #expect(result.entries.count == ds.per_k.count)
  }

  @Test func sweepReportsAdjustedRandIndexAgainstTruth() throws {
    let doc = try Self.load()
    let ds = try #require(doc.datasets.first { $0.name == "blobs_separated_gamma10" })
    let url = Self.root.appendingPathComponent(ds.file)
    let x = FeatureScaling.standard.apply(try SpectralPipelineGolden.readColumns(url, ds.columns))
    let truth = try SpectralPipelineGolden.readColumns(url, ["truth"]).storage.map { String(Int($0)) }
    let w = Affinity.rbf(x, gamma: ds.gamma)
    let result = try SpectralSweep.run(adjacency: w, configuration: SweepConfiguration(ks: [4], seed: 0), truth: truth)
    let golden = try #require(ds.per_k.first { $0.k == 4 }?.ari_truth)
    #expect(abs((result.entries[0].adjustedRandIndex ?? .nan) - golden) <= 1e-12)
  }
}

@Test func silhouetteSuggestionSkipsAnUndefinedFirstK() {
  func entry(_ k: Int, _ s: Double) -> SweepEntry {
    SweepEntry(k: k, labels: [], clusterSizes: [], silhouette: s, silhouetteSamples: [], daviesBouldin: .nan,
               calinskiHarabasz: .nan, inertia: 0, adjustedRandIndex: nil)
  }
  // An undefined silhouette at the first k (e.g. k-means left only one non-empty cluster) is not a suggestion,
  // and does not block the later, defined ones.
  #expect(SpectralSweep.silhouetteSuggestion([entry(2, .nan), entry(3, 0.4), entry(4, 0.6), entry(5, 0.6)]) == 4)
  #expect(SpectralSweep.silhouetteSuggestion([entry(2, 0.1), entry(3, .nan), entry(4, 0.05)]) == 2)
  #expect(SpectralSweep.silhouetteSuggestion([entry(2, .nan)]) == nil)
}
