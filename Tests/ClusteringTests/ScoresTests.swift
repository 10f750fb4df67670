import Foundation
import LinearAlgebra
import Testing
@testable import Clustering

@Test(arguments: Array(0..<KMeansGolden.shared.scores.count))
func scoresMatchScikitLearn(index: Int) throws {
  let c = KMeansGolden.shared.scores[index]
  let x = c.matrix
  let s = try ClusterScores.silhouetteSamples(x, labels: c.labels)
  let maxDiff = zip(s, c.silhouette_samples).map { abs($0 - $1) }.max()!
  #expect(maxDiff <= 1e-9, "\(c.name): silhouette samples differ by \(maxDiff)")
  let score = try ClusterScores.silhouetteScore(x, labels: c.labels)
  #expect(abs(score - c.silhouette_score) <= 1e-9, "\(c.name)")

  let db = try ClusterScores.daviesBouldin(x, labels: c.labels)
  #expect(abs(db - c.davies_bouldin) <= 1e-9 * abs(c.davies_bouldin), "\(c.name): DB \(db) vs \(c.davies_bouldin)")
  let ch = try ClusterScores.calinskiHarabasz(x, labels: c.labels)
  #expect(abs(ch - c.calinski_harabasz) <= 1e-9 * abs(c.calinski_harabasz), "\(c.name): CH \(ch) vs \(c.calinski_harabasz)")

  // precomputed: exact Euclidean distances, diagonal 0
  var dist = Matrix(rows: x.rows, columns: x.rows)
  for i in 0..<x.rows {
    for j in 0..<x.rows where i != j {
      var s2 = 0.0
      for k in 0..<x.columns { let e = x[i, k] - x[j, k]; s2 += e * e }
      dist[i, j] = s2.squareRoot()
    }
  }
  let sp = try ClusterScores.silhouetteSamples(distances: dist, labels: c.labels)
  let maxDiffP = zip(sp, c.silhouette_precomputed).map { abs($0 - $1) }.max()!
  #expect(maxDiffP <= 1e-9, "\(c.name): precomputed silhouette differs by \(maxDiffP)")
}

@Test func singletonClusterScoresZero() throws {
  let c = KMeansGolden.shared.scores.first { $0.name == "blobs2d_singleton" }!
  let s = try ClusterScores.silhouetteSamples(c.matrix, labels: c.labels)
  #expect(s[17] == 0)
  #expect(c.silhouette_samples[17] == 0)
}

@Test func silhouetteByHand() throws {
  // Points 0, 1 | 10: for x=0, a = 1, b = 10 → s = 0.9; for x=1, a = 1, b = 9 → 8/9;
  // the singleton scores 0.
  let x = Matrix(rowArrays: [[0], [1], [10]])
  let s = try ClusterScores.silhouetteSamples(x, labels: [4, 4, 2])
  #expect(abs(s[0] - 0.9) < 1e-15)
  #expect(abs(s[1] - 8.0 / 9.0) < 1e-15)
  #expect(s[2] == 0)
}

@Test func silhouetteRejectsBadLabelCounts() {
  let x = Matrix(rowArrays: [[0], [1], [2]])
  #expect(throws: ClusterScoresError.invalidLabelCount(labels: 1, samples: 3)) {
    try ClusterScores.silhouetteSamples(x, labels: [0, 0, 0])
  }
  #expect(throws: ClusterScoresError.invalidLabelCount(labels: 3, samples: 3)) {
    try ClusterScores.calinskiHarabasz(x, labels: [0, 1, 2])
  }
  let message = ClusterScoresError.invalidLabelCount(labels: 3, samples: 3).description
  #expect(message.contains("n = 3") && message.contains("labels is 3"))
}

@Test func precomputedRejectsNonZeroDiagonal() {
  let d = Matrix(rowArrays: [[0, 1, 2], [1, 1e-3, 1], [2, 1, 0]])
  #expect(throws: ClusterScoresError.nonZeroDiagonal(index: 1, value: 1e-3)) {
    try ClusterScores.silhouetteSamples(distances: d, labels: [0, 0, 1])
  }
}

@Test func largeSilhouetteMatchesPrecomputedPath() throws {
  // Several blocks and tiles (n > 2048): the blocked GEMM path against the plain O(n²) one.
  let n = 2500, d = 3
  var x = Matrix(rows: n, columns: d)
  var labels = [Int](repeating: 0, count: n)
  for i in 0..<n {
    labels[i] = (i * 7) % 5
    for j in 0..<d { x[i, j] = Double(labels[i] * 3) + sin(Double(i * (j + 1)) * 0.37) }
  }
  let s = try ClusterScores.silhouetteSamples(x, labels: labels)
  let dist = Matrix(rows: n, columns: n, storage: Pairwise.squaredEuclidean(x).storage.map { $0.squareRoot() })
  let p = try ClusterScores.silhouetteSamples(distances: dist, labels: labels)
  let maxDiff = zip(s, p).map { abs($0 - $1) }.max()!
  #expect(maxDiff < 1e-12)
}

@Test(arguments: Array(0..<KMeansGolden.shared.ari.count))
func adjustedRandMatchesScikitLearn(index: Int) {
  let c = KMeansGolden.shared.ari[index]
  let v = ClusterScores.adjustedRandIndex(c.a, c.b)
  #expect(abs(v - c.ari) <= 1e-12, "case \(index): \(v) vs \(c.ari)")
}

@Test func adjustedRandSpecialCases() {
  #expect(ClusterScores.adjustedRandIndex(["a", "a", "a"], ["x", "x", "x"]) == 1.0)
  #expect(ClusterScores.adjustedRandIndex([1, 2, 3, 4], [9, 8, 7, 6]) == 1.0)
  #expect(ClusterScores.adjustedRandIndex([Int](), []) == 1.0)
  #expect(ClusterScores.adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5)
}

@Test func calinskiHarabaszAndDaviesBouldinByHand() throws {
  // Clusters {0, 2} and {10, 12}: μ = 6, B = 2·25 + 2·25 = 100, W = 4·1 = 4,
  // CH = (100/1)/(4/2) = 50; DB: s = 1 each, centroid distance 10 → 0.2.
  let x = Matrix(rowArrays: [[0], [2], [10], [12]])
  #expect(try ClusterScores.calinskiHarabasz(x, labels: [0, 0, 1, 1]) == 50)
  #expect(abs(try ClusterScores.daviesBouldin(x, labels: [0, 0, 1, 1]) - 0.2) < 1e-15)
  // identical points in each cluster: W = 0 → 1.0; every s_i = 0 → DB 0
  let y = Matrix(rowArrays: [[1], [1], [5], [5], [5]])
  #expect(try ClusterScores.calinskiHarabasz(y, labels: [0, 0, 1, 1, 1]) == 1.0)
  #expect(try ClusterScores.daviesBouldin(y, labels: [0, 0, 1, 1, 1]) == 0)
}
