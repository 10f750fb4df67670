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

  /// k-means (restarts on several threads, reused buffers) against the previous sequential implementation.
  @Test(arguments: [
    (1, 1, 1, 10, 300), (2, 1, 2, 3, 300), (7, 2, 3, 10, 300), (64, 5, 5, 10, 300), (199, 3, 4, 10, 300),
    (200, 3, 4, 10, 300), (255, 2, 5, 7, 300), (257, 5, 5, 17, 300), (513, 9, 8, 10, 300), (1000, 5, 5, 10, 300),
    (1000, 5, 5, 10, 2), (1000, 4, 6, 33, 300), (2000, 3, 3, 10, 1),
  ])
  func kMeansEqualsReference(n: Int, d: Int, k: Int, initCount: Int, maxIterations: Int) {
    for seed in [UInt32(0), 7] {
      let x = Self.data(n: n, d: d, clusters: Swift.max(1, k - 1), seed: seed + 11, spread: 2.5).x
      var rNew = NumPyRandomState(seed: seed)
      rNew.skip(doubles: n)
      var rOld = rNew
      var calls = 0
      let new = KMeans(clusters: k, initCount: initCount, maxIterations: maxIterations)
        .fit(x, random: &rNew, afterEachRun: { calls += 1 })
      let old = ReferenceKMeans.fit(x, clusters: k, initCount: initCount, maxIterations: maxIterations, random: &rOld)
      let tag = "n \(n), d \(d), k \(k), n_init \(initCount), seed \(seed)"
      #expect(new.labels == old.labels, "\(tag)")
      #expect(new.centers.storage.map(\.bitPattern) == old.centers.storage.map(\.bitPattern), "\(tag)")
      #expect(new.inertia.bitPattern == old.inertia.bitPattern, "\(tag)")
      #expect(new.iterations == old.iterations && new.converged == old.converged, "\(tag)")
      #expect(rNew == rOld, "\(tag): the random state advances as before")
      #expect(calls == initCount)
    }
  }

  @Test func kMeansEqualsReferenceWithDuplicatesAndEmptyClusters() {
    // many identical points and more clusters than distinct points: empty clusters are relocated
    var rows = [[Double]]()
    for i in 0..<300 { rows.append([Double(i % 4), Double(i % 2)]) }
    for i in 0..<5 { rows.append([Double(i) * 0.001, 3]) }
    let x = Matrix(rowArrays: rows)
    for k in [3, 9, 12] {
      var rNew = NumPyRandomState(seed: 3)
      var rOld = rNew
      let new = KMeans(clusters: k).fit(x, random: &rNew)
      let old = ReferenceKMeans.fit(x, clusters: k, random: &rOld)
      #expect(new.labels == old.labels, "k \(k)")
      #expect(new.centers.storage.map(\.bitPattern) == old.centers.storage.map(\.bitPattern), "k \(k)")
      #expect(new.inertia.bitPattern == old.inertia.bitPattern && new.iterations == old.iterations, "k \(k)")
      #expect(rNew == rOld)
    }
  }

  @Test func kMeansPlusPlusSeedingEqualsReference() {
    for (n, d, k) in [(1, 1, 1), (5, 2, 3), (300, 4, 7), (1000, 5, 5)] {
      let x = Self.data(n: n, d: d, clusters: 3, seed: 5).x
      let norms = Pairwise.rowSquaredNorms(x)
      var seeding = KMeansPlusPlus(x: x, norms: norms, k: k)
      var rNew = NumPyRandomState(seed: 9)
      var rOld = rNew
      for run in 0..<4 {
        let before = rNew
        let new = seeding.centers(random: &rNew)
        let old = ReferenceKMeans.kMeansPlusPlus(x, norms: norms, k: k, random: &rOld)
        #expect(new.map(\.bitPattern) == old.map(\.bitPattern), "n \(n), k \(k), run \(run)")
        #expect(rNew == rOld)
        var skipped = before
        skipped.skip(doubles: seeding.drawsPerRun)
        #expect(skipped == rNew, "a seeding draws drawsPerRun doubles")
      }
    }
  }
}

/// The cluster scores' integer fast paths (label coding, ARI contingency table) and the shared DB/CH pass.
@Suite struct ScoresIntegerPathTests {
  static let labellings: [[Int]] = [
    [0, 1], [1, 0, 1], [5, 5, 7, 9, 7], [-3, 2, -3, 2, 0], [0, 0, 0, 1, 1, 2, 2, 2, 2, 3],
    (0..<1000).map { ($0 * 7 + $0 / 3) % 5 }, (0..<777).map { ($0 * 13) % 50 - 25 }, (0..<64).map { $0 * 1000 },
    [Int.min, 0, Int.max, 0], [Int.max - 1, Int.max, Int.max - 1], (0..<300).map { $0 % 2 == 0 ? 0 : 10_000 },
  ]

  @Test func smallRangeCodingEqualsHashedCoding() {
    for labels in Self.labellings {
      let hashed = ClusterScores.encodeHashed(labels)
      if let small = ClusterScores.encodeSmallRange(labels) {
        #expect(small == hashed, "\(labels.prefix(8))")
      } else {
        // only wide ranges fall back to hashing
        #expect(labels.max()! &- labels.min()! >= 4 * labels.count + 64 || labels.contains(Int.min))
      }
    }
    #expect(ClusterScores.encodeSmallRange([]) == nil)
  }

  @Test func integerAdjustedRandEqualsHashedPath() {
    for a in Self.labellings {
      for b in Self.labellings where b.count == a.count {
        let fast = ClusterScores.adjustedRandIndex(a, b)
        let hashed = ClusterScores.adjustedRandIndex(ClusterScores.pairCountsHashed(a, b))
        #expect(fast.bitPattern == hashed.bitPattern, "\(a.prefix(6)) vs \(b.prefix(6))")
        // the generic entry point (strings) gives the same value
        #expect(ClusterScores.adjustedRandIndex(a.map(String.init), b.map(String.init)).bitPattern == fast.bitPattern)
      }
      let shifted = a.map { ($0 &* 3) % 11 }
      let fast = ClusterScores.adjustedRandIndex(a, shifted)
      let hashed = ClusterScores.adjustedRandIndex(ClusterScores.pairCountsHashed(a, shifted))
      #expect(fast.bitPattern == hashed.bitPattern)
    }
    #expect(ClusterScores.adjustedRandIndex([Int](), []) == 1.0)
  }

  @Test(arguments: [(7, 1, 2), (64, 5, 5), (1000, 5, 5), (301, 3, 4)])
  func sharedDaviesBouldinAndCalinskiHarabaszEqualSeparateCalls(n: Int, d: Int, clusters: Int) throws {
    for offset in [0.0, 1.7e12, 1e305] {
      let (x, labels) = ScoresFastPathTests.data(n: n, d: d, clusters: clusters, seed: 4, offset: offset)
      let both = try ClusterScores.daviesBouldinAndCalinskiHarabasz(x, labels: labels)
      #expect(both.daviesBouldin.bitPattern == (try ClusterScores.daviesBouldin(x, labels: labels)).bitPattern)
      #expect(both.calinskiHarabasz.bitPattern == (try ClusterScores.calinskiHarabasz(x, labels: labels)).bitPattern)
    }
    #expect(throws: ClusterScoresError.invalidLabelCount(labels: 1, samples: 3)) {
      try ClusterScores.daviesBouldinAndCalinskiHarabasz(Matrix(rowArrays: [[0], [1], [2]]), labels: [4, 4, 4])
    }
  }
}
