import Testing
@testable import LinearAlgebra

@Suite struct BLASTests {
  /// Naive `α·op(A)·op(B)`.
  static func naive(_ a: Matrix, _ b: Matrix, ta: Bool, tb: Bool, alpha: Double) -> Matrix {
    let oa = ta ? a.transposed : a, ob = tb ? b.transposed : b
    var c = Matrix(rows: oa.rows, columns: ob.columns)
    for i in 0..<oa.rows {
      for j in 0..<ob.columns {
        var s = 0.0
        for k in 0..<oa.columns { s += oa[i, k] * ob[k, j] }
        c[i, j] = alpha * s
      }
    }
    return c
  }

  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func gemmMatchesNaiveLoops(_ flags: (Bool, Bool)) {
    let (ta, tb) = flags
    // op(A) is 5 × 7, op(B) is 7 × 4.
    let a = Fixtures.random(ta ? 7 : 5, ta ? 5 : 7, seed: 1)
    let b = Fixtures.random(tb ? 4 : 7, tb ? 7 : 4, seed: 2)
    let c = BLAS.gemm(
      a, b, transposeA: ta ? .transpose : .none, transposeB: tb ? .transpose : .none, alpha: -1.5)
    let expected = Self.naive(a, b, ta: ta, tb: tb, alpha: -1.5)
    #expect(c.rows == 5 && c.columns == 4)
    #expect(Check.maxAbsDiff(c.storage, expected.storage) < 1e-13)
  }

  @Test func gemmHandlesEmptyInnerDimension() {
    let c = BLAS.gemm(Matrix(rows: 3, columns: 0), Matrix(rows: 0, columns: 2))
    #expect(c == Matrix(rows: 3, columns: 2))
  }

  @Test func gemmKnownProduct() {
    let a = Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
    let b = Matrix(rowArrays: [[7, 8], [9, 10], [11, 12]])
    #expect(BLAS.gemm(a, b) == Matrix(rowArrays: [[58, 64], [139, 154]]))
    #expect(BLAS.gemm(a, a, transposeB: .transpose) == Matrix(rowArrays: [[14, 32], [32, 77]]))
  }

