#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A bit-exact reproduction of NumPy's legacy `numpy.random.RandomState(seed)`.
///
/// The generator is the 32-bit Mersenne Twister MT19937 (Matsumoto & Nishimura 1998) with
/// NumPy's legacy seeding and legacy distribution algorithms, so every draw equals the value
/// NumPy 2.x produces for `RandomState(seed)` given the same sequence of calls. This is what
/// scikit-learn uses whenever an estimator receives `random_state=<int>`; reproducing it is how
/// CohortLens matches scikit-learn's k-means++ seeding and spectral clustering labels exactly.
///
/// - Seeding: `init_genrand` (`mt19937_seed` in NumPy): `mt[0] = seed`,
///   `mt[i] = 1812433253·(mt[i−1] ⊕ (mt[i−1] ≫ 30)) + i (mod 2³²)`.
/// - Doubles: 53-bit `random_sample` = `((a ≫ 5)·2²⁶ + (b ≫ 6)) / 2⁵³` from two 32-bit words.
/// - Normal: legacy polar Box–Muller (`legacy_gauss`) with the cached second value.
/// - Bounded integers: mask-and-reject on 32-bit words (`rk_interval` / legacy `randint`).
///
/// The value is 2.5 kB (624 state words); copying it forks the stream.
/// Reference: numpy/random/_mt19937.pyx, numpy/random/src/mt19937/mt19937.c,
/// numpy/random/src/legacy/legacy-distributions.c, numpy/random/mtrand.pyx.
public struct NumPyRandomState: Sendable, Equatable {
  private static let n = 624
  private static let m = 397
  private var key: [UInt32]
  private var position: Int
  private var hasGauss = false
  private var gauss = 0.0

  /// `numpy.random.RandomState(seed)` for an integer seed in `0…2³²−1`.
  public init(seed: UInt32) {
    var key = [UInt32](repeating: 0, count: Self.n)
    var s = seed
    for pos in 0..<Self.n {
      key[pos] = s
      s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(pos + 1)
    }
    self.key = key
    self.position = Self.n
  }

  /// Regenerates the 624 state words (`mt19937_gen`).
  private mutating func generate() {
    let n = Self.n, m = Self.m
    let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7fff_ffff, matrixA: UInt32 = 0x9908_b0df
    key.withUnsafeMutableBufferPointer { k in
      var i = 0
      while i < n - m {
        let y = (k[i] & upper) | (k[i + 1] & lower)
        k[i] = k[i + m] ^ (y >> 1) ^ ((0 &- (y & 1)) & matrixA)
        i += 1
      }
      while i < n - 1 {
        let y = (k[i] & upper) | (k[i + 1] & lower)
        k[i] = k[i + m - n] ^ (y >> 1) ^ ((0 &- (y & 1)) & matrixA)
        i += 1
      }
      let y = (k[n - 1] & upper) | (k[0] & lower)
      k[n - 1] = k[m - 1] ^ (y >> 1) ^ ((0 &- (y & 1)) & matrixA)
    }
    position = 0
  }

  /// The next raw 32-bit output of MT19937 (tempered), as `randint(0, 2**32, dtype=uint64)`.
  public mutating func nextUInt32() -> UInt32 {
    if position == Self.n { generate() }
    var y = key[position]
    position += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9d2c_5680
    y ^= (y << 15) & 0xefc6_0000
    y ^= y >> 18
    return y
  }

  /// `random_sample()`: a double in `[0, 1)` with 53 random bits,
  /// `((a ≫ 5)·67108864 + (b ≫ 6)) / 9007199254740992`. Consumes two 32-bit words.
  public mutating func randomSample() -> Double {
    let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
    return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
  }

  /// `n` draws of ``randomSample()``, as `random_sample(n)`.
  public mutating func randomSample(count: Int) -> [Double] {
    (0..<count).map { _ in randomSample() }
  }

  /// `uniform(low, high)`: `low + (high − low)·random_sample()`.
  public mutating func uniform(low: Double = 0, high: Double = 1) -> Double {
    low + (high - low) * randomSample()
  }

  /// `uniform(low, high, size=count)`.
  public mutating func uniform(low: Double = 0, high: Double = 1, count: Int) -> [Double] {
    (0..<count).map { _ in uniform(low: low, high: high) }
  }

  /// Advances the stream as `n` calls of ``randomSample()`` would (2·n words), e.g. to skip the
  /// `random_state.uniform(-1, 1, n)` ARPACK start vector scikit-learn draws in `spectral_embedding`.
  /// - Complexity: O(n).
  public mutating func skip(doubles n: Int) {
    precondition(n >= 0, "skip(doubles:) needs n ≥ 0")
    for _ in 0..<(2 * n) { _ = nextUInt32() }
  }

