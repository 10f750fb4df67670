import Foundation
import Testing
@testable import LinearAlgebra

/// The Householder tridiagonalisation of the Rayleigh–Ritz step (``ProjectedTridiagonal``): the C kernel
/// (`cbk_tridiagonalize`) against LAPACK `dsytrd` (+ `dsterf`, which is what `dsyevd` does for eigenvalues only)
/// on varied spectra and orders, its reconstruction `Q·T·Qᵀ = H`, and its two paths against each other.
@Suite struct TridiagonalKernelTests {
  static let orders = [1, 2, 3, 4, 5, 7, 16, 33, 100, 165, 250]

  static func reduce(_ a: Matrix, _ reduction: ProjectedTridiagonal.Reduction) throws -> ProjectedTridiagonal {
    // One BLAS thread, as in the solver: dsytrd's result is then independent of OPENBLAS_NUM_THREADS.
    try BLASThreads.withSingleThread {
      try a.storage.withUnsafeBufferPointer { h in
        try ProjectedTridiagonal(h: h.baseAddress!, ld: a.rows, p: a.rows, reduction: reduction)
      }
    }
  }

  /// The kernel paths to test on this processor.
  static var kernelPaths: [ProjectedTridiagonal.Reduction] {
    ProjectedTridiagonal.kernelAVX2Available ? [.kernelPortable, .kernelAVX2] : [.kernelPortable]
  }

  /// ‖H‖₂ (largest |eigenvalue|, dense solver).
  static func norm(_ a: Matrix) throws -> Double {
    try SymmetricEigen.all(a, vectors: false).values.map(abs).max() ?? 0
  }

  /// `max |(Q·T·Qᵀ − H)_ij|` with `Q` from the reflectors (`dormtr` applied to the identity).
  static func reconstructionError(_ t: ProjectedTridiagonal, _ a: Matrix) -> Double {
    var t = t
    let p = t.p
    var q = [Double](repeating: 0, count: p * p)
    for i in 0..<p { q[i * p + i] = 1 }
    #expect(t.applyQ(to: &q, columns: p) == 0)
    // q is column-major: Q[r][c] = q[c * p + r].
    var worst = 0.0
    for i in 0..<p {
      for j in 0..<p {
        var s = 0.0
        for k in 0..<p {
          var tq = t.d[k] * q[k * p + j]
          if k > 0 { tq += t.e[k - 1] * q[(k - 1) * p + j] }
          if k < p - 1 { tq += t.e[k] * q[(k + 1) * p + j] }
          s += q[k * p + i] * tq
        }
        worst = max(worst, abs(s - a[i, j]))
      }
    }
    return worst
  }

