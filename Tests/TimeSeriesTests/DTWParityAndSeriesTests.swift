import CohortLensCore
import Foundation
import LinearAlgebra
import Testing

@testable import TimeSeries

/// `Fixtures/golden/dtw_lecture11.json` (Scripts/golden/dtw_lecture11.py): tslearn and dtaidistance matrices.
struct Lecture11Golden: Decodable {
  struct MatrixCase: Decodable {
    let radius: Int?
    let tslearn: [[Double]]
    let dtaidistance_window: Int?
    let dtaidistance: [[Double]]
  }
  struct Dataset: Decodable {
    let name: String
    let d: Int
    let ids: [String]
    let series: [[Double]]
    let cases: [MatrixCase]
  }
  let matrices: [Dataset]

  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let shared: Lecture11Golden = {
    let url = root.appendingPathComponent("Fixtures/golden/dtw_lecture11.json")
    do {
      return try JSONDecoder().decode(Lecture11Golden.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot load \(url.path): \(error) — run Scripts/golden/dtw_lecture11.py")
    }
  }()
}

@Suite("DTW parity at radius 0, 1, 6, full (tslearn cdist_dtw, dtaidistance window = r + 1)")
struct DTWRadiusParityTests {
  static let names = ["hours_l2", "unequal", "multi3", "fc11"]

  /// max |Δ| ≤ 1e-12 against tslearn (absolute, as the issue states) and against dtaidistance at window = r + 1;
  /// the engine is bit-exact in practice, so the count of exact matches is also required to be all entries.
  @Test(arguments: names)
  func matrices(name: String) throws {
    let ds = try #require(Lecture11Golden.shared.matrices.first { $0.name == name })
    #expect(ds.cases.map(\.radius) == [0, 1, 6, nil])
    for c in ds.cases {
      #expect(c.dtaidistance_window == c.radius.map { $0 + 1 })
      for threads in [1, 2] {
        let m = DTW.pairwise(ds.series, dimensions: ds.d, radius: radius(c.radius), threads: threads)
        var worst = 0.0, exact = 0
        for i in 0..<m.rows {
          for j in 0..<m.columns {
            worst = max(worst, abs(m[i, j] - c.tslearn[i][j]), abs(m[i, j] - c.dtaidistance[i][j]))
            if m[i, j].bitPattern == c.tslearn[i][j].bitPattern { exact += 1 }
          }
        }
        #expect(m.rows == ds.series.count)
        #expect(worst <= 1e-12, "\(name) r=\(String(describing: c.radius)): max |Δ| \(worst)")
        #expect(exact == m.rows * m.columns, "\(name) r=\(String(describing: c.radius)): \(exact) exact")
      }
    }
  }

  @Test func unequalCaseHasUnequalLengths() {
    let ds = Lecture11Golden.shared.matrices.first { $0.name == "unequal" }!
    #expect(Set(ds.series.map(\.count)).count > 5)
  }

  /// The fc11 series of the golden were built with pandas from time_series_fc.csv; the long-format reader must
  /// give the same values, in the same order (ids ascending numerically as in the golden, weeks by time).
  @Test func longFormatReaderMatchesPandasOnFlippedClassroom() throws {
    let ds = try #require(Lecture11Golden.shared.matrices.first { $0.name == "fc11" })
    let table = try Table.read(path: Lecture11Golden.root.appendingPathComponent("Fixtures/flipped-classroom/time_series_fc.csv").path)
    let features = ["sessions", "time_in_problem", "time_in_video", "lecture_delay", "content_anticipation",
      "mean_playback_speed", "relative_video_pause", "submissions", "submissions_correct", "clicks_weekend", "clicks_weekday"]
    let set = try SeriesTable.long(table, id: "user", time: "week", values: features)
    #expect(set.ids.count == 288)
    #expect(set.dimensions == 11)
    #expect(set.steps == (0..<10).map(String.init))
    for (id, want) in zip(ds.ids, ds.series) {
      let i = try #require(set.ids.firstIndex(of: id))
      #expect(set.series[i] == want, "user \(id)")
    }
  }
}

@Suite("DTW k nearest neighbours")
struct DTWNeighborTests {
  /// Brute force: row i of the full matrix sorted by (distance, index), diagonal excluded.
  func bruteForce(_ m: Matrix, k: Int) -> [[Int]] {
    (0..<m.rows).map { i in
      Array((0..<m.rows).filter { $0 != i }.sorted { (m[i, $0], $0) < (m[i, $1], $1) }.prefix(k))
    }
  }

