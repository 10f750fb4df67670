import CohortLensCore
import Testing
@testable import Fairness

/// Library behaviour beyond the goldens: reference comparisons, strata, suppression, determinism.
struct FairnessAuditTests {
  /// Groups with fixed confusion counts (tp, fp, tn, fn), rows expanded in order.
  static func input(_ groups: [(String, [Int])], strata: [String]? = nil) -> FairnessInput {
    var truth: [Bool] = [], predicted: [Bool] = [], attr: [String?] = []
    for (name, c) in groups {
      for _ in 0..<c[0] { truth.append(true); predicted.append(true); attr.append(name) }
      for _ in 0..<c[1] { truth.append(false); predicted.append(true); attr.append(name) }
      for _ in 0..<c[2] { truth.append(false); predicted.append(false); attr.append(name) }
      for _ in 0..<c[3] { truth.append(true); predicted.append(false); attr.append(name) }
    }
    return FairnessInput(truth: truth, predicted: predicted, attributes: [SensitiveAttribute(name: "g", values: attr)],
                         strata: strata)
  }

  @Test func referenceComparisonUsesSignedLargestDifference() {
    // Selection rates: A 30/100, B 60/100, C 20/50. Largest group = A (first of the ties A, B).
    let x = Self.input([("A", [20, 10, 50, 20]), ("B", [40, 20, 30, 10]), ("C", [10, 10, 20, 10])])
    var c = FairnessConfiguration()
    c.comparison = .largest
    c.bootstrapReplicates = 0
    let a = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(a.reference == "A")
    let dp = a.criteria[0]
    #expect(dp.difference == 0.6 - 0.3)      // B − A
    #expect(dp.ratio == 0.6 / 0.3)           // furthest from 1: 2.0 (C: 1.333)
    #expect(dp.worstPair.map { [$0.0, $0.1] } == ["B", "A"])
    #expect(dp.verdict == .fail)
    #expect(dp.reason?.contains("point estimate") == true)
    c.comparison = .group("C")
    let named = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(named.reference == "C")
    // Against C (0.4): A − C = −0.1, B − C = +0.2 → the signed difference of largest magnitude is B − C.
    #expect(named.criteria[0].difference == 0.6 - 0.4)
    #expect(named.criteria[0].worstPair.map { [$0.0, $0.1] } == ["B", "C"])
    c.comparison = .group("Z")
    let fallback = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(fallback.reference == "A")
    #expect(fallback.notices.contains { $0.contains("'Z' does not occur") })
  }

  /// A statistic exactly on a band limit is inside the band whatever its rounding: selection rates 8/10 and
  /// 7/10 differ by 0.1 (computed 0.10000000000000009) and their ratio is 7/8 (computed 0.8749999999999999).
  @Test func aStatisticOnABandLimitIsInside() {
    let x = Self.input([("A", [4, 4, 1, 1]), ("B", [4, 3, 2, 1])])
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 0
    c.minGroupSize = 1
    func dp(_ tolerance: FairnessTolerance) -> CriterionResult {
      c.tolerance = tolerance
      return FairnessAudit.run(x, configuration: c).audits[0].criteria.first { $0.name == "demographic_parity" }!
    }
    let onDifference = dp(.difference(0.1))
    #expect(onDifference.difference == 0.8 - 0.7)
    #expect(onDifference.difference! > 0.1)  // the rounding the slack absorbs
    #expect(onDifference.verdict == .pass)
    #expect(dp(.difference(0.0999)).verdict == .fail)
    let onRatio = dp(.ratio(0.875))
    #expect(onRatio.ratio! < 0.875)
    #expect(onRatio.verdict == .pass)
    #expect(dp(.ratio(8.0 / 7)).verdict == .pass)   // τ > 1 gives the same band [7/8, 8/7]
    #expect(dp(.ratio(0.876)).verdict == .fail)
    // An interval from the limit (rounded) to inside it passes; one that crosses it by more is inconclusive.
    let band = FairnessTolerance.ratio(0.8)
    #expect(band.verdict(ClosedInterval(0.8.nextDown, 1)) == .pass)
    #expect(band.verdict(ClosedInterval(1, 1.25.nextUp)) == .pass)
    #expect(band.verdict(ClosedInterval(0.799, 1)) == .inconclusive)
    #expect(band.verdict(ClosedInterval(0.5, 0.799)) == .fail)
  }