  /// `standard_normal()` by NumPy's `legacy_gauss`: the polar Box–Muller method
  /// (x₁, x₂ uniform on (−1, 1), r² = x₁² + x₂² rejected unless 0 < r² < 1,
  /// f = √(−2 ln r² / r²)); returns f·x₂ and caches f·x₁ for the next call.
  public mutating func standardNormal() -> Double {
    if hasGauss {
      let t = gauss
      hasGauss = false
      gauss = 0
      return t
    }
    var x1 = 0.0, x2 = 0.0, r2 = 0.0
    repeat {
      x1 = 2.0 * randomSample() - 1.0
      x2 = 2.0 * randomSample() - 1.0
      r2 = x1 * x1 + x2 * x2
    } while r2 >= 1.0 || r2 == 0.0
    let f = (-2.0 * log(r2) / r2).squareRoot()
    gauss = f * x1
    hasGauss = true
    return f * x2
  }

  /// `normal(loc, scale)` = `loc + scale·standard_normal()` (legacy).
  public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
    mean + standardDeviation * standardNormal()
  }

  /// A uniform integer in `0…max` by mask-and-reject (NumPy's `random_interval` / `rk_interval`):
  /// the smallest all-ones mask ≥ `max` is applied to fresh 32-bit words (64-bit words, two
  /// 32-bit draws high-first, above 2³²−1) until the value is ≤ `max`.
  public mutating func randomInterval(max: UInt64) -> UInt64 {
    if max == 0 { return 0 }
    var mask = max
    mask |= mask >> 1
    mask |= mask >> 2
    mask |= mask >> 4
    mask |= mask >> 8
    mask |= mask >> 16
    mask |= mask >> 32
    if max <= 0xffff_ffff {
      while true {
        let v = UInt64(nextUInt32()) & mask
        if v <= max { return v }
      }
    }
    while true {
      let hi = UInt64(nextUInt32()), lo = UInt64(nextUInt32())
      let v = ((hi << 32) | lo) & mask
      if v <= max { return v }
    }
  }

  /// `randint(low, high)`: a uniform integer in `low..<high` (legacy masked rejection,
  /// one 32-bit word per attempt when `high − low − 1 < 2³²`).
  public mutating func randint(_ low: Int, _ high: Int) -> Int {
    precondition(high > low, "randint needs low < high")
    let range = UInt64(high - low - 1)
    if range == 0xffff_ffff { return low + Int(nextUInt32()) }
    return low + Int(randomInterval(max: range))
  }

  /// `choice(n)`: uniform over `0..<n` (legacy `randint(0, n)`).
  public mutating func choice(_ n: Int) -> Int {
    randint(0, n)
  }

  /// The cumulative distribution `choice(n, p=p)` searches: `cdf = cumsum(p); cdf /= cdf[-1]`, after NumPy's
  /// checks (`p` non-negative, `|kahan_sum(p) − 1| ≤ √ε`). Callers that draw many times from the same `p` compute it
  /// once (k-means++ with uniform weights).
  /// - Complexity: O(n).
  public static func choiceCDF(_ p: [Double]) -> [Double] {
    let n = p.count
    precondition(n > 0, "choice: p must have n > 0 entries")
    var cdf = [Double](repeating: 0, count: n)
    var s = 0.0
    for i in 0..<n {
      precondition(p[i] >= 0, "choice: probabilities must be non-negative")
      s += p[i]
      cdf[i] = s
    }
    // NumPy checks |kahan_sum(p) − 1| ≤ √ε
    var kahan = 0.0, carry = 0.0
    for v in p {
      let y = v - carry
      let t = kahan + y
      carry = (t - kahan) - y
      kahan = t
    }
    precondition(abs(kahan - 1) <= Double.ulpOfOne.squareRoot(), "choice: probabilities do not sum to 1")
    let last = cdf[n - 1]
    for i in 0..<n { cdf[i] /= last }
    return cdf
  }

  /// `choice(n, p=p)` (legacy, `size=None`): `cdf = cumsum(p); cdf /= cdf[-1]`;
  /// `u = random_sample()`; returns `searchsorted(cdf, u, side='right')`, the number of
  /// `cdf` entries ≤ `u`. Consumes one double. `p` must be non-negative and sum to 1 within
  /// √ε, as NumPy checks.
  /// - Complexity: O(n).
  public mutating func choice(_ n: Int, p: [Double]) -> Int {
    precondition(n > 0 && p.count == n, "choice: p must have n > 0 entries")
    let cdf = Self.choiceCDF(p)
    let u = randomSample()
    var lo = 0, hi = n
    while lo < hi {
      let mid = (lo + hi) / 2
      if cdf[mid] <= u { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// In-place `shuffle(x)` (legacy Fisher–Yates): for `i = n−1 … 1`,
  /// `j = random_interval(i)` and swap `x[i]`, `x[j]`.
  /// - Complexity: O(n).
  public mutating func shuffle<T>(_ x: inout [T]) {
    var i = x.count - 1
    while i >= 1 {
      let j = Int(randomInterval(max: UInt64(i)))
      x.swapAt(i, j)
      i -= 1
    }
  }

  /// `permutation(n)`: `arange(n)` shuffled by ``shuffle(_:)``.
  public mutating func permutation(_ n: Int) -> [Int] {
    var x = Array(0..<n)
    shuffle(&x)
    return x
  }

  /// The first `count` words of the raw MT19937 key (for testing the seeding).
  public func stateWords(_ count: Int) -> [UInt32] { Array(key.prefix(count)) }
}