  @Test(arguments: ["hours_l2", "unequal", "multi3", "fc11"])
  func equalsBruteForce(name: String) throws {
    let ds = try #require(Lecture11Golden.shared.matrices.first { $0.name == name })
    for r in [DTW.Radius.band(0), .band(1), .band(6), .full] {
      let m = DTW.pairwise(ds.series, dimensions: ds.d, radius: r)
      for k in [1, 3, ds.series.count - 1] {
        let nn = DTW.nearestNeighbors(ds.series, dimensions: ds.d, radius: r, k: k, threads: 2)
        #expect(nn.indices == bruteForce(m, k: k), "\(name) \(r) k=\(k)")
        for i in 0..<m.rows {
          for (rank, j) in nn.indices[i].enumerated() {
            #expect(nn.distances[i][rank].bitPattern == m[i, j].bitPattern)
          }
        }
      }
    }
  }

  /// Ties: duplicated series give exactly equal distances; they are kept in index order, never pruned.
  /// Radius 0 on L2-normalised data is the tie case where dtaidistance's pruning returns inf.
  @Test func tiesAreNeverPruned() {
    var series = uniformSeries(40, length: 27, seed: 99)
    for i in 0..<10 { series.append(series[i]) }
    series.append(series[0])
    series = series.map { s in
      let n = s.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return s.map { $0 / n }
    }
    for r in [DTW.Radius.band(0), .band(2)] {
      let m = DTW.pairwise(series, radius: r)
      let nn = DTW.nearestNeighbors(series, radius: r, k: 4, threads: 1)
      #expect(nn.indices == bruteForce(m, k: 4))
      #expect(nn.indices[0].prefix(2) == [40, 50])
      #expect(nn.distances[0][0] == 0 && nn.distances[0][1] == 0)
      #expect(nn.distances.joined().allSatisfy { $0.isFinite })
    }
  }

  @Test func pruningActuallyPrunesAndThreadCountDoesNotMatter() {
    let series = uniformSeries(300, length: 27, seed: 5).map { s in
      var acc = 0.0
      return s.map { acc += $0; return acc }
    }
    let one = DTW.nearestNeighbors(series, radius: .band(6), k: 5, threads: 1)
    let two = DTW.nearestNeighbors(series, radius: .band(6), k: 5, threads: 2)
    #expect(one.indices == two.indices)
    #expect(one.distances == two.distances)
    // Every unordered pair is decided once; most are pruned by a lower bound.
    #expect(one.prunedByKim + one.prunedByKeogh + one.abandoned + one.computed == 300 * 299 / 2)
    #expect(two.prunedByKim + two.prunedByKeogh + two.abandoned + two.computed == 300 * 299 / 2)
    #expect(one.prunedByKim + one.prunedByKeogh > 300 * 299 / 4)
    let m = DTW.pairwise(series, radius: .band(6))
    #expect(one.indices == bruteForce(m, k: 5))
  }
}

extension DTWNeighborTests {
  /// Multivariate and unequal lengths through the k-NN engine: the brute-force answer for 1, 2 and 3 workers.
  @Test func multivariateUnequalThreads() {
    var series = uniformSeries(120, length: 3 * 20, seed: 17).map { s in
      var acc = 0.0
      return s.map { acc += $0; return acc }
    }
    for k in stride(from: 0, to: 120, by: 9) { series[k].removeLast(3 * (k % 5)) }
    let m = DTW.pairwise(series, dimensions: 3, radius: .band(2))
    let expected = bruteForce(m, k: 6)
    for threads in [1, 2, 3] {
      let nn = DTW.nearestNeighbors(series, dimensions: 3, radius: .band(2), k: 6, threads: threads)
      #expect(nn.indices == expected, "threads \(threads)")
      #expect(nn.prunedByKim + nn.prunedByKeogh + nn.abandoned + nn.computed == 120 * 119 / 2)
      for i in 0..<120 {
        for (rank, j) in nn.indices[i].enumerated() { #expect(nn.distances[i][rank].bitPattern == m[i, j].bitPattern) }
      }
    }
  }
}

@Suite("Series input (long and wide)")
struct SeriesTableTests {
  func table(_ text: String) throws -> Table { try Table.parse(bytes: Array(text.utf8), name: "s.csv") }

