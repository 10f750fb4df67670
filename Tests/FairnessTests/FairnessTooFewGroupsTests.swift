import CohortLensCore
import Testing
@testable import Fairness

/// Audits left with fewer than two groups to compare — suppression of every group, one group per
/// learner, small strata, no rows under `--missing drop` — report every criterion as UNDEFINED with
/// the reason (never PASS) and name the suppressed groups with theirs, in every comparison mode.
struct FairnessTooFewGroupsTests {
  static let modes: [FairnessComparison] = [.betweenGroups, .largest, .group("F")]

  /// Every criterion undefined with a reason containing `fragment`, no statistic, interval or comparison.
  static func expectNothingCompared(_ a: AuditResult, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.criteria.map(\.name) == FairnessAudit.criteria.map(\.name), sourceLocation: sourceLocation)
    for c in a.criteria {
      #expect(c.verdict == .undefined, "\(c.name): \(c.verdict)", sourceLocation: sourceLocation)
      #expect(c.difference == nil && c.ratio == nil && c.worstPair == nil, sourceLocation: sourceLocation)
      #expect(c.differenceInterval == nil && c.ratioInterval == nil, sourceLocation: sourceLocation)
      #expect(c.comparisons.isEmpty, sourceLocation: sourceLocation)
      #expect(c.reason?.contains(fragment) == true, "\(c.name): \(c.reason ?? "no reason")", sourceLocation: sourceLocation)
    }
    #expect(a.notices.contains { $0.hasPrefix("criteria undefined: ") && $0.contains(fragment) }, "\(a.notices)",
            sourceLocation: sourceLocation)
    let json = FairnessJSON.audit(a).serialized()
    #expect(!json.contains("\"PASS\""), sourceLocation: sourceLocation)
  }

  /// Rows with scores: `size` rows per group, truth alternating, score i % 10 / 10, predicted score ≥ 0.5;
  /// `strata` maps the row number to its stratum.
  static func scored(_ groups: [(String, Int)], strata: ((Int) -> String)? = nil) -> FairnessInput {
    var truth: [Bool] = [], scores: [Double] = [], attr: [String?] = []
    for (name, size) in groups {
      for i in 0..<size {
        truth.append(i % 2 == 0)
        scores.append(Double(i % 10) / 10)
        attr.append(name)
      }
    }
    return FairnessInput(truth: truth, predicted: scores.map { $0 >= 0.5 }, scores: scores,
                         attributes: [SensitiveAttribute(name: "g", values: attr)],
                         strata: strata.map { f in truth.indices.map(f) })
  }

  @Test(arguments: modes)
  func oneSmallGroupOfTwoHidesBothAndComparesNothing(mode: FairnessComparison) {
    // 30 M and 9 F: F is below 10, and M's counts would give F's by subtraction, so both are hidden.
    let x = FairnessAuditTests.input([("M", [10, 5, 10, 5]), ("F", [3, 2, 2, 2])])
    var c = FairnessConfiguration()
    c.comparison = mode
    c.bootstrapReplicates = 50
    let a = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(a.groups.map(\.name) == ["F", "M"])
    #expect(a.groups.map(\.suppressed) == [true, true])
    #expect(a.groups[0].suppressionReason == "n < 10 (--min-group-size)")
    #expect(a.groups[1].suppressionReason?.hasPrefix("complementary suppression") == true)
    #expect(a.notices.contains("group 'F' suppressed (n < 10 (--min-group-size)); left out of criteria"))
    #expect(a.reference == nil)
    Self.expectNothingCompared(a, "fewer than two groups of at least 10 learners remain after suppression: "
      + "2 of 2 groups suppressed (1 with n < 10 (--min-group-size), 1 by complementary suppression); there is nothing to compare")
    if case .group = mode {
      #expect(a.notices.contains("reference group 'F' is suppressed in this audit, and no other group remains to take its place"))
    }
  }

  @Test func oneGroupLeftKeepsItsRowsButComparesNothing() {
    // 30 M, 3 F, 3 X: F and X are suppressed (no complement needed), M alone is left.
    let x = FairnessAuditTests.input([("M", [10, 5, 10, 5]), ("F", [1, 1, 1, 0]), ("X", [1, 0, 1, 1])])
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 50
    let a = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(a.groups.map(\.suppressed) == [true, false, true])
    #expect(a.groups[1].n == 30)
    Self.expectNothingCompared(a, "2 of 3 groups suppressed (2 with n < 10 (--min-group-size))")
  }

  @Test(arguments: modes)
  func minimumAboveEveryGroupWithScores(mode: FairnessComparison) {
    let x = Self.scored([("A", 120), ("B", 90), ("C", 40), ("F", 30)])
    var c = FairnessConfiguration()
    c.comparison = mode
    c.minGroupSize = 121
    c.bootstrapReplicates = 20
    c.permutations = 20
    let a = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(a.groups.allSatisfy { $0.suppressed })
    #expect(a.groups.allSatisfy { $0.roc == nil && $0.reliability == nil })
    #expect(a.reference == nil)
    #expect(a.abroca?.isEmpty == true)  // scores given, nothing to compare
    Self.expectNothingCompared(a, "4 of 4 groups suppressed (4 with n < 121 (--min-group-size))")
  }

  @Test func oneLearnerPerGroup() {
    // Auditing by the id column: every group has one row.
    let n = 40
    let x = FairnessInput(truth: (0..<n).map { $0 % 2 == 0 }, predicted: (0..<n).map { $0 % 3 == 0 },
                          attributes: [SensitiveAttribute(name: "id", values: (0..<n).map { "s\($0)" })])
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 20
    let a = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(a.groups.count == n && a.groups.allSatisfy { $0.suppressed })
    Self.expectNothingCompared(a, "40 of 40 groups suppressed (40 with n < 10 (--min-group-size))")
  }

  @Test func smallStrataAndSingleGroupStrata() {
    // A: 35 rows in w1, 5 in w2; B: 5 rows in w2, 35 in w3. Pooled: two groups of 40.
    let x = Self.scored([("A", 40), ("B", 40)]) { r in r < 35 ? "w1" : (r < 45 ? "w2" : "w3") }
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 20
    c.permutations = 10
    for mode in Self.modes {
      c.comparison = mode == .group("F") ? .group("B") : mode
      let audits = FairnessAudit.run(x, configuration: c).audits
      #expect(audits.map(\.stratum) == [nil, "w1", "w2", "w3"])
      // A's 5 rows in w2 would follow from its pooled 40 minus the n of stratum w1 (35, printed: A is w1's only
      // group), so the pooled groups are hidden as well and nothing is compared there.
      Self.expectNothingCompared(audits[0], "2 of 2 groups suppressed (0 with n < 10 (--min-group-size), 2 by complementary suppression)")
      #expect(audits[0].groups.first { $0.name == "A" }?.suppressionReason?.contains(
        "the counts of 'A' (audit by g in stratum 'w2') would follow from the printed counts of several linked tables together") == true,
        "\(audits[0].groups.map { $0.suppressionReason ?? "shown" })")
      Self.expectNothingCompared(audits[1], "only one group ('A') occurs in stratum 'w1'; there is nothing to compare")
      Self.expectNothingCompared(audits[2], "2 of 2 groups suppressed (2 with n < 10 (--min-group-size))")
      Self.expectNothingCompared(audits[3], "only one group ('B') occurs in stratum 'w3'")
    }
  }

  /// A count that equals the printed row count cannot be hidden: an input of 6 learners, all of group A. After
  /// hiding every linked group the run says so in a warning. (A small stratum with a single group no longer
  /// is such a case: its n is suppressed, see ``FairnessAuditSizeSuppressionTests``.)
  @Test func aCountSuppressionCannotProtectIsNamedInAWarning() {
    let x = Self.scored([("A", 6)])
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 0
    c.permutations = 0
    let result = FairnessAudit.run(x, configuration: c)
    let warning = result.warnings.first { $0.contains("suppression cannot protect them") }
    #expect(warning?.hasPrefix("the counts of 'A' (audit by g) follow from the printed totals") == true,
            "\(result.warnings)")
    // A small stratum with a single group: its n is hidden, nothing is left unprotected.
    let strata = Self.scored([("A", 33), ("B", 30)]) { r in r < 3 ? "s1" : "s2" }
    let stratified = FairnessAudit.run(strata, configuration: c)
    #expect(!stratified.warnings.contains { $0.contains("suppression cannot protect them") }, "\(stratified.warnings)")
    #expect(stratified.audits[1].stratum == "s1" && stratified.audits[1].nSuppressionReason != nil)
  }

  @Test(arguments: modes)
  func everySensitiveValueMissingUnderDrop(mode: FairnessComparison) {
    let n = 30
    let x = FairnessInput(truth: (0..<n).map { $0 % 2 == 0 }, predicted: (0..<n).map { $0 % 3 == 0 },
                          scores: (0..<n).map { Double($0 % 10) / 10 },
                          attributes: [SensitiveAttribute(name: "gender", values: Array(repeating: nil, count: n))],
                          strata: (0..<n).map { String($0 % 3) })
    var c = FairnessConfiguration()
    c.comparison = mode
    c.missing = .drop
    c.bootstrapReplicates = 20
    c.permutations = 10
    let audits = FairnessAudit.run(x, configuration: c).audits
    #expect(audits.count == 4)
    #expect(audits[0].droppedRows == n && audits[0].n == 0)
    for a in audits {
      #expect(a.groups.isEmpty && a.reference == nil && a.abroca?.isEmpty == true)
      Self.expectNothingCompared(a, "no rows left to audit (rows with a missing value of 'gender' are dropped, --missing drop)")
    }
  }

  @Test func statisticsOfFewerThanTwoGroupsAreUndefined() {
    for cells in [[], [[3, 2, 1, 4]]] as [[[Int]]] {
      for ref in [nil, 0, 5] as [Int?] {
        let stats = FairnessAudit.evaluate(cells: cells, referencePosition: ref)
        #expect(stats.count == FairnessAudit.criteria.count)
        #expect(stats.allSatisfy { $0.difference == nil && $0.ratio == nil && $0.reason != nil })
      }
    }
  }
}
