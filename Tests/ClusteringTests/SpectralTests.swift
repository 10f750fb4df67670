import Foundation
import LinearAlgebra
import Testing

@testable import Clustering

@Suite struct FeatureScalingTests {
  let g = SpectralGolden.shared.scaling

  @Test func standardMatchesStandardScaler() {
    let out = FeatureScaling.standard.apply(Matrix(rowArrays: g.x))
    // Relative to the value: the tiny-spread column (scale 1e-9) amplifies summation differences.
    #expect(maxRelDiff(out, g.standard) <= 1e-12)
    // Constant column → exactly 0; ulp-level column flagged constant → only centred.
    #expect(out.column(2).allSatisfy { $0 == 0 })
    #expect(maxAbsDiff(out.column(5), Matrix(rowArrays: g.standard).column(5)) <= 1e-15)
  }

  @Test func minMaxMatchesMinMaxScaler() {
    let out = FeatureScaling.minmax.apply(Matrix(rowArrays: g.x))
    #expect(maxAbsDiff(out, g.minmax) <= 1e-12)
    #expect(out.column(2).allSatisfy { $0 == 0 })
    #expect(abs((out.column(0).max() ?? 0) - 1) <= 1e-15)
  }

  @Test func l2MatchesNormalizerAndKeepsZeroRow() {
    let out = FeatureScaling.l2.apply(Matrix(rowArrays: g.x_norm))
    #expect(maxAbsDiff(out, g.l2) <= 1e-12)
    #expect(out.row(3).allSatisfy { $0 == 0 })
    let norm = out.row(0).reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(norm - 1) <= 1e-15)
  }

  @Test func noneIsIdentityAndAllCasesListed() {
    let x = Matrix(rowArrays: g.x)
    #expect(FeatureScaling.none.apply(x) == x)
    #expect(FeatureScaling.allCases.map(\.rawValue) == ["standard", "minmax", "l2", "none"])
  }
}

@Suite struct AffinityTests {
  let g = SpectralGolden.shared.affinity

  @Test func rbfDefaultGammaMatchesRbfKernel() {
    let x = Matrix(rowArrays: g.x)
    #expect(Affinity.defaultGamma(features: 3) == 1.0 / 3.0)
    let s = Affinity.rbf(x)
    #expect(maxAbsDiff(s, g.rbf_default) <= 1e-12)
    #expect((0..<s.rows).allSatisfy { s[$0, $0] == 1 })
    #expect(s == s.transposed)
  }

  @Test func rbfExplicitGamma() {
    let s = Affinity.rbf(Matrix(rowArrays: g.x), gamma: g.rbf_gamma)
    #expect(maxAbsDiff(s, g.rbf_07) <= 1e-12)
  }

  @Test func rbfParallelPathEqualsSerialFormula() {
    // n large enough for the 2-thread path; compare against a direct per-entry evaluation.
    var rng = SystemRandomNumberGenerator()
    let n = 700, d = 3
    let x = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in Double.random(in: -2...2, using: &rng) })
    let s = Affinity.rbf(x, gamma: 0.5)
    var worst = 0.0
    for i in stride(from: 0, to: n, by: 37) {
      for j in stride(from: 0, to: n, by: 11) {
        var d2 = 0.0
        for c in 0..<d { let t = x[i, c] - x[j, c]; d2 += t * t }
        worst = max(worst, abs(s[i, j] - Foundation.exp(-0.5 * d2)))
      }
    }
    #expect(worst <= 1e-12)
    #expect(s == s.transposed)
  }

  @Test func precomputedAsymmetricIsSymmetrizedWithWarning() throws {
    let p = SpectralGolden.shared.precomputed
    let (m, warnings) = try Affinity.precomputed(Matrix(rowArrays: p.a))
    #expect(maxAbsDiff(m, p.symmetrized) == 0)
    #expect(warnings.count == 1)
    if case .asymmetricAffinitySymmetrized(let d)? = warnings.first { #expect(d > 0.01) } else { Issue.record("no warning") }
    let (same, none) = try Affinity.precomputed(m)
    #expect(same == m && none.isEmpty)
  }

  @Test func precomputedRejectsBadInput() {
    #expect(throws: SpectralError.self) { try Affinity.precomputed(Matrix(rows: 2, columns: 3)) }
    #expect(throws: SpectralError.self) {
      try Affinity.precomputed(Matrix(rowArrays: [[1, .nan], [.nan, 1]]))
    }
    #expect(throws: SpectralError.self) { try Affinity.precomputed(Matrix(rowArrays: [[1, -1], [-1, 1]])) }
  }
}