  @Test func betweenGroupsMatchesHandComputation() {
    let x = Self.input([("A", [20, 10, 50, 20]), ("B", [40, 20, 30, 10])])
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 0
    let a = FairnessAudit.run(x, configuration: c).audits[0]
    let tprA = 20.0 / 40, tprB = 40.0 / 50, fprA = 10.0 / 60, fprB = 20.0 / 50
    let eo = a.criteria.first { $0.name == "equalized_odds" }!
    #expect(eo.difference == max(tprB - tprA, fprB - fprA))
    #expect(eo.ratio == min(tprA / tprB, fprA / fprB))
    let mean = a.criteria.first { $0.name == "equalized_odds_mean" }!
    #expect(mean.difference == ((tprB - tprA) + (fprB - fprA)) / 2)
    let g = a.groups[0]
    #expect(g.metric("ppv")!.numerator == 20 && g.metric("ppv")!.denominator == 30)
    #expect(g.metric("base_rate")!.value == 40.0 / 100)
  }

  @Test func strataAreAuditedSeparatelyAfterThePooledAudit() {
    let groups: [(String, [Int])] = [("A", [10, 5, 20, 5]), ("B", [8, 6, 18, 8])]
    let n = 80
    let strata = (0..<n).map { $0 % 2 == 0 ? "10" : "9" }
    let result = FairnessAudit.run(Self.input(groups, strata: strata), configuration: {
      var c = FairnessConfiguration(); c.bootstrapReplicates = 10; return c
    }())
    #expect(result.audits.map(\.stratum) == [nil, "9", "10"])  // numeric order
    #expect(result.audits[1].n + result.audits[2].n == result.audits[0].n)
    for k in 0..<2 {
      let pooled = result.audits[0].groups[k]
      let parts = result.audits[1...].map { $0.groups[k] }
      #expect(parts.map(\.tp).reduce(0, +) == pooled.tp)
      #expect(parts.map(\.fn).reduce(0, +) == pooled.fn)
    }
  }

  @Test func suppressionHidesCountsInJSONAndAddsTheComplement() {
    let x = Self.input([("A", [20, 10, 50, 20]), ("B", [10, 5, 10, 5]), ("C", [10, 5, 10, 4]), ("D", [2, 1, 2, 1])])
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 0
    let a = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(a.groups.map(\.suppressed) == [false, false, true, true])  // D (6) and the next smallest C (29)
    let json = FairnessJSON.audit(a).serialized()
    #expect(!json.contains("\"n\": 6"))
    #expect(json.contains("complementary suppression"))
    #expect(a.criteria[0].worstPair.map { [$0.0, $0.1] }?.allSatisfy { ["A", "B"].contains($0) } == true)
  }

  @Test func bootstrapAndPermutationsAreDeterministic() throws {
    let t = try Table.read(path: FairnessGolden.path("Fixtures/synthetic/fairness_edge_cases.csv"))
    let input = FairnessInput(
      truth: try t.numbers("truth").map { $0! == 1 }, predicted: try t.numbers("predicted").map { $0! == 1 },
      scores: try t.numbers("score").map { $0! },
      attributes: [SensitiveAttribute(name: "group", values: try t.strings("group"))])
    var c = FairnessConfiguration()
    c.bootstrapReplicates = 300
    c.permutations = 200
    c.seed = 42
    let one = FairnessJSON.audits(FairnessAudit.run(input, configuration: c)).serialized()
    let two = FairnessJSON.audits(FairnessAudit.run(input, configuration: c)).serialized()
    #expect(one == two)
    c.seed = 43
    #expect(FairnessJSON.audits(FairnessAudit.run(input, configuration: c)).serialized() != one)
    // Holm-adjusted p-values are never below the raw ones and lie in (0, 1].
    for e in FairnessAudit.run(input, configuration: c).audits[0].abroca ?? [] where e.pValue != nil {
      #expect(e.pHolm! >= e.pValue! && e.pHolm! <= 1 && e.pValue! > 0)
    }
  }

  @Test func permutationOfIdenticalDistributionsIsNotSignificant() {
    // Two groups drawn from one score distribution: a large p-value.
    var rng = NumPyRandomState(seed: 5)
    var truth: [Bool] = [], scores: [Double] = [], g: [String?] = []
    for i in 0..<600 {
      let y = rng.randomSample() < 0.4
      truth.append(y)
      scores.append(min(1, max(0, (y ? 0.6 : 0.4) + 0.2 * rng.standardNormal())))
      g.append(i % 2 == 0 ? "P" : "Q")
    }
    let input = FairnessInput(truth: truth, predicted: scores.map { $0 >= 0.5 }, scores: scores,
                              attributes: [SensitiveAttribute(name: "g", values: g)])
    var c = FairnessConfiguration()
    c.permutations = 500
    c.bootstrapReplicates = 0
    let e = FairnessAudit.run(input, configuration: c).audits[0].abroca![0]
    #expect(e.pValue! > 0.05)
    #expect(e.value! > 0 && e.value! < 0.1)
  }
}