  @Test func longOrdersByTimeAndAllowsUnequalLengths() throws {
    let t = try table("id,t,v\na,2,3\na,0,1\nb,0,5\na,1,2\nb,1,6\n")
    let s = try SeriesTable.long(t, id: "id", time: "t", values: ["v"])
    #expect(s.ids == ["a", "b"])
    #expect(s.series == [[1, 2, 3], [5, 6]])
    #expect(s.steps == ["0", "1", "2"])
  }

  @Test func integerTimesBeyondDoublePrecisionStayDistinct() throws {
    // Epoch nanoseconds: 1e17 + 0, 1, 2 share one Double, so they must be compared as integers.
    let t = try table("id,t,v\na,100000000000000002,3\na,100000000000000000,1\na,100000000000000001,2\nb,100000000000000000,5\n")
    let s = try SeriesTable.long(t, id: "id", time: "t", values: ["v"])
    #expect(s.steps == ["100000000000000000", "100000000000000001", "100000000000000002"])
    #expect(s.series == [[1, 2, 3], [5]])
    // A real duplicate is still one.
    let d = try table("id,t,v\na,100000000000000001,1\na,100000000000000001,2\n")
    #expect(throws: InputError.self) { try SeriesTable.long(d, id: "id", time: "t", values: ["v"]) }
    // Mixed spellings of one number (1 and 1.0) are still one step.
    let m = try table("id,t,v\na,1,1\nb,1.0,2\na,2,3\n")
    let ms = try SeriesTable.long(m, id: "id", time: "t", values: ["v"])
    #expect(ms.steps == ["1", "2"])
  }

  @Test func longMultivariateAndISODates() throws {
    let t = try table("id,day,x,y\na,2024-01-03,3,30\na,2024-01-01,1,10\na,2023-12-31,0,0\nb,2024-01-01,7,70\nb,2023-12-31,6,60\n")
    let s = try SeriesTable.long(t, id: "id", time: "day", values: ["x", "y"])
    #expect(s.dimensions == 2)
    #expect(s.steps == ["2023-12-31", "2024-01-01", "2024-01-03"])
    #expect(s.series == [[0, 0, 1, 10, 3, 30], [6, 60, 7, 70]])
    #expect(SeriesTable.isoDateKey("1970-01-02") == 86_400)
    #expect(SeriesTable.isoDateKey("2024-02-30") == nil)
    #expect(SeriesTable.isoDateKey("2024-01-01T01:00:30Z") == SeriesTable.isoDateKey("2024-01-01")! + 3630)
  }

