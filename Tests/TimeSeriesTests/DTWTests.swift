import CohortLensCore
import Foundation
import LinearAlgebra
import Testing

@testable import TimeSeries

/// Golden values from `Scripts/golden/dtw.py` (tslearn 0.10.0, NumPy 2.4.6).
struct DTWGolden: Decodable {
  struct MatrixCase: Decodable {
    let input: String
    let radius: Int?
    let matrix: [[Double]]
  }
  struct Flipped: Decodable {
    let ids, biweeks: [Int]
    let raw, l2, zscore: [[Double]]
    let cases: [MatrixCase]
  }
  struct PairCase: Decodable {
    let d: Int
    let radius: Int?
    let x, y: [Double]
    let xy, yx: Double
  }
  struct WorkedCase: Decodable {
    let a, b: String
    let radius: Int?
    let value: Double
  }
  struct Worked: Decodable {
    let x, y, z: [Double]
    let cases: [WorkedCase]
  }
  struct ZCase: Decodable {
    let d: Int
    let series, zscore: [[Double]]
  }
  struct ZUnequalCase: Decodable {
    let name: String
    let d: Int
    let series, zscore: [[Double]]
    let dtw_full, dtw_radius2: [[Double]]
  }
  let flipped: Flipped
  let pairs: [PairCase]
  let worked: Worked
  let zscore: [ZCase]
  let zscore_unequal: [ZUnequalCase]

  static let shared: DTWGolden = {
    let url = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/golden/dtw.json")
    do {
      return try JSONDecoder().decode(DTWGolden.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot load \(url.path): \(error) — run Scripts/golden/dtw.py")
    }
  }()
}

func radius(_ r: Int?) -> DTW.Radius { r.map { .band($0) } ?? .full }

/// Counts exact matches and checks the 1e-12 relative tolerance.
struct Agreement {
  var total = 0, exact = 0
  var worst = 0.0
  mutating func add(_ got: Double, _ want: Double) {
    total += 1
    if got.bitPattern == want.bitPattern { exact += 1 }
    let rel = want == 0 ? abs(got) : abs(got - want) / abs(want)
    worst = max(worst, rel)
  }
}

func uniformSeries(_ count: Int, length: Int, seed: UInt64) -> [[Double]] {
  var rng = SplitMix64(seed: seed)
  return (0..<count).map { _ in (0..<length).map { _ in Double(rng.next() >> 11) * 0x1.0p-53 * 2 - 1 } }
}

@Suite("DTW against tslearn 0.10.0")
struct DTWGoldenTests {
  /// The target is bit-exactness (same recurrence, sequential feature sum, no FMA); the check is ≤ 1e-12
  /// relative and every case also counts the exact matches, which must be all of them.
  @Test("worked examples of the reference note")
  func worked() {
    let g = DTWGolden.shared.worked
    let named = ["x": g.x, "y": g.y, "z": g.z]
    var agreement = Agreement()
    for c in g.cases {
      let v = DTW.distance(named[c.a]!, named[c.b]!, radius: radius(c.radius))
      agreement.add(v, c.value)
      #expect(abs(v - c.value) <= 1e-12 * abs(c.value), "\(c.a) vs \(c.b) r=\(String(describing: c.radius))")
    }
    #expect(agreement.exact == agreement.total, "exact \(agreement.exact) of \(agreement.total)")
    #expect(agreement.total == 15)
  }

  /// Bit-exactness is the target; ≤ 1e-12 relative is checked, and all matches are required to be exact.
  @Test("unequal-length pairs, univariate and 3-variate, both argument orders")
  func pairs() {
    var agreement = Agreement()
    for c in DTWGolden.shared.pairs {
      for (a, b, want) in [(c.x, c.y, c.xy), (c.y, c.x, c.yx)] {
        let v = DTW.distance(a, b, dimensions: c.d, radius: radius(c.radius))
        agreement.add(v, want)
        #expect(abs(v - want) <= 1e-12 * abs(want), "d=\(c.d) n=\(a.count / c.d) m=\(b.count / c.d)")
      }
    }
    #expect(agreement.total == 96)
    #expect(agreement.exact == agreement.total, "exact \(agreement.exact) of \(agreement.total)")
  }

