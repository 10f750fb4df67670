import CohortLensCore
import Foundation
import Testing
@testable import Fairness

/// Per-group comparisons against a reference group (`--compare largest|GROUP`, Aequitas-style
/// disparities), parity with fairlearn 0.15.0 `MetricFrame.by_group` divided by the reference's
/// value (Scripts/golden/fairness_compare.py → Fixtures/golden/fairness_compare.json).
struct FairnessCompareTests {
  nonisolated(unsafe) static let golden: [String: Any] = {
    let data = try! Data(contentsOf: URL(fileURLWithPath: FairnessGolden.path("Fixtures/golden/fairness_compare.json")))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
  }()

  static func input(_ dataset: String) throws -> FairnessInput {
    switch dataset {
    case "lecture": return try FairnessGolden.lecture()
    case "oulad": return try FairnessGolden.oulad()
    default: return try FairnessGolden.synthetic()
    }
  }

  static func configuration(_ compare: String, replicates: Int = 200, attribute: Int) -> FairnessConfiguration {
    var c = FairnessGolden.configuration(replicates: replicates)
    c.comparison = compare == "largest" ? .largest : .group(compare)
    c.audits = [[attribute]]
    return c
  }

  /// `nil` golden (undefined) must be `nil` here; defined values agree to `tolerance`. Returns the error.
  static func agree(_ mine: Double?, _ gold: Any?, _ what: String) -> Double {
    if gold == nil || gold is NSNull {
      #expect(mine == nil, "\(what): fairlearn-derived value undefined, got \(String(describing: mine))")
      return 0
    }
    let g = (gold as! NSNumber).doubleValue
    guard let m = mine else {
      Issue.record("\(what): undefined here but \(g) in the golden")
      return .infinity
    }
    return abs(m - g)
  }

