import Foundation
import Testing
@testable import LinearAlgebra

@Suite struct IterativeEigenTests {
  /// Runs the iterative solver and checks it against dense `dsyevr`: eigenvalues within
  /// `valueTolerance`, residuals within the requested bound, orthonormal vectors; returns both.
  static func compare(
    _ a: Matrix, count: Int, valueTolerance: Double = 1e-9, seed: UInt64 = 0
  ) throws -> (iterative: EigenDecomposition, dense: EigenDecomposition, diagnostics: IterativeEigen.Diagnostics) {
    let (it, diagnostics) = try IterativeEigen.largestWithDiagnostics(a, count: count, seed: seed)
    let dense = try SymmetricEigen.highest(a, count: count)
    #expect(!diagnostics.usedDenseFallback)
    #expect(it.values.count == count && it.vectors.rows == a.rows && it.vectors.columns == count)
    #expect(zip(it.values, it.values.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(Check.maxAbsDiff(it.values, dense.values) < valueTolerance)
    let norm = max(abs(dense.values.last!), abs(try SymmetricEigen.lowest(a, count: 1, vectors: false).values[0]))
    #expect(Check.maxResidual(a, it) <= 1.01e-10 * norm)
    #expect(diagnostics.maxRelativeResidual <= 1e-10)
    #expect(Check.orthonormalityError(it.vectors) < 1e-12)
    return (it, dense, diagnostics)
  }

  @Test func randomSymmetricMatrixWithGap() throws {
    // Six separated top eigenvalues, the rest uniform in [-3, 3].
    var r = TestRNG(21)
    let top = [10.0, 9.5, 9.0, 8.7, 8.2, 8.0]
    let values = top + (0..<(300 - top.count)).map { _ in 6 * r.uniform() - 3 }
    let a = try Fixtures.withSpectrum(values, seed: 22)
    let (it, dense, _) = try Self.compare(a, count: 6)
    #expect(Check.maxAbsDiff(it.values, top.reversed()) < 1e-9)
    #expect(Check.projectorDistance(it.vectors, dense.vectors) < 1e-8)
  }

  @Test func negativeEndDominatesTheNorm() throws {
    // ‖A‖ = 8 comes from the negative end; the wanted top pairs are 3, 2.5, 2.
    var r = TestRNG(32)
    let values = [3.0, 2.5, 2.0, -8.0] + (0..<(260 - 4)).map { _ in 8 * r.uniform() - 7 }
    let a = try Fixtures.withSpectrum(values, seed: 33)
    let (it, _, diagnostics) = try Self.compare(a, count: 3)
    #expect(Check.maxAbsDiff(it.values, [2, 2.5, 3]) < 1e-9)
    #expect(diagnostics.normEstimate <= 8 && diagnostics.normEstimate > 8 * (1 - 1e-4))
  }

  @Test func thickRestartsKeepConverging() throws {
    // Semicircle spectrum, one pair (block 16, basis limit 192): needs restarts.
    let a = Fixtures.randomSymmetric(400, seed: 35)
    let (_, _, diagnostics) = try Self.compare(a, count: 1)
    #expect(diagnostics.restarts >= 1)
  }

  @Test func plainRandomSymmetricMatrix() throws {
    // Semicircle spectrum: the top eigenvalues are only weakly separated.
    let a = Fixtures.randomSymmetric(240, seed: 23)
    _ = try Self.compare(a, count: 3)
  }

