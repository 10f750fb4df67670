import CohortLensCore
import Foundation
import Testing
@testable import Fairness

/// Parity with fairlearn 0.15.0 / scikit-learn 1.9.1 / NumPy (Scripts/golden/fairness.py →
/// Fixtures/golden/fairness.json).
enum FairnessGolden {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static func path(_ p: String) -> String { root.appendingPathComponent(p).path }

  nonisolated(unsafe) static let golden: [String: Any] = {
    let data = try! Data(contentsOf: URL(fileURLWithPath: path("Fixtures/golden/fairness.json")))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
  }()

  static func dataset(_ name: String) -> [String: Any] {
    (golden["datasets"] as! [String: Any])[name] as! [String: Any]
  }

  /// Lecture 12: truth pass = grade ≥ 4, predicted pass = model output < 0.5, score lower is positive.
  static func lecture() throws -> FairnessInput {
    let demo = try Table.read(path: path("Fixtures/flipped-classroom/demographics.csv"))
    let pred = try Table.read(path: path("Fixtures/flipped-classroom/model_predictions.csv"))
    let grade = try demo.numbers("grade").map { $0! }
    let out = try pred.numbers("grade").map { $0! }
    return FairnessInput(
      truth: grade.map { $0 >= 4 }, predicted: out.map { $0 < 0.5 }, scores: out, lowerIsPositive: true,
      attributes: [SensitiveAttribute(name: "gender", values: try demo.strings("gender")),
                   SensitiveAttribute(name: "country_diploma", values: try demo.strings("country_diploma"))])
  }

  static func oulad() throws -> FairnessInput {
    let info = try Table.read(path: path("Fixtures/oulad/studentInfo.csv"))
    let ew = try Table.read(path: path("Fixtures/oulad/early_warning_predictions.csv"))
    return FairnessInput(
      truth: try ew.numbers("at_risk").map { $0! == 1 }, predicted: try ew.numbers("predicted").map { $0! == 1 },
      scores: try ew.numbers("score").map { $0! },
      attributes: try ["gender", "age_band", "imd_band", "disability"].map {
        SensitiveAttribute(name: $0, values: try info.strings($0))
      })
  }

  static func synthetic() throws -> FairnessInput {
    let t = try Table.read(path: path("Fixtures/synthetic/fairness_edge_cases.csv"))
    return FairnessInput(
      truth: try t.numbers("truth").map { $0! == 1 }, predicted: try t.numbers("predicted").map { $0! == 1 },
      scores: try t.numbers("score").map { $0! },
      attributes: [SensitiveAttribute(name: "group", values: try t.strings("group"))])
  }

  static func configuration(replicates: Int) -> FairnessConfiguration {
    var c = FairnessConfiguration()
    c.minGroupSize = 0
    c.bootstrapReplicates = replicates
    c.permutations = 0
    c.seed = 0
    return c
  }
}

struct ParityCounter {
  var maxRateError = 0.0
  var maxCriterionError = 0.0
  var maxAUCError = 0.0
  var maxABROCAError = 0.0
  var maxBootstrapError = 0.0
  var maxCalibrationError = 0.0
  var undefinedWhereFairlearnSilent = 0
}

/// Brier, reliability table and ECE of each group against `brier_score_loss` and
/// `calibration_curve(n_bins=10, strategy='uniform')` (the golden's `calibration`, one entry per group).
func checkCalibration(_ label: String, _ groups: [GroupResult], _ gold: [[String: Any]], error: inout Double) {
  #expect(groups.count == gold.count, "\(label): groups")
  for (group, g) in zip(groups, gold) {
    let brier = try! #require(group.metric("brier")?.value, "\(label)/\(group.name): Brier undefined")
    let ece = try! #require(group.metric("ece")?.value, "\(label)/\(group.name): ECE undefined")
    let bins = try! #require(group.reliability)
    #expect(bins.map(\.n) == g["n"] as! [Int], "\(label)/\(group.name): bin counts")
    let filled = bins.filter { $0.n > 0 }
    let mean = g["mean_score"] as! [Double], rate = g["observed_rate"] as! [Double]
    #expect(filled.count == mean.count, "\(label)/\(group.name): non-empty bins")
    var e = max(abs(brier - (g["brier"] as! Double)), abs(ece - (g["ece"] as! Double)))
    for (b, (m, r)) in zip(filled, zip(mean, rate)) {
      e = max(e, abs(b.meanScore! - m), abs(b.observedRate! - r))
    }
    error = max(error, e)
    #expect(e <= 1e-12, "\(label)/\(group.name): calibration error \(e)")
  }
}

