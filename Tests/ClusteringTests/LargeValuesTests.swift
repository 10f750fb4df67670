import CohortLensCore
import Foundation
import LinearAlgebra
import Testing

@testable import Clustering

/// Scores, affinities, scaling and k-means on features with a huge common offset or huge magnitudes:
/// translation- and scale-invariant quantities must not change (scikit-learn's uncentred dot-product
/// distances return noise, 0 or NaN here).
@Suite struct LargeValuesTests {
  /// The golden scoring cases with column 0 rounded to multiples of 2⁻¹² (so that adding 1.7e12 is exact).
  static func snapped(_ x: Matrix) -> Matrix {
    var a = x
    for i in 0..<a.rows { a[i, 0] = (a[i, 0] * 4096).rounded() / 4096 }
    return a
  }

  static func scores(_ x: Matrix, _ labels: [Int]) throws -> (silhouette: Double, db: Double, ch: Double) {
    (try ClusterScores.silhouetteScore(x, labels: labels), try ClusterScores.daviesBouldin(x, labels: labels),
     try ClusterScores.calinskiHarabasz(x, labels: labels))
  }

  static func relative(_ a: Double, _ b: Double) -> Double { a == b ? 0 : abs(a - b) / max(abs(a), abs(b)) }

  static let cases = ["blobs8d_true", "blobs2d_singleton", "shifted_random_labels"]

  @Test(arguments: cases)
  func scoresDoNotChangeUnderAnEpochMillisecondsOffset(name: String) throws {
    let c = try #require(KMeansGolden.shared.scores.first { $0.name == name })
    let a = Self.snapped(c.matrix)
    var b = a
    for i in 0..<b.rows { b[i, 0] += 1.7e12 }
    let base = try Self.scores(a, c.labels), shifted = try Self.scores(b, c.labels)
    #expect(Self.relative(base.silhouette, shifted.silhouette) <= 1e-9, "\(name): \(base.silhouette) vs \(shifted.silhouette)")
    #expect(Self.relative(base.db, shifted.db) <= 1e-9, "\(name): \(base.db) vs \(shifted.db)")
    #expect(Self.relative(base.ch, shifted.ch) <= 1e-9, "\(name): \(base.ch) vs \(shifted.ch)")
  }

  @Test(arguments: [1e10, 1e50, 1e308])
  func aConstantColumnDoesNotChangeTheScores(value: Double) throws {
    let c = try #require(KMeansGolden.shared.scores.first { $0.name == "blobs2d_singleton" })
    let x = c.matrix
    var wide = Matrix(rows: x.rows, columns: 3)
    for i in 0..<x.rows { wide[i, 0] = x[i, 0]; wide[i, 1] = value; wide[i, 2] = x[i, 1] }
    let base = try Self.scores(x, c.labels), withColumn = try Self.scores(wide, c.labels)
    #expect(Self.relative(base.silhouette, withColumn.silhouette) <= 1e-9, "\(value): silhouette \(withColumn.silhouette)")
    #expect(Self.relative(base.db, withColumn.db) <= 1e-9, "\(value): DB \(withColumn.db)")
    #expect(Self.relative(base.ch, withColumn.ch) <= 1e-9, "\(value): CH \(withColumn.ch)")
    // and the golden values themselves
    #expect(abs(withColumn.silhouette - c.silhouette_score) <= 1e-9)
  }

  @Test func scoresOfHugeAndTinyDataEqualThoseOfTheData() throws {
    // Scaling by a power of two is exact; squared distances of x·2¹⁰⁰⁰ (≈1e302) overflow, those of
    // x·2⁻¹⁰⁰⁰ (≈1e-300) underflow.
    let c = try #require(KMeansGolden.shared.scores.first { $0.name == "blobs8d_true" })
    let base = try Self.scores(c.matrix, c.labels)
    var huge = c.matrix, tiny = c.matrix
    for i in huge.storage.indices { huge.storage[i] *= 0x1p1000; tiny.storage[i] *= 0x1p-1000 }
    let h = try Self.scores(huge, c.labels), t = try Self.scores(tiny, c.labels)
    #expect(Self.relative(base.silhouette, h.silhouette) <= 1e-12)
    #expect(Self.relative(base.db, h.db) <= 1e-12)
    #expect(Self.relative(base.ch, h.ch) <= 1e-12)
    #expect(Self.relative(base.silhouette, t.silhouette) <= 1e-12)
    #expect(Self.relative(base.ch, t.ch) <= 1e-12)
    // Davies–Bouldin keeps scikit-learn's absolute test: every distance ≤ 1e-8 in the input's units → 0.
    #expect(t.db == 0)
  }