/// Group values are compared exactly as written (Unicode scalars), as pandas groups them.
struct FairnessExactGroupTests {
  @Test func namesThatDifferOnlyInNormalisationAreTwoGroups() {
    let nfc = "Am\u{E9}lie", nfd = "Ame\u{301}lie"
    // pandas: df.groupby('group') gives two groups, NFD first (code-point order: 'e' < 'é').
    let values: [String?] = [nfc, nfc, nfd, nfd, "B", "B"]
    let input = FairnessInput(truth: [true, false, true, false, true, false],
                              predicted: [true, false, false, true, true, true],
                              attributes: [SensitiveAttribute(name: "g", values: values)])
    var c = FairnessConfiguration()
    c.minGroupSize = 0
    c.bootstrapReplicates = 0
    c.comparison = .group(nfc)
    let a = FairnessAudit.run(input, configuration: c).audits[0]
    #expect(a.groups.count == 3)
    #expect(a.groups.map { Array($0.name.unicodeScalars) } == [nfd, nfc, "B"].map { Array($0.unicodeScalars) })
    #expect(a.groups.map { [$0.tp, $0.fp, $0.tn, $0.fn] } == [[0, 1, 0, 1], [1, 0, 1, 0], [1, 1, 0, 0]])
    // The reference is the group written exactly as asked (the NFC one), not its look-alike.
    #expect(a.reference.map { Array($0.unicodeScalars) } == Array(nfc.unicodeScalars))
  }
}

/// Intersections index only the observed combinations.
struct FairnessIntersectionTests {
  @Test func highCardinalityIntersectionIndexesObservedCombinationsOnly() {
    // 3 attributes × 1,300 levels: Π(levels + 1) ≈ 2.2e9 combinations, 1,300 observed.
    let n = 1300
    let school = (0..<n).map { Optional("s\($0)") }
    let klass = (0..<n).map { Optional("c\(($0 * 7) % n)") }
    let teacher = (0..<n).map { Optional("t\(($0 * 11) % n)") }
    let input = FairnessInput(
      truth: (0..<n).map { $0 % 2 == 0 }, predicted: (0..<n).map { $0 % 3 == 0 },
      attributes: [SensitiveAttribute(name: "school", values: school), SensitiveAttribute(name: "class", values: klass),
                   SensitiveAttribute(name: "teacher", values: teacher)])
    var c = FairnessConfiguration()
    c.audits = [[0, 1, 2]]
    c.bootstrapReplicates = 10
    c.minGroupSize = 1
    let a = FairnessAudit.run(input, configuration: c).audits[0]
    #expect(a.groups.count == n)
    #expect(a.groups.allSatisfy { $0.n == 1 })
    // Lexicographic order of (school, class, teacher) levels, each attribute in exact-text order.
    let expected = (0..<n).map { "s\($0) & c\(($0 * 7) % n) & t\(($0 * 11) % n)" }
      .sorted { ExactText($0) < ExactText($1) }
    #expect(a.groups.map(\.name) == expected)
    #expect(a.groups[0].name == "s0 & c0 & t0")
    let truePositives: Int = a.groups.map(\.tp).reduce(0, +)
    let expectedTruePositives: Int = (0..<n).filter { $0 % 6 == 0 }.count
    #expect(truePositives == expectedTruePositives)
  }

  @Test func observedCombinationsAreInMixedRadixOrderWithMissingLast() {
    // Column a: levels 0, 1 (2 = missing); column b: levels 0..2 (3 = missing).
    let a: [Int32] = [1, 0, 2, 1, 0, 1, 2]
    let b: [Int32] = [0, 2, 1, 0, 3, 2, 1]
    let (codes, members) = FairnessAudit.observedCombinations([(a, 2), (b, 3)], rows: 7, dropMissing: false)
    // The dense mixed-radix order a·4 + b of the observed pairs: (0,2) (0,3) (1,0) (1,2) (2,1).
    let expectedMembers: [[Int32]] = [[0, 2], [0, 3], [1, 0], [1, 2], [2, 1]]
    let expectedCodes: [Int32] = [2, 0, 4, 2, 1, 3, 4]
    #expect(members == expectedMembers)
    #expect(codes == expectedCodes)
    let (dropped, kept) = FairnessAudit.observedCombinations([(a, 2), (b, 3)], rows: 7, dropMissing: true)
    let keptMembers: [[Int32]] = [[0, 2], [1, 0], [1, 2]]
    let keptCodes: [Int32] = [1, 0, -1, 1, -1, 2, -1]
    #expect(kept == keptMembers)
    #expect(dropped == keptCodes)
  }
}