  /// `cdist_dtw` on the 30 learners × 27 biweeks, raw and L2-normalised, r = 0, 1, 3, full (8 matrices of 900
  /// entries). Bit-exactness is the target; ≤ 1e-12 relative is checked and every entry must match exactly.
  @Test("pairwise on the flipped-classroom learners (cdist_dtw)")
  func flipped() {
    let g = DTWGolden.shared.flipped
    #expect(g.raw.count == 30 && g.raw.allSatisfy { $0.count == 27 })
    var agreement = Agreement()
    for c in g.cases {
      let input = c.input == "raw" ? g.raw : g.l2
      let m = DTW.pairwise(input, radius: radius(c.radius), threads: 2)
      let want = Matrix(rowArrays: c.matrix)
      #expect(m.rows == 30 && m.columns == 30)
      for (got, w) in zip(m.storage, want.storage) {
        agreement.add(got, w)
        #expect(abs(got - w) <= 1e-12 * abs(w))
      }
    }
    #expect(agreement.total == 8 * 900)
    #expect(agreement.exact == agreement.total, "exact \(agreement.exact) of \(agreement.total)")
  }

  /// L2: NumPy's `s / np.linalg.norm(s)` takes the norm with a BLAS dot product (another summation order than
  /// the sequential sum here): ≤ 1e-15 relative (measured 693 of 810 values bit-equal, worst 3e-16).
  /// z-score: tslearn `TimeSeriesScalerMeanVariance` with NumPy's summation order reproduced: every value
  /// bit-equal (810 flipped-classroom values and the 1–3-variate cases of lengths 5–300, one constant feature).
  @Test("normalisations agree with NumPy / tslearn")
  func normalisations() throws {
    let g = DTWGolden.shared.flipped
    let l2 = try SeriesNormalization.l2.apply(g.raw)
    for (got, want) in zip(l2.joined(), g.l2.joined()) { #expect(abs(got - want) <= 1e-15 * abs(want)) }
    #expect(l2.joined().count == 810)
    var agreement = Agreement()
    let z = try SeriesNormalization.zscore.apply(g.raw)
    for (got, want) in zip(z.joined(), g.zscore.joined()) { agreement.add(got, want) }
    for c in DTWGolden.shared.zscore {
      let got = try SeriesNormalization.zscore.apply(c.series, dimensions: c.d)
      #expect(got.count == c.zscore.count)
      for (a, b) in zip(got.joined(), c.zscore.joined()) { agreement.add(a, b) }
    }
    #expect(agreement.total == 810 + 3 * (5 * 2 + 27 * 3 + 100 + 300 + 150 * 2))
    #expect(agreement.exact == agreement.total, "exact \(agreement.exact) of \(agreement.total)")
    #expect(try SeriesNormalization.none.apply(g.raw) == g.raw)
  }

  /// tslearn scales the NaN-padded dataset: NumPy's nanmean/nanstd sum the padding as zeros over the longest
  /// length, which regroups the pairwise sums of the shorter series. Every z-score and every DTW distance of the
  /// scaled series must equal tslearn's bit for bit (lengths 5–300, d = 1 and 3), through the dataset API and
  /// through `SeriesSet.normalized`. Scaling each series on its own length must differ somewhere (the golden
  /// exercises the padding).
  @Test("zscore of unequal lengths: tslearn's padded dataset, bit for bit, and its DTW matrix")
  func zscoreUnequalLengths() throws {
    var agreement = Agreement(), unpadded = Agreement(), distances = Agreement()
    for c in DTWGolden.shared.zscore_unequal {
      let got = try SeriesNormalization.zscore.apply(c.series, dimensions: c.d)
      #expect(got.count == c.zscore.count)
      for (a, b) in zip(got, c.zscore) {
        #expect(a.count == b.count, "\(c.name)")
        for (x, y) in zip(a, b) { agreement.add(x, y) }
      }
      let set = SeriesSet(ids: c.series.indices.map(String.init), series: c.series, dimensions: c.d,
        features: (0..<c.d).map { "v\($0)" }, steps: [])
      #expect(try set.normalized(.zscore).series == got, "\(c.name)")
      for (i, s) in c.series.enumerated() {
        for (x, y) in zip(try SeriesNormalization.zscore.apply(s, dimensions: c.d, index: i), c.zscore[i]) { unpadded.add(x, y) }
      }
      for (r, want) in [(DTW.Radius.full, c.dtw_full), (.band(2), c.dtw_radius2)] {
        let m = DTW.pairwise(got, dimensions: c.d, radius: r)
        for i in want.indices { for j in want.indices { distances.add(m[i, j], want[i][j]) } }
      }
    }
    #expect(agreement.total == (9 + 20 + 13 + 17) + (300 + 5 + 7 + 8 + 9 + 16 + 17 + 127 + 128 + 129 + 200 + 255 + 256 + 257 + 31)
      + 3 * (12 + 40 + 7 + 25 + 33))
    #expect(agreement.exact == agreement.total, "exact \(agreement.exact) of \(agreement.total), worst \(agreement.worst)")
    #expect(unpadded.exact < unpadded.total, "scaling each series on its own length should differ in some bits")
    #expect(distances.total == 2 * (16 + 225 + 25))
    #expect(distances.exact == distances.total, "exact \(distances.exact) of \(distances.total), worst \(distances.worst)")
  }
}

@Suite("DTW properties")
struct DTWPropertyTests {
  @Test("symmetric, zero diagonal, matches distance(), for every radius")
  func pairwiseStructure() {
    let s = uniformSeries(12, length: 20, seed: 7)
    for r in [DTW.Radius.band(0), .band(1), .band(4), .full] {
      let m = DTW.pairwise(s, radius: r, threads: 1)
      for i in 0..<12 {
        #expect(m[i, i] == 0)
        for j in 0..<12 where j != i {
          #expect(m[i, j].bitPattern == m[j, i].bitPattern)
          #expect(m[i, j].bitPattern == DTW.distance(s[i], s[j], radius: r).bitPattern)
          #expect(m[i, j] > 0)
        }
      }
    }
  }