@Suite struct GraphConstructionTests {
  let g = SpectralGolden.shared.affinity

  @Test func parsing() throws {
    #expect(try GraphConstruction(parsing: "full") == .full)
    #expect(try GraphConstruction(parsing: " KNN:10 ") == .knn(10))
    #expect(try GraphConstruction(parsing: "epsilon:0.25") == .epsilon(0.25))
    #expect(GraphConstruction(argument: "knn:0") == nil)
    #expect(GraphConstruction(argument: "knn:x") == nil)
    #expect(GraphConstruction(argument: "epsilon:") == nil)
    #expect(GraphConstruction(argument: "mutual") == nil)
    do {
      _ = try GraphConstruction(parsing: "knn=5")
      Issue.record("expected an error")
    } catch let e as SpectralError {
      #expect(e.description.contains("knn:K"))
    }
    for spec in ["full", "knn:7", "epsilon:0.5"] {
      #expect(try GraphConstruction(parsing: spec).description == spec)
    }
  }

  @Test func fullIsIdentityOnSimilarity() throws {
    let s = Matrix(rowArrays: g.rbf_07)
    #expect(try GraphConstruction.full.adjacency(similarity: s) == s)
  }

  @Test func epsilonMatchesThresholdIncludingDiagonal() throws {
    let s = Matrix(rowArrays: g.rbf_07)
    let w = try GraphConstruction.epsilon(g.epsilon).adjacency(similarity: s)
    #expect(maxAbsDiff(w, g.epsilon_graph) == 0)
    #expect(w[0, 0] == 1)
  }

  @Test func knnOnFeaturesMatchesKneighborsGraph() throws {
    let x = Matrix(rowArrays: g.x)
    let w = try GraphConstruction.knn(g.knn_k).adjacency(similarity: nil, features: x)
    #expect(maxAbsDiff(w, g.knn_graph) == 0)
  }

  @Test func knnOnSimilarityRanksByLargestSimilarity() throws {
    // The RBF kernel is monotone in distance, so the same graph results.
    let s = Matrix(rowArrays: g.rbf_07)
    let w = try GraphConstruction.knn(g.knn_k).adjacency(similarity: s)
    #expect(maxAbsDiff(w, g.knn_graph) == 0)
  }

