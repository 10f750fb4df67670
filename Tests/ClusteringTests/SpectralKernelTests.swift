import CSpectralKernel
import Foundation
import LinearAlgebra
import Testing

@testable import Clustering

/// The AVX2 kernels (CSpectralKernel) against the portable Swift code they replace, bit for bit. Where the
/// processor lacks AVX2 both sides run the Swift code and the tests pass trivially.
@Suite struct SpectralKernelTests {
  static func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }

  /// Uniform values in `[lo, hi)`.
  static func uniform(_ count: Int, _ lo: Double, _ hi: Double, seed: UInt64) -> [Double] {
    var rng = SplitMix(seed: seed)
    return (0..<count).map { _ in lo + (hi - lo) * Double(rng.next() >> 11) / Double(1 << 53) }
  }

  @Test func kernelsRunOnThisMachine() {
    // Informational on machines without AVX2; on x86-64 CI (and the benchmark machine) it must hold.
    #if arch(x86_64) && os(Linux)
      #expect(csk_available() == 1)
    #endif
  }

  @Test func expMatchesVectorExpBitForBit() {
    var args: [Double] = [
      0, -0.0, 1, -1, .nan, -.nan, .infinity, -.infinity, -1100, -1100.5, -2000, -1e300, 709.7, 709.8, 710, 710.5,
      800, 1e300, -708.3, -708.4, -708.5, -720, -744.4, -745.1, -745.2, -746, .leastNonzeroMagnitude,
      -.leastNonzeroMagnitude, -.leastNormalMagnitude, 1e-300, -1e-17, Double(bitPattern: 0x7FF0_0000_0000_0001),
    ]
    args += Self.uniform(10_001, -800, 720, seed: 11)
    args += Self.uniform(4_099, -1, 0, seed: 12)
    for count in [0, 1, 2, 3, 4, 5, 7, 8, 9, args.count] {
      var portable = Array(args.prefix(count))
      var native = portable
      portable.withUnsafeMutableBufferPointer { VectorExp.apply($0.baseAddress!, count: count) }
      let ran = VectorExp.table.withUnsafeBufferPointer { t in
        native.withUnsafeMutableBufferPointer { csk_exp($0.baseAddress, count, t.baseAddress!) }
      }
      if ran == 0 { continue }
      #expect(Self.bits(native) == Self.bits(portable), "count \(count)")
    }
  }

  static func features(_ n: Int, _ d: Int, seed: UInt64, scale: Double) -> Matrix {
    var m = Matrix(rows: n, columns: d)
    let v = uniform(n * d, -scale, scale, seed: seed)
    for i in 0..<n { for j in 0..<d { m[i, j] = v[i * d + j] } }
    // Repeated rows (zero distances: the cancellation can leave a tiny negative sum, replaced by 0).
    if n > 3 { for j in 0..<d { m[n - 1, j] = m[1, j]; m[n - 2, j] = m[1, j] } }
    return m
  }

  @Test(arguments: [1, 2, 3, 7, 63, 64, 65, 257, 300, 1000, 1031])
  func rbfNativeEqualsPortable(n: Int) {
    let configurations = [(8, 0.125, 10.0), (1, 1.0, 3.0), (3, 50.0, 2.0), (13, 1e-3, 1.0), (2, 0.5, 1.0), (64, 0.02, 1.0)]
    for (d, gamma, scale) in n >= 1000 ? Array(configurations.prefix(1)) : configurations {
      let x = Self.features(n, d, seed: UInt64(n * 31 + d), scale: scale)
      let portable = Affinity.rbf(x, gamma: gamma, native: false)
      let native = Affinity.rbf(x, gamma: gamma, native: true)
      #expect(Self.bits(native.storage) == Self.bits(portable.storage), "n \(n) d \(d) γ \(gamma)")
    }
  }

  /// Both paths against the documented per-entry formula evaluated serially here: Gram entries by fused
  /// multiply-adds in feature order, `(−2·g + ‖x_i‖²) + ‖x_j‖²` clamped at 0, `VectorExp.exp`, the diagonal 1, the
  /// lower triangle the mirror. Same bits whatever the band, block, tile or thread a value came from.
  @Test(arguments: [1, 2, 3, 5, 7, 9, 64, 65, 300, 1000])
  func rbfEqualsDocumentedFormula(n: Int) {
    for (d, gamma, scale) in [(1, 1.0, 3.0), (2, 0.5, 2.0), (8, 0.125, 10.0), (13, 1e-3, 1.0)] {
      if n == 1000 && d != 8 { continue }
      let x = Self.features(n, d, seed: UInt64(n * 17 + d), scale: scale)
      let c = Pairwise.centered(x)
      let norms = Pairwise.rowSquaredNorms(c)
      var expected = [Double](repeating: 0, count: n * n)
      for i in 0..<n {
        expected[i * n + i] = 1
        for j in (i + 1)..<max(i + 1, n) {
          var g = c[i, 0] * c[j, 0]
          for k in 1..<d { g.addProduct(c[i, k], c[j, k]) }
          var v = -2 * g + norms[i]
          v += norms[j]
          if v < 0 { v = 0 }
          let e = VectorExp.exp(v * -gamma)
          expected[i * n + j] = e
          expected[j * n + i] = e
        }
      }
      for native in [false, true] {
        let s = Affinity.rbf(x, gamma: gamma, native: native)
        #expect(Self.bits(s.storage) == Self.bits(expected), "n \(n) d \(d) native \(native)")
        // Repeated rows (see `features`): zero distance up to the cancellation of the dot-product form.
        if n > 3 { #expect(abs(s[n - 1, 1] - 1) <= 1e-12 && s[1, n - 2] == s[n - 2, 1] && s[n - 1, n - 2] <= 1) }
      }
    }
  }

  @Test func rbfWithoutFeatureColumns() {
    let x = Matrix(rows: 5, columns: 0)
    for native in [false, true] {
      let s = Affinity.rbf(x, gamma: 1, native: native)
      #expect(s.storage == [Double](repeating: 1, count: 25))
    }
  }

  @Test(arguments: [1, 2, 7, 15, 16, 17, 64, 257, 1031])
  func degreesNativeEqualsPortable(n: Int) throws {
    var w = SpectralFastPathTests.randomMatrix(n, seed: UInt64(n) &+ 77, symmetric: n % 2 == 0)
    if n > 5 { for j in 0..<n { w[4, j] = 0; w[j, 4] = 0 } }
    let portable = try GraphLaplacian.degrees(of: w, native: false)
    let native = try GraphLaplacian.degrees(of: w, native: true)
    #expect(Self.bits(native) == Self.bits(portable))
    // Wider than one 4096-column half.
    if n == 1031 {
      let wide = SpectralFastPathTests.randomMatrix(8195, seed: 5, symmetric: false)
      #expect(
        Self.bits(try GraphLaplacian.degrees(of: wide, native: true))
          == Self.bits(try GraphLaplacian.degrees(of: wide, native: false)))
    }
  }

  @Test(arguments: [1, 2, 3, 7, 64, 1000, 1030])
  func operatorNativeEqualsPortable(n: Int) throws {
    var w = SpectralFastPathTests.randomMatrix(n, seed: UInt64(n) &+ 5, symmetric: true)
    if n > 5 { for j in 0..<n { w[5, j] = 0; w[j, 5] = 0 } }  // an isolated node
    let deg = try GraphLaplacian.degrees(of: w)
    let sq = GraphLaplacian.sqrtDegrees(deg)
    for form in [GraphLaplacian.OperatorForm.laplacian, .shifted(1)] {
      let portable = GraphLaplacian.operatorMatrix(
        w, nodes: Array(0..<n), degrees: deg, sqrtDegree: sq, kind: .normalized, form: form, native: false)
      let native = GraphLaplacian.operatorMatrix(
        w, nodes: Array(0..<n), degrees: deg, sqrtDegree: sq, kind: .normalized, form: form, native: true)
      #expect(Self.bits(native.storage) == Self.bits(portable.storage), "n \(n) \(form)")
    }
  }

  /// The huge-page-friendly allocation: the matrix is complete and has at least `count` elements.
  @Test(arguments: [1, 100, 524_288, 1_000_000, 1_048_568, 1_048_569])
  func uninitializedStorageIsFilled(count: Int) {
    let a = spectralUninitializedStorage(count: count) { p in
      for k in 0..<count { p[k] = Double(k) }
    }
    #expect(a.count == count)
    #expect(a.first == 0 && a.last == Double(count - 1))
    #expect(a.capacity >= count)
  }
}
