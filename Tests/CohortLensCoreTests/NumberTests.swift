import Testing
@testable import CohortLensCore
#if canImport(Glibc)
import Glibc
#endif

private func cString(_ format: String, _ x: Double) -> String {
  var buffer = [CChar](repeating: 0, count: 512)
  let n = buffer.withUnsafeMutableBufferPointer { b in withVaList([x]) { vsnprintf(b.baseAddress, 512, format, $0) } }
  return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func reference(_ s: String) -> Double {
  strtod(s, nil)
}

@Suite struct DecimalParserTests {
  @Test func edgeCasesMatchStrtod() {
    let cases = [
      "0", "-0", "+0", "0.0", "-0.0", "1", "-1", "0.1", "0.2", "0.3", "1e308", "1.7976931348623157e308",
      "5e-324", "4.9406564584124654e-324", "2.2250738585072014e-308", "123456789012345678", "9007199254740993",
      "9007199254740992", "1e22", "1e23", "1e-22", "1e-23", ".5", "5.", "-.5e-3", "1E5", "1e+5", "00012.50",
      "0.000000000000000000000000001", "123456789012345.6789", "1e-400", "3.14159265358979323846264338327950",
      "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    ]
    for c in cases {
      let v = DecimalParser.parse(c)
      #expect(v?.bitPattern == reference(c).bitPattern, "\(c)")
    }
    #expect(DecimalParser.parse("-0")?.sign == .minus)
  }

  @Test func wordAtATimePath() {
    func short(_ cell: String, padding: String = ",xxxxxxxxxxxxxxxx") -> Double? {
      let bytes = Array((cell + padding).utf8)
      return bytes.withUnsafeBufferPointer {
        DecimalParser.parseShort($0.baseAddress!, start: 0, end: cell.utf8.count, readable: $0.count)
      }
    }
    #expect(short("12.68084") == 12.68084)
    #expect(short("-1234567.1234567") == -1234567.1234567)
    #expect(short("-0")?.sign == .minus)
    #expect(short("0.1") == 0.1)
    #expect(short("42") == 42)
    #expect(short("12345678") == nil)  // 8 digits: defer to the general parser
    #expect(short("1.12345678") == 1.12345678)  // 8+ fraction digits: a second word
    #expect(short("1234567.12345678") == 1234567.12345678)  // 15 digits in all
    #expect(short("0.0007659571561")?.bitPattern == reference("0.0007659571561").bitPattern)
    #expect(short("-0.12345678901234")?.bitPattern == reference("-0.12345678901234").bitPattern)
    // 16 to 19 digits: the general parser's Eisel–Lemire step, taken directly (bit for bit the same).
    for t in ["12.12345678901234", "-10.919441849864537", "1234567.123456789012", "9.007199254740993",
              "-0.900719925474099", "9999999.999999999999"] {
      #expect(short(t) != nil, "\(t)")
      #expect(short(t)?.bitPattern == DecimalParser.parse(t)?.bitPattern, "\(t)")
      #expect(short(t)?.bitPattern == reference(t).bitPattern, "\(t)")
    }
    // 16 fraction digits or more (two full words): still the general parser's.
    #expect(short("1.1234567890123456") == nil)
    #expect(short("0.6381961105087102") == nil)
    #expect(short("1234567.1234567890123") == nil)  // 20 digits: defer to the general parser
    #expect(short("1.12345678", padding: "") == nil)  // second word not readable
    #expect(short("1e5") == nil)
    #expect(short(".5") == nil)
    #expect(short("1.") == nil)
    #expect(short("12", padding: "34") == nil)  // not enough readable bytes for a word
  }

  @Test func wordAtATimePathBitIdenticalToStrtod() {
    var rng = SystemRandomNumberGenerator()
    var mismatches: [String] = []
    var taken = 0
    for _ in 0..<200_000 {
      var t = Bool.random(using: &rng) ? "-" : ""
      for _ in 0..<Int.random(in: 1...8, using: &rng) { t.append(Character(String(Int.random(in: 0...9, using: &rng)))) }
      if Int.random(in: 0..<4, using: &rng) > 0 {
        t += "."
        for _ in 0..<Int.random(in: 1...17, using: &rng) { t.append(Character(String(Int.random(in: 0...9, using: &rng)))) }
      }
      let bytes = Array((t + ",1234567890123456").utf8)
      let v = bytes.withUnsafeBufferPointer {
        DecimalParser.parseShort($0.baseAddress!, start: 0, end: t.utf8.count, readable: $0.count)
      }
      if let v {
        taken += 1
        if v.bitPattern != reference(t).bitPattern { mismatches.append(t) }
      }
    }
    #expect(taken > 50_000)
    #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
  }

  /// The 16–19 digit cells the word-at-a-time path now converts itself (the shape of NumPy/pandas' 17-digit
  /// round-trip output) give the general parser's bits, for every length and sign, and the path declines
  /// 20 digits and more as before.
  @Test func wordAtATimeLongSignificandsEqualTheGeneralParser() {
    var rng = SystemRandomNumberGenerator()
    var mismatches: [String] = []
    var taken = 0
    for round in 0..<200_000 {
      var t = round % 2 == 0 ? "-" : ""
      let intDigits = Int.random(in: 1...7, using: &rng)
      for _ in 0..<intDigits { t.append(Character(String(Int.random(in: 0...9, using: &rng)))) }
      t += "."
      let total = Int.random(in: 15...21, using: &rng)
      for _ in 0..<max(1, total - intDigits) { t.append(Character(String(Int.random(in: 0...9, using: &rng)))) }
      let bytes = Array((t + ",0000000").utf8)
      let v = bytes.withUnsafeBufferPointer {
        DecimalParser.parseShort($0.baseAddress!, start: 0, end: t.utf8.count, readable: $0.count)
      }
      let digits = t.utf8.filter { $0 >= 48 && $0 <= 57 }.count
      if digits > 19 && v != nil { mismatches.append("taken: " + t) }
      if let v {
        taken += 1
        if v.bitPattern != DecimalParser.parse(t)?.bitPattern || v.bitPattern != reference(t).bitPattern {
          mismatches.append(t)
        }
      }
    }
    #expect(taken > 100_000)
    #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
  }

  @Test func rejectsNonNumbers() {
    for c in ["", "-", "+", ".", "e5", "1e", "1e+", "abc", "1.2.3", "0x10", "inf", "nan", "1,5", "1 ", "--1", "1e5x"] {
      #expect(DecimalParser.parse(c) == nil, "\(c)")
    }
    #expect(DecimalParser.parse("1e999") == .infinity)
  }

  @Test func randomValuesBitIdenticalToStrtod() {
    var rng = SystemRandomNumberGenerator()
    var mismatches: [String] = []
    for _ in 0..<100_000 {
      let x: Double
      switch Int.random(in: 0..<3, using: &rng) {
      case 0: x = Double(bitPattern: UInt64.random(in: 0 ... 0x7FEF_FFFF_FFFF_FFFF, using: &rng))
      case 1: x = Double.random(in: -1000...1000, using: &rng)
      default: x = Double.random(in: 0...1, using: &rng) * pow(10, Double(Int.random(in: -30...30, using: &rng)))
      }
      let texts = [
        cString("%.17g", x), cString("%.10g", x), cString("%.6f", x), cString("%.3e", x),
        String(Int64.random(in: Int64.min ... Int64.max, using: &rng)), String(Int.random(in: -99999...99999, using: &rng)),
        x.description,
      ]
      for t in texts where DecimalParser.parse(t)?.bitPattern != reference(t).bitPattern {
        mismatches.append(t)
      }
    }
    #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
  }
}

@Suite struct EiselLemireTests {
  /// Every significand of up to 19 digits with every decimal exponent goes through Eisel–Lemire;
  /// each result must be bit-identical to glibc's correctly rounded strtod.
  @Test func nineteenDigitSignificandsBitIdenticalToStrtod() {
    var rng = SplitMix64(seed: 20261123)
    var mismatches: [String] = []
    for k in 0..<300_000 {
      let digits = 1 + Int(rng.next() % 19)
      var w = rng.next() % 10_000_000_000_000_000_000
      var limit: UInt64 = 1
      for _ in 0..<digits { limit = limit &* 10 }
      if digits < 19 { w %= limit }
      let q = Int(rng.next() % 680) - 360
      let text = k % 2 == 0 ? "\(w)e\(q)" : "-\(w)e\(q)"
      if DecimalParser.parse(text)?.bitPattern != reference(text).bitPattern { mismatches.append(text) }
    }
    #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
  }

  @Test func hardCasesBitIdenticalToStrtod() {
    let cases = [
      "9007199254740993", "9007199254740995", "4503599627370497.5", "2.4703282292062327e-324",
      "2.4703282292062328e-324", "4.9406564584124654e-324", "2.2250738585072011e-308", "2.2250738585072012e-308",
      "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "9999999999999999999e289",
      "1e-342", "1e-343", "7.2057594037927933e16", "0.30000000000000004", "-0.03440503921269287",
      "1844674407370955161e1", "18446744073709551615", "1.00000000000000011102230246251565404236316680908203125",
      "8.98846567431158e307", "3.4028236692093846346e38", "2.0000000000000004440892098500626161694526672363281",
    ]
    for c in cases {
      #expect(DecimalParser.parse(c)?.bitPattern == reference(c).bitPattern, "\(c)")
    }
  }
}

@Suite struct TableNumberTests {
  /// Cells go through the word-at-a-time path, the Clinger path and strtod; all must equal strtod.
  @Test func tableCellsBitIdenticalToStrtod() throws {
    var rng = SystemRandomNumberGenerator()
    var texts: [String] = ["0", "-0", "7", "-7", "1234567", "12345678", "0.5", "-0.0000001", "9999999.9999999",
                           "1.", ".5", "+3", "00000001.10000000", "1e5", "-12.68084", "5e-324", "1e308"]
    for _ in 0..<30_000 {
      let x = Double.random(in: -1e7...1e7, using: &rng) / pow(10, Double(Int.random(in: 0...8, using: &rng)))
      texts.append(cString("%.\(Int.random(in: 0...9, using: &rng))f", x))
      texts.append(cString("%.17g", x))
    }
    let csv = "v\n" + texts.joined(separator: "\n")
    let t = try Table.parse(bytes: Array(csv.utf8), name: "n.csv")
    let values = try t.numbers("v")
    #expect(values.count == texts.count)
    var mismatches: [String] = []
    for (text, v) in zip(texts, values) where v?.bitPattern != reference(text).bitPattern {
      mismatches.append(text)
    }
    #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    // Same through a quoted column and a numeric matrix.
    let quoted = "v\n" + texts.map { "\"\($0)\"" }.joined(separator: "\r\n") + "\r\n"
    let q = try Table.parse(bytes: Array(quoted.utf8), name: "q.csv").numericMatrix(columns: ["v"])
    #expect(q.values.map(\.bitPattern) == texts.map { reference($0).bitPattern })
  }
}

@Suite struct NumberFormattingTests {
  @Test func roundTripIsShortestAndExact() {
    #expect(NumberFormatting.roundTrip(0.1) == "0.1")
    #expect(NumberFormatting.roundTrip(3) == "3.0")
    #expect(NumberFormatting.roundTrip(1e-5) == "1e-05")
    #expect(NumberFormatting.roundTrip(-0.0) == "-0.0")
    #expect(NumberFormatting.roundTrip(.nan) == "nan")
    #expect(NumberFormatting.roundTrip(-.infinity) == "-inf")
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      let x = Double(bitPattern: UInt64.random(in: 0 ... 0x7FEF_FFFF_FFFF_FFFF, using: &rng))
      let s = NumberFormatting.roundTrip(x)
      #expect(DecimalParser.parse(s)?.bitPattern == x.bitPattern)
    }
  }

  @Test func fixedAndSignificant() {
    #expect(NumberFormatting.fixed(3.14159) == "3.1416")
    #expect(NumberFormatting.fixed(2, decimals: 2) == "2.00")
    #expect(NumberFormatting.fixed(-0.00001) == "0.0000")
    #expect(NumberFormatting.fixed(-1.5, decimals: 0) == "-2")
    #expect(NumberFormatting.fixed(.infinity) == "inf")
    #expect(NumberFormatting.significant(1234567) == "1.235e+06")
    #expect(NumberFormatting.significant(0.000123456) == "0.0001235")
  }

  /// Subnormal values hold only a few significant digits: the readable formats print no more than the shortest
  /// text that reads back as the value (`%.6g` gave `-9.99989e-321` for `-1e-320`); normal values as `%g`.
  @Test func significantPrintsNoMoreDigitsThanTheValueHolds() {
    #expect(NumberFormatting.significant(-1e-320, digits: 6) == "-1e-320")
    #expect(NumberFormatting.significant(5e-324, digits: 6) == "5e-324")
    #expect(NumberFormatting.significant(1.5e-322, digits: 6) == "1.5e-322")
    #expect(NumberFormatting.significant(2.2250738585072014e-308, digits: 6) == "2.22507e-308")
    #expect(NumberFormatting.significant(100, digits: 6) == "100")
    #expect(NumberFormatting.significant(0.1, digits: 6) == "0.1")
    #expect(NumberFormatting.significant(0, digits: 6) == "0")
    #expect(NumberFormatting.significant(123456789, digits: 6) == "1.23457e+08")
    // Every printed subnormal reads back as itself, with at most the requested digits.
    for bits: UInt64 in [1, 2, 3, 7, 1000, 2024, 123_456, 0x000F_FFFF_FFFF_FFFF] {
      let x = Double(bitPattern: bits)
      let s = NumberFormatting.significant(x, digits: 6)
      let mantissa = s.prefix { $0 != "e" }.filter(\.isNumber).drop { $0 == "0" }
      #expect(Double(s) == x || mantissa.count == 6, "\(s)")
    }
  }
}