  @Test func syrkIsExactlySymmetricAndEqualsGram() {
    let a = Fixtures.random(9, 4, seed: 3)
    let c = BLAS.syrk(a, alpha: 2)
    let expected = Self.naive(a, a, ta: false, tb: true, alpha: 2)
    for i in 0..<9 { for j in 0..<9 { #expect(c[i, j] == c[j, i]) } }
    #expect(Check.maxAbsDiff(c.storage, expected.storage) < 1e-13)
  }

  @Test func gemvMatchesNaive() {
    let a = Fixtures.random(6, 5, seed: 4)
    let x = [1.0, -2, 0.5, 3, -1]
    let y = BLAS.gemv(a, x)
    let expected = (0..<6).map { i in (0..<5).reduce(0.0) { $0 + a[i, $1] * x[$1] } }
    #expect(Check.maxAbsDiff(y, expected) < 1e-14)
  }
}

@Suite struct PairwiseTests {
  @Test func squaredEuclideanMatchesDirectComputation() {
    var x = Fixtures.random(40, 6, seed: 5)
    // Rows 1 and 2 duplicate row 0 (cancellation in ‖a‖² + ‖b‖² − 2aᵀb must not go negative).
    for j in 0..<6 { x[1, j] = x[0, j]; x[2, j] = x[0, j] + 1e-9 }
    let d = Pairwise.squaredEuclidean(x)
    for i in 0..<40 {
      #expect(d[i, i] == 0)
      for j in 0..<40 {
        #expect(d[i, j] >= 0)
        #expect(d[i, j] == d[j, i])
        var direct = 0.0
        for k in 0..<6 { let t = x[i, k] - x[j, k]; direct += t * t }
        if direct > 1e-6 { #expect(abs(d[i, j] - direct) <= 1e-9 * direct) }
        else { #expect(d[i, j] < 1e-12) }
      }
    }
    #expect(Pairwise.squaredEuclidean(Matrix(rowArrays: [[0, 0], [3, 4]])) == Matrix(rowArrays: [[0, 25], [25, 0]]))
  }

  @Test func crossDistancesMatchDirectComputation() {
    let x = Fixtures.random(7, 3, seed: 6), y = Fixtures.random(5, 3, seed: 7)
    let d = Pairwise.squaredEuclidean(x, y)
    #expect(d.rows == 7 && d.columns == 5)
    for i in 0..<7 {
      for j in 0..<5 {
        var direct = 0.0
        for k in 0..<3 { let t = x[i, k] - y[j, k]; direct += t * t }
        #expect(d[i, j] >= 0)
        #expect(abs(d[i, j] - direct) <= 1e-9 * max(direct, 1e-3))
      }
    }
    #expect(Pairwise.rowSquaredNorms(Matrix(rowArrays: [[3, 4], [1, 0]])) == [25, 1])
  }

  /// `x` with `offset` added to column 0, its entries first rounded to multiples of 2⁻¹² so that
  /// both copies hold exactly the same differences (1.7e12 + v is exact then).
  static func offsetPair(_ x: Matrix, offset: Double) -> (Matrix, Matrix) {
    var a = x
    for i in 0..<a.rows { a[i, 0] = (a[i, 0] * 4096).rounded() / 4096 }
    var b = a
    for i in 0..<b.rows { b[i, 0] += offset }
    return (a, b)
  }

  @Test func squaredDistancesIgnoreAnEpochMillisecondsOffset() {
    // Uncentred, ‖x‖² ≈ 2.9e24 has an ulp of 5e8: every distance between these points was noise.
    let (a, b) = Self.offsetPair(Fixtures.random(30, 3, seed: 8), offset: 1.7e12)
    let da = Pairwise.squaredEuclidean(a), db = Pairwise.squaredEuclidean(b)
    let ca = Pairwise.squaredEuclidean(a, a), cb = Pairwise.squaredEuclidean(b.selectingRows(Array(0..<7)), b)
    for i in 0..<30 {
      for j in 0..<30 {
        #expect(abs(da[i, j] - db[i, j]) <= 1e-12 * max(1, da[i, j]), "\(i), \(j)")
        if i < 7 { #expect(abs(ca[i, j] - cb[i, j]) <= 1e-12 * max(1, ca[i, j]), "\(i), \(j) (cross)") }
      }
    }
  }

  @Test func centringMakesAConstantHugeColumnExactlyZero() {
    var x = Fixtures.random(12, 2, seed: 9)
    for i in 0..<12 { x[i, 1] = 1e308 }
    #expect(Pairwise.columnCentres(x)[1] == 1e308)
    #expect(Pairwise.centered(x).column(1).allSatisfy { $0 == 0 })
    let d = Pairwise.squaredEuclidean(x)
    #expect(d.storage.allSatisfy { $0.isFinite })
    #expect(abs(d[0, 1] - (x[0, 0] - x[1, 0]) * (x[0, 0] - x[1, 0])) <= 1e-15)
    #expect(Pairwise.largestCenteredEntry(x) == nil)
  }

  @Test func largestCenteredEntryFindsOverflowingColumns() {
    var x = Fixtures.random(10, 3, seed: 10)
    #expect(Pairwise.largestCenteredEntry(x) == nil)
    for i in 0..<10 { x[i, 2] = i % 2 == 0 ? -1e300 : 1e300 }
    x[7, 2] = 1.5e300
    let e = Pairwise.largestCenteredEntry(x)
    #expect(e?.row == 7 && e?.column == 2)
    // 1e153 apart still fits (4·(1e153)² < 1.8e308); 2e154 does not.
    var y = Matrix(rowArrays: [[-1e153, 0], [1e153, 0]])
    #expect(Pairwise.largestCenteredEntry(y) == nil)
    y[1, 0] = 2e154
    #expect(Pairwise.largestCenteredEntry(y)?.column == 0)
  }
}
