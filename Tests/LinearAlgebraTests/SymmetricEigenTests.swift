import Testing
@testable import LinearAlgebra

@Suite struct SymmetricEigenTests {
  @Test func fullDecompositionHasSmallResidualsAndAscendingValues() throws {
    let a = Fixtures.randomSymmetric(60, seed: 11)
    let e = try SymmetricEigen.all(a)
    let norm = e.values.map(abs).max()!
    #expect(e.values.count == 60 && e.vectors.rows == 60 && e.vectors.columns == 60)
    #expect(zip(e.values, e.values.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(Check.maxResidual(a, e) < 1e-12 * norm)
    #expect(Check.orthonormalityError(e.vectors) < 1e-13)
    // Trace is the sum of the eigenvalues.
    let trace = (0..<60).reduce(0.0) { $0 + a[$1, $1] }
    #expect(abs(trace - e.values.reduce(0, +)) < 1e-11)
  }

  @Test func divideAndConquerFallbackSelectsTheSameRange() throws {
    let a = Fixtures.randomSymmetric(40, seed: 21)
    let r = try SymmetricEigen.syevr(a, range: 3...9, vectors: true)
    let d = try SymmetricEigen.syevdSelecting(a, range: 3...9, vectors: true)
    #expect(d.values.count == 7 && d.vectors.columns == 7)
    for (x, y) in zip(r.values, d.values) { #expect(abs(x - y) < 1e-12) }
    #expect(Check.maxResidual(a, d) < 1e-12)
    let all = try SymmetricEigen.syevdSelecting(a, range: nil, vectors: false)
    #expect(all.values.count == 40 && all.vectors.columns == 0)
  }

  @Test func highlyDegenerateSpectrum() throws {
    // The normalised affinity of 24 identical learners, D^-1/2 W D^-1/2 = (J − I)/23 as the
    // embedding computes it ((1/√23)², one ulp from 1/23): eigenvalues 1 (once) and −1/23
    // (23 times). dsyevr's inverse iteration fails (info = 1) on it for 8 or more of the highest
    // pairs (OpenBLAS 0.3.21); the divide-and-conquer fallback must answer.
    let n = 24
    let s = 1 / Double(n - 1).squareRoot()
    var a = Matrix(rows: n, columns: n)
    for i in 0..<n { for j in 0..<n where i != j { a[i, j] = s * s } }
    for count in [1, 5, 8, 10] {
      let e = try SymmetricEigen.highest(a, count: count)
      #expect(abs(e.values.last! - 1) < 1e-13)
      for v in e.values.dropLast() { #expect(abs(v + 1.0 / 23) < 1e-13) }
      #expect(Check.maxResidual(a, e) < 1e-12)
      #expect(Check.orthonormalityError(e.vectors) < 1e-12)
    }
  }

  @Test func knownSpectrum() throws {
    let e = try SymmetricEigen.all(Matrix(rowArrays: [[2, 1], [1, 2]]))
    #expect(abs(e.values[0] - 1) < 1e-15 && abs(e.values[1] - 3) < 1e-15)
    #expect(abs(abs(e.vectors[0, 1]) - 0.5.squareRoot()) < 1e-15)
    let valuesOnly = try SymmetricEigen.all(Matrix(rowArrays: [[2, 1], [1, 2]]), vectors: false)
    #expect(valuesOnly.vectors.columns == 0 && valuesOnly.values.count == 2)
  }

  @Test func lowestAndHighestAreTheEndsOfTheFullSpectrum() throws {
    let a = Fixtures.randomSymmetric(50, seed: 12)
    let full = try SymmetricEigen.all(a)
    let norm = full.values.map(abs).max()!
    let low = try SymmetricEigen.lowest(a, count: 4)
    let high = try SymmetricEigen.highest(a, count: 3)
    #expect(Check.maxAbsDiff(low.values, Array(full.values.prefix(4))) < 1e-12)
    #expect(Check.maxAbsDiff(high.values, Array(full.values.suffix(3))) < 1e-12)
    #expect(low.vectors.columns == 4 && high.vectors.columns == 3)
    #expect(Check.maxResidual(a, low) < 1e-12 * norm)
    #expect(Check.maxResidual(a, high) < 1e-12 * norm)
    #expect(Check.projectorDistance(high.vectors, full.vectors.selectingColumns([47, 48, 49])) < 1e-10)
  }
}