func checkDataset(_ name: String, _ input: FairnessInput, counter: inout ParityCounter) {
  let g = FairnessGolden.dataset(name)
  let boot = ((g.values.first as! [String: Any])["bootstrap"] as! [String: Any])["replicates"] as! Int
  let result = FairnessAudit.run(input, configuration: FairnessGolden.configuration(replicates: boot))
  for audit in result.audits {
    let gold = g[audit.attribute] as! [String: Any]
    let names = gold["groups"] as! [String]
    #expect(audit.groups.map(\.name) == names, "\(name)/\(audit.attribute): group order")
    let counts = gold["counts"] as! [[String: Int]]
    let byGroup = gold["fairlearn_by_group"] as! [String: [Any]]
    let npv = gold["npv"] as! [Any]
    for (k, group) in audit.groups.enumerated() {
      let expected: [Int] = [counts[k]["tp"]!, counts[k]["fp"]!, counts[k]["tn"]!, counts[k]["fn"]!]
      let ours: [Int] = [group.tp, group.fp, group.tn, group.fn]
      #expect(ours == expected)
      for metric in ["selection_rate", "tpr", "fpr", "ppv", "npv"] {
        let ours = group.metric(metric)!
        let theirs = metric == "npv" ? npv[k] as? Double : byGroup[metric]![k] as? Double
        if let v = ours.value {
          #expect(ours.undefined == nil)
          let t = try! #require(theirs, "\(name)/\(audit.attribute)/\(group.name)/\(metric): fairlearn undefined, ours \(v)")
          counter.maxRateError = max(counter.maxRateError, abs(v - t))
          #expect(abs(v - t) <= 1e-12, "\(name)/\(audit.attribute)/\(group.name)/\(metric): \(v) vs \(t)")
        } else {
          #expect(ours.undefined != nil && ours.denominator == 0)
          // fairlearn: silent 0.0 for TPR/FPR (confusion_matrix normalize) and PPV (zero_division='warn');
          // our hand-computed NPV reference is NaN (null).
          if metric == "npv" { #expect(theirs == nil) } else {
            #expect(theirs == 0.0, "\(name)/\(group.name)/\(metric): fairlearn reports \(String(describing: theirs))")
            counter.undefinedWhereFairlearnSilent += 1
          }
        }
      }
    }
    // Criteria vs fairlearn.
    let fl = gold["fairlearn"] as! [String: Any]
    func crit(_ n: String) -> CriterionResult { audit.criteria.first { $0.name == n }! }
    let pairs: [(String, KeyPath<CriterionResult, Double?>, String)] = [
      ("demographic_parity", \.difference, "demographic_parity_difference"),
      ("demographic_parity", \.ratio, "demographic_parity_ratio"),
      ("equalized_odds", \.difference, "equalized_odds_difference"),
      ("equalized_odds", \.ratio, "equalized_odds_ratio"),
      ("equalized_odds_mean", \.difference, "equalized_odds_difference_mean"),
      ("equalized_odds_mean", \.ratio, "equalized_odds_ratio_mean"),
      ("equal_opportunity", \.difference, "equal_opportunity_difference"),
      ("equal_opportunity", \.ratio, "equal_opportunity_ratio"),
    ]
    for (criterion, key, flName) in pairs {
      let c = crit(criterion)
      let theirs = fl[flName] as? Double
      if let v = c[keyPath: key] {
        let t = try! #require(theirs)
        counter.maxCriterionError = max(counter.maxCriterionError, abs(v - t))
        #expect(abs(v - t) <= 1e-12, "\(name)/\(audit.attribute)/\(flName): \(v) vs \(t)")
      } else {
        #expect(c.verdict == .undefined && c.reason != nil)
        #expect(theirs != nil, "fairlearn gives a number for \(flName) where we report undefined")
      }
    }
    // AUC.
    if let auc = gold["auc"] as? [Any] {
      for (k, group) in audit.groups.enumerated() {
        let ours = group.metric("auc")!
        if let t = auc[k] as? Double {
          let v = try! #require(ours.value)
          counter.maxAUCError = max(counter.maxAUCError, abs(v - t))
          #expect(abs(v - t) <= 1e-12, "\(name)/\(group.name) AUC \(v) vs \(t)")
        } else {
          #expect(ours.value == nil && ours.undefined != nil)
        }
      }
      if let calibration = gold["calibration"] as? [[String: Any]] {
        checkCalibration("\(name)/\(audit.attribute)", audit.groups, calibration, error: &counter.maxCalibrationError)
      }
      #expect(audit.reference == gold["abroca_reference"] as? String)
      let grid = gold["abroca_grid"] as! [String: Double]
      for e in audit.abroca ?? [] {
        if let t = grid[e.group] {
          let v = try! #require(e.value)
          counter.maxABROCAError = max(counter.maxABROCAError, abs(v - t))
          #expect(abs(v - t) <= 1e-4, "\(name)/\(e.group) ABROCA \(v) vs grid \(t)")
        } else {
          #expect(e.value == nil && e.undefined != nil)
        }
      }
    }
    // Bootstrap intervals vs RandomState(seed).multinomial.
    let bs = gold["bootstrap"] as! [String: Any]
    for c in audit.criteria {
      let gc = bs[c.name] as! [String: Any]
      for (ours, key) in [(c.differenceInterval, "difference"), (c.ratioInterval, "ratio")] {
        if let t = gc[key] as? [Double] {
          let v = try! #require(ours, "\(name)/\(audit.attribute)/\(c.name) \(key) interval missing")
          let e = max(abs(v.lower - t[0]), abs(v.upper - t[1]))
          counter.maxBootstrapError = max(counter.maxBootstrapError, e)
          #expect(e <= 1e-12, "\(name)/\(audit.attribute)/\(c.name) \(key) CI \(v) vs \(t)")
        } else if c.verdict != .undefined || c.reason == nil {
          #expect(ours == nil)
        }
      }
    }
  }
}

