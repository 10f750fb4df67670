import CohortLensCore
import Testing
@testable import Fairness

/// Suppression over the partitions a run prints: a group hidden in one audit is hidden in every audit that
/// splits it, and a lone hidden part of a shown group gets a partner, so no suppressed count follows by
/// subtraction from the printed ones (intersections and strata).
struct FairnessLinkedSuppressionTests {
  static func rows(_ spec: [(g: String, h: String, stratum: String, count: Int)], stratified: Bool = false) -> FairnessInput {
    FairnessAuditSizeSuppressionTests.input(spec.map { (stratum: $0.stratum, g: $0.g, h: $0.h, count: $0.count) },
                                            stratified: stratified)
  }

  static func hidden(_ a: AuditResult) -> [String: String] {
    Dictionary(uniqueKeysWithValues: a.groups.filter(\.suppressed).map { ($0.name, $0.suppressionReason ?? "") })
  }

  /// Every partition hides none or at least two groups, yet together they give one: g × h with
  /// A&X = 4, B&X = 182, B&Y = 2, B&Z = 1, C&X = 21, C&Y = 1 (minimum 5). The greedy rule hides A, C (A's
  /// complement), Y, Z and every intersection but B&X; then C&Y = (211 − 182) − (185 − 182) − (207 − 182) = 1:
  /// the intersection's hidden total minus B's hidden parts minus X's. The exact check hides B&X too.
  @Test func aCountThatSeveralPartitionsGiveTogetherIsProtected() {
    let x = Self.rows([("A", "X", "1", 4), ("B", "X", "1", 182), ("B", "Y", "1", 2), ("B", "Z", "1", 1),
                       ("C", "X", "1", 21), ("C", "Y", "1", 1)])
    var c = FairnessConfiguration()
    c.audits = [[0], [1], [0, 1]]
    c.bootstrapReplicates = 0
    c.minGroupSize = 5
    let audits = FairnessAudit.run(x, configuration: c).audits
    #expect(audits.map(\.attribute) == ["g", "h", "g & h"])
    #expect(Self.hidden(audits[0]).keys.sorted() == ["A", "C"])
    #expect(Self.hidden(audits[1]).keys.sorted() == ["Y", "Z"])
    let cross = Self.hidden(audits[2])
    #expect(cross.keys.sorted() == ["A & X", "B & X", "B & Y", "B & Z", "C & X", "C & Y"])
    #expect(cross["B & X"]?.contains("the counts of 'C & Y' (audit by g & h) would follow from the printed counts of several linked tables together") == true,
            "\(cross)")
    // What stays printed no longer pins C & Y: B (185) and X (207) are shown, their parts all hidden.
    #expect(audits[0].groups.first { $0.name == "B" }?.n == 185)
    #expect(audits[1].groups.first { $0.name == "X" }?.n == 207)
  }

  /// g: A = 100, B = 80, S = 5; h splits each evenly. S is small, B hides it in the g audit; before, the
  /// intersection printed B & P = B & Q = 40, so B = 80 and S = 185 − 100 − 80 followed.
  @Test func aGroupHiddenInItsAuditIsHiddenInTheIntersections() {
    let x = Self.rows([("A", "P", "1", 50), ("A", "Q", "1", 50), ("B", "P", "1", 40), ("B", "Q", "1", 40),
                       ("S", "P", "1", 3), ("S", "Q", "1", 2)])
    var c = FairnessConfiguration()
    c.audits = [[0], [1], [0, 1]]
    c.bootstrapReplicates = 0
    let audits = FairnessAudit.run(x, configuration: c).audits
    #expect(audits.map(\.attribute) == ["g", "h", "g & h"])
    #expect(Self.hidden(audits[0]).keys.sorted() == ["B", "S"])
    #expect(Self.hidden(audits[1]).isEmpty)
    let cross = Self.hidden(audits[2])
    #expect(cross.keys.sorted() == ["B & P", "B & Q", "S & P", "S & Q"])
    #expect(cross["B & P"] == "'B' (audit by g), which contains it, is suppressed")
    #expect(cross["S & P"] == "n < 10 (--min-group-size)")
    #expect(audits[2].groups.filter { !$0.suppressed }.map(\.name) == ["A & P", "A & Q"])
  }

  /// One small intersection cell in a row whose total is printed gets a partner in that row (and the
  /// column then needs one too).
  @Test func aLoneHiddenPartOfAShownGroupGetsAPartner() {
    let x = Self.rows([("A", "P", "1", 60), ("A", "Q", "1", 6), ("A", "R", "1", 30),
                       ("B", "P", "1", 50), ("B", "Q", "1", 40), ("B", "R", "1", 45)])
    var c = FairnessConfiguration()
    c.audits = [[0], [1], [0, 1]]
    c.bootstrapReplicates = 0
    let audits = FairnessAudit.run(x, configuration: c).audits
    #expect(Self.hidden(audits[0]).isEmpty && Self.hidden(audits[1]).isEmpty)
    let cross = Self.hidden(audits[2])
    // A & Q is small: the audit's smallest shown group, A & R (30), partners it; then Q = 46 and R = 75 are
    // printed with one hidden part each, so B & Q and B & R join.
    #expect(cross["A & Q"] == "n < 10 (--min-group-size)")
    #expect(cross["A & R"]?.hasPrefix("complementary suppression") == true)
    #expect(cross["B & Q"] == "complementary suppression: the counts of 'A & Q' (audit by g & h) would follow by subtraction from 'Q' (audit by h)")
    #expect(cross.keys.sorted() == ["A & Q", "A & R", "B & Q", "B & R"])
    // Every printed group of g and h, and every row and column of the intersection, has 0 or ≥ 2 hidden parts.
    for whole in ["A", "B"] { #expect([0, 2, 3].contains(cross.keys.filter { $0.hasPrefix(whole + " & ") }.count)) }
    for whole in ["P", "Q", "R"] { #expect([0, 2].contains(cross.keys.filter { $0.hasSuffix(" & " + whole) }.count)) }
  }

  /// Under `--missing drop` the intersection leaves out rows its one-attribute audits keep, so it is not a
  /// partition of them: F (150, of which 145 have no age) stays shown although F & young (5) is hidden.
  @Test func missingDropDoesNotLinkIntersections() {
    var truth: [Bool] = [], predicted: [Bool] = [], gender: [String?] = [], age: [String?] = []
    for i in 0..<300 {
      truth.append(i % 2 == 0)
      predicted.append(i % 3 == 0)
      gender.append(i < 150 ? "F" : "M")
      age.append(i < 145 ? nil : i < 150 ? "young" : (i % 2 == 0 ? "young" : "old"))
    }
    let x = FairnessInput(truth: truth, predicted: predicted,
                          attributes: [SensitiveAttribute(name: "gender", values: gender), SensitiveAttribute(name: "age", values: age)])
    var c = FairnessConfiguration()
    c.audits = [[0], [1], [0, 1]]
    c.missing = .drop
    c.bootstrapReplicates = 0
    let audits = FairnessAudit.run(x, configuration: c).audits
    #expect(Self.hidden(audits[0]).isEmpty, "\(Self.hidden(audits[0]))")
    #expect(Self.hidden(audits[2]).keys.sorted() == ["F & young", "M & old"] || Self.hidden(audits[2]).keys.sorted() == ["F & young", "M & young"],
            "\(Self.hidden(audits[2]))")
  }

  /// A group small in one stratum only: its pooled count is printed, so another stratum's count is hidden
  /// too; a pooled group hidden is hidden in every stratum.
  @Test func strataArePartsOfThePooledGroup() {
    let x = Self.rows([("A", "P", "w1", 40), ("A", "P", "w2", 5), ("A", "P", "w3", 30),
                       ("B", "P", "w1", 40), ("B", "P", "w2", 40), ("B", "P", "w3", 40),
                       ("C", "P", "w2", 12), ("D", "P", "w2", 3)], stratified: true)
    var c = FairnessConfiguration()
    c.audits = [[0]]
    c.bootstrapReplicates = 0
    let audits = FairnessAudit.run(x, configuration: c).audits
    #expect(audits.map { $0.stratum ?? "pooled" } == ["pooled", "w1", "w2", "w3"])
    let pooled = Self.hidden(audits[0])
    #expect(pooled["D"] == "n < 10 (--min-group-size)")
    #expect(pooled["C"]?.hasPrefix("complementary suppression") == true)
    #expect(Self.hidden(audits[2])["C"] == "'C' (audit by g), which contains it, is suppressed")
    #expect(Self.hidden(audits[2])["A"] == "n < 10 (--min-group-size)")
    #expect(Self.hidden(audits[3])["A"] == "complementary suppression: the counts of 'A' (audit by g in stratum 'w2') would follow by subtraction from 'A' (audit by g)")
    // Every pooled group: hidden in every stratum when hidden pooled, else hidden in 0 or ≥ 2 strata; and
    // every audit hides 0 or ≥ 2 of its groups.
    for g in audits[0].groups {
      let parts = audits.dropFirst().compactMap { a in a.groups.first { $0.name == g.name } }
      let hiddenParts = parts.filter(\.suppressed).count
      if g.suppressed { #expect(hiddenParts == parts.count, "\(g.name)") } else { #expect(hiddenParts != 1, "\(g.name)") }
    }
    for a in audits { #expect(a.groups.filter(\.suppressed).count != 1) }
  }

  /// Strata are listed numerically when all are numbers, else naturally (`w2` before `w10`, digits as numbers),
  /// in every output: the library orders them once.
  @Test func strataAreInNaturalOrder() {
    #expect(StratumOrder.sorted(["w10", "w2", "w1", "w02"]).map { ["w10", "w2", "w1", "w02"][$0] } == ["w1", "w02", "w2", "w10"])
    #expect(StratumOrder.sorted(["10", "9", "1.5", "-1"]).map { ["10", "9", "1.5", "-1"][$0] } == ["-1", "1.5", "9", "10"])
    let dates = ["2024-01-22", "2024-01-08", "2023-12-31"]
    #expect(StratumOrder.sorted(dates).map { dates[$0] } == ["2023-12-31", "2024-01-08", "2024-01-22"])
    let x = Self.rows([("A", "P", "w10", 20), ("B", "P", "w10", 20), ("A", "P", "w2", 20), ("B", "P", "w2", 20),
                       ("A", "P", "w1", 20), ("B", "P", "w1", 20)], stratified: true)
    var c = FairnessConfiguration()
    c.audits = [[0]]
    c.bootstrapReplicates = 0
    #expect(FairnessAudit.run(x, configuration: c).audits.map { $0.stratum ?? "pooled" } == ["pooled", "w1", "w2", "w10"])
  }
}
