import Foundation
import Testing
@testable import LinearAlgebra

/// ``IterativeEigen/largest(_:dividedBy:count:vectorCount:tolerance:maxIterations:seed:)`` (the operator
/// `S⁻¹·W·S⁻¹` applied implicitly) against the solver on the explicitly formed operator.
@Suite struct ScaledOperatorTests {
  /// `W` (RBF of `x`, zero diagonal) and `s = √(row sums)`; `weak`: node 0's affinities scaled by 1e-9.
  static func graph(_ x: Matrix, gamma: Double, weak: Bool = false) -> (w: Matrix, s: [Double]) {
    var w = Pairwise.squaredEuclidean(x)
    let n = x.rows
    for i in 0..<(n * n) { w.storage[i] = exp(-gamma * w.storage[i]) }
    for i in 0..<n { w[i, i] = 0 }
    if weak { for j in 1..<n { w[0, j] *= 1e-9; w[j, 0] = w[0, j] } }
    let s = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + w[i, $1] }.squareRoot() }
    return (w, s)
  }

  /// `k` identical, disconnected copies of the RBF graph of `x`: every eigenvalue of the operator has
  /// multiplicity `k` (1 is the top one, `k` times).
  static func copies(_ x: Matrix, gamma: Double, k: Int) -> (w: Matrix, s: [Double]) {
    let (block, bs) = graph(x, gamma: gamma)
    let m = x.rows, n = k * m
    var w = Matrix(rows: n, columns: n)
    for c in 0..<k { for i in 0..<m { for j in 0..<m { w[c * m + i, c * m + j] = block[i, j] } } }
    return (w, (0..<k).flatMap { _ in bs })
  }

  /// The implicit solve against the explicit one: eigenvalues within 1e-12, the vectors of the
  /// `vectorCount` top pairs with residual ≤ 1e-10·‖M‖ on the explicit `M` and the same span as the
  /// explicit vectors where a gap separates them from the rest (`spanCount`).
  static func compare(
    _ w: Matrix, _ s: [Double], count: Int, vectorCount: Int, spanCount: Int?
  ) throws -> IterativeEigen.Diagnostics {
    let m = IterativeEigen.scaledOperator(w, dividedBy: s)
    for i in 0..<w.rows { for j in 0..<w.rows { precondition(m[i, j] == (w[i, j] / s[j]) / s[i]) } }
    let (explicit, _) = try IterativeEigen.largestWithDiagnostics(m, count: count, vectorCount: vectorCount)
    let (implicit, diagnostics) = try IterativeEigen.largestWithDiagnostics(
      w, dividedBy: s, count: count, vectorCount: vectorCount)
    #expect(Check.maxAbsDiff(implicit.values, explicit.values) <= 1e-12)
    let top = Array((count - vectorCount)..<count)
    let norm = max(abs(explicit.values.last!), 1)
    let topPairs = EigenDecomposition(
      values: top.map { implicit.values[$0] }, vectors: implicit.vectors.selectingColumns(top))
    #expect(Check.maxResidual(m, topPairs) <= 1.01e-10 * norm)
    #expect(Check.orthonormalityError(implicit.vectors) < 1e-12)
    if let spanCount {
      let span = Array((count - spanCount)..<count)
      #expect(
        Check.projectorDistance(explicit.vectors.selectingColumns(span), implicit.vectors.selectingColumns(span))
          < 1e-9)
    }
    return diagnostics
  }

  /// Blobs at several orders (none a multiple of 4 or 8 except one), 10 pairs with 5 vectors as the
  /// spectral embedding asks, and all vectors.
  @Test(arguments: [(403, 3), (517, 5), (1030, 5), (777, 4)])
  func blobsMatchTheExplicitOperator(n: Int, k: Int) throws {
    let (w, s) = Self.graph(Fixtures.blobs(n: n, k: k, d: 8, seed: UInt64(n)), gamma: 1.0 / 8)
    let d = try Self.compare(w, s, count: 10, vectorCount: 5, spanCount: k)
    #expect(!d.usedDenseFallback && d.iterations > 0)
    _ = try Self.compare(w, s, count: 6, vectorCount: 6, spanCount: k)
  }

  /// γ large: the blobs nearly fall apart (a cluster of eigenvalues within rounding of 1).
  @Test func nearlyDisconnectedGraph() throws {
    let (w, s) = Self.graph(Fixtures.blobs(n: 601, k: 4, d: 2, seed: 5), gamma: 2)
    _ = try Self.compare(w, s, count: 8, vectorCount: 4, spanCount: 4)
  }

  /// One node whose affinities are 1e-9 of the others' (its √degree ≈ 3e-5 of theirs).
  @Test func weakDegree() throws {
    let (w, s) = Self.graph(Fixtures.blobs(n: 450, k: 3, d: 8, seed: 6), gamma: 1.0 / 8, weak: true)
    _ = try Self.compare(w, s, count: 10, vectorCount: 5, spanCount: nil)
  }

  /// Exactly repeated eigenvalues: three disconnected copies of one graph.
  @Test func repeatedEigenvalues() throws {
    let (w, s) = Self.copies(Fixtures.blobs(n: 155, k: 2, d: 3, seed: 8), gamma: 0.2, k: 3)
    _ = try Self.compare(w, s, count: 9, vectorCount: 6, spanCount: 6)
  }

  /// Small orders are solved densely on the formed operator: the same bits as the explicit call.
  @Test(arguments: [1, 2, 37, 100])
  func smallOrderIsTheDenseSolveOfTheFormedOperator(n: Int) throws {
    let (w, s0) = n == 1 ? (Matrix(rows: 1, columns: 1, repeating: 0.5), [1.0]) : Self.graph(Fixtures.blobs(n: n, k: 2, d: 2, seed: 3), gamma: 0.3)
    let s = s0.map { $0 == 0 ? 1 : $0 }
    let count = min(n, 4)
    let (implicit, d) = try IterativeEigen.largestWithDiagnostics(w, dividedBy: s, count: count)
    let explicit = try IterativeEigen.largest(IterativeEigen.scaledOperator(w, dividedBy: s), count: count)
    #expect(d.usedDenseFallback)
    #expect(implicit.values == explicit.values && implicit.vectors == explicit.vectors)
  }
}