  /// Checks every kernel path on `a`: eigenvalues against LAPACK's reduction and the dense solver within
  /// `(16 + p/8)` ulps of ‖H‖, reconstruction within 1e-14‖H‖ (orders ≤ 100), the paths bit-identical.
  static func check(_ a: Matrix, reconstruct: Bool = true) throws {
    let p = a.rows
    let scale = max(try norm(a), Double.leastNormalMagnitude)
    let tolerance = (16 + Double(p) / 8) * Double.ulpOfOne * scale
    let lapack = try reduce(a, .lapack)
    let dense = try SymmetricEigen.all(a, vectors: false).values
    var first: ProjectedTridiagonal?
    for path in kernelPaths {
      let t = try reduce(a, path)
      #expect(t.eigenvalues.allSatisfy { $0.isFinite })
      #expect(Check.maxAbsDiff(t.eigenvalues, lapack.eigenvalues) <= tolerance, "p = \(p), \(path)")
      #expect(Check.maxAbsDiff(t.eigenvalues, dense) <= tolerance, "p = \(p), \(path)")
      if reconstruct && p <= 100 {
        #expect(reconstructionError(t, a) <= 1e-14 * scale, "p = \(p), \(path)")
      }
      if let f = first {
        #expect(f.d == t.d && f.e == t.e && f.tau == t.tau, "p = \(p): the two paths differ")
        for i in 0..<p { for r in (i + 2)..<max(i + 2, p) { #expect(f.hh[i * f.ld + r] == t.hh[i * t.ld + r]) } }
      }
      first = t
    }
  }

  @Test func randomSymmetricMatrices() throws {
    for (index, p) in Self.orders.enumerated() {
      try Self.check(Fixtures.randomSymmetric(p, seed: 700 + UInt64(index)))
    }
  }

  @Test func gradedClusteredAndRepeatedSpectra() throws {
    for p in [3, 7, 16, 33, 100, 165] {
      var r = TestRNG(UInt64(800 + p))
      let graded = (0..<p).map { pow(10, -12 * Double($0) / Double(max(1, p - 1))) }
      let clustered = (0..<p).map { i in i < p / 2 ? 1 + 1e-13 * r.uniform() : r.uniform() - 0.5 }
      let repeated = (0..<p).map { Double($0 % 3) }
      for values in [graded, clustered, repeated] {
        try Self.check(Fixtures.withSpectrum(values, seed: UInt64(900 + p)))
      }
    }
  }

  @Test func zeroColumnsDiagonalAndZeroMatrices() throws {
    for p in [1, 2, 5, 16, 33, 100] {
      // Zero rows and columns (every third): some steps have a zero column to reduce (tau = 0).
      var a = Fixtures.randomSymmetric(p, seed: UInt64(1000 + p))
      for i in stride(from: 0, to: p, by: 3) { for j in 0..<p { a[i, j] = 0; a[j, i] = 0 } }
      try Self.check(a)
      // Diagonal (tau = 0 at every step, T = H) and zero.
      var diagonal = Matrix(rows: p, columns: p)
      for i in 0..<p { diagonal[i, i] = Double(p - i) - 0.5 }
      try Self.check(diagonal)
      for path in Self.kernelPaths {
        let t = try Self.reduce(diagonal, path)
        #expect(t.d == (0..<p).map { Double(p - $0) - 0.5 } && t.e.allSatisfy { $0 == 0 })
        #expect(t.tau.allSatisfy { $0 == 0 })
      }
      try Self.check(Matrix(rows: p, columns: p))
    }
  }

  @Test func tinyAndHugeEntries() throws {
    // Powers of two scale exactly: the eigenvalues of the scaled matrix are the scaled eigenvalues. Entries near
    // 2^-990 ≈ 1e-298 take dlarfg's rescaling of tiny beta; near 2^1000 the sum of squares overflows.
    for p in [2, 7, 33, 100] {
      let a = Fixtures.randomSymmetric(p, seed: UInt64(1100 + p))
      let reference = try Self.reduce(a, .lapack).eigenvalues
      let tolerance = (16 + Double(p) / 8) * Double.ulpOfOne * (try Self.norm(a))
      for exponent in [-990, 1000] {
        let s = Double(sign: .plus, exponent: exponent, significand: 1)
        var scaled = a
        for i in 0..<scaled.storage.count { scaled.storage[i] *= s }
        for path in Self.kernelPaths {
          let t = try Self.reduce(scaled, path)
          #expect(Check.maxAbsDiff(t.eigenvalues.map { $0 / s }, reference) <= tolerance, "p = \(p), 2^\(exponent), \(path)")
        }
      }
    }
  }

  @Test func automaticChoiceFollowsTheCrossover() throws {
    let a = Fixtures.randomSymmetric(40, seed: 1200)
    let automatic = try Self.reduce(a, .automatic)
    if ProjectedTridiagonal.automaticKernelPath != nil {
      let kernel = try Self.reduce(a, .kernelPortable)
      #expect(automatic.d == kernel.d && automatic.e == kernel.e && automatic.ld == 43)
    } else {
      #expect(automatic.ld == 40)
    }
    // Above the crossover: LAPACK.
    let p = ProjectedTridiagonal.kernelMaxOrder + 1
    let big = Fixtures.randomSymmetric(p, seed: 1201)
    let t = try Self.reduce(big, .automatic)
    let lapack = try Self.reduce(big, .lapack)
    #expect(t.ld == p && t.d == lapack.d && t.e == lapack.e)
  }
}