@Test func lectureParityWithFairlearn() throws {
  var counter = ParityCounter()
  checkDataset("lecture", try FairnessGolden.lecture(), counter: &counter)
  print("lecture parity: rates \(counter.maxRateError), criteria \(counter.maxCriterionError), AUC \(counter.maxAUCError), ABROCA-grid \(counter.maxABROCAError), bootstrap \(counter.maxBootstrapError), calibration \(counter.maxCalibrationError)")
}

@Test func ouladParityWithFairlearn() throws {
  var counter = ParityCounter()
  checkDataset("oulad", try FairnessGolden.oulad(), counter: &counter)
  print("oulad parity: rates \(counter.maxRateError), criteria \(counter.maxCriterionError), AUC \(counter.maxAUCError), ABROCA-grid \(counter.maxABROCAError), bootstrap \(counter.maxBootstrapError), calibration \(counter.maxCalibrationError)")
}

@Test func syntheticUndefinedWhereFairlearnIsSilent() throws {
  var counter = ParityCounter()
  let input = try FairnessGolden.synthetic()
  checkDataset("synthetic", input, counter: &counter)
  // C has no positives: TPR undefined here, 0.0 in fairlearn; D is all positive: FPR undefined.
  #expect(counter.undefinedWhereFairlearnSilent >= 2)
  let result = FairnessAudit.run(input, configuration: FairnessGolden.configuration(replicates: 200))
  let c = result.audits[0].groups.first { $0.name == "C" }!
  #expect(c.metric("tpr")!.value == nil)
  #expect(c.metric("tpr")!.undefined == "no actual positives (TP + FN = 0)")
  let d = result.audits[0].groups.first { $0.name == "D" }!
  #expect(d.metric("fpr")!.undefined == "no actual negatives (FP + TN = 0)")
  #expect(d.metric("auc")!.value == nil)
  let eo = result.audits[0].criteria.first { $0.name == "equal_opportunity" }!
  #expect(eo.verdict == .undefined)
  #expect(eo.reason?.contains("tpr undefined for group 'C'") == true)
  let fl = FairnessGolden.dataset("synthetic")["group"] as! [String: Any]
  let flEO = (fl["fairlearn"] as! [String: Any])["equal_opportunity_difference"] as? Double
  #expect(flEO == 1.0)
  print("synthetic: \(counter.undefinedWhereFairlearnSilent) rates undefined where fairlearn reports a silent 0.0")
}

/// Probabilities on the calibration bin edges (scores in tenths): scikit-learn's `calibration_curve` puts
/// 0.5 in (0.4, 0.5] and 0.3 in (0.2, 0.3]; the reliability table, ECE and Brier follow it
/// (Scripts/golden/fairness.py, `calibration_edges`).
@Test func calibrationBinsOnTheEdgesAsScikitLearn() throws {
  let g = FairnessGolden.golden["calibration_edges"] as! [String: Any]
  let input = FairnessInput(
    truth: (g["truth"] as! [Int]).map { $0 == 1 }, predicted: (g["score"] as! [Double]).map { $0 >= 0.5 },
    scores: g["score"] as? [Double], attributes: [SensitiveAttribute(name: "group", values: (g["group"] as! [String]).map { $0 })])
  let audit = FairnessAudit.run(input, configuration: FairnessGolden.configuration(replicates: 0)).audits[0]
  var error = 0.0
  checkCalibration("calibration_edges", audit.groups, g["calibration"] as! [[String: Any]], error: &error)
  #expect(ScoreMetrics.calibrationBin(0.5, bins: 10) == 4)
  #expect(ScoreMetrics.calibrationBin(0.3, bins: 10) == 2)
  #expect(ScoreMetrics.calibrationBin(0.30000000000000004, bins: 10) == 2)
  #expect(ScoreMetrics.calibrationBin(0.3000000000000001, bins: 10) == 3)
  #expect(ScoreMetrics.calibrationBin(0, bins: 10) == 0)
  #expect(ScoreMetrics.calibrationBin(1, bins: 10) == 9)
  print("calibration on the bin edges: max error vs scikit-learn \(error)")
}