  /// ISO time stamps compare exactly, however fine their fraction: `.00000001` and `.00000002` are two steps (as
  /// Doubles of epoch seconds, ulp 2.4e-7 s, they were one: a false duplicate for one learner, a silent merge
  /// across learners); `.5` and `.50` are one; a leap second `:60` lies between `:59.9` and the next minute.
  @Test func isoTimeStampsWithFineFractionsStayDistinct() throws {
    let same = try table("id,t,v\na,2024-01-01T00:00:00.00000001Z,1\na,2024-01-01T00:00:00.00000002Z,2\n")
    let s = try SeriesTable.long(same, id: "id", time: "t", values: ["v"])
    #expect(s.steps == ["2024-01-01T00:00:00.00000001Z", "2024-01-01T00:00:00.00000002Z"])
    #expect(s.series == [[1, 2]])
    // Across learners: three steps, so learner a has a gap at b's step.
    let apart = try table("id,t,v\na,2024-01-01T00:00:00.00000001Z,1\nb,2024-01-01T00:00:00.00000002Z,2\na,2024-01-01T00:00:01Z,1\nb,2024-01-01T00:00:01Z,5\n")
    #expect(throws: InputError.self) { try SeriesTable.long(apart, id: "id", time: "t", values: ["v"]) }
    #expect(try SeriesTable.long(apart, id: "id", time: "t", values: ["v"], fill: .zero).steps.count == 3)
    // Order by digits, not by their Double: 0.1 < 0.10000000000000001 < 0.2 (a sub-nanosecond apart).
    let order = try table("id,t,v\na,2024-01-01 00:00:00.2,3\na,2024-01-01 00:00:00.10000000000000001,2\na,2024-01-01 00:00:00.1,1\n")
    #expect(try SeriesTable.long(order, id: "id", time: "t", values: ["v"]).series == [[1, 2, 3]])
    // One instant written two ways is one step; a leap second sorts between :59.9 and the next minute.
    let spellings = try table("id,t,v\na,2016-12-31T23:59:59.5,1\nb,2016-12-31T23:59:59.50Z,2\n")
    #expect(try SeriesTable.long(spellings, id: "id", time: "t", values: ["v"]).steps == ["2016-12-31T23:59:59.5"])
    let leap = try table("id,t,v\na,2017-01-01T00:00:00Z,3\na,2016-12-31T23:59:60Z,2\na,2016-12-31T23:59:59.9Z,1\n")
    #expect(try SeriesTable.long(leap, id: "id", time: "t", values: ["v"]).series == [[1, 2, 3]])
  }

  @Test func interiorGapIsALocatedErrorUnlessFilled() throws {
    let t = try table("id,t,v\na,0,1\na,2,3\nb,0,5\nb,1,6\nb,2,7\n")
    do {
      _ = try SeriesTable.long(t, id: "id", time: "t", values: ["v"])
      Issue.record("expected a gap error")
    } catch let e as InputError {
      #expect(e.description.contains("learner 'a' has a gap at time '1'"))
      #expect(e.line == 2)
    }
    #expect(try SeriesTable.long(t, id: "id", time: "t", values: ["v"], fill: .zero).series[0] == [1, 0, 3])
    #expect(try SeriesTable.long(t, id: "id", time: "t", values: ["v"], fill: .previous).series[0] == [1, 1, 3])
    let missing = try table("id,t,v\na,0,1\na,1,\na,2,3\n")
    #expect(throws: InputError.self) { try SeriesTable.long(missing, id: "id", time: "t", values: ["v"]) }
    let trailing = try table("id,t,v\na,0,1\na,1,2\na,2,\nb,0,1\nb,1,1\nb,2,1\n")
    #expect(try SeriesTable.long(trailing, id: "id", time: "t", values: ["v"]).series[0] == [1, 2])
  }

  @Test func duplicateTimeNamesBothLines() throws {
    let t = try table("id,t,v\na,0,1\na,1,2\nb,0,1\na,1,9\n")
    do {
      _ = try SeriesTable.long(t, id: "id", time: "t", values: ["v"])
      Issue.record("expected a duplicate error")
    } catch let e as InputError {
      #expect(e.description.contains("two rows for time '1' (lines 3 and 5)"))
      #expect(e.line == 5)
    }
  }

