/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a tiny, fast 64-bit generator for internal randomness that need not match any other library —
/// start blocks of iterative eigensolvers, reproducible test data.
///
/// For streams that must equal NumPy's (k-means++ seeding, LIME sampling) use ``NumPyRandomState``.
/// Same seed, same sequence, on every platform.
public struct SplitMix64: Sendable, Equatable {
  /// The generator state (advanced by the golden-ratio increment on every draw).
  public var state: UInt64

  /// A generator starting from `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  @inlinable
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1) with 53 random bits.
  @inlinable
  public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// Uniform in [−1, 1) with 53 random bits.
  @inlinable
  public mutating func nextSigned() -> Double { Double(next() >> 11) * 0x1.0p-52 - 1 }
}