  @Test func rbfAffinityDoesNotChangeUnderAnOffsetOrAConstantColumn() throws {
    let c = try #require(KMeansGolden.shared.scores.first { $0.name == "blobs2d_singleton" })
    let a = Self.snapped(c.matrix)
    var b = a
    for i in 0..<b.rows { b[i, 0] += 1.7e12 }
    var wide = Matrix(rows: a.rows, columns: 3)
    for i in 0..<a.rows { wide[i, 0] = a[i, 0]; wide[i, 1] = a[i, 1]; wide[i, 2] = 1e308 }
    let sa = Affinity.rbf(a, gamma: 0.5)
    #expect(maxAbsDiff(Affinity.rbf(b, gamma: 0.5).storage, sa.storage) <= 1e-12)
    #expect(maxAbsDiff(Affinity.rbf(wide, gamma: 0.5).storage, sa.storage) <= 1e-12)
  }

  @Test func squaredDistanceOverflowNamesTheColumn() {
    var x = Matrix(rows: 6, columns: 2)
    for i in 0..<6 { x[i, 0] = Double(i); x[i, 1] = i % 2 == 0 ? -1e300 : 1e300 }
    x[3, 1] = 1.2e300
    let e = FeatureScaling.squaredDistanceOverflow(x)
    #expect(e?.column == 1 && e?.row == 3)
    #expect(FeatureScaling.squaredDistanceOverflow(FeatureScaling.standard.apply(x)) == nil)
    for i in 0..<6 { x[i, 1] = 1e308 }
    #expect(FeatureScaling.squaredDistanceOverflow(x) == nil)
  }

  @Test func standardScalingOfHugeColumns() {
    // column 0: 1e308 everywhere (sum overflows); column 1: ±1e300 (variance overflows); column 2: ordinary.
    var x = Matrix(rows: 6, columns: 3)
    for i in 0..<6 { x[i, 0] = 1e308; x[i, 1] = i % 2 == 0 ? -1e300 : 1e300; x[i, 2] = Double(i * i) }
    let out = FeatureScaling.standard.apply(x)
    #expect(out.column(0).allSatisfy { $0 == 0 })
    #expect(out.column(1).enumerated().allSatisfy { i, v in abs(v - (i % 2 == 0 ? -1 : 1)) <= 1e-15 })
    let ordinary = FeatureScaling.standard.apply(Matrix(rows: 6, columns: 1, storage: x.column(2)))
    #expect(out.column(2) == ordinary.storage)
  }

  @Test func minMaxAndL2ScalingOfHugeValues() {
    let x = Matrix(rowArrays: [[-1e308, 1e300, 1e300], [1e308, 1, 1e300], [0, 2, 1e300]])
    let mm = FeatureScaling.minmax.apply(x)
    #expect(maxAbsDiff(mm.column(0), [0, 1, 0.5]) <= 1e-15)
    #expect(mm.column(2).allSatisfy { $0 == 0 })
    let l2 = FeatureScaling.l2.apply(x)
    #expect(l2.storage.allSatisfy { $0.isFinite })
    #expect(abs(l2[0, 0] + 1) <= 1e-15)
    #expect(abs(l2[2, 2] - 1) <= 1e-15)
    let r1 = l2.row(1).reduce(0) { $0 + $1 * $1 }
    #expect(abs(r1 - 1) <= 1e-15)
  }

  @Test func kMeansIgnoresAConstantHugeColumn() throws {
    let c = try #require(KMeansGolden.shared.kmeans.first)
    let x = c.matrix
    var wide = Matrix(rows: x.rows, columns: x.columns + 1)
    for i in 0..<x.rows {
      for j in 0..<x.columns { wide[i, j] = x[i, j] }
      wide[i, x.columns] = 1e308
    }
    // tolerance 0: the extra column's zero variance would otherwise lower the scaled tolerance.
    let km = KMeans(clusters: c.k, initCount: c.n_init, tolerance: 0)
    let a = km.fit(x, seed: c.seed), b = km.fit(wide, seed: c.seed)
    #expect(a.labels == b.labels)
    #expect(Self.relative(a.inertia, b.inertia) <= 1e-12)
    #expect(b.centers.column(x.columns).allSatisfy { $0 == 1e308 })
  }
}
