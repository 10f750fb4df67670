import CohortLensCore
import Testing
@testable import Fairness

/// An audit's own n (and, under `--missing drop`, its dropped rows) is a count like a group's: a stratum with
/// fewer learners than the minimum is not printed, and the strata's n's, which add up to the pooled n, are
/// linked so that a hidden one does not follow by subtraction. Checked on what the JSON prints, against the
/// finest cells (stratum × every attribute's value): no count below the minimum lies in the span of the
/// printed numbers.
struct FairnessAuditSizeSuppressionTests {
  /// One row description: stratum, g, h (nil = missing), repeated `count` times.
  typealias Cell = (stratum: String, g: String?, h: String?, count: Int)

  static func input(_ cells: [Cell], stratified: Bool = true) -> FairnessInput {
    var truth: [Bool] = [], predicted: [Bool] = [], g: [String?] = [], h: [String?] = [], strata: [String] = []
    for (s, a, b, k) in cells {
      for i in 0..<k {
        truth.append(i % 2 == 0)
        predicted.append(i % 3 == 0)
        g.append(a)
        h.append(b)
        strata.append(s)
      }
    }
    return FairnessInput(truth: truth, predicted: predicted,
                         attributes: [SensitiveAttribute(name: "g", values: g), SensitiveAttribute(name: "h", values: h)],
                         strata: stratified ? strata : nil)
  }

  static func int(_ v: JSONValue?) -> Int? { if case .int(let x)? = v { return x } else { return nil } }

  /// The counts below `minimum` that the printed numbers of `result` (its JSON: every audit's n, dropped_rows
  /// and group n, plus the row count and the groups an audit does not list, which are 0) determine. Unknowns:
  /// the finest cells (stratum × g × h, missing included); a count is determined when its coefficient vector
  /// lies in the row space of the printed ones. Audit n's equal to the row count are public.
  static func disclosed(_ cells: [Cell], _ result: FairnessResult, stratified: Bool = true) -> [String] {
    let minimum = result.configuration.minGroupSize
    let drop = result.configuration.missing == .drop
    let strata = stratified ? Array(Set(cells.map(\.stratum))).sorted() : ["all"]
    let gLevels = Array(Set(cells.compactMap(\.g))).sorted().map { Optional($0) } + [nil]
    let hLevels = Array(Set(cells.compactMap(\.h))).sorted().map { Optional($0) } + [nil]
    var index: [String: Int] = [:]
    var value: [Int] = []
    var keys: [(s: String, g: String?, h: String?)] = []
    for s in strata { for a in gLevels { for b in hLevels {
      index["\(s)|\(a ?? "∅")|\(b ?? "∅")"] = keys.count
      keys.append((s, a, b))
      value.append(0)
    } } }
    for c in cells where c.count > 0 { value[index["\(stratified ? c.stratum : "all")|\(c.g ?? "∅")|\(c.h ?? "∅")"]!] += c.count }
    let rows = value.reduce(0, +)
    var printed: [[Double]] = [[Double](repeating: 1, count: keys.count)]  // the row count
    var secrets: [(String, [Double], Int)] = []
    func vector(_ f: ((s: String, g: String?, h: String?)) -> Bool) -> [Double] { keys.map { f($0) ? 1 : 0 } }
    for a in result.audits {
      let json = FairnessJSON.audit(a)
      let attrs = a.attributes
      func val(_ k: (s: String, g: String?, h: String?), _ name: String) -> String? { name == "g" ? k.g : k.h }
      let inSlot: ((s: String, g: String?, h: String?)) -> Bool = { a.stratum == nil || $0.s == a.stratum! }
      let kept: ((s: String, g: String?, h: String?)) -> Bool = { k in !drop || attrs.allSatisfy { val(k, $0) != nil } }
      let place = "\(a.attribute)\(a.stratum.map { " in \($0)" } ?? "")"
      let nVector = vector { inSlot($0) && kept($0) }
      if int(json["n"]) != nil { printed.append(nVector) }
      if int(json["dropped_rows"]) != nil { printed.append(vector { inSlot($0) && !kept($0) }) }
      if a.n > 0 && a.n < minimum && a.n < rows { secrets.append(("n of \(place)", nVector, a.n)) }
      // Every combination of levels: listed groups are printed or hidden, the others are known to be 0.
      var combos: [[String?]] = [[]]
      for name in attrs { combos = combos.flatMap { c in (name == "g" ? gLevels : hLevels).map { c + [$0] } } }
      let groups: [String: JSONValue] = {
        guard case .array(let list)? = json["groups"] else { return [:] }
        var out: [String: JSONValue] = [:]
        for g in list { if case .string(let name)? = g["group"] { out[name] = g } }
        return out
      }()
      for combo in combos where !drop || combo.allSatisfy({ $0 != nil }) {
        let name = IntersectionName.join(combo.map { $0 ?? missingGroupName })
        let v = vector { k in inSlot(k) && zip(attrs, combo).allSatisfy { val(k, $0) == $1 } }
        let truth = zip(v, value).reduce(0) { $0 + ($1.0 > 0 ? $1.1 : 0) }
        if let g = groups[name] {
          if int(g["n"]) != nil { printed.append(v) }
          if truth < minimum { secrets.append(("group \(name) of \(place)", v, truth)) }
        } else {
          printed.append(v)  // not listed: 0
        }
      }
    }
    let base = rank(printed)
    return secrets.filter { rank(printed + [$0.1]) == base }.map { "\($0.0) = \($0.2)" }
  }