  @Test func badValuesAndTimes() throws {
    let t = try table("id,t,v\na,0,1\na,1,x\n")
    do {
      _ = try SeriesTable.long(t, id: "id", time: "t", values: ["v"])
      Issue.record("expected an error")
    } catch let e as InputError {
      #expect(e.line == 3 && e.column == 5)
      #expect(e.description.contains("'x' is not a number"))
    }
    let badTime = try table("id,t,v\na,0,1\na,soon,2\n")
    #expect(throws: InputError.self) { try SeriesTable.long(badTime, id: "id", time: "t", values: ["v"]) }
    let empty = try table("id,t,v\na,0,\na,1,\nb,0,1\n")
    do {
      _ = try SeriesTable.long(empty, id: "id", time: "t", values: ["v"])
      Issue.record("expected an empty-series error")
    } catch let e as InputError {
      #expect(e.description.contains("learner 'a' has no value"))
    }
    #expect(throws: InputError.self) { try SeriesTable.long(t, id: "id", time: "t", values: ["value"]) }
  }

  @Test func wideFormat() throws {
    let t = try table("id,w1,w2,w3\na,1,2,3\nb,4,5,\nc,7,,9\n")
    #expect(throws: InputError.self) { try SeriesTable.wide(t, id: "id", columns: ["w1", "w2", "w3"]) }
    let s = try SeriesTable.wide(t, id: "id", columns: ["w1", "w2", "w3"], fill: .previous)
    #expect(s.series == [[1, 2, 3], [4, 5], [7, 7, 9]])
    #expect(s.filledCells == 1)
    #expect(s.steps == ["w1", "w2", "w3"])
  }

  @Test func zeroSeriesAreListedOrKept() throws {
    let set = SeriesSet(ids: ["a", "b", "c"], series: [[0, 0], [1, 1], [0, 0]], dimensions: 1, features: ["v"], steps: ["0", "1"])
    do {
      _ = try set.normalized(.l2)
      Issue.record("expected ZeroSeriesListError")
    } catch let e as ZeroSeriesListError {
      #expect(e.ids == ["a", "c"])
      #expect(e.description.contains("'a', 'c'"))
    }
    let kept = try set.normalized(.l2, keepZero: true)
    #expect(kept.series == [[0, 0], [1 / 2.0.squareRoot(), 1 / 2.0.squareRoot()], [0, 0]])
    #expect(try set.normalized(.zscore).series[0] == [0, 0])
  }

