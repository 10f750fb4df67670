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
