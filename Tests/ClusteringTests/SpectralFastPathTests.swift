import Foundation
import LinearAlgebra
import Testing

@testable import Clustering

/// The vectorised / in-place O(n²) steps against their plain scalar formulas (bit for bit).
@Suite struct SpectralFastPathTests {
  static func randomMatrix(_ n: Int, seed: UInt64, symmetric: Bool) -> Matrix {
    var rng = SplitMix(seed: seed)
    var m = Matrix(rows: n, columns: n)
    for i in 0..<n {
      for j in 0..<n { m[i, j] = Double(rng.next() >> 11) / Double(1 << 53) }
    }
    if symmetric { for i in 0..<n { for j in 0..<i { m[i, j] = m[j, i] } } }
    return m
  }

  @Test(arguments: [1, 7, 64, 257, 1031])
  func degreesAreRowOrderColumnSums(n: Int) throws {
    let w = Self.randomMatrix(n, seed: UInt64(n), symmetric: false)
    var ref = [Double](repeating: 0, count: n)
    for i in 0..<n { for j in 0..<n { ref[j] += j == i ? 0 : w[i, j] } }
    #expect(try GraphLaplacian.degrees(of: w) == ref)
  }

  @Test func degreesRejectNonFiniteAnywhere() {
    for (i, j) in [(0, 0), (3, 5), (20, 19)] {
      var w = Self.randomMatrix(21, seed: 9, symmetric: true)
      w[i, j] = .nan
      #expect(throws: SpectralError.self) { try GraphLaplacian.degrees(of: w) }
      w[i, j] = -.infinity
      #expect(throws: SpectralError.self) { try GraphLaplacian.degrees(of: w) }
    }
  }

  @Test func degreesThatOverflowOnFiniteEntriesAreRejected() throws {
    var w = Self.randomMatrix(21, seed: 9, symmetric: true)
    for j in 0..<21 where j != 4 { w[4, j] = 1e308; w[j, 4] = 1e308 }
    do {
      _ = try GraphLaplacian.degrees(of: w)
      Issue.record("overflowing degrees were accepted")
    } catch let e as SpectralError {
      #expect(e.description.contains("the degree of node 4 overflows"), "\(e)")
    }
    // Just below the overflow the degrees are returned, finite.
    for j in 0..<21 where j != 4 { w[4, j] = 1e306; w[j, 4] = 1e306 }
    #expect(try GraphLaplacian.degrees(of: w).allSatisfy { $0.isFinite })
  }

  @Test(arguments: [LaplacianKind.normalized, .unnormalized])
  func inPlaceOperatorEqualsScalarFormula(kind: LaplacianKind) throws {
    let n = 1030
    var w = Self.randomMatrix(n, seed: 3, symmetric: true)
    for j in 0..<n { w[5, j] = 0; w[j, 5] = 0 }  // an isolated node
    let deg = try GraphLaplacian.degrees(of: w)
    let sq = GraphLaplacian.sqrtDegrees(deg)
    for form in [GraphLaplacian.OperatorForm.laplacian, .shifted(1)] {
      let out = GraphLaplacian.operatorMatrix(
        w, nodes: Array(0..<n), degrees: deg, sqrtDegree: sq, kind: kind, form: form)
      let sign: Double
      let diag: (Double) -> Double
      switch form {
      case .laplacian: sign = -1; diag = { $0 }
      case .shifted(let c): sign = 1; diag = { c - $0 }
      }
      var same = true
      for i in 0..<n {
        for j in 0..<n {
          let ref: Double
          switch kind {
          case .normalized: ref = i == j ? diag(deg[i] == 0 ? 0 : 1) : sign * ((w[i, j] / sq[j]) / sq[i])
          case .unnormalized: ref = i == j ? diag(deg[i]) : sign * w[i, j]
          }
          if out[i, j].bitPattern != ref.bitPattern { same = false }
        }
      }
      #expect(same)
    }
    // The caller's matrix is untouched when it still holds a reference (copy-on-write).
    #expect(w == Self.randomMatrixWithIsolated(n))
  }

  static func randomMatrixWithIsolated(_ n: Int) -> Matrix {
    var w = randomMatrix(n, seed: 3, symmetric: true)
    for j in 0..<n { w[5, j] = 0; w[j, 5] = 0 }
    return w
  }

  @Test func componentsOfVariousGraphs() {
    #expect(GraphLaplacian.connectedComponents(Matrix(rows: 0, columns: 0)) == 0)
    #expect(GraphLaplacian.connectedComponents(.identity(5)) == 5)
    // A path 0–1–…–(n−1) given in shuffled order, plus two isolated nodes.
    let n = 300
    var w = Matrix(rows: n + 2, columns: n + 2)
    let order = (0..<n).map { ($0 * 7) % n }  // 7 ⟂ 300: a permutation
    for t in 0..<(n - 1) { w[order[t], order[t + 1]] = 1; w[order[t + 1], order[t]] = 1 }
    #expect(GraphLaplacian.connectedComponents(w) == 3)
    #expect(GraphLaplacian.connectedComponents(Self.randomMatrix(100, seed: 1, symmetric: true)) == 1)
  }

  @Test func rbfBandsCoverEveryEntry() {
    // n not a multiple of the band or block size; both triangles and the diagonal checked.
    var rng = SplitMix(seed: 11)
    let n = 523, d = 5
    let x = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in Double(rng.next() >> 11) / Double(1 << 53) * 4 })
    let s = Affinity.rbf(x, gamma: 0.3)
    #expect(s == s.transposed)
    var worst = 0.0
    for i in 0..<n {
      #expect(s[i, i] == 1)
      for j in 0..<n where j != i {
        var d2 = 0.0
        for c in 0..<d { let t = x[i, c] - x[j, c]; d2 += t * t }
        worst = max(worst, abs(s[i, j] - Foundation.exp(-0.3 * d2)))
      }
    }
    #expect(worst <= 1e-12)
  }
}
