import Foundation
import LinearAlgebra
import Testing

@testable import Clustering

/// The iterative route of the normalised embedding applies `D^-½·W·D^-½` implicitly; these compare it with
/// the explicitly formed operator (`implicitOperator: false`, the previous route).
@Suite struct SpectralImplicitOperatorTests {
  static func points(_ n: Int, blobs k: Int, seed: UInt64, spread: Double = 4) -> Matrix {
    var state = seed
    func uniform() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(UInt64(1) << 53)
    }
    var x = Matrix(rows: n, columns: 3)
    for i in 0..<n { for c in 0..<3 { x[i, c] = Double((i % k) * (c + 1) % 5) * spread + uniform() } }
    return x
  }

  /// `‖(I − UUᵀ)V‖` for the column spans of `u` and `v` (orthonormalised with the D-weights removed:
  /// the embedding's columns are `D^-½·x`, so `√d ∘ column` is orthonormal).
  static func spanDistance(_ u: Matrix, _ v: Matrix, sqrtDegree s: [Double]) -> Double {
    func orthonormal(_ m: Matrix) -> [[Double]] {
      var q = [[Double]]()
      for c in 0..<m.columns {
        var x = (0..<m.rows).map { m[$0, c] * s[$0] }
        for _ in 0..<2 {
          for y in q {
            let d = zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 }
            x = zip(x, y).map { $0 - d * $1 }
          }
        }
        let norm = x.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        q.append(x.map { $0 / norm })
      }
      return q
    }
    let qu = orthonormal(u)
    var worst = 0.0
    for var x in orthonormal(v) {
      for y in qu {
        let d = zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 }
        x = zip(x, y).map { $0 - d * $1 }
      }
      worst = max(worst, x.reduce(0.0) { $0 + $1 * $1 }.squareRoot())
    }
    return worst
  }

  /// Orders not multiples of 4, well separated blobs (eigenvalues within rounding of 0), nearly disconnected
  /// ones (γ large), and one learner with almost no affinity.
  @Test(arguments: [(701, 5, 0.5, false), (1013, 3, 1.0 / 3, false), (822, 4, 6.0, false), (750, 5, 0.5, true)])
  func implicitEqualsExplicit(n: Int, k: Int, gamma: Double, weak: Bool) throws {
    var w = Affinity.rbf(Self.points(n, blobs: k, seed: UInt64(n)), gamma: gamma)
    if weak { for j in 1..<n { w[0, j] *= 1e-8; w[j, 0] = w[0, j] } }
    let old = try SpectralEmbedding.compute(
      adjacency: w, dimensions: k, eigenvalueCount: 2 * k, laplacian: .normalized, solver: .iterative,
      iterativeMaxIterations: 500, implicitOperator: false)
    let new = try SpectralEmbedding.compute(
      adjacency: w, dimensions: k, eigenvalueCount: 2 * k, laplacian: .normalized, solver: .iterative,
      iterativeMaxIterations: 500)
    #expect(new.solver == .iterative && old.solver == .iterative)
    #expect(zip(old.eigenvalues, new.eigenvalues).allSatisfy { abs($0 - $1) <= 1e-12 })
    #expect(new.degrees == old.degrees && new.components == old.components && new.warnings == old.warnings)
    // The embedding's span (individual columns of eigenvalues closer than rounding are not defined).
    #expect(Self.spanDistance(old.embedding, new.embedding, sqrtDegree: old.sqrtDegree) < 1e-9)
  }

  /// After an iterative failure the dense fallback solves the operator formed from the intact `W` and `√d`:
  /// the same bits as with the explicit route.
  @Test func denseFallbackIsUnchanged() throws {
    let w = Affinity.rbf(Self.points(801, blobs: 4, seed: 3), gamma: 1)
    let old = try SpectralEmbedding.compute(
      adjacency: w, dimensions: 4, eigenvalueCount: 8, laplacian: .normalized, solver: .auto,
      iterativeMaxIterations: 1, implicitOperator: false)
    let new = try SpectralEmbedding.compute(
      adjacency: w, dimensions: 4, eigenvalueCount: 8, laplacian: .normalized, solver: .auto,
      iterativeMaxIterations: 1)
    #expect(new.solver == .dense && old.solver == .dense)
    #expect(new.eigenvalues == old.eigenvalues && new.embedding == old.embedding)
    #expect(new.warnings == old.warnings && new.warnings.count == 1)
  }

  /// The caller's matrix is not changed (copy-on-write) when it keeps a reference.
  @Test func callersMatrixIsUntouched() throws {
    let w = Affinity.rbf(Self.points(705, blobs: 3, seed: 4), gamma: 0.5)
    let before = w
    _ = try SpectralEmbedding.compute(adjacency: w, dimensions: 3, eigenvalueCount: 6, solver: .iterative)
    #expect(w == before && w[7, 7] == 1)
  }
}
