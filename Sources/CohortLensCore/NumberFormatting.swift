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
  public static func significant(_ x: Double, digits: Int = 4) -> String {
    precondition(digits >= 1 && digits <= 30, "digits must be in 1...30")
    if !x.isFinite { return roundTrip(x) }
    return printf("%.*g", Int32(digits), x)
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