  /// Rank by Gaussian elimination with partial pivoting (small integer entries).
  static func rank(_ rows: [[Double]]) -> Int {
    var m = rows
    guard let width = m.first?.count else { return 0 }
    var r = 0
    for col in 0..<width where r < m.count {
      var best = r
      for i in r..<m.count where abs(m[i][col]) > abs(m[best][col]) { best = i }
      guard abs(m[best][col]) > 1e-9 else { continue }
      m.swapAt(best, r)
      for i in m.indices where i != r && abs(m[i][col]) > 1e-9 {
        let f = m[i][col] / m[r][col]
        for j in col..<width { m[i][j] -= f * m[r][j] }
      }
      r += 1
    }
    return r
  }

  static func configuration(_ audits: [[Int]], drop: Bool = false, minimum: Int = 10) -> FairnessConfiguration {
    var c = FairnessConfiguration()
    c.audits = audits
    c.bootstrapReplicates = 0
    c.permutations = 0
    c.minGroupSize = minimum
    if drop { c.missing = .drop }
    return c
  }

  /// Stratum s1 holds 3 learners, all of group A; s2 30 of A and 30 of B. Before, s1's title and JSON `n`
  /// printed 3, A's hidden count in s1 (only a warning said so).
  @Test func aSmallStratumHidesItsN() {
    let cells: [Cell] = [("s1", "A", "X", 3), ("s2", "A", "X", 30), ("s2", "B", "X", 30)]
    let x = Self.input(cells)
    let result = FairnessAudit.run(x, configuration: Self.configuration([[0]]))
    let audits = result.audits
    #expect(audits.map(\.stratum) == [nil, "s1", "s2"])
    let s1 = FairnessJSON.audit(audits[1])
    #expect(s1["n"] == .null, "\(s1.serialized())")
    #expect(s1["n_suppression_reason"] == .string("n < 10 (--min-group-size)"))
    #expect(audits[1].notices.contains("the audit's n suppressed (n < 10 (--min-group-size))"))
    // The strata's n's add up to the pooled 63 rows: s2's n is hidden with it, and then one of s2's groups.
    #expect(FairnessJSON.audit(audits[2])["n"] == .null)
    #expect(audits[2].nSuppressionReason == "complementary suppression: the n of stratum 's1' would follow by subtraction from the printed row count")
    #expect(audits[2].groups.filter(\.suppressed).map(\.name) == ["A"])
    #expect(FairnessJSON.audit(audits[0])["n"] == .int(63))
    #expect(!result.warnings.contains { $0.contains("suppression cannot protect") }, "\(result.warnings)")
    #expect(Self.disclosed(cells, result) == [])
  }

  /// Strata of 40, 7 and 50 learners: the 7 was printed as stratum w2's n (and, hidden, would follow as 97 −
  /// 40 − 50). Now w2's n and the next smallest stratum's are hidden, and w1's groups with them.
  @Test func aStratumNDoesNotFollowFromThePooledN() {
    let cells: [Cell] = [("w1", "A", "X", 20), ("w1", "B", "X", 20), ("w2", "A", "X", 4), ("w2", "B", "X", 3),
                         ("w3", "A", "X", 25), ("w3", "B", "X", 25)]
    let result = FairnessAudit.run(Self.input(cells), configuration: Self.configuration([[0]]))
    let audits = result.audits
    #expect(audits.map(\.stratum) == [nil, "w1", "w2", "w3"])
    #expect(audits.map { Self.int(FairnessJSON.audit($0)["n"]) } == [97, nil, nil, 50])
    #expect(audits[2].nSuppressionReason == "n < 10 (--min-group-size)")
    #expect(audits[1].nSuppressionReason?.hasPrefix("complementary suppression: the n of stratum 'w2'") == true)
    #expect(audits[1].groups.filter(\.suppressed).count == 2)
    #expect(Self.disclosed(cells, result) == [])
    // The table says so instead of printing the number.
    #expect(FairnessJSON.audits(result).serialized().contains("\"n_suppression_reason\""))
  }

