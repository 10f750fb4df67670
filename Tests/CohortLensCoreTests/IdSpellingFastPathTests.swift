@testable import CohortLensCore
import Testing

/// `IdSpelling.key`: the digits-only fast path gives the key of the general definition (parse, then
/// describe the `Double`) for every id it takes, and declines every other id.
@Suite struct IdSpellingFastPathTests {
  /// Digits-only ids of every length 1…20, with and without leading zeros, around the 15-digit limit and
  /// around 2^53, plus ids the fast path must leave to the general path.
  static func ids() -> [String] {
    var out = ["0", "00", "000000000000000000000", "7", "007", "10", "100", "1000000", "0000000000000001",
               "999999999999999", "0999999999999999", "1000000000000000", "9007199254740992", "9007199254740993",
               "99999999999999999999", "123456789012345", "1234567890123456", "",
               " 7", "7 ", "7.0", "-7", "+7", "1e3", "0x10", "U7", "u7", "７", "7\u{0}", "١٢", "NaN", "inf"]
    var g = SplitMix(seed: 42)
    for length in 1...20 {
      for _ in 0..<50 {
        var s = ""
        for k in 0..<length {
          let zeroBias = k < 3 && g.next() % 4 == 0
          s.append(Character(Unicode.Scalar(UInt8(48 + (zeroBias ? 0 : Int(g.next() % 10))))))
        }
        out.append(s)
      }
    }
    for n in [1, 2, 7, 64, 1000] { out.append(contentsOf: (0..<n).map { String($0) }) }
    return out
  }

  @Test func fastKeyEqualsTheDefinition() {
    var fast = 0
    for id in Self.ids() {
      #expect(IdSpelling.key(id) == IdSpelling.generalKey(id), "id \(Array(id.utf8))")
      if let k = IdSpelling.digitsKey(id) {
        fast += 1
        #expect(k == IdSpelling.generalKey(id), "id \(id)")
        #expect(Array(k.utf8) == Array(IdSpelling.generalKey(id).utf8))
      }
    }
    #expect(fast > 700)
  }

  @Test func fastPathDeclinesAllButPlainDigits() {
    for id in ["", " 7", "7 ", "7.0", "-7", "+7", "1e3", "U7", "７", "7\u{0}", "1234567890123456", "99999999999999999999"] {
      #expect(IdSpelling.digitsKey(id) == nil, "id \(id)")
    }
    #expect(IdSpelling.digitsKey("000") == "#0.0")
    #expect(IdSpelling.digitsKey("007") == "#7.0")
    #expect(IdSpelling.digitsKey("000999999999999999") == "#999999999999999.0")
  }

  @Test func lookalikeWarningsUnchanged() {
    #expect(IdSpelling.lookalikes((0..<1000).map { String($0) }) == nil)
    let found = IdSpelling.lookalikes(["1", "2", "007", "7", "0", "000", "x", "X"])
    #expect(found?.count == 3)
    #expect(found?.first.0 == "007" && found?.first.1 == "7")
  }
}

/// A small deterministic generator for the test inputs.
private struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
