import CohortLensCore
import LinearAlgebra
import Testing

@testable import Clustering

/// The fast paths of the cluster scores and k-means against the portable (or previous) code: bit for bit.
@Suite struct ScoresFastPathTests {
  /// Points around `clusters` centres (spread `spread`, offset `offset`), labels cycling with a stride so that
  /// clusters are interleaved in index order and of unequal sizes.
  static func data(n: Int, d: Int, clusters: Int, seed: UInt32, spread: Double = 1, offset: Double = 0)
    -> (x: Matrix, labels: [Int])
  {
    var random = NumPyRandomState(seed: seed)
    var x = Matrix(rows: n, columns: d)
    var labels = [Int](repeating: 0, count: n)
    for i in 0..<n {
      let l = (i * 7 + i / 3) % clusters
      labels[i] = l
      for j in 0..<d { x[i, j] = offset + Double(l * 2 + j % 3) + spread * random.uniform(low: -1, high: 1) }
    }
    return (x, labels)
  }

  @Test(arguments: [
    (3, 1, 2), (7, 2, 2), (8, 3, 3), (64, 5, 5), (65, 4, 3), (129, 8, 7), (1000, 5, 5), (1001, 3, 4), (2100, 6, 5),
  ])
  func silhouetteKernelEqualsSwiftLoop(n: Int, d: Int, clusters: Int) throws {
    guard ClusterScores.silhouetteKernelAvailable else { return }
    for (seed, offset) in [(UInt32(1), 0.0), (2, 1.7e12), (3, -3.5)] {
      let (x, labels) = Self.data(n: n, d: d, clusters: clusters, seed: seed, offset: offset)
      let fast = try ClusterScores.silhouetteSamples(x, labels: labels, kernel: true)
      let portable = try ClusterScores.silhouetteSamples(x, labels: labels, kernel: false)
      #expect(fast.map(\.bitPattern) == portable.map(\.bitPattern), "n \(n), d \(d), L \(clusters), seed \(seed)")
    }
  }

  @Test func silhouetteKernelEqualsSwiftLoopOnDuplicatesAndSpecialValues() throws {
    guard ClusterScores.silhouetteKernelAvailable else { return }
    // duplicate points (zero distances off the diagonal), a singleton cluster, huge and tiny magnitudes
    var rows = [[Double]]()
    for i in 0..<37 { rows.append([Double(i % 3), 0.5 * Double(i % 2)]) }
    rows.append([1e300, -1e300])
    rows.append([1e-300, 2e-300])
    let x = Matrix(rowArrays: rows)
    let labels = (0..<rows.count).map { $0 == 37 ? 9 : $0 % 4 }
    let fast = try ClusterScores.silhouetteSamples(x, labels: labels, kernel: true)
    let portable = try ClusterScores.silhouetteSamples(x, labels: labels, kernel: false)
    #expect(fast.map(\.bitPattern) == portable.map(\.bitPattern))
    var nanRows = rows
    nanRows[5][1] = .nan
    nanRows[11][0] = .infinity
    let y = Matrix(rowArrays: nanRows)
    let f2 = try ClusterScores.silhouetteSamples(y, labels: labels, kernel: true)
    let p2 = try ClusterScores.silhouetteSamples(y, labels: labels, kernel: false)
    #expect(f2.map(\.bitPattern) == p2.map(\.bitPattern))
  }
}