  /// Values near the largest Double overflow the z-score's sum (tslearn returns inf/NaN there); the
  /// feature is standardised on values scaled by a power of two instead, with the same z-scores as a
  /// well-scaled copy of the series. (Found by the series fuzzer.)
  @Test func zscoreOfExtremeValuesStaysFinite() throws {
    let set = SeriesSet(ids: ["a", "b"], series: [[1e308, 1e308, -1e308], [1e308, -1e308, 1.7e308]],
                        dimensions: 1, features: ["v"], steps: ["1", "2", "3"])
    let z = try set.normalized(.zscore).series
    #expect(z[0].allSatisfy { $0.isFinite } && z[1].allSatisfy { $0.isFinite })
    let small = SeriesSet(ids: ["a", "b"], series: [[1, 1, -1], [1, -1, 1.7]],
                          dimensions: 1, features: ["v"], steps: ["1", "2", "3"])
    let reference = try small.normalized(.zscore).series
    for (u, v) in zip(z.joined(), reference.joined()) { #expect(abs(u - v) <= 1e-15) }
  }

  /// A constant feature near the largest Double: its rescaled sum rounds (27 × 1.7e308 / 2¹⁰²³ averages to
  /// one ulp off), which without the clamp left ±1-sized z-scores of rounding noise instead of zeros.
  @Test func zscoreOfAConstantHugeSeriesIsZero() throws {
    for (value, length) in [(1.7e308, 27), (1.7e308, 7), (1.6e308, 9), (1.1e308, 11)] {
      let set = SeriesSet(ids: ["a", "b"], series: [[Double](repeating: value, count: length), [Double](repeating: 1, count: length)],
                          dimensions: 1, features: ["v"], steps: (0..<length).map(String.init))
      let z = try set.normalized(.zscore).series
      #expect(z[0].allSatisfy { $0 == 0 }, "\(value) × \(length): \(z[0].prefix(3))")
    }
  }
}

@Suite("SIMD engine equals the scalar kernel")
struct DTWEngineTests {
  /// Mixed lengths (groups of 1..33 series: a last block of 1 lane — the 4-lane tail pass — and of 6 lanes after
  /// an odd number of full blocks — the 8-lane leftover pass —, rows starting in either half of a block), d = 1,
  /// 3 and 25 (from 16 features on the two blocks of a 16-lane call run one after the other), every radius kind:
  /// the SIMD engine's matrix equals the scalar engine's bit for bit, for 1, 2 and 3 threads.
  @Test(arguments: [1, 3, 25])
  func engineMatchesScalar(d: Int) {
    var rng = SplitMix64(seed: UInt64(40 + d))
    var series: [[Double]] = []
    for (count, length) in [(13, 27), (1, 5), (8, 9), (20, 27), (3, 1), (9, 30), (22, 12)] {
      for _ in 0..<count {
        series.append((0..<(length * d)).map { _ in Double(rng.next() >> 11) * 0x1.0p-53 * 4 - 2 })
      }
    }
    for k in stride(from: series.count - 1, to: 0, by: -1) { series.swapAt(k, Int(rng.next() % UInt64(k + 1))) }
    for r in [DTW.Radius.band(0), .band(1), .band(6), .full] {
      let scalar = DTW.pairwiseScalar(series, dimensions: d, radius: r, threads: 1)
      for t in [1, 2, 3] {
        let simd = DTW.pairwise(series, dimensions: d, radius: r, threads: t)
        #expect(simd.storage.map(\.bitPattern) == scalar.storage.map(\.bitPattern), "d=\(d) \(r) threads=\(t)")
      }
    }
  }
}

@Suite("z-scores of constant features")
struct ZScoreConstantFeatureTests {
  /// A constant feature whose NumPy mean rounds is z-scored to zeros (std 0). tslearn's
  /// `TimeSeriesScalerMeanVariance` returns ±1 at every step there (its std is the rounding error of the mean):
  /// 0.1 × 3 → −1, 0.1 × 27 → −1, 0.3 × 10 → 1, 0.7 × 7 → −1, 1.1 × 13 → 1 (tslearn 0.10.0, NumPy 2.4.6), and so
  /// did CohortLens before the fix.
  @Test func constantFeatureWithRoundedMeanIsZero() throws {
    for (value, length) in [(0.1, 3), (0.1, 27), (0.3, 10), (0.7, 7), (1.1, 13)] {
      let z = try SeriesNormalization.zscore.apply([Double](repeating: value, count: length))
      #expect(z == [Double](repeating: 0, count: length), "\(value) × \(length): \(z.prefix(3))")
    }
    // Multivariate (sequential sums): [0.1, t] for t = 0…6 — tslearn gives 1 for the constant feature.
    let steps = (0..<7).flatMap { [0.1, Double($0)] }
    let z = try SeriesNormalization.zscore.apply(steps, dimensions: 2)
    #expect(stride(from: 0, to: 14, by: 2).allSatisfy { z[$0] == 0 })
    #expect(abs(z[1] + 1.5) < 1e-15 && abs(z[13] - 1.5) < 1e-15)
    // In an unequal-length set (tslearn's padded sums): 0.3 × 7 next to a series of 10 steps — tslearn gives 1
    // at every step, so √7 ≈ 2.6458 to a constant series; here zeros, and DTW 0.
    let set = SeriesSet(ids: ["a", "b"], series: [[Double](repeating: 0.3, count: 7), [Double](repeating: 5, count: 10)],
                        dimensions: 1, features: ["v"], steps: (0..<10).map(String.init))
    let normalized = try set.normalized(.zscore)
    #expect(normalized.series[0] == [Double](repeating: 0, count: 7))
    #expect(DTW.distance(normalized.series[0], normalized.series[1], radius: .full) == 0)
  }

