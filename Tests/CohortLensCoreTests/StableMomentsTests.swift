import CohortLensCore
import Testing

@Suite struct StableMomentsTests {
  @Test func meanOfHugeFiniteValuesDoesNotOverflow() {
    // A plain sum of 24 × 1e308 is +∞.
    #expect(StableMoments.mean([Double](repeating: 1e308, count: 24)) == 1e308)
    #expect(StableMoments.mean([Double](repeating: -Double.greatestFiniteMagnitude, count: 5)) == -Double.greatestFiniteMagnitude)
    // ∞ − ∞ in a plain sum: NaN.
    let mixed = StableMoments.mean([1e308, 1e308, -1e308, -1e308, 1.5e308, 1.5e308])!
    #expect(abs(mixed - 0.5e308) <= 1e-15 * 0.5e308)
    // Constant sequences whose rescaled sum rounds still give their value.
    for c in [1.7e308, 1.234e308, 9.87e307] {
      for n in [3, 7, 27] { #expect(StableMoments.mean([Double](repeating: c, count: n)) == c, "\(c) × \(n)") }
    }
  }

  @Test func ordinaryMeansArePlainSumsKeptInRange() {
    let v = [0.5, 1.25, -3.0, 8.0]
    #expect(StableMoments.mean(v) == (0.5 + 1.25 - 3.0 + 8.0) / 4)
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004; its third is not 0.1, the clamp restores it.
    #expect(StableMoments.mean([0.1, 0.1, 0.1]) == 0.1)
    #expect(StableMoments.mean([]) == nil)
    #expect(StableMoments.mean([1, .nan])!.isNaN)
  }

  @Test func columnCentresOfARowMajorMatrix() {
    let x: [Double] = [1, 1e308, 2, 1e308, 4, 1e308]
    let c = x.withUnsafeBufferPointer { StableMoments.columnCentres($0, rows: 3, columns: 2) }
    #expect(c == [7.0 / 3.0, 1e308])
    #expect(StableMoments.powerOfTwo(atMagnitude: 1e308) == 0x1p1023)
    #expect(StableMoments.powerOfTwo(atMagnitude: 3) == 2)
    #expect(StableMoments.powerOfTwo(atMagnitude: 0) == 1)
  }
}