  @Test func normalisedAffinityOfBlobsWithNearDegenerateTopCluster() throws {
    // 5 well-separated blobs: eigenvalue 1 (numerically) five times, then a cluster of ~40
    // eigenvalues in [0.15, 0.3] and the bulk near 0.
    let x = Fixtures.blobs(n: 500, k: 5, d: 8, seed: 24)
    let a = Fixtures.normalisedAffinity(x, gamma: 1.0 / 8)
    let (it, dense, _) = try Self.compare(a, count: 12)
    for j in 7..<12 { #expect(abs(it.values[j] - 1) < 1e-9) }
    #expect(it.values[6] < 0.5)
    // The invariant subspace of the eigenvalue-1 cluster is well defined (gap > 0.5)…
    let topIt = it.vectors.selectingColumns(Array(7..<12))
    let topDense = dense.vectors.selectingColumns(Array(7..<12))
    #expect(Check.projectorDistance(topIt, topDense) < 1e-8)
    // …and so is the whole 12-dimensional one (error ≲ residual / gap to the 13th eigenvalue).
    let thirteen = try SymmetricEigen.highest(a, count: 13).values[0]
    let gap = it.values[0] - thirteen
    #expect(gap > 0)
    #expect(Check.projectorDistance(it.vectors, dense.vectors) < 1e-8 + 1e-9 / gap)
  }

  @Test func inverseIterationAndMRRRGiveTheSameRitzPairs() throws {
    // The Rayleigh–Ritz step computes Ritz vectors by inverse iteration (dstein), falling back
    // to MRRR (dstemr); both must give the same pairs, here on the near-degenerate blob
    // affinity (10 pairs, 5 with vectors) and through thick restarts (96 Ritz vectors kept).
    let blobs = Fixtures.normalisedAffinity(Fixtures.blobs(n: 500, k: 5, d: 8, seed: 24), gamma: 1.0 / 8)
    let semicircle = Fixtures.randomSymmetric(400, seed: 35)
    for (a, count, vectors, restarts) in [(blobs, 10, 5, false), (semicircle, 1, 1, true)] {
      let (it, di) = try IterativeEigen.largestWithDiagnostics(
        a, count: count, vectorCount: vectors, tolerance: 1e-10, maxIterations: 500, seed: 0,
        ritzVectors: .inverseIteration)
      let (mr, dm) = try IterativeEigen.largestWithDiagnostics(
        a, count: count, vectorCount: vectors, tolerance: 1e-10, maxIterations: 500, seed: 0, ritzVectors: .mrrr)
      #expect(di.rayleighRitzSteps > 0 && di.mrrrSteps == 0)
      #expect(dm.rayleighRitzSteps > 0 && dm.mrrrSteps == dm.rayleighRitzSteps)
      #expect(di.maxRelativeResidual <= 1e-10 && dm.maxRelativeResidual <= 1e-10)
      if restarts { #expect(di.restarts >= 1 && dm.restarts >= 1) }
      // dsyevr's count + 1 largest, ascending: the wanted ones and the next one below.
      let dense = try SymmetricEigen.highest(a, count: count + 1).values
      #expect(Check.maxAbsDiff(it.values, Array(dense.dropFirst())) < 1e-12)
      #expect(Check.maxAbsDiff(mr.values, Array(dense.dropFirst())) < 1e-12)
      // Both spans of the pairs with vectors are within Davis–Kahan's ‖R‖_F / gap of the exact
      // one (‖R‖_F ≤ √k·1e-10·‖A‖), so within twice that of each other (×√2 for the projector
      // norm, ×2 margin).
      let norm = max(abs(dense.last!), abs(try SymmetricEigen.lowest(a, count: 1, vectors: false).values[0]))
      let gap = dense[count + 1 - vectors] - dense[count - vectors]
      let bound = 4 * (2 * Double(vectors)).squareRoot() * 1e-10 * norm / gap
      let withVectors = Array((count - vectors)..<count)
      #expect(Check.projectorDistance(it.vectors.selectingColumns(withVectors), mr.vectors.selectingColumns(withVectors)) < bound)
    }
  }

  @Test func normalisedAffinityOfBlobsTwentyPairs() throws {
    let x = Fixtures.blobs(n: 500, k: 4, d: 8, seed: 25)
    let a = Fixtures.normalisedAffinity(x, gamma: 1.0 / 8)
    let (it, _, diagnostics) = try Self.compare(a, count: 20, seed: 7)
    #expect(abs(it.values[19] - 1) < 1e-9)
    #expect(it.values[0] > 0.1)
    #expect(diagnostics.iterations >= 2 && diagnostics.matrixVectorProducts >= 24)
  }

  @Test func exactlyRepeatedEigenvalues() throws {
    // 7 (×3), 4 (×2), then the rest in [-1, 1].
    var r = TestRNG(26)
    let values = [7.0, 7, 7, 4, 4] + (0..<245).map { _ in 2 * r.uniform() - 1 }
    let a = try Fixtures.withSpectrum(values, seed: 27)
    let (it, dense, _) = try Self.compare(a, count: 5)
    #expect(Check.maxAbsDiff(it.values, [4, 4, 7, 7, 7]) < 1e-9)
    // Each eigenspace is recovered (bases may differ from dsyevr's).
    #expect(Check.projectorDistance(it.vectors.selectingColumns([2, 3, 4]), dense.vectors.selectingColumns([2, 3, 4])) < 1e-8)
    #expect(Check.projectorDistance(it.vectors.selectingColumns([0, 1]), dense.vectors.selectingColumns([0, 1])) < 1e-8)
    // Cutting inside the double eigenvalue 4: values are still right.
    let four = try IterativeEigen.largest(a, count: 4)
    #expect(Check.maxAbsDiff(four.values, [4, 7, 7, 7]) < 1e-9)
  }

  @Test func valueOnlyPairsKeepAccurateEigenvalues() throws {
    // 5 blobs, 10 pairs (5 ≈ 1, 5 inside the cluster in [0.15, 0.3]); vectors for the top 5 only.
    let x = Fixtures.blobs(n: 600, k: 5, d: 8, seed: 36)
    let a = Fixtures.normalisedAffinity(x, gamma: 1.0 / 8)
    let (full, fullDiagnostics) = try IterativeEigen.largestWithDiagnostics(a, count: 10)
    let (part, diagnostics) = try IterativeEigen.largestWithDiagnostics(a, count: 10, vectorCount: 5)
    let dense = try SymmetricEigen.highest(a, count: 10)
    #expect(Check.maxAbsDiff(part.values, dense.values) < 1e-10)
    #expect(diagnostics.maxRelativeResidual <= 1e-10)
    #expect(diagnostics.maxValueOnlyRelativeResidual < 1e-4)
    #expect(diagnostics.matrixVectorProducts <= fullDiagnostics.matrixVectorProducts)
    #expect(Check.maxAbsDiff(full.values, dense.values) < 1e-10)
    // The top-5 vectors (eigenvalue cluster at 1, gap > 0.5) are as accurate as with all vectors.
    let top = Array(5..<10)
    #expect(Check.projectorDistance(part.vectors.selectingColumns(top), dense.vectors.selectingColumns(top)) < 1e-8)
    #expect(Check.orthonormalityError(part.vectors) < 1e-12)
    let none = try IterativeEigen.largest(a, count: 10, vectorCount: 0)
    #expect(Check.maxAbsDiff(none.values, dense.values) < 1e-10)
  }

  /// Same seed, same result. Bit-identity holds for a fixed OpenBLAS thread count (the CLI test
  /// `sameSeedGivesIdenticalBytes` checks it across processes); here other suites run concurrently
  /// and may change OpenBLAS's process-wide thread count between the two calls, which can change
  /// the summation order inside threaded BLAS kernels, so agreement is checked to 1e-13 for the
  /// values. The three blobs give a cluster of three eigenvalues at 1 whose vectors are defined only
  /// up to a rotation inside their span, and such a last-bit difference can rotate them (measured:
  /// elementwise differences of 0.18 with equal values); the span is what must agree.
  @Test func sameSeedGivesTheSameResult() throws {
    let a = Fixtures.normalisedAffinity(Fixtures.blobs(n: 300, k: 3, d: 8, seed: 28), gamma: 1.0 / 8)
    let first = try IterativeEigen.largest(a, count: 6, seed: 42)
    let second = try IterativeEigen.largest(a, count: 6, seed: 42)
    #expect(Check.maxAbsDiff(first.values, second.values) <= 1e-13)
    let top = Array(3..<6)
    #expect(Check.projectorDistance(first.vectors.selectingColumns(top), second.vectors.selectingColumns(top)) < 1e-10)
    let other = try IterativeEigen.largest(a, count: 6, seed: 43)
    #expect(Check.maxAbsDiff(other.values, first.values) < 1e-9)
  }

  @Test func throwsWhenNotConverged() {
    let a = Fixtures.normalisedAffinity(Fixtures.blobs(n: 300, k: 3, d: 8, seed: 29), gamma: 1.0 / 8)
    #expect(throws: LinearAlgebraError.self) {
      _ = try IterativeEigen.largest(a, count: 6, maxIterations: 2)
    }
  }

  /// More eigenvalues within the tolerance of the top one than the block holds: the spectrum of
  /// the normalised affinity of 798 learners in 9 blobs with `--gamma 30` (so large that pairs of
  /// learners are joined almost only to each other, each pair giving eigenvalues ≈ ±1): 28
  /// eigenvalues within 1e-10 of 1, 111 within 1e-4, a mirror image near −1. The vectors of the
  /// top pairs cannot be resolved inside that cluster with a block narrower than it (8 pairs:
  /// block 12; 20 pairs: block 24), so the solve must widen its block rather than run out of
  /// block products.
  @Test(arguments: [(8, 4), (20, 10)])
  func clusterWiderThanTheBlockConverges(count: Int, vectorCount: Int) throws {
    // (count, distance range from ±1): log-uniform within each range, as measured.
    let bands: [(Int, Int, Double, Double)] = [  // (near 1, near −1, from, to)
      (15, 7, 1e-16, 1e-14), (4, 2, 1e-14, 1e-12), (2, 1, 1e-12, 1e-11), (7, 5, 1e-11, 1e-10),
      (4, 2, 1e-10, 1e-9), (7, 2, 1e-9, 1e-8), (26, 13, 1e-8, 1e-6), (46, 25, 1e-6, 1e-4),
      (67, 75, 1e-4, 1e-2), (38, 60, 1e-2, 0.1), (20, 41, 0.1, 0.5),
    ]
    var r = TestRNG(37)
    var values = [Double]()
    for (top, bottom, from, to) in bands {
      for _ in 0..<top { values.append(1 - from * exp(log(to / from) * r.uniform())) }
      for _ in 0..<bottom { values.append(-1 + from * exp(log(to / from) * r.uniform())) }
    }
    values += (0..<(798 - values.count)).map { _ in r.uniform() - 0.5 }
    let a = try Fixtures.withSpectrum(values, seed: 38)
    let dense = try SymmetricEigen.highest(a, count: count).values
    let (e, d) = try IterativeEigen.largestWithDiagnostics(a, count: count, vectorCount: vectorCount)
    #expect(!d.usedDenseFallback)
    #expect(Check.maxAbsDiff(e.values, dense) < 1e-9)
    #expect(d.maxRelativeResidual <= 1e-10)
    let top = EigenDecomposition(
      values: Array(e.values.suffix(vectorCount)), vectors: e.vectors.selectingColumns(Array((count - vectorCount)..<count)))
    #expect(Check.maxResidual(a, top) <= 1.01e-10)
  }

  @Test func nonFiniteInputThrows() {
    var a = Fixtures.randomSymmetric(200, seed: 34)
    a[3, 5] = .nan
    a[5, 3] = .nan
    #expect(throws: LinearAlgebraError.self) { _ = try IterativeEigen.largest(a, count: 2) }
  }

  @Test func smallProblemsAreSolvedDensely() throws {
    let a = Fixtures.randomSymmetric(40, seed: 30)
    let (e, diagnostics) = try IterativeEigen.largestWithDiagnostics(a, count: 3)
    #expect(diagnostics.usedDenseFallback && diagnostics.iterations == 0)
    #expect(Check.maxAbsDiff(e.values, try SymmetricEigen.highest(a, count: 3).values) == 0)
  }

  @Test func zeroMatrixConvergesImmediately() throws {
    let e = try IterativeEigen.largest(Matrix(rows: 200, columns: 200), count: 2)
    #expect(e.values == [0, 0])
    #expect(Check.orthonormalityError(e.vectors) < 1e-13)
  }

  /// The basis products' halves depend on the sizes only, cover the extent once, and split from
  /// order 512 on (extents below 16 stay whole).
  @Test func basisProductHalvesAreFixed() {
    #expect(IterativeEigen.halves(100, order: 511) == [0..<100])
    #expect(IterativeEigen.halves(15, order: 1000) == [0..<15])
    #expect(IterativeEigen.halves(16, order: 1000) == [0..<8, 8..<16])
    #expect(IterativeEigen.halves(1000, order: 1000) == [0..<504, 504..<1000])
    #expect(IterativeEigen.halves(176, order: 4000) == [0..<88, 88..<176])
    for extent in [16, 17, 31, 100, 193, 4000] {
      let r = IterativeEigen.halves(extent, order: 600)
      #expect(r.count == 2 && r[0].lowerBound == 0 && r[0].upperBound == r[1].lowerBound && r[1].upperBound == extent)
      #expect(r[0].upperBound % 8 == 0 && !r[0].isEmpty && !r[1].isEmpty)
    }
  }

  /// From order 512 on, the projection and reorthogonalisation run in halves (on two threads when
  /// OpenBLAS runs on one) and only over the coupled rows of the basis; through restarts and the
  /// near-degenerate cluster at 1 the pairs still match `dsyevr` and the basis stays orthonormal.
  @Test func splitAndLocalProjectionMatchDense() throws {
    let blobs = Fixtures.normalisedAffinity(Fixtures.blobs(n: 700, k: 5, d: 8, seed: 41), gamma: 1.0 / 8)
    let single = try BLASThreads.withSingleThread { try Self.compare(blobs, count: 10) }
    #expect(single.diagnostics.iterations >= 3)
    let semicircle = Fixtures.randomSymmetric(640, seed: 42)
    let restarted = try BLASThreads.withSingleThread { try Self.compare(semicircle, count: 2) }
    #expect(restarted.diagnostics.restarts >= 1)
  }

  /// A rank-6 matrix: the image of each block has rank ≤ 6, so most columns of the next block are
  /// numerically in the span and dropped (blocks shrink); with local projection the pairs, zeros
  /// included, still match `dsyevr`.
  @Test func rankDeficientMatrixWithShrinkingBlocks() throws {
    var r = TestRNG(43)
    let nonzero = (0..<6).map { _ in 1 + r.uniform() }
    let a = try Fixtures.withSpectrum(nonzero + [Double](repeating: 0, count: 594), seed: 44)
    let (e, diagnostics) = try IterativeEigen.largestWithDiagnostics(a, count: 9)
    let dense = try SymmetricEigen.highest(a, count: 9)
    #expect(!diagnostics.usedDenseFallback)
    // Blocks did shrink: fewer columns multiplied than full blocks of 16.
    #expect(diagnostics.iterations >= 2)
    #expect(diagnostics.matrixVectorProducts < diagnostics.iterations * IterativeEigen.blockSize(count: 9))
    #expect(Check.maxAbsDiff(e.values, dense.values) < 1e-12)
    #expect(Check.maxResidual(a, e) <= 1.01e-10 * 2)
    #expect(Check.orthonormalityError(e.vectors) < 1e-12)
  }

  /// The block product's column ranges depend on the order only (not on threads or cores), cover
  /// 0..<n once, and split at a multiple of 64 from order 512 on.
  @Test func productChunksAreFixedHalves() {
    #expect(IterativeEigen.productChunks(order: 1) == [0..<1])
    #expect(IterativeEigen.productChunks(order: 511) == [0..<511])
    #expect(IterativeEigen.productChunks(order: 512) == [0..<256, 256..<512])
    #expect(IterativeEigen.productChunks(order: 1000) == [0..<512, 512..<1000])
    #expect(IterativeEigen.productChunks(order: 2000) == [0..<1024, 1024..<2000])
    for n in [512, 513, 777, 1000, 2047, 4000] {
      let r = IterativeEigen.productChunks(order: n)
      #expect(r.count == 2 && r[0].lowerBound == 0 && r[0].upperBound == r[1].lowerBound && r[1].upperBound == n)
      #expect(r[0].upperBound % 64 == 0 && !r[1].isEmpty)
    }
  }

  /// The AVX2 row kernel of the block product: equal to `Q·A` by `dgemm` within rounding, bit for
  /// bit the documented operation order (4 lane sums by fused multiply-add, `(s0 + s2) + (s1 + s3)`,
  /// then the `n mod 4` tail), and independent of how the rows are split. Where the processor lacks
  /// AVX2/FMA the kernel must decline (the solver then uses `dgemm`).
  @Test(arguments: [1, 3, 4, 7, 13, 64, 257, 1030])
  func rowKernelProductMatchesGEMMAndItsOperationOrder(n: Int) throws {
    let a = Fixtures.randomSymmetric(n, seed: UInt64(n))
    for m in n > 300 ? [3, 15, 16, 17] : [1, 2, 3, 4, 5, 7, 10, 15, 16, 17] {
      let q = Fixtures.random(m, n, seed: UInt64(100 + m))
      guard let out = IterativeEigen.rowKernelProduct(a, q, rows: 0..<n) else {
        #expect(!IterativeEigen.rowKernelAvailable)
        return
      }
      #expect(IterativeEigen.rowKernelAvailable)
      let reference = BLAS.gemm(q, a)
      let n4 = n & ~3
      var mismatches = 0, worst = 0.0
      for v in 0..<m {
        for i in 0..<n {
          // The documented sequence of operations, in scalar code.
          var lanes = (0.0, 0.0, 0.0, 0.0)
          var scale = 0.0
          var j = 0
          while j < n4 {
            lanes.0 = lanes.0.addingProduct(a.storage[i * n + j], q.storage[v * n + j])
            lanes.1 = lanes.1.addingProduct(a.storage[i * n + j + 1], q.storage[v * n + j + 1])
            lanes.2 = lanes.2.addingProduct(a.storage[i * n + j + 2], q.storage[v * n + j + 2])
            lanes.3 = lanes.3.addingProduct(a.storage[i * n + j + 3], q.storage[v * n + j + 3])
            j += 4
          }
          var s = (lanes.0 + lanes.2) + (lanes.1 + lanes.3)
          for t in n4..<n { s = s.addingProduct(a.storage[i * n + t], q.storage[v * n + t]) }
          for t in 0..<n { scale += abs(a.storage[i * n + t] * q.storage[v * n + t]) }
          if out[v, i].bitPattern != s.bitPattern { mismatches += 1 }
          worst = max(worst, abs(out[v, i] - reference[v, i]) / (scale + 1e-300))
        }
      }
      #expect(mismatches == 0, "n \(n) m \(m): \(mismatches) elements differ from the documented operation order")
      #expect(worst <= 1e-15 * Double(n), "n \(n) m \(m): relative difference to dgemm \(worst)")
      // Any split of the rows gives the same bits.
      for cut in Set([0, 1, n / 3, n / 2 + 1, n - 1, n]) {
        let lower = try #require(IterativeEigen.rowKernelProduct(a, q, rows: 0..<cut))
        let upper = try #require(IterativeEigen.rowKernelProduct(a, q, rows: cut..<n))
        var differ = 0
        for v in 0..<m {
          for i in 0..<n where (i < cut ? lower[v, i] : upper[v, i]).bitPattern != out[v, i].bitPattern { differ += 1 }
        }
        #expect(differ == 0, "n \(n) m \(m) cut \(cut)")
      }
    }
  }

  /// The Gram–Schmidt step in C: the result is orthogonal to every row, differs from the input
  /// by a combination of the rows only, and is reproducible; no rows leaves the vector unchanged.
  @Test(arguments: [1, 5, 15, 16, 17, 1000, 1003])
  func modifiedGramSchmidtStepOrthogonalises(n: Int) throws {
    for rows in Set([0, 1, min(n, 7), min(n, 14)]) {
      var q = Fixtures.random(rows, n, seed: UInt64(7 * n + rows))
      // Orthonormal rows by Householder QR of the transpose (dense, for the test only).
      if rows > 0 { q = try Check.orthonormalRows(q) }
      let z = Fixtures.random(1, n, seed: UInt64(n)).storage
      let out = IterativeEigen.modifiedGramSchmidtStep(q, z)
      let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
      for k in 0..<rows {
        var dot = 0.0
        for i in 0..<n { dot += q[k, i] * out[i] }
        #expect(abs(dot) <= 1e-14 * norm, "n \(n) rows \(rows) row \(k): \(dot)")
      }
      // z − out lies in the span of the rows: its coefficients reproduce it.
      var rest = zip(z, out).map { $0 - $1 }
      for k in 0..<rows {
        var c = 0.0
        for i in 0..<n { c += q[k, i] * rest[i] }
        for i in 0..<n { rest[i] -= c * q[k, i] }
      }
      #expect(rest.allSatisfy { abs($0) <= 1e-14 * norm }, "n \(n) rows \(rows)")
      #expect(IterativeEigen.modifiedGramSchmidtStep(q, z) == out)
      if rows == 0 { #expect(out == z) }
    }
  }

  @Test func blockSizeAndBasisLimit() {
    // Row kernel: count + max(4, ⌈count/5⌉) rounded up to a multiple of 3 (its 4 × 3 tiles).
    #expect(IterativeEigen.blockSize(count: 1, rowKernel: true) == 6)
    #expect(IterativeEigen.blockSize(count: 4, rowKernel: true) == 9)
    #expect(IterativeEigen.blockSize(count: 10, rowKernel: true) == 15)
    #expect(IterativeEigen.blockSize(count: 12, rowKernel: true) == 18)
    #expect(IterativeEigen.blockSize(count: 20, rowKernel: true) == 24)
    #expect(IterativeEigen.blockSize(count: 40, rowKernel: true) == 48)
    // dgemm: rounded up to a multiple of 16.
    #expect(IterativeEigen.blockSize(count: 1, rowKernel: false) == 16)
    #expect(IterativeEigen.blockSize(count: 10, rowKernel: false) == 16)
    #expect(IterativeEigen.blockSize(count: 12, rowKernel: false) == 16)
    #expect(IterativeEigen.blockSize(count: 13, rowKernel: false) == 32)
    #expect(IterativeEigen.blockSize(count: 20, rowKernel: false) == 32)
    #expect(IterativeEigen.blockSize(count: 40, rowKernel: false) == 48)
    #expect(IterativeEigen.blockSize(count: 10) == IterativeEigen.blockSize(count: 10, rowKernel: IterativeEigen.rowKernelAvailable))
    #expect(IterativeEigen.basisLimit(blockSize: 24) == 288)
    #expect(IterativeEigen.basisLimit(blockSize: 5) == 64)
  }

  /// The convergence test's eigenvalue-error measures: residuals for the pairs that need vectors,
  /// the Kato–Temple bound `r²/δ` for an isolated value, and the run bound `‖R_G‖²/δ_G` for a
  /// group of near-equal values, with the gaps shrunk by every other Ritz value's residual.
  @Test func errorMeasuresBoundClustersByTheirOuterGap() {
    // Pair 0 needs its vector; pairs 1–3 lie within 1e-5 of each other, 0.2 from the rest.
    let theta = [1.0, 0.50002, 0.50001, 0.5, 0.3]
    let residuals = [1e-12, 1e-6, 1e-6, 1e-6, 1e-3]
    let m = IterativeEigen.errorMeasures(theta: theta, residuals: residuals, count: 4, vectorCount: 1)
    #expect(m[0] == 1e-12)
    // Singletons would give r²/δ = 1e-12 / (1e-5 − 2e-6) ≈ 1.25e-7; the run {1, 2, 3} gives
    // 3e-12 / ((0.5 − 0.301) − √3e-12) ≈ 1.5e-11, and {1, 2} / {2, 3} no better.
    let run = 3e-12 / ((0.5 - 0.301) - (3e-12).squareRoot())
    for i in 1...3 { #expect(abs(m[i] - run) <= 1e-12 * run, "pair \(i): \(m[i]) vs \(run)") }
    // Without the pair below the last wanted one, runs ending there have no gap below.
    let cut = IterativeEigen.errorMeasures(theta: Array(theta.prefix(4)), residuals: Array(residuals.prefix(4)), count: 4, vectorCount: 1)
    #expect(cut[3] == 1e-6)
    #expect(cut[1] > 1e-7)  // only the singleton {1} and the run {1, 2} have gaps on both sides
  }

  @Test func errorMeasuresUseTheWorstOtherRitzValue() {
    // Pair 2 is 0.3 below pair 1 but pair 0, with a large residual, may hide an eigenvalue 0.05
    // above pair 2: the gap above is 0.05, not 0.3.
    let theta = [0.9, 0.8, 0.5, 0.1]
    let residuals = [0.35, 1e-8, 1e-6, 1e-3]
    let m = IterativeEigen.errorMeasures(theta: theta, residuals: residuals, count: 3, vectorCount: 0)
    let expected = 1e-12 / ((0.9 - 0.35 - 0.5) - 1e-6)
    #expect(abs(m[2] - expected) <= 1e-12 * expected)
    #expect(m[0] == 0.35)  // no gap below pair 0 beyond its own residual: no bound
    // NaN residuals propagate.
    let nan = IterativeEigen.errorMeasures(theta: theta, residuals: [0.1, .nan, 1e-6, 1e-3], count: 3, vectorCount: 0)
    #expect(nan[1].isNaN)
  }


  @Test func solverChoiceRouting() throws {
    #expect(SymmetricEigen.resolvedSolver(.auto, order: IterativeEigen.denseThreshold - 1, count: 5) == .dense)
    #expect(SymmetricEigen.resolvedSolver(.auto, order: 4000, count: 20) == .iterative)
    #expect(SymmetricEigen.resolvedSolver(.auto, order: 1000, count: 5) == .iterative)
    #expect(SymmetricEigen.resolvedSolver(.auto, order: 1000, count: 20) == .dense)
    #expect(IterativeEigen.minimumIterativeOrder(count: 10) == 700)
    #expect(IterativeEigen.minimumIterativeOrder(count: 20) == 1200)
    #expect(SymmetricEigen.resolvedSolver(.auto, order: 4000, count: 400) == .dense)
    #expect(SymmetricEigen.resolvedSolver(.dense, order: 4000, count: 20) == .dense)
    #expect(SymmetricEigen.resolvedSolver(.iterative, order: 300, count: 4) == .iterative)
    #expect(EigenSolverChoice(rawValue: "iterative") == .iterative)
    #expect(EigenSolverChoice.allCases.map(\.rawValue) == ["auto", "dense", "iterative"])

    let a = Fixtures.randomSymmetric(250, seed: 31)
    let dense = try SymmetricEigen.largest(a, count: 3, solver: .dense)
    let iterative = try SymmetricEigen.largest(a, count: 3, solver: .iterative)
    let auto = try SymmetricEigen.largest(a, count: 3)
    #expect(Check.maxAbsDiff(dense.values, iterative.values) < 1e-9)
    #expect(auto.values == dense.values)
  }
}