  @Test("argument order does not change a bit (unequal lengths, d = 2)")
  func argumentOrder() {
    let s = uniformSeries(6, length: 2 * 17, seed: 11)
    let t = uniformSeries(6, length: 2 * 9, seed: 12)
    for (a, b) in zip(s, t) {
      for r in [DTW.Radius.band(0), .band(3), .full] {
        #expect(DTW.distance(a, b, dimensions: 2, radius: r).bitPattern
          == DTW.distance(b, a, dimensions: 2, radius: r).bitPattern)
      }
    }
  }

  @Test("radius ≥ L − 1 equals the unconstrained DTW")
  func wideBand() {
    let s = uniformSeries(8, length: 15, seed: 3)
    let full = DTW.pairwise(s, radius: .full)
    for r in [14, 15, 100] {
      #expect(DTW.pairwise(s, radius: .band(r)).storage.map(\.bitPattern) == full.storage.map(\.bitPattern))
    }
    // Unequal lengths: the band covers the grid from r = min(n, m) − 1 on.
    let a = uniformSeries(1, length: 15, seed: 4)[0], b = uniformSeries(1, length: 9, seed: 5)[0]
    for r in [8, 14] {
      #expect(DTW.distance(a, b, radius: .band(r)).bitPattern == DTW.distance(a, b, radius: .full).bitPattern)
      #expect(DTW.bandCells(15, 9, radius: .band(r)) == 15 * 9)
    }
    #expect(DTW.bandCells(15, 9, radius: .band(7)) < 15 * 9)
  }

  @Test("radius 0 on equal lengths is the Euclidean distance")
  func euclidean() {
    let s = uniformSeries(10, length: 3 * 25, seed: 9)
    for d in [1, 3] {
      for i in 0..<10 {
        for j in 0..<10 {
          var sum = 0.0
          for t in 0..<s[i].count {
            let diff = s[i][t] - s[j][t]
            sum += diff * diff
          }
          // Each local cost is summed over features first, then along the diagonal path.
          var path = 0.0
          for t in 0..<(75 / d) {
            var c = 0.0
            for f in 0..<d {
              let diff = s[i][t * d + f] - s[j][t * d + f]
              c += diff * diff
            }
            path += c
          }
          let v = DTW.distance(s[i], s[j], dimensions: d, radius: .band(0))
          #expect(v.bitPattern == path.squareRoot().bitPattern)
          #expect(abs(v - sum.squareRoot()) <= 1e-14 * max(sum.squareRoot(), 1))
        }
      }
    }
  }

  @Test("1 and 2 threads give identical bits (200 series, unequal lengths)")
  func threads() {
    var s = uniformSeries(200, length: 30, seed: 21)
    for k in stride(from: 0, to: 200, by: 3) { s[k].removeLast(k % 11) }
    for r in [DTW.Radius.band(2), .full] {
      let one = DTW.pairwise(s, radius: r, threads: 1)
      let two = DTW.pairwise(s, radius: r, threads: 2)
      let eight = DTW.pairwise(s, radius: r, threads: 8)
      #expect(one.storage.map(\.bitPattern) == two.storage.map(\.bitPattern))
      #expect(one.storage.map(\.bitPattern) == eight.storage.map(\.bitPattern))
    }
  }