/// `--missing drop` with strata: each stratum audit counts its own dropped rows.
struct FairnessDroppedRowsTests {
  @Test func eachStratumReportsItsOwnDroppedRows() {
    // Week 1: A, B, missing; week 2: A, B, missing, missing.
    let values: [String?] = ["A", "B", nil, "A", "B", nil, nil]
    let strata = ["1", "1", "1", "2", "2", "2", "2"]
    let input = FairnessInput(
      truth: [true, false, true, true, false, false, true], predicted: [true, false, false, false, true, false, true],
      attributes: [SensitiveAttribute(name: "group", values: values)], strata: strata)
    var c = FairnessConfiguration()
    c.minGroupSize = 1
    c.bootstrapReplicates = 0
    c.missing = .drop
    let audits = FairnessAudit.run(input, configuration: c).audits
    #expect(audits.map(\.stratum) == [nil, "1", "2"])
    #expect(audits.map(\.droppedRows) == [3, 1, 2])
    #expect(audits.map(\.n) == [4, 2, 2])
    c.missing = .group
    #expect(FairnessAudit.run(input, configuration: c).audits.map(\.droppedRows) == [0, 0, 0])
  }
}

/// `worst_pair` always names two distinct groups, ties broken by output order.
struct FairnessWorstPairTests {
  @Test func tiedGroupsGiveTwoDistinctGroups() {
    // (tp, fp, tn, fn): A accuracy 3/4, B accuracy 3/4 (tie); selection A 1/4, B 3/4.
    let x = FairnessAuditTests.input([("A", [1, 0, 2, 1]), ("B", [2, 1, 1, 0])])
    var c = FairnessConfiguration()
    c.minGroupSize = 0
    c.bootstrapReplicates = 0
    var audit = FairnessAudit.run(x, configuration: c).audits[0]
    let accuracy = audit.criteria.first { $0.name == "accuracy_parity" }!
    #expect(accuracy.difference == 0 && accuracy.ratio == 1)
    #expect(accuracy.worstPair.map { [$0.0, $0.1] } == ["A", "B"])
    #expect(audit.criteria[0].worstPair.map { [$0.0, $0.1] } == ["A", "B"])  // min / max: A (0.25) lowest first
    c.tolerance = .difference(0.1)
    audit = FairnessAudit.run(x, configuration: c).audits[0]
    #expect(audit.criteria.first { $0.name == "accuracy_parity" }!.worstPair.map { [$0.0, $0.1] } == ["A", "B"])
    #expect(audit.criteria[0].worstPair.map { [$0.0, $0.1] } == ["B", "A"])  // max − min: B highest first
    // Three groups, two tied at the top: the first of them, against the lowest.
    let three = FairnessAuditTests.input([("A", [1, 1, 2, 0]), ("B", [0, 0, 4, 0]), ("C", [2, 0, 1, 1])])
    for tolerance in [FairnessTolerance.ratio(0.8), .difference(0.1)] {
      c.tolerance = tolerance
      let dp = FairnessAudit.run(three, configuration: c).audits[0].criteria[0]
      // Selection rates A 0.5, B 0, C 0.5.
      #expect(dp.difference == 0.5)
      let pair = dp.worstPair.map { Set([$0.0, $0.1]) }
      #expect(pair == Set(["A", "B"]))
    }
  }
}