  @Test func knnBlockedAndParallelPathsAgree() throws {
    var state: UInt64 = 3
    let n = 400, d = 5
    let x = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(UInt64(1) << 53)
    })
    let whole = try GraphConstruction.knnConnectivity(features: x, neighbors: 9)
    let blocked = try GraphConstruction.knnConnectivity(features: x, neighbors: 9, blockRows: 37)
    #expect(whole == blocked)
    let bySimilarity = try GraphConstruction.knnConnectivity(similarity: Affinity.rbf(x, gamma: 0.3), neighbors: 9)
    #expect(whole == bySimilarity)
    #expect(whole == whole.transposed)
    // Every row has itself plus 8 outgoing edges: row sums of A are 9, so Σ W = 9n.
    #expect(whole.storage.reduce(0, +) == Double(9 * n))
  }

  @Test func knnTiesGoToLowestIndex() throws {
    // Points on a line at 0, 1, 2, 3: point 1 has two neighbours at distance 1 (0 and 2).
    let x = Matrix(rowArrays: [[0], [1], [2], [3]])
    let w = try GraphConstruction.knnConnectivity(features: x, neighbors: 2)
    // Row 1 picks itself and 0; row 2 picks itself and 1 (tie 1 vs 3); row 0 → 1; row 3 → 2.
    #expect(w.storage == [1, 1, 0, 0, 1, 1, 0.5, 0, 0, 0.5, 1, 0.5, 0, 0, 0.5, 1])
    #expect(throws: SpectralError.self) { try GraphConstruction.knnConnectivity(features: x, neighbors: 5) }
    #expect(throws: SpectralError.self) {
      try GraphConstruction.knnConnectivity(features: Matrix(rowArrays: [[0], [.nan], [1]]), neighbors: 2)
    }
    #expect(throws: SpectralError.self) { try GraphConstruction.full.adjacency(similarity: nil, features: x) }
  }

  /// Distances equal in exact arithmetic (integer-valued features: studied credits and previous attempts) differ in
  /// their last bits after a harmless change of units, which standard scaling undoes only up to rounding. The K-th
  /// neighbour must not be chosen by those bits: near-ties (``GraphConstruction/nearTie``) go to the lowest index.
  @Test func knnNearTiesDoNotDependOnTheUnits() throws {
    var state: UInt64 = 7
    func next(_ m: Int) -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double((state >> 33) % UInt64(m))
    }
    let rows = (0..<300).map { _ in [next(4), 30 * (1 + next(8)), next(5)] }
    let units = [3.0, 10.0, 1.0 / 7]
    let scaled = FeatureScaling.standard.apply(Matrix(rowArrays: rows))
    let rescaled = FeatureScaling.standard.apply(Matrix(rowArrays: rows.map { r in zip(r, units).map { $0 * $1 } }))
    #expect(scaled != rescaled)
    for k in [5, 10, 20] {
      let a = try GraphConstruction.knnConnectivity(features: scaled, neighbors: k)
      let b = try GraphConstruction.knnConnectivity(features: rescaled, neighbors: k)
      #expect(zip(a.storage, b.storage).filter { $0 != $1 }.count == 0, "knn:\(k): entries that differ")
      // The same for a distance matrix: distances equal up to rounding tie.
      func distances(_ x: Matrix) -> Matrix {
        let d2 = Pairwise.squaredEuclidean(x)
        return Matrix(rows: d2.rows, columns: d2.columns, storage: d2.storage.map { $0.squareRoot() })
      }
      let da = distances(scaled), db = distances(rescaled)
      let ga = try GraphConstruction.knnConnectivity(distances: da, neighbors: k)
      let gb = try GraphConstruction.knnConnectivity(distances: db, neighbors: k)
      #expect(zip(ga.storage, gb.storage).filter { $0 != $1 }.count == 0, "distances, knn:\(k): entries that differ")
    }
  }

  /// Ranking by a distance matrix: the neighbours of the distances themselves, even where exp(−D²) underflows to 0
  /// for every candidate (which would tie them all and leave the lowest index the winner).
  @Test func knnOnDistancesRanksBySmallestDistance() throws {
    // Points at 0, 40, 70, 150, 190: every off-diagonal exp(−D²) underflows to 0 (all distances ≥ 30).
    let p: [Double] = [0, 40, 70, 150, 190]
    let d = Matrix(rowArrays: p.map { a in p.map { abs(a - $0) } })
    #expect(d.storage.allSatisfy { $0 == 0 || exp(-$0 * $0) == 0 })
    let affinity = Matrix(rows: 5, columns: 5, storage: d.storage.map { exp(-$0 * $0) })
    let w = try GraphConstruction.knn(2).adjacency(similarity: affinity, distances: d)
    // Nearest others: 0 → 40, 40 → 70, 70 → 40, 150 → 190, 190 → 150.
    #expect(w.storage == [
      1, 0.5, 0, 0, 0,
      0.5, 1, 1, 0, 0,
      0, 1, 1, 0, 0,
      0, 0, 0, 1, 1,
      0, 0, 0, 1, 1,
    ])
    // The affinity alone cannot tell them apart: every row keeps its lowest other index.
    let bySimilarity = try GraphConstruction.knnConnectivity(similarity: affinity, neighbors: 2)
    #expect(Array(bySimilarity.storage[15 ..< 20]) == [0.5, 0, 0, 1, 0])
    // Features win over distances when both are given; ties among distances go to the lowest index.
    let x = Matrix(rowArrays: [[0], [1], [2], [3]])
    let line = Matrix(rowArrays: [[0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 0, 1], [3, 2, 1, 0]])
    #expect(try GraphConstruction.knn(2).adjacency(similarity: nil, distances: line)
      == GraphConstruction.knnConnectivity(features: x, neighbors: 2))
    let reversed = Matrix(rowArrays: [[0, 3, 2, 1], [3, 0, 1, 2], [2, 1, 0, 3], [1, 2, 3, 0]])
    #expect(try GraphConstruction.knn(2).adjacency(similarity: nil, features: x, distances: reversed)
      == GraphConstruction.knnConnectivity(features: x, neighbors: 2))
    #expect(try GraphConstruction.knnConnectivity(distances: reversed, neighbors: 2)
      != GraphConstruction.knnConnectivity(features: x, neighbors: 2))
    #expect(throws: SpectralError.self) {
      try GraphConstruction.knnConnectivity(distances: Matrix(rowArrays: [[0, .infinity], [1, 0]]), neighbors: 2)
    }
    #expect(throws: SpectralError.self) { try GraphConstruction.knnConnectivity(distances: line, neighbors: 5) }
  }
}

