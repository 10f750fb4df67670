#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text forms of `Double` for reports.
public enum NumberFormatting {
  /// The shortest decimal text that parses back (with `strtod` or `Double(_:)`) to exactly `x`:
  /// Swift's `description` (`0.1`, `3.0`, `1e-05`, `1.5e+300`, `-0.0`), which is also valid JSON.
  /// Non-finite values give `nan`, `inf`, `-inf` (JSON writers map them to `null` instead).
  /// O(1).
  public static func roundTrip(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    return x.description
  }

  /// `x` with exactly `decimals` digits after the point (`printf("%.*f")`, round-half-even on the
  /// binary value), for human-readable tables. Default 4 decimals. Negative zero and values that round
  /// to zero print without a minus sign (`-0.00001` → `0.0000`). Non-finite: `nan`, `inf`, `-inf`.
  public static func fixed(_ x: Double, decimals: Int = 4) -> String {
    precondition(decimals >= 0 && decimals <= 30, "decimals must be in 0...30")
    if !x.isFinite { return roundTrip(x) }
    var s = printf("%.*f", Int32(decimals), x)
    if s.hasPrefix("-") && s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { s.removeFirst() }
    return s
  }

  /// `x` with `digits` significant digits (`printf("%.*g")`), e.g. `0.0001235`, `1.235e+06`.
  /// Default 4 digits. Non-finite: `nan`, `inf`, `-inf`.
  ///
  /// Never more digits than the value holds: when the shortest round-trip text (``roundTrip(_:)``) has fewer
  /// significant digits than `digits`, those are printed. This matters for subnormal values, whose precision
  /// falls to a few digits: `-1e-320` prints as `-1e-320`, not `-9.99989e-321` (the six digits of the binary
  /// value, five of them not part of the number), and `5e-324` as `5e-324`, not `4.94066e-324`. Normal doubles
  /// (15+ significant digits) print as `printf` does. O(digits).
  public static func significant(_ x: Double, digits: Int = 4) -> String {
    precondition(digits >= 1 && digits <= 30, "digits must be in 1...30")
    if !x.isFinite { return roundTrip(x) }
    let text = printf("%.*g", Int32(digits), x)
    let held = significantDigits(x.description)
    if significantDigits(text) > held {
      // Fewer digits: `%.Ng` from N = the shortest text's digit count, the first that reads back as `x` (the
      // first already does whenever the nearest N-digit decimal lies in the rounding interval).
      for n in held..<digits {
        let s = printf("%.*g", Int32(n), x)
        if Double(s) == x { return s }
      }
    }
    return text
  }

  /// The number of significant digits of a decimal text, trailing zeros of the digits not counted:
  /// `1e-320` → 1, `-9.99989e-321` → 6, `0.125` → 3, `100` → 1, `0.0` → 1. O(length).
  static func significantDigits(_ text: String) -> Int {
    var count = 0, leading = true, pendingZeros = 0
    for c in text.utf8 {
      if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { break }
      guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { continue }
      if c == UInt8(ascii: "0") {
        if !leading { pendingZeros += 1 }
      } else {
        leading = false
        count += pendingZeros + 1
        pendingZeros = 0
      }
    }
    return max(count, 1)
  }

  private static func printf(_ format: String, _ precision: Int32, _ x: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    let n = buffer.withUnsafeMutableBufferPointer { b in
      withVaList([precision, x]) { vsnprintf(b.baseAddress, b.count, format, $0) }
    }
    precondition(n >= 0 && n < 512, "number too long")
    return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