/// A two-rate criterion whose one rate is 0 in every compared group (ratio 0/0) uses the other rate's ratio.
struct FairnessZeroComponentTests {
  @Test func predictiveValueParityUsesNPVWhenPPVIsZeroEverywhere() {
    // (tp, fp, tn, fn): no true positives, predicted positives in each group → PPV 0 everywhere.
    let x = FairnessAuditTests.input([("A", [0, 4, 12, 4]), ("B", [0, 3, 9, 8])])
    var c = FairnessConfiguration()
    c.minGroupSize = 0
    c.bootstrapReplicates = 0
    let pv = FairnessAudit.run(x, configuration: c).audits[0].criteria.first { $0.name == "predictive_value_parity" }!
    let npvA = 12.0 / 16, npvB = 9.0 / 17
    #expect(pv.ratio == npvB / npvA)
    #expect(pv.difference == npvA - npvB)  // max(PPV difference 0, NPV difference)
    #expect(pv.worstPair.map { [$0.0, $0.1] } == ["B", "A"])
    #expect(pv.verdict == .fail)
    #expect(pv.reason?.hasPrefix("ppv is 0 in every group (ratio 0/0 undefined); the ratio is the npv ratio alone") == true,
            "\(pv.reason ?? "")")
    // Both rates 0/0 → still undefined, with the reason.
    let none = FairnessAuditTests.input([("A", [0, 0, 5, 0]), ("B", [0, 0, 7, 0])])
    let eo = FairnessAudit.run(none, configuration: c).audits[0].criteria.first { $0.name == "equalized_odds" }!
    #expect(eo.ratio == nil && eo.verdict == .undefined)
  }

  @Test func referenceComparisonLeavesOutABothZeroRateButNotAZeroReference() {
    // FPR: A 0/10, B 0/10, C 2/10. TPR: A 8/10, B 6/10, C 8/10. Reference A (named).
    let x = FairnessAuditTests.input([("A", [8, 0, 10, 2]), ("B", [6, 0, 10, 4]), ("C", [8, 2, 8, 2])])
    var c = FairnessConfiguration()
    c.minGroupSize = 0
    c.bootstrapReplicates = 50
    c.comparison = .group("A")
    let eo = FairnessAudit.run(x, configuration: c).audits[0].criteria.first { $0.name == "equalized_odds" }!
    let b = eo.comparisons.first { $0.group == "B" }!
    #expect(b.ratio == 0.6 / 0.8)  // FPR 0 for B and A: the TPR ratio alone
    #expect(b.verdict != .undefined)
    #expect(b.note?.contains("fpr is 0 for group 'B' and the reference group 'A' (ratio 0/0 undefined)") == true, "\(b.note ?? "")")
    let cc = eo.comparisons.first { $0.group == "C" }!
    #expect(cc.ratio == nil && cc.verdict == .undefined)  // FPR 0.2 against 0: an infinite disparity stays undefined
    #expect(cc.undefined?.contains("fpr of the reference group 'A' is 0") == true, "\(cc.undefined ?? "")")
    // The criterion (worst over groups) is undefined because of C.
    #expect(eo.verdict == .undefined)
  }
}

/// ROC thresholds are reported in the score column's own units.
struct FairnessROCThresholdTests {
  @Test func lowerIsPositiveThresholdsAreInTheDataUnits() {
    // Group A: truth 1, 0, 1, 0 with scores 0.1, 0.8, 0.3, 0.6 (lower = more likely positive).
    // sklearn roc_curve(y, -s, drop_intermediate=False): fpr [0, 0, 0, .5, 1], tpr [0, .5, 1, 1, 1],
    // thresholds [inf, -0.1, -0.3, -0.6, -0.8] → in the data's units (score ≤ t positive) [-inf, 0.1, 0.3, 0.6, 0.8].
    let scores = [0.1, 0.8, 0.3, 0.6, 0.2, 0.9]
    let input = FairnessInput(
      truth: [true, false, true, false, true, false], predicted: scores.map { $0 < 0.5 }, scores: scores,
      lowerIsPositive: true, attributes: [SensitiveAttribute(name: "g", values: ["A", "A", "A", "A", "B", "B"])])
    var c = FairnessConfiguration()
    c.minGroupSize = 1
    c.bootstrapReplicates = 0
    c.permutations = 0
    let a = FairnessAudit.run(input, configuration: c).audits[0]
    let roc = a.groups[0].roc!
    let thresholds: [Double] = roc.map(\.threshold), fpr: [Double] = roc.map(\.fpr), tpr: [Double] = roc.map(\.tpr)
    let expectedThresholds: [Double] = [-.infinity, 0.1, 0.3, 0.6, 0.8]
    #expect(thresholds == expectedThresholds)
    #expect(fpr == [0, 0, 0, 0.5, 1])
    #expect(tpr == [0, 0.5, 1, 1, 1])
    // JSON: the infinite first threshold is null (valid JSON), the others are numbers.
    let json = FairnessJSON.audit(a).serialized()
    #expect(json.contains("\"threshold\": null"))
    #expect(!json.contains("\"inf\"") && !json.contains("-0.1"))
    // Higher is positive: thresholds are the scores themselves, first +∞.
    let up = FairnessInput(truth: input.truth, predicted: input.predicted, scores: scores.map { 1 - $0 },
                           attributes: input.attributes)
    let upThresholds: [Double] = FairnessAudit.run(up, configuration: c).audits[0].groups[0].roc!.map(\.threshold)
    let expectedUp: [Double] = [.infinity, 1 - 0.1, 1 - 0.3, 1 - 0.6, 1 - 0.8]
    #expect(upThresholds == expectedUp)
  }
}