@Suite struct LaplacianTests {
  let g = SpectralGolden.shared.laplacian

  @Test func normalizedMatchesCsgraphWithIsolatedNode() throws {
    let lap = try GraphLaplacian(adjacency: Matrix(rowArrays: g.w), kind: .normalized)
    #expect(maxAbsDiff(lap.matrix, g.normalized) <= 1e-12)
    #expect(maxAbsDiff(lap.sqrtDegree, g.dd) <= 1e-12)
    #expect(lap.isolatedNodes == [4])
    #expect(lap.matrix[4, 4] == 0 && lap.sqrtDegree[4] == 1)
  }

  @Test func unnormalizedMatchesCsgraph() throws {
    let lap = try GraphLaplacian(adjacency: Matrix(rowArrays: g.w), kind: .unnormalized)
    #expect(maxAbsDiff(lap.matrix, g.unnormalized) <= 1e-12)
    #expect(maxAbsDiff(lap.degrees, g.degree) <= 1e-12)
  }

  @Test func eigenvaluesMatchScipyEighWithIsolatedNode() throws {
    let w = Matrix(rowArrays: g.w)
    for solver in [SpectralEigenSolver.dense, .iterative] {
      let e = try SpectralEmbedding.compute(adjacency: w, dimensions: 2, eigenvalueCount: 8, solver: solver)
      #expect(maxAbsDiff(e.eigenvalues, g.eigenvalues_normalized) <= 1e-10)
      #expect(e.components == 2)
      #expect(e.warnings == [.disconnectedGraph(components: 2, isolatedNodes: 1)])
    }
  }