  @Test func perGroupRatiosAndDifferencesMatchFairlearnByGroup() throws {
    var maxError = 0.0
    var checked = 0, undefined = 0
    for case let gold as [String: Any] in Self.golden["cases"] as! [Any] {
      let dataset = gold["dataset"] as! String, attribute = gold["attribute"] as! String
      let input = try Self.input(dataset)
      let index = input.attributes.firstIndex { $0.name == attribute }!
      let result = FairnessAudit.run(input, configuration: Self.configuration(gold["compare"] as! String, attribute: index))
      let audit = result.audits[0]
      #expect(audit.reference == gold["reference"] as? String, "\(dataset)/\(attribute)")
      let golds = gold["groups"] as! [[String: Any]]
      for criterion in audit.criteria {
        #expect(criterion.comparisons.map(\.group) == golds.map { $0["group"] as! String }, "\(dataset): \(criterion.name) groups")
        for (x, g) in zip(criterion.comparisons, golds) {
          #expect(x.reference == audit.reference)
          #expect(x.rates.map(\.name) == criterion.metrics)
          let rates = g["rates"] as! [String: [String: Any]]
          for r in x.rates {
            let gr = rates[r.name]!
            let what = "\(dataset)/\(gold["compare"]!)/\(criterion.name)/\(x.group)/\(r.name)"
            maxError = max(maxError, Self.agree(r.group, gr["group"], what + " group"))
            maxError = max(maxError, Self.agree(r.reference, gr["reference"], what + " reference"))
            maxError = max(maxError, Self.agree(r.difference, gr["difference"], what + " difference"))
            maxError = max(maxError, Self.agree(r.ratio, gr["ratio"], what + " ratio"))
            checked += 1
            if r.ratio == nil { undefined += 1; #expect(r.undefined != nil, "\(what): undefined without a reason") }
          }
          // Single-rate criteria: the comparison is the rate's.
          if x.rates.count == 1 {
            #expect(x.difference == x.rates[0].difference && x.ratio == x.rates[0].ratio)
          }
        }
      }
    }
    #expect(checked == 270)  // 30 group comparisons in 6 cases × 9 (criterion, rate) pairs
    #expect(undefined > 0)
    #expect(maxError <= 1e-12, "max per-group error \(maxError)")
    print("fairness_compare parity: \(checked) per-group rate comparisons, max error \(maxError), \(undefined) undefined")
  }

  @Test func undefinedWhenTheGroupsOrTheReferencesRateIsUndefined() throws {
    let input = try FairnessGolden.synthetic()
    // Largest = A. C has no actual positives: its TPR is undefined, fairlearn would report 0.0.
    let a = FairnessAudit.run(input, configuration: Self.configuration("largest", attribute: 0)).audits[0]
    let eo = a.criteria.first { $0.name == "equal_opportunity" }!
    let c = eo.comparisons.first { $0.group == "C" }!
    #expect(c.verdict == .undefined)
    #expect(c.difference == nil && c.ratio == nil && c.ratioInterval == nil)
    #expect(c.undefined?.contains("tpr undefined for group 'C'") == true)
    #expect(c.rates[0].group == nil && c.rates[0].reference != nil)
    // D: every learner positive and predicted positive — FPR and NPV undefined, TPR defined.
    let d = a.criteria.first { $0.name == "equalized_odds" }!.comparisons.first { $0.group == "D" }!
    #expect(d.verdict == .undefined)
    #expect(d.undefined?.contains("fpr undefined for group 'D'") == true)
    #expect(d.rates.first { $0.name == "tpr" }!.ratio == 1.0 / d.rates.first { $0.name == "tpr" }!.reference!)
    // B is fully defined against A.
    #expect(eo.comparisons.first { $0.group == "B" }!.verdict != .undefined)

    // Reference C: its TPR is undefined (every TPR comparison undefined, named as the reference's),
    // its PPV is 0 (PPV ratios undefined; the differences stay defined).
    let r = FairnessAudit.run(input, configuration: Self.configuration("C", attribute: 0)).audits[0]
    #expect(r.reference == "C")
    for x in r.criteria.first(where: { $0.name == "equal_opportunity" })!.comparisons {
      #expect(x.verdict == .undefined)
      #expect(x.undefined?.contains("tpr undefined for the reference group 'C'") == true)
    }
    let pvp = r.criteria.first { $0.name == "predictive_value_parity" }!
    let b = pvp.comparisons.first { $0.group == "B" }!
    let ppv = b.rates.first { $0.name == "ppv" }!
    #expect(ppv.reference == 0 && ppv.ratio == nil && ppv.difference == ppv.group)
    #expect(ppv.undefined?.contains("ppv of the reference group 'C' is 0") == true)
    #expect(b.verdict == .undefined && b.ratio == nil)
    // Judged on the difference, the same comparison is decided.
    var cfg = Self.configuration("C", attribute: 0)
    cfg.tolerance = .difference(0.1)
    let byDifference = FairnessAudit.run(input, configuration: cfg).audits[0]
    let b2 = byDifference.criteria.first { $0.name == "predictive_value_parity" }!.comparisons.first { $0.group == "B" }!
    #expect(b2.verdict != .undefined && b2.difference != nil)
  }

  @Test func intervalsBracketThePointEstimateAndComeFromTheSameReplicates() throws {
    let input = try FairnessGolden.oulad()
    var cfg = Self.configuration("largest", replicates: 1000, attribute: 2)  // imd_band
    let a = FairnessAudit.run(input, configuration: cfg).audits[0]
    var bracketed = 0
    for c in a.criteria where c.metrics.count == 1 || c.name == "equalized_odds" {
      for x in c.comparisons {
        for r in x.rates {
          let i = try #require(r.ratioInterval), d = try #require(r.differenceInterval)
          #expect(i.lower <= r.ratio! && r.ratio! <= i.upper, "\(c.name) \(x.group) \(r.name) ratio \(r.ratio!) \(i)")
          #expect(d.lower <= r.difference! && r.difference! <= d.upper, "\(c.name) \(x.group) \(r.name)")
          #expect(i.lower < i.upper)
          bracketed += 1
        }
        #expect(x.undefinedReplicates == 0)
      }
    }
    #expect(bracketed == 10 * 5)
    // Single-rate criteria: the group's interval is its rate's interval (one set of replicates).
    let dp = a.criteria[0]
    for x in dp.comparisons { #expect(x.ratioInterval == x.rates[0].ratioInterval) }
    // The criterion-level statistic is still the worst comparison.
    for c in a.criteria {
      let worst = c.comparisons.compactMap(\.difference).max { abs($0) < abs($1) }
      if c.name != "equalized_odds_mean" { #expect(c.difference == worst, "\(c.name)") }
    }
    // Between groups: no per-group comparisons, criteria unchanged.
    cfg.comparison = .betweenGroups
    #expect(FairnessAudit.run(input, configuration: cfg).audits[0].criteria.allSatisfy { $0.comparisons.isEmpty })
  }

  @Test func sameSeedSameBytesOtherSeedOtherIntervals() throws {
    let input = try FairnessGolden.lecture()
    var cfg = Self.configuration("largest", attribute: 0)
    let one = FairnessJSON.audits(FairnessAudit.run(input, configuration: cfg)).serialized()
    let two = FairnessJSON.audits(FairnessAudit.run(input, configuration: cfg)).serialized()
    #expect(one == two)
    #expect(one.contains("\"comparisons\""))
    cfg.seed = 1
    #expect(FairnessJSON.audits(FairnessAudit.run(input, configuration: cfg)).serialized() != one)
  }

  @Test func verdictRulesPerGroup() {
    // Reference A (largest): selection 0.5. B: 0.2 → ratio 0.4, interval far below 0.8 → FAIL.
    // C: 0.5 → PASS. D (n = 200): 0.4 → ratio 0.8, the interval straddles 0.8 → INCONCLUSIVE.
    // E: no actual negatives → FPR undefined → UNDEFINED for equalized odds.
    let x = FairnessAuditTests.input([
      ("A", [2500, 2500, 2500, 2500]), ("B", [1000, 1000, 4000, 4000]), ("C", [2000, 2000, 2000, 2000]),
      ("D", [40, 40, 60, 60]), ("E", [300, 0, 0, 300]),
    ])
    var cfg = FairnessConfiguration()
    cfg.comparison = .largest
    cfg.bootstrapReplicates = 400
    let a = FairnessAudit.run(x, configuration: cfg).audits[0]
    #expect(a.reference == "A")
    let dp = a.criteria[0]
    func v(_ g: String, _ c: CriterionResult) -> FairnessVerdict? { c.comparisons.first { $0.group == g }?.verdict }
    #expect(dp.comparisons.map(\.group) == ["B", "C", "D", "E"])
    #expect(v("B", dp) == .fail)
    #expect(v("C", dp) == .pass)
    #expect(v("D", dp) == .inconclusive)
    #expect(dp.comparisons.first { $0.group == "D" }!.ratio == 0.4 / 0.5)
    let eo = a.criteria.first { $0.name == "equalized_odds" }!
    #expect(v("E", eo) == .undefined)
    #expect(eo.comparisons.first { $0.group == "E" }!.undefined?.contains("fpr undefined for group 'E'") == true)
    // Without a bootstrap the verdict comes from the point estimate, said so.
    cfg.bootstrapReplicates = 0
    let p = FairnessAudit.run(x, configuration: cfg).audits[0].criteria[0]
    #expect(v("D", p) == .pass)  // 0.8 lies on the band
    #expect(p.comparisons.first { $0.group == "D" }!.note?.contains("point estimate") == true)
    // A group FAIL can sit under a criterion that is only INCONCLUSIVE: B far below, F far above the
    // reference, so the worst comparison flips between them across replicates.
    let y = FairnessAuditTests.input([
      ("A", [2500, 0, 2500, 0]), ("B", [1500, 0, 3500, 0]), ("F", [4150, 0, 850, 0]),
    ])
    cfg.bootstrapReplicates = 400
    let flip = FairnessAudit.run(y, configuration: cfg).audits[0].criteria[0]
    #expect(flip.verdict == .inconclusive)
    #expect(flip.comparisons.map(\.verdict) == [.fail, .fail])
  }

  @Test func equalizedOddsMeanCriterionIsTheWorstGroupMean() {
    // Reference A: TPR 0.5, FPR 0.5. B: TPR 0.9, FPR 0.5 (mean difference 0.2, mean ratio 1.4).
    // C: TPR 0.5, FPR 0.7 (0.1, 1.2). The criterion is B's comparison; it used to be the mean of
    // B's TPR and C's FPR comparison (0.3, 1.6), which is no group's.
    let x = FairnessAuditTests.input([("A", [50, 50, 50, 50]), ("B", [45, 25, 25, 5]), ("C", [25, 35, 15, 25])])
    var cfg = FairnessConfiguration()
    cfg.comparison = .largest
    cfg.bootstrapReplicates = 200
    let a = FairnessAudit.run(x, configuration: cfg).audits[0]
    #expect(a.reference == "A")
    let mean = a.criteria.first { $0.name == "equalized_odds_mean" }!
    let b = mean.comparisons.first { $0.group == "B" }!
    #expect(mean.difference == b.difference && mean.ratio == b.ratio)
    #expect(abs(mean.difference! - 0.2) < 1e-15 && abs(mean.ratio! - 1.4) < 1e-15)
    #expect(mean.worstPair.map { [$0.0, $0.1] } == ["B", "A"])
    // Its interval (the worst group mean in each replicate) covers B's point estimate.
    let ci = mean.ratioInterval!
    #expect(ci.lower <= 1.4 && 1.4 <= ci.upper)
    // equalized_odds (worse of the two) is unchanged: B's TPR comparison.
    let worst = a.criteria.first { $0.name == "equalized_odds" }!
    #expect(abs(worst.difference! - 0.4) < 1e-15 && abs(worst.ratio! - 1.8) < 1e-15)
    // Between groups, the fairlearn definition stands: mean of the TPR and FPR max − min (0.4, 0.2).
    cfg.comparison = .betweenGroups
    let between = FairnessAudit.run(x, configuration: cfg).audits[0].criteria.first { $0.name == "equalized_odds_mean" }!
    #expect(abs(between.difference! - 0.3) < 1e-15)
  }

  @Test func suppressedGroupsAreNotCompared() {
    let x = FairnessAuditTests.input([("A", [20, 10, 50, 20]), ("B", [40, 20, 30, 10]), ("S", [2, 1, 2, 0])])
    var cfg = FairnessConfiguration()
    cfg.comparison = .largest
    cfg.bootstrapReplicates = 50
    let a = FairnessAudit.run(x, configuration: cfg).audits[0]
    // S (n = 5) is suppressed, and with it the next smallest (complementary suppression): nothing to compare.
    #expect(a.criteria.allSatisfy { $0.comparisons.isEmpty })
    let y = FairnessAuditTests.input([("A", [20, 10, 50, 20]), ("B", [40, 20, 30, 10]), ("C", [10, 10, 20, 10]),
                                      ("S", [2, 1, 2, 0])])
    let b = FairnessAudit.run(y, configuration: cfg).audits[0]
    #expect(b.groups.filter(\.suppressed).map(\.name) == ["C", "S"])
    #expect(b.criteria.allSatisfy { $0.comparisons.map(\.group) == ["B"] })
    #expect(b.notices.contains { $0.contains("'S' suppressed") })
  }
}

/// Against a reference, two groups whose differences are equal in exact arithmetic (selection rates 0.7 and 0.3
/// against 0.5) differ after rounding (0.19999999999999996 and 0.20000000000000001); the worst comparison must be
/// the first group in output order, as for exact ties, not the one rounding made larger.
@Test func referenceComparisonTiesBrokenByRoundingGoToTheFirstGroup() {
  // [TN, FP, FN, TP]: selection rates 0.7, 0.3 and 0.5 (the reference, last).
  let high = [3, 0, 0, 7], low = [7, 0, 0, 3], reference = [10, 0, 0, 10]
  for (cells, first) in [([high, low, reference], 0.7 - 0.5), ([low, high, reference], 0.3 - 0.5)] {
    let dp = FairnessAudit.evaluate(cells: cells, referencePosition: 2)[0]
    #expect(dp.difference == first)
    #expect(dp.differencePair.map { [$0.0, $0.1] } == [0, 2])
  }
  // The per-group path (worstComparison) and a two-rate criterion (combine) keep the first too.
  let perGroup = FairnessAudit.pairwise(cells: [high, low, reference], ref: 2, names: nil).criteria
  let worst = FairnessAudit.worstComparison([perGroup[0][0], perGroup[1][0]])
  #expect(worst.difference == 0.7 - 0.5)
  var tpr = FairnessAudit.Statistic(), fpr = FairnessAudit.Statistic()
  tpr.difference = 0.7 - 0.5
  fpr.difference = 0.3 - 0.5
  tpr.differencePair = (0, 2)
  fpr.differencePair = (1, 2)
  let eo = FairnessAudit.combine(tpr, fpr, names: ("tpr", "fpr"), mean: false, fairlearn: nil, describe: false)
  #expect(eo.difference == 0.7 - 0.5)
}
