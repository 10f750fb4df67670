/// Vectorised natural exponential for the RBF kernel (8 lanes of `Double`), accurate enough to
/// agree with a correctly rounded `exp` on all but rare near-halfway cases.
///
/// Algorithm (table-driven, as glibc's `exp`; Tang 1989, Cody–Waite reduction):
///
/// 1. Clamp `x` to `[−1100, 710]` (beyond either end `exp` is 0 or +∞ anyway; NaN passes).
/// 2. `m = round(x·128/ln2)` via the 1.5·2⁵² shifter (read as an integer from the low mantissa
///    bits); `m = 128·k + j`, `0 ≤ j < 128`.
/// 3. `r = (x − m·ln2_hi/128) − m·ln2_lo/128`, `|r| ≤ ln2/256`; `ln2_hi` has 32 significant bits,
///    so `m·ln2_hi/128` is exact for `|m| < 2²¹` and the first subtraction is exact.
/// 4. `e^r − 1 ≈ s = r + r²·(1/2 + r/6 + r²/24 + r³/120 + r⁴/720)` (Taylor remainder < 3·10⁻²²).
/// 5. `2^{j/128}` is a double-double table entry `(T_hi, T_lo)` (built once in double-double
///    arithmetic, ≈ 2⁻¹⁰⁰ accurate), and `exp(x) = 2^k·(T_hi + (T_lo + T_hi·s))`: one rounding of
///    a value already accurate to ≈ 2⁻⁶⁰ relative, i.e. within ≈ 0.502 ulp.
/// 6. `2^k` is applied as `2^{k₁}·2^{k₂}` (`k₁ = ⌊k/2⌋`, `k₂ = k − k₁`, exponent bits): exact when
///    the result is normal, a correct underflow to subnormals (`−745.1 < x < −708.4`, at most one
///    subnormal ulp off), 0 below, +∞ above ≈ 709.8.
///
/// `exp(0) = 1` exactly; NaN in → NaN out. Cost: ≈ 25 vector operations and 16 table loads per 8
/// values, no branches.
enum VectorExp {
  typealias V = SIMD8<Double>

  static let invLn2N: Double = 184.66496523378731  // 128 / ln 2
  static let ln2HiN: Double = 6.93147180369123816490e-01 / 128  // 32 significant bits
  static let ln2LoN: Double = 1.90821492927058770002e-10 / 128  // (ln 2 − ln2_hi) / 128
  static let shifter: Double = 6755399441055744.0  // 1.5·2⁵²

  /// `[T_hi(0), T_lo(0), T_hi(1), …]`: `2^{j/128}` as double-double, j = 0..<128.
  static let table: [Double] = {
    var t = [Double](repeating: 0, count: 256)
    // ln 2 as double-double.
    let ln2 = DD(0.6931471805599453, 2.3190468138462996e-17)
    for j in 0..<128 {
      let a = ln2.times(Double(j) / 128)  // j/128 is exact
      // Taylor series of e^a in double-double (a < 0.7: 40 terms reach 2⁻¹¹⁰).
      var sum = DD(1, 0)
      var term = DD(1, 0)
      for n in 1...40 {
        term = term.times(a).divided(by: Double(n))
        sum = sum.plus(term)
      }
      t[2 * j] = sum.hi
      t[2 * j + 1] = sum.lo
    }
    t[0] = 1
    t[1] = 0
    return t
  }()

  /// `exp` of each lane of `input` (see the type's documentation); `table` = ``table``'s storage.
  @inline(__always)
  static func exp(_ input: V, table: UnsafePointer<Double>) -> V {
    var x = input
    x.replace(with: -1100, where: x .< -1100)
    x.replace(with: 710, where: x .> 710)
    let t = x * invLn2N + shifter
    let md = t - shifter
    let m = unsafeBitCast(t, to: SIMD8<Int64>.self) &- unsafeBitCast(V(repeating: shifter), to: SIMD8<Int64>.self)
    let r = (x - md * ln2HiN) - md * ln2LoN
    var q = r * (1.0 / 720.0) + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    let s = r + (r * r) * q
    let j = m & 127
    var th = V(), tl = V()
    for l in 0..<8 {
      let idx = Int(truncatingIfNeeded: j[l]) &* 2
      th[l] = table[idx]
      tl[l] = table[idx &+ 1]
    }
    let p = th + (tl + th * s)
    let k = m &>> 7
    let k1 = k &>> 1
    let k2 = k &- k1
    let s1 = unsafeBitCast((k1 &+ 1023) &<< 52, to: V.self)
    let s2 = unsafeBitCast((k2 &+ 1023) &<< 52, to: V.self)
    return (p * s1) * s2
  }

  /// Overwrites `p[0..<count]` with `exp(p[i])`.
  static func apply(_ p: UnsafeMutablePointer<Double>, count: Int) {
    table.withUnsafeBufferPointer { tb in apply(p, count: count, table: tb.baseAddress!) }
  }

  /// ``apply(_:count:)`` with the table pointer supplied by the caller (hot loops).
  @inline(__always)
  static func apply(_ p: UnsafeMutablePointer<Double>, count: Int, table: UnsafePointer<Double>) {
    var j = 0
    let raw = UnsafeMutableRawPointer(p)
    while j + 8 <= count {
      let v = raw.loadUnaligned(fromByteOffset: j * 8, as: V.self)
      raw.storeBytes(of: exp(v, table: table), toByteOffset: j * 8, as: V.self)
      j += 8
    }
    if j < count {
      var v = V(repeating: 0)
      for l in 0..<(count - j) { v[l] = p[j + l] }
      let e = exp(v, table: table)
      for l in 0..<(count - j) { p[j + l] = e[l] }
    }
  }

  /// Scalar convenience (one lane of ``exp(_:table:)``).
  static func exp(_ x: Double) -> Double {
    table.withUnsafeBufferPointer { exp(V(repeating: x), table: $0.baseAddress!)[0] }
  }
}

/// Minimal double-double arithmetic (value `hi + lo`, |lo| ≤ ulp(hi)/2) for building tables.
private struct DD {
  var hi: Double
  var lo: Double
  init(_ hi: Double, _ lo: Double) {
    let s = hi + lo
    self.lo = lo - (s - hi)
    self.hi = s
  }

  static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
    let s = a + b
    let bb = s - a
    return (s, (a - (s - bb)) + (b - bb))
  }

  static func twoProd(_ a: Double, _ b: Double) -> (Double, Double) {
    let p = a * b
    return (p, (-p).addingProduct(a, b))
  }

  func plus(_ o: DD) -> DD {
    let (s, e) = DD.twoSum(hi, o.hi)
    return DD(s, e + lo + o.lo)
  }

  func times(_ o: DD) -> DD {
    let (p, e) = DD.twoProd(hi, o.hi)
    return DD(p, e + (hi * o.lo + lo * o.hi))
  }

  func times(_ d: Double) -> DD {
    let (p, e) = DD.twoProd(hi, d)
    return DD(p, e + lo * d)
  }

  func divided(by d: Double) -> DD {
    let q1 = hi / d
    let (p, e) = DD.twoProd(q1, d)
    let rem = ((hi - p) - e) + lo
    return DD(q1, rem / d)
  }
}