  /// `auto` falls back to the dense solver when the iterative one fails (here: a limit of one
  /// block product), with a warning and the dense eigenvalues; an explicit `iterative` throws.
  @Test func autoFallsBackToDenseWhenTheIterativeSolverFails() throws {
    let n = 800  // above the iterative bar for 10 eigenpairs (k_max = 5)
    var state: UInt64 = 11
    func uniform() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(UInt64(1) << 53)
    }
    var x = Matrix(rows: n, columns: 2)
    for i in 0..<n {
      x[i, 0] = Double(i % 4) * 3 + uniform()
      x[i, 1] = Double(i % 4 / 2) * 3 + uniform()
    }
    let w = Affinity.rbf(x, gamma: 1)
    #expect(SpectralEigenSolver.auto.resolved(n: n, count: 10) == .iterative)
    let dense = try SpectralEmbedding.compute(adjacency: w, dimensions: 5, eigenvalueCount: 10, solver: .dense)
    let normal = try SpectralEmbedding.compute(adjacency: w, dimensions: 5, eigenvalueCount: 10)
    #expect(normal.solver == .iterative && normal.warnings.isEmpty)
    let fallback = try SpectralEmbedding.compute(
      adjacency: w, dimensions: 5, eigenvalueCount: 10, laplacian: .normalized, solver: .auto, iterativeMaxIterations: 1)
    #expect(fallback.solver == .dense)
    #expect(fallback.warnings.count == 1)
    if case .iterativeSolverFellBack(let reason)? = fallback.warnings.first {
      #expect(reason.contains("not converged"), "\(reason)")
    } else {
      Issue.record("no fallback warning: \(fallback.warnings)")
    }
    #expect(fallback.warnings.first?.description.contains("the dense solver (LAPACK dsyevr) was used instead") == true)
    #expect(maxAbsDiff(fallback.eigenvalues, dense.eigenvalues) <= 1e-12)
    #expect(maxAbsDiff(fallback.eigenvalues, normal.eigenvalues) <= 1e-10)
    #expect(throws: SpectralError.self) {
      try SpectralEmbedding.compute(
        adjacency: w, dimensions: 5, eigenvalueCount: 10, laplacian: .normalized, solver: .iterative,
        iterativeMaxIterations: 1)
    }
  }

  @Test func parallelPathIsBitIdenticalToSerialFormula() throws {
    // n large enough for the 2-thread loops; an isolated node at 7.
    let n = 1100
    var state: UInt64 = 7
    var w = Matrix(rows: n, columns: n)
    for i in 0..<n {
      for j in i..<n {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let v = Double(state >> 11) / Double(UInt64(1) << 53)
        w[i, j] = v
        w[j, i] = v
      }
    }
    for j in 0..<n where j != 7 { w[7, j] = 0; w[j, 7] = 0 }
    let lap = try GraphLaplacian(adjacency: w)
    var degree = [Double](repeating: 0, count: n)
    for i in 0..<n { for j in 0..<n where i != j { degree[j] += w[i, j] } }
    #expect(lap.degrees == degree)
    let s = degree.map { $0 == 0 ? 1 : $0.squareRoot() }
    var worst = 0.0
    for i in 0..<n {
      for j in 0..<n {
        let expected = i == j ? (degree[i] == 0 ? 0 : 1) : -((w[i, j] / s[j]) / s[i])
        worst = max(worst, abs(lap.matrix[i, j] - expected))
      }
    }
    #expect(worst == 0)
    #expect(lap.isolatedNodes == [7])
    let u = try GraphLaplacian(adjacency: w, kind: .unnormalized)
    #expect(u.matrix[3, 3] == degree[3] && u.matrix[3, 5] == -w[3, 5])
  }

  @Test func connectedComponents() {
    let w = Matrix(rowArrays: [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    #expect(GraphLaplacian.connectedComponents(w) == 3)
    #expect(GraphLaplacian.connectedComponents(Matrix(rowArrays: [[0, 2], [2, 0]])) == 1)
  }
}

@Suite struct SpectralEmbeddingTests {
  let g = SpectralGolden.shared.embedding

  @Test func normalizedMatchesSklearnSpectralEmbedding() throws {
    let w = Matrix(rowArrays: g.affinity)
    let e = try SpectralEmbedding.compute(adjacency: w, dimensions: g.k, eigenvalueCount: 0)
    #expect(e.solver == .dense)
    #expect(e.eigenvalues.count == 2 * g.k)
    #expect(maxAbsDiff(e.embedding, g.embedding) <= 1e-8)
    #expect(maxAbsDiff(e.eigenvalues, Array(g.eigenvalues.prefix(2 * g.k))) <= 1e-10)
    #expect(e.components == 1 && e.warnings.isEmpty)
    #expect(Eigengap.gaps(eigenvalues: e.eigenvalues, maxK: g.k).count == g.k)
    #expect(Eigengap.suggest(eigenvalues: e.eigenvalues, maxK: g.k) == Eigengap.suggest(eigenvalues: g.eigenvalues, maxK: g.k))
    // First column is the constant 1/sqrt(vol(G)).
    let vol = e.degrees.reduce(0, +)
    #expect(e.embedding.column(0).allSatisfy { abs($0 - 1 / vol.squareRoot()) <= 1e-12 })
    // Prefix property: k columns for a smaller k.
    #expect(maxAbsDiff(e.coordinates(clusters: 2), g.embedding.map { Array($0.prefix(2)) }) <= 1e-8)
  }

  @Test(arguments: [SpectralEigenSolver.dense, .iterative])
  func isolatedNodeMatchesSklearnSpectralEmbedding(solver: SpectralEigenSolver) throws {
    let w = Matrix(rowArrays: g.affinity_isolated)
    let e = try SpectralEmbedding.compute(
      adjacency: w, dimensions: g.k_isolated, eigenvalueCount: 8, solver: solver)
    #expect(e.solver == solver)
    #expect(maxAbsDiff(e.embedding, g.embedding_isolated) <= 1e-8)
    #expect(maxAbsDiff(e.eigenvalues, Array(g.eigenvalues_isolated.prefix(8))) <= 1e-10)
    #expect(e.embedding.row(5) == [0, 0, 0])
    #expect(e.components == 2 && e.sqrtDegree[5] == 1)
  }

  @Test func unnormalizedMatchesSklearnNormLaplacianFalse() throws {
    let w = Matrix(rowArrays: g.affinity)
    let e = try SpectralEmbedding.compute(
      adjacency: w, dimensions: g.k, eigenvalueCount: g.k + 1, laplacian: .unnormalized)
    #expect(maxAbsDiff(e.embedding, g.embedding_unnormalized) <= 1e-8)
    #expect(maxAbsDiff(e.eigenvalues, Array(g.eigenvalues_unnormalized.prefix(2 * g.k))) <= 1e-10)
  }

  @Test(arguments: [LaplacianKind.normalized, .unnormalized])
  func denseAndIterativeAgree(kind: LaplacianKind) throws {
    let w = Matrix(rowArrays: g.affinity)
    let d = try SpectralEmbedding.compute(adjacency: w, dimensions: g.k, eigenvalueCount: 8, laplacian: kind, solver: .dense)
    let i = try SpectralEmbedding.compute(
      adjacency: w, dimensions: g.k, eigenvalueCount: 8, laplacian: kind, solver: .iterative)
    #expect(i.solver == .iterative)
    #expect(maxAbsDiff(d.eigenvalues, i.eigenvalues) <= 1e-9)
    #expect(d.eigenvalues.count == 8)
    #expect(maxAbsDiff(d.embedding, i.embedding.storage.chunked(g.k)) <= 1e-7)
  }

  @Test func denseAndIterativeAgreeWithIsolatedNode() throws {
    var w = Matrix(rowArrays: g.affinity)
    for j in 0..<w.columns where j != 5 { w[5, j] = 0; w[j, 5] = 0 }
    let d = try SpectralEmbedding.compute(adjacency: w, dimensions: 3, eigenvalueCount: 8, solver: .dense)
    let i = try SpectralEmbedding.compute(adjacency: w, dimensions: 3, eigenvalueCount: 8, solver: .iterative)
    #expect(i.solver == .iterative && d.solver == .dense)
    #expect(d.eigenvalues[0] == 0 && abs(d.eigenvalues[1]) <= 1e-12)
    #expect(maxAbsDiff(d.eigenvalues, i.eigenvalues) <= 1e-9)
    #expect(maxAbsDiff(d.embedding, i.embedding.storage.chunked(3)) <= 1e-7)
    #expect(d.warnings == [.disconnectedGraph(components: 2, isolatedNodes: 1)])
  }

  @Test func weaklyConnectedLearnersAreNamedInAWarning() throws {
    // Two triangles joined by one edge, and node 6 tied to node 0 by 1e-30: connected, but its degree
    // is 1e-30 / 3 of the largest, so its embedding coordinate is rounding noise magnified ~1e15.
    var w = Matrix(rows: 7, columns: 7)
    for (a, b) in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)] { w[a, b] = 1; w[b, a] = 1 }
    w[0, 6] = 1e-30; w[6, 0] = 1e-30
    let e = try SpectralEmbedding.compute(adjacency: w, dimensions: 3, eigenvalueCount: 6)
    #expect(e.components == 1)
    #expect(e.warnings == [.weaklyConnectedNodes(count: 1, smallestRatio: 1e-30 / 3)])
    #expect(e.warnings[0].description.hasPrefix("1 learner has almost no affinity to the others"))
    // At the threshold's other side no warning: 1e-15 of the largest degree keeps 7 or more digits.
    w[0, 6] = 3e-15; w[6, 0] = 3e-15
    let fine = try SpectralEmbedding.compute(adjacency: w, dimensions: 3, eigenvalueCount: 6)
    #expect(fine.warnings.isEmpty)
  }

  @Test func isolatedNodeGetsUnitVectorLikeSklearnSetDiag() throws {
    // Two triangles plus an isolated node 6. sklearn's L (diagonal set to 1) has eigenpair (1, e_6).
    var w = Matrix(rows: 7, columns: 7)
    for (a, b) in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)] { w[a, b] = 1; w[b, a] = 1 }
    let e = try SpectralEmbedding.compute(adjacency: w, dimensions: 7, eigenvalueCount: 7)
    #expect(e.components == 3)
    // SciPy L: eigenvalues 0 ×3 (two triangles + isolated), 1.5 ×4.
    #expect(maxAbsDiff(e.eigenvalues, [0, 0, 0, 1.5, 1.5, 1.5, 1.5]) <= 1e-12)
    // The embedding column holding e_6 comes after the two zero-eigenvalue columns.
    let col = e.embedding.column(2)
    #expect(col == [0, 0, 0, 0, 0, 0, 1])
    #expect(throws: SpectralError.self) {
      try SpectralEmbedding.compute(adjacency: w, dimensions: 8, eigenvalueCount: 8)
    }
  }

  @Test func degenerateGraphs() throws {
    // Only self-loops: every node isolated.
    let e = try SpectralEmbedding.compute(adjacency: .identity(3), dimensions: 2, eigenvalueCount: 3)
    #expect(e.eigenvalues == [0, 0, 0])
    #expect(e.embedding.storage == [1, 0, 0, 1, 0, 0])
    #expect(e.warnings == [.disconnectedGraph(components: 3, isolatedNodes: 3)])
    let one = try SpectralEmbedding.compute(adjacency: Matrix(rowArrays: [[0]]), dimensions: 1, eigenvalueCount: 5)
    #expect(one.eigenvalues == [0] && one.embedding.storage == [1])
    #expect(try GraphLaplacian(adjacency: Matrix(rows: 0, columns: 0)).degrees.isEmpty)
    #expect(throws: SpectralError.self) { try SpectralEmbedding.compute(adjacency: .identity(3), dimensions: 0, eigenvalueCount: 3) }
    #expect(throws: SpectralError.self) {
      try SpectralEmbedding.compute(adjacency: Matrix(rowArrays: [[0, -1], [-1, 0]]), dimensions: 1, eigenvalueCount: 2)
    }
  }

  @Test func solverRouting() {
    // auto: dense below max(500, 50·(count + max(4, ⌈count/5⌉))) = 1200 nodes for 20 pairs.
    #expect(SpectralEigenSolver.auto.resolved(n: 1199, count: 20) == .dense)
    #expect(SpectralEigenSolver.auto.resolved(n: 1200, count: 20) == .iterative)
    #expect(SpectralEigenSolver.auto.resolved(n: 499, count: 4) == .dense)
    #expect(SpectralEigenSolver.auto.resolved(n: 500, count: 4) == .iterative)
    #expect(SpectralEigenSolver.dense.resolved(n: 1_000_000, count: 20) == .dense)
    #expect(SpectralEigenSolver.iterative.resolved(n: 30, count: 15) == .iterative)
    #expect(SpectralEigenSolver.iterative.resolved(n: 30, count: 16) == .dense)
    #expect(SpectralEmbedding.minimumEigenvalueCount(maxK: 1) == 2)
    #expect(SpectralEmbedding.minimumEigenvalueCount(maxK: 8) == 16)
  }

  @Test func signFlipMakesLargestMagnitudePositiveFirstOnTies() {
    var u = Matrix(rowArrays: [[0.5, -0.2], [-0.5, 0.2], [0.1, 0.1]])
    SpectralEmbedding.signFlip(&u)
    #expect(u.storage == [0.5, 0.2, -0.5, -0.2, 0.1, -0.1])
  }
}

