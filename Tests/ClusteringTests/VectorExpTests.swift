import CohortLensCore
import Foundation
import Testing

@testable import Clustering

@Suite struct VectorExpTests {
  /// 10⁶ random arguments in [−745, 0]: relative error ≤ 4.5e-16 (≈ 2 ulp) against Foundation's
  /// `exp` wherever the result is a normal number; for subnormal results the error is at most
  /// 1 subnormal ulp (2⁻¹⁰⁷⁴); and at most 0.5 % of the results differ from it at all (≈ 0.15 % measured).
  @Test func matchesFoundationExpWithin2Ulp() {
    var rng = SplitMix(seed: 0x5EED)
    let count = 1_000_000
    var args = [Double](repeating: 0, count: count)
    for i in 0..<count { args[i] = -745 * Double(rng.next() >> 11) / Double(1 << 53) }
    var out = args
    out.withUnsafeMutableBufferPointer { VectorExp.apply($0.baseAddress!, count: count) }
    var worstRel = 0.0, worstSub = 0.0, differing = 0
    for i in 0..<count {
      let ref = Foundation.exp(args[i])
      if out[i] != ref { differing += 1 }
      if ref >= Double.leastNormalMagnitude {
        worstRel = max(worstRel, abs(out[i] - ref) / ref)
      } else {
        worstSub = max(worstSub, abs(out[i] - ref) / Double.leastNonzeroMagnitude)
      }
      #expect(out[i] >= 0 && out[i].isFinite)
    }
    #expect(worstRel <= 4.5e-16, "worst relative error \(worstRel)")
    #expect(worstSub <= 1, "worst subnormal error \(worstSub) × 2^-1074")
    // Nearly correctly rounded: bit-identical to the C library almost everywhere.
    #expect(differing <= count / 200, "\(differing) of \(count) differ from Foundation.exp")
  }

  @Test func exactAndLimitCases() {
    #expect(VectorExp.exp(0.0) == 1)
    #expect(VectorExp.exp(-0.0) == 1)
    #expect(VectorExp.exp(-745.2) == 0)
    #expect(VectorExp.exp(-746) == 0)
    #expect(VectorExp.exp(-1e6) == 0)
    #expect(VectorExp.exp(-Double.infinity) == 0)
    #expect(VectorExp.exp(-Double.greatestFiniteMagnitude) == 0)
    #expect(VectorExp.exp(Double.nan).isNaN)
    #expect(VectorExp.exp(710) == .infinity)
    #expect(VectorExp.exp(1) == Foundation.exp(1.0) || abs(VectorExp.exp(1) - Foundation.exp(1.0)) <= 2 * Foundation.exp(1.0).ulp)
    // Subnormal range: correct to a subnormal ulp; the smallest results are not garbage.
    for x in stride(from: -745.0, through: -708.0, by: 0.37) {
      let ref = Foundation.exp(x)
      #expect(abs(VectorExp.exp(x) - ref) <= max(Double.leastNonzeroMagnitude, 4.5e-16 * ref))
    }
    // Moderate positive arguments (not used by the RBF kernel, still accurate).
    for x in stride(from: 0.5, through: 709.5, by: 3.1) {
      let ref = Foundation.exp(x)
      #expect(abs(VectorExp.exp(x) - ref) <= 4.5e-16 * ref)
    }
  }

  @Test func tailLengthsAndRBFDiagonal() {
    for n in 1...17 {
      let x = (0..<n).map { -Double($0) * 0.75 }
      var y = x
      y.withUnsafeMutableBufferPointer { VectorExp.apply($0.baseAddress!, count: n) }
      for i in 0..<n { #expect(abs(y[i] - Foundation.exp(x[i])) <= 4.5e-16 * Foundation.exp(x[i])) }
      #expect(y[0] == 1)
    }
  }
}

/// Deterministic 64-bit generator for the tests.
typealias SplitMix = SplitMix64