  /// The cases where tslearn gives ±1 are the ones flagged as deliberate differences; a constant feature
  /// whose mean is exact (tslearn: zeros too) and the other normalisations are not.
  @Test func differencesFromTSLearnAreFlagged() {
    for (value, length) in [(0.1, 3), (0.1, 27), (0.3, 10), (0.7, 7), (1.1, 13)] {
      #expect(SeriesNormalization.zscore.differsFromTSLearnOnConstantFeature([Double](repeating: value, count: length)))
      #expect(!SeriesNormalization.l2.differsFromTSLearnOnConstantFeature([Double](repeating: value, count: length)))
    }
    for (value, length) in [(2.0, 27), (0.5, 10), (0.0, 5), (0.1, 1)] {
      #expect(!SeriesNormalization.zscore.differsFromTSLearnOnConstantFeature([Double](repeating: value, count: length)))
    }
    #expect(!SeriesNormalization.zscore.differsFromTSLearnOnConstantFeature([0.3, 0.3, 0.3, 0.30000000000000004]))
    #expect(SeriesNormalization.zscore.differsFromTSLearnOnConstantFeature((0..<7).flatMap { [0.1, Double($0)] }, dimensions: 2))
    // 0.3 × 7 padded to 10 steps rounds (tslearn: 1); unpadded, 0.3 × 7 averages exactly.
    let set = SeriesSet(ids: ["a", "b"], series: [[Double](repeating: 0.3, count: 7), [Double](repeating: 5, count: 10)],
                        dimensions: 1, features: ["v"], steps: (0..<10).map(String.init))
    #expect(set.tslearnDifferences(.zscore) == ["a"])
    #expect(set.tslearnDifferences(.l2).isEmpty)
  }

  /// A feature that is not constant keeps tslearn's value even when its spread is a rounding error's size
  /// (tslearn: [0, 0, 0, 2] for [0.3, 0.3, 0.3, 0.30000000000000004]).
  @Test func nearlyConstantFeatureIsStandardised() throws {
    let z = try SeriesNormalization.zscore.apply([0.3, 0.3, 0.3, 0.30000000000000004])
    #expect(z == [0, 0, 0, 2])
  }
}

@Suite("l2 of tiny series")
struct L2TinySeriesTests {
  /// [3e-162, 1e-162]: the squares are subnormal (9e-324 rounds to 2 × 2⁻¹⁰⁷⁴), so NumPy's norm is 2.8 % off and
  /// `x/np.linalg.norm(x)` = [0.9544, 0.3181] has norm 1.006 (as CohortLens had before the fix). Rescaled by
  /// the largest |value| first, the result is the unit vector [3, 1]/√10; an ordinary series keeps NumPy's
  /// division by √(xᵀx) bit for bit.
  @Test func subnormalSquaresAreRescaled() throws {
    let x = try SeriesNormalization.l2.apply([3e-162, 1e-162])
    let want = [3 / 10.0.squareRoot(), 1 / 10.0.squareRoot()]
    #expect(abs(x[0] - want[0]) <= 1e-16 && abs(x[1] - want[1]) <= 1e-16, "\(x)")
    let tiny = try SeriesNormalization.l2.apply([1e-150, -2e-150, 2e-150])
    #expect(abs(tiny[0] - 1.0 / 3) <= 1e-16 && abs(tiny[1] + 2.0 / 3) <= 1e-16)
    let ordinary = [0.5, -1.25, 3.0]
    let norm = (0.5 * 0.5 + 1.25 * 1.25 + 3.0 * 3.0).squareRoot()
    #expect(try SeriesNormalization.l2.apply(ordinary) == ordinary.map { $0 / norm })
  }
}