@Suite struct EigengapTests {
  @Test func matchesNumpyArgmaxRule() {
    for c in SpectralGolden.shared.eigengap {
      #expect(Eigengap.suggest(eigenvalues: c.eigenvalues, maxK: c.kmax) == c.k)
      #expect(maxAbsDiff(Eigengap.gaps(eigenvalues: c.eigenvalues, maxK: c.kmax), c.gaps) == 0)
    }
  }

  @Test func edgeCases() {
    #expect(Eigengap.suggest(eigenvalues: [0], maxK: 3) == nil)
    #expect(Eigengap.suggest(eigenvalues: [0, 1, 2], maxK: 0) == nil)
    #expect(Eigengap.suggest(eigenvalues: [0, 0.1, 0.9], maxK: 10) == 2)
    #expect(Eigengap.gaps(eigenvalues: [0, 0.1, 0.9, 1.0], maxK: 2) == [0.1, 0.9 - 0.1])
  }

  /// More connected components than the largest k: the first kMax + 1 eigenvalues are all 0 and every
  /// gap is rounding noise, so the eigengap is undefined (with its reason and a warning) instead of
  /// NumPy's argmax of noise (a k set by the solver's last bits); with kMax ≥ the number of components
  /// the gap after the last 0 is found.
  @Test func undefinedWhenEveryGapIsRoundingNoise() throws {
    // 5 cliques of 6 learners with unequal weights, no edge between cliques.
    let n = 30
    var w = Matrix(rows: n, columns: n)
    for i in 0..<n {
      for j in 0..<n where i / 6 == j / 6 && i != j { w[i, j] = 0.5 + Double((i * 7 + j * 7) % 5) / 10 }
    }
    for solver in [SpectralEigenSolver.dense, .iterative] {
      let flat = try SpectralSweep.run(adjacency: w, configuration: SweepConfiguration(ks: [2, 3], solver: solver))
      #expect(flat.components == 5)
      #expect(flat.eigengapK == nil, "\(solver)")
      #expect(flat.eigengapUndefinedReason?.hasPrefix("the first 4 Laplacian eigenvalues are 0 up to rounding") == true)
      #expect(flat.warnings.contains { $0.hasPrefix("eigengap undefined: the first 4 Laplacian eigenvalues are 0") })
      let enough = try SpectralSweep.run(adjacency: w, configuration: SweepConfiguration(ks: [2, 5], solver: solver))
      #expect(enough.eigengapK == 5, "\(solver)")
      #expect(enough.eigengapUndefinedReason == nil)
      #expect(!enough.warnings.contains { $0.hasPrefix("eigengap") })
    }
    // A connected graph whose unnormalised Laplacian has eigenvalues far below 1 (weights ~1e-12) keeps its
    // eigengap: small gaps are not noise when the graph is connected.
    var tiny = Matrix(rows: 12, columns: 12)
    for i in 0..<12 { for j in 0..<12 where i != j { tiny[i, j] = i / 4 == j / 4 ? 1e-12 : 1e-15 } }
    let small = try SpectralSweep.run(adjacency: tiny, configuration: SweepConfiguration(ks: [2, 3, 4], laplacian: .unnormalized))
    #expect(small.components == 1 && small.eigengapK == 3 && small.eigengapUndefinedReason == nil,
            "\(small.eigengapK as Any) \(small.eigenvalues.prefix(5))")
  }

  /// Long `--n-init` runs can show progress: the sweep reports every k-means restart (number of k ×
  /// initCount in all, counts increasing by one), and reporting does not change the result.
  @Test func sweepReportsEveryKMeansRestart() throws {
    var w = Matrix(rows: 24, columns: 24)
    for i in 0..<24 { for j in 0..<24 where i != j { w[i, j] = i / 8 == j / 8 ? 0.9 : 0.01 } }
    final class Seen: @unchecked Sendable {
      let lock = NSLock()
      var calls: [(Int, Int)] = []
    }
    let seen = Seen()
    let config = SweepConfiguration(ks: [2, 3, 4], initCount: 7)
    let reported = try SpectralSweep.run(adjacency: w, configuration: config, restartProgress: { done, total in
      seen.lock.withLock { seen.calls.append((done, total)) }
    })
    #expect(seen.calls.map(\.0) == Array(1...21))
    #expect(seen.calls.allSatisfy { $0.1 == 21 })
    let quiet = try SpectralSweep.run(adjacency: w, configuration: config)
    #expect(reported.entries.map { $0.labels } == quiet.entries.map { $0.labels })
    #expect(reported.entries.map { $0.inertia } == quiet.entries.map { $0.inertia })
  }
}

extension Array where Element == Double {
  /// Rows of `width` elements.
  fileprivate func chunked(_ width: Int) -> [[Double]] {
    stride(from: 0, to: count, by: width).map { Array(self[$0..<Swift.min($0 + width, count)]) }
  }
}
