#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal-to-`Double` conversion of CSV cells, bit-identical to C `strtod`.
///
/// Accepted syntax (after the caller has trimmed blanks):
/// `[+-]? (digits ['.' digits*] | '.' digits) ([eE] [+-]? digits)?` — no hex floats, no `inf`/`nan`,
/// no thousands separators, `.` as the decimal point regardless of locale.
///
/// Algorithm: the digits are accumulated into a `UInt64` significand. When there are at most 15
/// significant digits (so the significand is exact in a `Double`) and the decimal exponent `e`
/// satisfies `|e| ≤ 22` (so `10^|e|` is exact), the result is a single correctly rounded IEEE
/// multiplication or division (Clinger's fast path); 15 digits with `22 < e ≤ 22 + (15 − digits)`
/// also stay exact by moving powers of ten into the significand. Every other input is copied into a
/// NUL-terminated buffer and converted by `strtod`, which glibc rounds correctly. Complexity O(n) in
/// the length of the text; no allocation on the fast path.
public enum DecimalParser {
  /// Exact powers of ten representable in a `Double`.
  @usableFromInline static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  /// Parses `text` (the whole string must match the syntax above).
  /// Returns `nil` for anything else; may return `±infinity` for overflowing input such as `1e999`.
  public static func parse(_ text: String) -> Double? {
    var copy = text
    return copy.withUTF8 { parse($0) }
  }

  /// Parses the bytes of `buffer` (the whole buffer must match). See `parse(_:)-String`.
  @inlinable
  public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> Double? {
    let n = buffer.count
    guard n > 0, let p = buffer.baseAddress else { return nil }
    var i = 0
    var negative = false
    if p[0] == UInt8(ascii: "-") {
      negative = true
      i = 1
    } else if p[0] == UInt8(ascii: "+") {
      i = 1
    }
    var significand: UInt64 = 0
    var significantDigits = 0  // digits after leading zeros, counted into `significand` or dropped
    var droppedDigits = false
    var exponent = 0
    var sawDigit = false
    // Integer part.
    while i < n {
      let d = p[i] &- UInt8(ascii: "0")
      if d > 9 { break }
      sawDigit = true
      if significantDigits > 0 || d != 0 {
        if significantDigits < 19 {
          significand = significand &* 10 &+ UInt64(d)
        } else {
          exponent += 1
          droppedDigits = true
        }
        significantDigits += 1
      }
      i += 1
    }
    // Fraction.
    if i < n && p[i] == UInt8(ascii: ".") {
      i += 1
      while i < n {
        let d = p[i] &- UInt8(ascii: "0")
        if d > 9 { break }
        sawDigit = true
        if significantDigits > 0 || d != 0 {
          if significantDigits < 19 {
            significand = significand &* 10 &+ UInt64(d)
            exponent -= 1
          } else {
            droppedDigits = true
          }
          significantDigits += 1
        } else {
          exponent -= 1
        }
        i += 1
      }
    }
    guard sawDigit else { return nil }
    // Exponent.
    if i < n && (p[i] | 0x20) == UInt8(ascii: "e") {
      i += 1
      var expNegative = false
      if i < n && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) {
        expNegative = p[i] == UInt8(ascii: "-")
        i += 1
      }
      var e = 0
      var sawExpDigit = false
      while i < n {
        let d = p[i] &- UInt8(ascii: "0")
        if d > 9 { break }
        sawExpDigit = true
        if e < 100_000 { e = e * 10 + Int(d) }
        i += 1
      }
      guard sawExpDigit else { return nil }
      exponent += expNegative ? -e : e
    }
    guard i == n else { return nil }

    if significand == 0 && !droppedDigits { return negative ? -0.0 : 0.0 }
    if significantDigits <= 15 {
      var value = Double(significand)
      if exponent >= 0 && exponent <= 22 {
        value *= powersOfTen[exponent]
        return negative ? -value : value
      }
      if exponent < 0 && exponent >= -22 {
        value /= powersOfTen[-exponent]
        return negative ? -value : value
      }
      let slack = 15 - significantDigits
      if exponent > 22 && exponent <= 22 + slack {
        value *= powersOfTen[exponent - 22]  // exact: stays below 10^15
        value *= powersOfTen[22]
        return negative ? -value : value
      }
    }
    return viaStrtod(buffer)
  }

  /// Converts with C `strtod` on a NUL-terminated copy of `buffer` (the reference behaviour).
  @usableFromInline
  static func viaStrtod(_ buffer: UnsafeBufferPointer<UInt8>) -> Double? {
    let n = buffer.count
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { tmp -> Double? in
      guard let t = tmp.baseAddress, let src = buffer.baseAddress else { return nil }
      src.withMemoryRebound(to: CChar.self, capacity: n) { t.update(from: $0, count: n) }
      t[n] = 0
      var end: UnsafeMutablePointer<CChar>? = nil
      let value = strtod(t, &end)
      guard let end, end - t == n else { return nil }
      return value
    }
  }
}