  /// Under `--missing drop` a stratum's n + dropped rows is the stratum's rows, which an attribute without
  /// missing values prints as its n: h's 7 learners in s1 followed as 30 − 23. Now h's dropped rows there are
  /// hidden too.
  @Test func droppedRowsDoNotGiveAHiddenN() {
    let cells: [Cell] = [("s1", "A", "X", 4), ("s1", "B", "Y", 3), ("s1", "A", nil, 11), ("s1", "B", nil, 12),
                         ("s2", "A", "X", 30), ("s2", "B", "Y", 30), ("s2", "A", "Y", 20), ("s2", "B", "X", 20)]
    let result = FairnessAudit.run(Self.input(cells), configuration: Self.configuration([[0], [1]], drop: true))
    let h1 = result.audits.first { $0.attribute == "h" && $0.stratum == "s1" }!
    #expect(h1.n == 7 && h1.droppedRows == 23)
    let json = FairnessJSON.audit(h1)
    #expect(json["n"] == .null && json["dropped_rows"] == .null, "\(json.serialized())")
    #expect(json["dropped_rows_suppression_reason"] != nil)
    #expect(Self.disclosed(cells, result) == [])
  }

  /// Under `--missing drop` the pooled n of an attribute recorded for few learners is small too: 6 of 100,
  /// printed before as n = 6 and as 94 dropped rows of 100.
  @Test func aSmallPooledNUnderDropIsHidden() {
    let cells: [Cell] = [("s", "A", "X", 3), ("s", "B", "Y", 3), ("s", "A", nil, 50), ("s", "B", nil, 44)]
    let result = FairnessAudit.run(Self.input(cells, stratified: false), configuration: Self.configuration([[0], [1]], drop: true))
    let h = result.audits[1]
    #expect(h.attribute == "h" && h.n == 6)
    let json = FairnessJSON.audit(h)
    #expect(json["n"] == .null && json["dropped_rows"] == .null)
    #expect(FairnessJSON.audit(result.audits[0])["n"] == .int(100))
    #expect(Self.disclosed(cells, result, stratified: false) == [])
  }

  /// The common case is untouched: strata and groups all at least the minimum print every n.
  @Test func largeStrataPrintTheirN() {
    let cells: [Cell] = [("w1", "A", "X", 20), ("w1", "B", "Y", 20), ("w2", "A", "Y", 15), ("w2", "B", "X", 12)]
    let result = FairnessAudit.run(Self.input(cells), configuration: Self.configuration([[0], [1], [0, 1]]))
    #expect(result.audits.allSatisfy { $0.nSuppressionReason == nil && $0.droppedRowsSuppressionReason == nil })
    #expect(result.audits.filter { $0.stratum == nil }.map { Self.int(FairnessJSON.audit($0)["n"]) } == [67, 67, 67])
  }

  /// Random small tables (strata, two attributes with missing values, their intersection, both missing
  /// modes): no count below the minimum is determined by what the run prints, unless the run warns that it
  /// cannot protect it.
  @Test func randomTablesDiscloseNoSmallCount() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ n: Int) -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int((state >> 33) % UInt64(n))
    }
    var checked = 0, warned = 0
    for trial in 0..<300 {
      let strata = ["s1", "s2", "s3", "s4"].prefix(1 + next(4))
      let gs = ["A", "B", "C"].prefix(2 + next(2))
      let hs = ["X", "Y"]
      var cells: [Cell] = []
      for s in strata {
        let small = next(3) == 0  // a stratum of a few learners
        for a in gs.map({ Optional($0) }) + [nil] {
          for b in hs.map({ Optional($0) }) + [nil] {
            let missing = a == nil || b == nil
            let k = next(4) == 0 ? 0
              : (small || missing ? next(4) : (next(3) == 0 ? 1 + next(8) : 5 + next(25)))
            if k > 0 { cells.append((s, a, b, k)) }
          }
        }
      }
      let drop = trial % 2 == 1
      let audits = [[[0]], [[0], [1]], [[0], [1], [0, 1]]][trial % 3]
      let stratified = strata.count > 1
      let result = FairnessAudit.run(Self.input(cells, stratified: stratified),
                                     configuration: Self.configuration(audits, drop: drop, minimum: 5 + next(2) * 5))
      if result.warnings.contains(where: { $0.contains("suppression cannot protect") || $0.contains("exact disclosure check") }) {
        warned += 1
        continue
      }
      checked += 1
      let leaks = Self.disclosed(cells, result, stratified: stratified)
      #expect(leaks.isEmpty, "trial \(trial) (\(drop ? "drop" : "group"), audits \(audits)): \(leaks); cells \(cells)")
    }
    #expect(checked >= 240, "checked \(checked), warned \(warned)")
  }
}