@Test func multinomialMatchesNumPy() {
  for key in ["multinomial", "multinomial_large"] {
    let g = FairnessGolden.golden[key] as! [String: Any]
    var rng = NumPyRandomState(seed: UInt32(g["seed"] as! Int))
    let p = g["p"] as! [Double]
    var draw: [Int] = []
    for expected in g["draws"] as! [[Int]] {
      Multinomial.draw(g["n"] as! Int, p, into: &draw, &rng)
      #expect(draw == expected)
    }
  }
}

/// A rate 0 in every group (ratio 0/0): fairlearn 0.15 leaves that component out of the equalized
/// odds ratio (Scripts/golden/fairness.py, `zero_rate_components`).
@Test(arguments: ["fpr_zero", "tpr_zero"])
func zeroRateComponentIsLeftOutAsFairlearn(case name: String) throws {
  let g = (FairnessGolden.golden["zero_rate_components"] as! [String: Any])[name] as! [String: Any]
  let input = FairnessInput(
    truth: (g["truth"] as! [Int]).map { $0 == 1 }, predicted: (g["predicted"] as! [Int]).map { $0 == 1 },
    attributes: [SensitiveAttribute(name: "group", values: (g["group"] as! [String]).map { $0 })])
  let boot = g["bootstrap"] as! [String: Any]
  let audit = FairnessAudit.run(input, configuration: FairnessGolden.configuration(replicates: boot["replicates"] as! Int)).audits[0]
  let fl = g["fairlearn"] as! [String: Any]
  let worst = audit.criteria.first { $0.name == "equalized_odds" }!
  let mean = audit.criteria.first { $0.name == "equalized_odds_mean" }!
  let kept = try #require(g["cohortlens_ratio"] as? Double)
  let zero = name == "fpr_zero" ? "fpr" : "tpr"
  // agg='mean' skips the NaN in both cases; worst_case does only with the NaN second (FPR).
  #expect(try abs(#require(mean.ratio) - #require(fl["equalized_odds_ratio_mean"] as? Double)) <= 1e-12)
  #expect(try abs(#require(worst.ratio) - kept) <= 1e-12)
  if name == "fpr_zero" {
    #expect(try abs(#require(worst.ratio) - #require(fl["equalized_odds_ratio"] as? Double)) <= 1e-12)
    #expect(worst.reason?.contains("as fairlearn 0.15 equalized_odds_ratio") == true, "\(worst.reason ?? "")")
  } else {
    #expect(fl["equalized_odds_ratio"] is NSNull)  // fairlearn: NaN
    #expect(worst.reason?.contains("returns NaN here") == true, "\(worst.reason ?? "")")
  }
  #expect(worst.reason?.hasPrefix("\(zero) is 0 in every group (ratio 0/0 undefined)") == true, "\(worst.reason ?? "")")
  #expect(mean.reason?.contains("the mean is the \(zero == "fpr" ? "tpr" : "fpr") ratio alone") == true)
  #expect(worst.verdict != .undefined && mean.verdict != .undefined)
  // Differences are unaffected (the 0/0 component's difference is 0).
  #expect(try abs(#require(worst.difference) - #require(fl["equalized_odds_difference"] as? Double)) <= 1e-12)
  #expect(try abs(#require(mean.difference) - #require(fl["equalized_odds_difference_mean"] as? Double)) <= 1e-12)
  // Bootstrap intervals with the same rule in every replicate.
  var maxError = max(abs(mean.ratio! - (fl["equalized_odds_ratio_mean"] as! Double)), abs(worst.ratio! - kept))
  for c in [worst, mean] {
    let gc = boot[c.name] as! [String: Any]
    for (ours, key) in [(c.differenceInterval, "difference"), (c.ratioInterval, "ratio")] {
      let t = try #require(gc[key] as? [Double])
      let v = try #require(ours)
      let e = max(abs(v.lower - t[0]), abs(v.upper - t[1]))
      maxError = max(maxError, e)
      #expect(e <= 1e-12, "\(name)/\(c.name) \(key) CI \(v) vs \(t)")
    }
  }
  print("zero-rate component \(name): max error vs fairlearn / NumPy \(maxError)")
}
