import Testing

@testable import cohortlens

/// ``ClusterSettings/distinctCount(_:below:)`` (a list of the first distinct rows, then a set) equals the plain
/// `Set<[Double]>` count on varied rows: duplicates, `-0.0` against `0.0`, NaN, counts around the list limit.
@Suite("Distinct learner count")
struct DistinctCountTests {
  /// The definition: a `Set` of the rows, stopped at `kMax`.
  static func reference(_ rows: [[Double]], below kMax: Int) -> Int? {
    var distinct = Set<[Double]>()
    for r in rows {
      distinct.insert(r)
      if distinct.count >= kMax { return nil }
    }
    return distinct.count
  }

  /// `n` rows of width `d` drawn from `pool` distinct patterns (a small linear congruential generator).
  static func rows(n: Int, d: Int, pool: Int, seed: UInt64) -> [[Double]] {
    var state = seed
    func next() -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int(state >> 33)
    }
    let values: [Double] = [0.0, -0.0, 1.5, -2.25, .nan, 1e-320, 3.0, .infinity]
    let patterns = (0..<pool).map { _ in (0..<d).map { _ in values[next() % values.count] } }
    return (0..<n).map { _ in patterns[next() % max(pool, 1)] }
  }

  @Test("equals the Set count", arguments: [0, 1, 2, 7, 16, 17, 40, 64, 1000])
  func sameAsSet(n: Int) {
    for d in [1, 2, 3, 8] {
      for pool in [1, 2, 5, 15, 16, 17, 18, 30, 200] {
        let rows = Self.rows(n: n, d: d, pool: pool, seed: UInt64(n * 1000 + d * 100 + pool))
        for kMax in [1, 2, 3, 5, 10, 16, 17, 18, 20, 50, 2000] {
          #expect(ClusterSettings.distinctCount(rows, below: kMax) == Self.reference(rows, below: kMax),
                  "n \(n) d \(d) pool \(pool) kMax \(kMax)")
        }
      }
    }
  }

  @Test("zero signs are equal, NaN rows are each distinct")
  func zeroAndNaN() {
    #expect(ClusterSettings.distinctCount([[0.0, 1], [-0.0, 1], [0.0, 1]], below: 10) == 1)
    #expect(ClusterSettings.distinctCount([[.nan], [.nan], [.nan]], below: 10) == 3)
    let many = (0..<40).map { _ in [Double.nan] }
    #expect(ClusterSettings.distinctCount(many, below: 100) == 40)
    #expect(ClusterSettings.distinctCount(many, below: 30) == nil)
  }
}