  @Test("multivariate SIMD path (d = 25, equal and unequal lengths): scalar engine's bits, any thread count")
  func multivariateSIMD() {
    var s = uniformSeries(40, length: 25 * 27, seed: 31)
    for k in stride(from: 0, to: 40, by: 7) { s[k].removeLast(25 * (k % 4)) }
    for r in [DTW.Radius.band(0), .band(6), .full] {
      let scalar = DTW.pairwiseScalar(s, dimensions: 25, radius: r, threads: 1)
      let one = DTW.pairwise(s, dimensions: 25, radius: r, threads: 1)
      let two = DTW.pairwise(s, dimensions: 25, radius: r, threads: 2)
      #expect(one.storage.map(\.bitPattern) == scalar.storage.map(\.bitPattern))
      #expect(one.storage.map(\.bitPattern) == two.storage.map(\.bitPattern))
      #expect(one[0, 1].bitPattern == DTW.distance(s[0], s[1], dimensions: 25, radius: r).bitPattern)
    }
  }

  @Test("pairwise(into:) writes every entry, the same bits as the Matrix form")
  func pairwiseInto() {
    var s = uniformSeries(30, length: 2 * 13, seed: 41)
    s[3].removeLast(4)
    let m = DTW.pairwise(s, dimensions: 2, radius: .band(3), threads: 2)
    var raw = [Double](repeating: .nan, count: 900)
    raw.withUnsafeMutableBufferPointer { DTW.pairwise(s, dimensions: 2, radius: .band(3), threads: 2, into: $0) }
    #expect(raw.map(\.bitPattern) == m.storage.map(\.bitPattern))
  }

  @Test("band cells: L(2r+1) − r(r+1) for equal lengths")
  func bandCells() {
    #expect(DTW.bandCells(27, 27, radius: .band(6)) == 309)
    #expect(DTW.bandCells(27, 27, radius: .full) == 729)
    #expect(DTW.bandCells(210, 210, radius: .band(6)) == 2688)
    #expect(DTW.bandCells(100, 100, radius: .band(10)) == 100 * 21 - 110)
    // tslearn sakoe_chiba_mask(8, 5, radius=1): 2+3+4+5+5+4+3+2.
    #expect(DTW.bandCells(8, 5, radius: .band(1)) == 28)
    #expect(DTW.bandCells(5, 8, radius: .band(1)) == 28)
  }

  @Test("edge cases: length 1, a single series, no series")
  func edges() {
    #expect(DTW.distance([2], [5], radius: .band(0)) == 3)
    #expect(DTW.distance([2], [5, 1, 2], radius: .band(0)) == (9.0 + 1 + 0).squareRoot())
    #expect(DTW.pairwise([[1, 2]], radius: .full) == Matrix(rows: 1, columns: 1))
    #expect(DTW.pairwise([], radius: .full).rows == 0)
  }
}

@Suite("Series normalisation")
struct SeriesNormalizationTests {
  @Test("l2: unit norm; an all-zero series throws naming its index")
  func l2() throws {
    let out = try SeriesNormalization.l2.apply([[3, 4], [0, -2]])
    #expect(out == [[0.6, 0.8], [0, -1]])
    #expect(throws: ZeroSeriesError(index: 2)) {
      try SeriesNormalization.l2.apply([[1, 2], [0, 1e-300], [0, 0, 0], [0]])
    }
    #expect(ZeroSeriesError(index: 2).description.contains("series 2"))
    #expect(ZeroSeriesError(index: 2).exitCode == 65)
    // Non-zero but tiny norms stay finite.
    let tiny = try SeriesNormalization.l2.apply([0, 1e-300], index: 0)
    #expect(tiny == [0, 1])
  }

  @Test("zscore: population std per feature; a constant feature becomes zeros (tslearn std 0 → 1)")
  func zscore() throws {
    let out = try SeriesNormalization.zscore.apply([1, 5, 3, 5, 5, 5], dimensions: 2, index: 0)
    // feature 0: mean 3, population std √(8/3); feature 1 constant.
    let s = (8.0 / 3).squareRoot()
    #expect(out == [-2 / s, 0, 0, 0, 2 / s, 0])
    #expect(try SeriesNormalization.zscore.apply([[0, 0, 0]]) == [[0, 0, 0]])
    #expect(try SeriesNormalization.none.apply([[0, 0]]) == [[0, 0]])
  }
}
