import CohortLensCore

/// A sensitive attribute: its name and one value per row (`nil` = missing).
public struct SensitiveAttribute: Sendable {
  public var name: String
  public var values: [String?]
  public init(name: String, values: [String?]) {
    self.name = name
    self.values = values
  }
}

/// Everything the audit needs per row, already resolved from files: truth, prediction, optional
/// score, sensitive attributes, optional stratum.
public struct FairnessInput: Sendable {
  /// `true` when the true label is the positive class.
  public var truth: [Bool]
  /// `true` when the model predicts the positive class.
  public var predicted: [Bool]
  /// Model scores (optional). Higher means more likely positive unless `lowerIsPositive`.
  public var scores: [Double]?
  /// Scores where a lower value means "more likely positive" (AUC ranks `−score`; Brier/ECE use `1 − score`).
  public var lowerIsPositive: Bool
  /// Sensitive attributes (at least one).
  public var attributes: [SensitiveAttribute]
  /// Stratum of each row (e.g. course week), or `nil` for no stratification.
  public var strata: [String]?
  public init(truth: [Bool], predicted: [Bool], scores: [Double]? = nil, lowerIsPositive: Bool = false,
              attributes: [SensitiveAttribute], strata: [String]? = nil) {
    self.truth = truth
    self.predicted = predicted
    self.scores = scores
    self.lowerIsPositive = lowerIsPositive
    self.attributes = attributes
    self.strata = strata
  }
  public var rowCount: Int { truth.count }
}

/// How groups are compared.
public enum FairnessComparison: Sendable, Equatable {
  /// max − min and min / max over groups (fairlearn `method='between_groups'`).
  case betweenGroups
  /// Each group against the largest group (Aequitas `'maj'`).
  case largest
  /// Each group against the named reference group (Aequitas predefined groups); falls back to
  /// the largest group (with a notice) in audits where the name does not occur.
  case group(String)
}

/// The tolerance band a criterion's interval is checked against.
public enum FairnessTolerance: Sendable, Equatable {
  /// Ratio in [τ, 1/τ] (default τ = 0.8: the four-fifths rule, 0.8–1.25).
  case ratio(Double)
  /// |difference| ≤ E.
  case difference(Double)
}

/// Rows whose sensitive value is missing.
public enum MissingGroupPolicy: String, Sendable, CaseIterable {
  /// An explicit `(missing)` group (default).
  case group
  /// Left out of the audits of that attribute (counted in `AuditResult.droppedRows`).
  case drop
}

/// Parameters of ``FairnessAudit/run(_:configuration:progress:)``.
public struct FairnessConfiguration: Sendable {
  /// Attribute index sets to audit; each inner array is one audit (one attribute, or an
  /// intersection of several). Default: every attribute alone.
  public var audits: [[Int]]?
  public var comparison: FairnessComparison = .betweenGroups
  public var tolerance: FairnessTolerance = .ratio(0.8)
  /// Groups with fewer rows are suppressed (default 10, the modal US state reporting minimum, NCES 2011-603).
  public var minGroupSize: Int = 10
  /// Rates whose denominator is below this are flagged `low_support` (default 30).
  public var lowSupportDenominator: Int = 30
  /// Level of Wilson and bootstrap intervals (default 0.95).
  public var confidence: Double = 0.95
  /// Bootstrap replicates for criterion intervals (0 = none; verdicts then use the point estimate).
  public var bootstrapReplicates: Int = 1000
  /// Label permutations for the ABROCA p-values (0 = none).
  public var permutations: Int = 1000
  /// Seed of every random stream (NumPy `RandomState` semantics).
  public var seed: UInt32 = 0
  public var missing: MissingGroupPolicy = .group
  /// Equal-width calibration bins on [0, 1] (default 10).
  public var calibrationBins: Int = 10
  /// ROC points kept per group in the result, evenly spaced, besides up to 33 that keep the TPR at FPR 0,
  /// 0.1, …, 1 exact (the ABROCA uses every point).
  public var rocPointLimit: Int = 201
  public init() {}
}

/// Name of the explicit group of rows with a missing sensitive value (``MissingGroupPolicy/group``).
/// The audit keeps that group apart from a real value written the same way, but both would be
/// listed under this name: the command line therefore rejects such a value under `--missing group`,
/// and library callers should do the same (or drop / rename).
public let missingGroupName = "(missing)"

/// Names of intersections (`a & b`): the parts joined by `" & "`, a part quoted (`"…"`, inner quotes
/// doubled) when it contains `&` or starts with a quote, so that an unquoted part never holds the
/// separator and every name has one reading — `"a & b" & c` and `a & "b & c"` are two groups, and so are
/// `"R &" & D` and `R & "& D"`.
public enum IntersectionName {
  /// The name of the intersection of `parts` (one part: the part itself, never quoted).
  public static func join(_ parts: [String]) -> String {
    guard parts.count > 1 else { return parts.first ?? "" }
    return parts.map { p in
      p.contains("&") || p.hasPrefix("\"")
        ? "\"" + p.flatMap { $0 == "\"" ? "\"\"" : String($0) } + "\"" : p
    }.joined(separator: " & ")
  }

  /// The first `" & "` in `text`.
  static func separator(in text: Substring) -> Range<Substring.Index>? {
    var i = text.startIndex
    while i < text.endIndex {
      if text[i...].hasPrefix(" & ") { return i..<text.index(i, offsetBy: 3) }
      i = text.index(after: i)
    }
    return nil
  }

  /// The parts of a name written by ``join(_:)`` (a name without quotes splits at every `" & "`), or
  /// `nil` when its quotes are not balanced.
  public static func parts(of name: String) -> [String]? {
    var parts: [String] = []
    var rest = Substring(name)
    while true {
      var part = ""
      if rest.hasPrefix("\"") {
        var i = rest.index(after: rest.startIndex)
        var closed = false
        while i < rest.endIndex {
          if rest[i] == "\"" {
            let next = rest.index(after: i)
            if next < rest.endIndex && rest[next] == "\"" {
              part.append("\"")
              i = rest.index(after: next)
              continue
            }
            closed = true
            i = next
            break
          }
          part.append(rest[i])
          i = rest.index(after: i)
        }
        guard closed else { return nil }
        rest = rest[i...]
        parts.append(part)
        if rest.isEmpty { return parts }
        guard rest.hasPrefix(" & ") else { return nil }
        rest = rest.dropFirst(3)
      } else if let r = separator(in: rest) {
        parts.append(String(rest[..<r.lowerBound]))
        rest = rest[r.upperBound...]
      } else {
        parts.append(String(rest))
        return parts
      }
    }
  }
}

/// Verdict of a criterion.
public enum FairnessVerdict: String, Sendable, Equatable {
  /// The whole interval lies inside the tolerance band.
  case pass = "PASS"
  /// The whole interval lies outside the band.
  case fail = "FAIL"
  /// The interval straddles a band limit.
  case inconclusive = "INCONCLUSIVE"
  /// A needed rate is undefined (see the reason).
  case undefined = "UNDEFINED"
}

/// One metric of one group.
public struct MetricValue: Sendable, Equatable {
  /// `selection_rate`, `tpr`, `fpr`, `fnr`, `tnr`, `ppv`, `npv`, `accuracy`, `base_rate`, `auc`, `brier`, `ece`.
  public var name: String
  /// The value, `nil` when undefined.
  public var value: Double?
  /// Numerator (a count for rates; U for AUC; Σ squared error for Brier; `nil` for ECE).
  public var numerator: Double?
  /// Denominator (a count; |P|·|N| for AUC; n for Brier and ECE).
  public var denominator: Double?
  /// Wilson interval (rates only).
  public var ci: ClosedInterval?
  /// Why the value is undefined, or `nil`.
  public var undefined: String?
  /// The denominator is below `lowSupportDenominator`.
  public var lowSupport: Bool
}

/// A closed interval [lower, upper].
public struct ClosedInterval: Sendable, Equatable {
  public var lower: Double
  public var upper: Double
  public init(_ lower: Double, _ upper: Double) {
    self.lower = lower
    self.upper = upper
  }
}

/// One group of an audit.
public struct GroupResult: Sendable {
  /// Group name (`F`, `F & 35-55`, `(missing)`).
  public var name: String
  public var n: Int
  public var tp: Int, fp: Int, tn: Int, fn: Int
  /// Hidden in every output (n below the minimum, or complementary suppression).
  public var suppressed: Bool
  /// Why it is suppressed.
  public var suppressionReason: String?
  /// Metrics in the fixed order of ``FairnessAudit/metricNames`` (score metrics only with scores).
  public var metrics: [MetricValue]
  /// ROC curve (thinned to `rocPointLimit` points plus those that keep its TPR at FPR 0, 0.1, …, 1 exact:
  /// ``ScoreMetrics/thin(_:limit:)``), with scores and both classes present. Thresholds
  /// are in the score column's units, descending FPR/TPR-wise from (0, 0): score ≥ threshold is
  /// predicted positive, or score ≤ threshold with `lowerIsPositive` (thresholds then ascend); the
  /// first point's threshold is `+∞` (`−∞` with `lowerIsPositive`): nobody predicted positive.
  public var roc: [ROCPoint]?
  /// Reliability table, with scores in [0, 1].
  public var reliability: [ReliabilityBin]?

  /// The metric called `name`.
  public func metric(_ name: String) -> MetricValue? { metrics.first { $0.name == name } }
}

/// One fairness criterion of an audit.
public struct CriterionResult: Sendable {
  /// `demographic_parity`, `equalized_odds`, `equalized_odds_mean`, `equal_opportunity`,
  /// `predictive_value_parity`, `accuracy_parity`.
  public var name: String
  /// The metrics it compares.
  public var metrics: [String]
  /// Between groups: max − min (≥ 0). Against a reference: the signed difference group − reference
  /// of largest magnitude. `nil` when undefined.
  public var difference: Double?
  /// Between groups: min / max (≤ 1). Against a reference: group / reference furthest from 1.
  public var ratio: Double?
  /// Percentile bootstrap interval of the difference.
  public var differenceInterval: ClosedInterval?
  /// Percentile bootstrap interval of the ratio.
  public var ratioInterval: ClosedInterval?
  /// Replicates in which the statistic was undefined (left out of the percentiles).
  public var undefinedReplicates: Int
  /// The pair that produces the statistic the verdict uses, always two distinct groups. Between
  /// groups: in the order of the statistic (max − min: the highest group first; min / max: the
  /// lowest first); ties go to the first group in output order, and when every group has the same
  /// value the pair is the first two groups. Against a reference: the group, then the reference.
  public var worstPair: (String, String)?
  public var verdict: FairnessVerdict
  /// Why the verdict is UNDEFINED (names the rate and group), or notes on how a verdict was reached,
  /// joined by "; ": a rate 0 in every group left out of a two-rate criterion, an undefined ratio
  /// when judged on the difference, a point-estimate verdict.
  public var reason: String?
  /// With a reference group (`largest` / `GROUP`): one comparison per eligible non-reference group,
  /// in group order (Aequitas-style disparities). Empty for `between-groups`.
  public var comparisons: [GroupComparison] = []
}

/// One compared rate of a ``GroupComparison``: the group's and the reference's value,
/// `difference = group − reference`, `ratio = group / reference`, each with its bootstrap interval.
public struct ComparedRate: Sendable {
  /// `selection_rate`, `tpr`, `fpr`, `ppv`, `npv` or `accuracy`.
  public var name: String
  /// The group's rate, `nil` when undefined.
  public var group: Double?
  /// The reference group's rate, `nil` when undefined.
  public var reference: Double?
  public var difference: Double?
  /// `nil` also when the reference's rate is 0.
  public var ratio: Double?
  public var differenceInterval: ClosedInterval?
  public var ratioInterval: ClosedInterval?
  /// Why the difference or ratio is undefined (names the rate and group), or `nil`.
  public var undefined: String?
}

/// One group against the reference group for one criterion (Aequitas `disparity = group metric /
/// reference metric`; Saleiro et al. 2018, arXiv:1811.05577).
///
/// Single-rate criteria compare that rate. Two-rate criteria (equalized odds: TPR and FPR;
/// predictive value parity: PPV and NPV) have one ``ComparedRate`` per component; the criterion's
/// statistic is the worse component (the difference of largest magnitude, the ratio furthest from 1
/// in |log|), or the mean of both for `equalized_odds_mean`. Intervals come from the same
/// multinomial bootstrap replicates as the criterion's interval (no extra draws).
public struct GroupComparison: Sendable {
  public var group: String
  public var reference: String
  /// Component rates, in the criterion's ``CriterionResult/metrics`` order.
  public var rates: [ComparedRate]
  /// Signed group − reference (the worse / mean component for two-rate criteria).
  public var difference: Double?
  /// group / reference (the worse / mean component for two-rate criteria).
  public var ratio: Double?
  public var differenceInterval: ClosedInterval?
  public var ratioInterval: ClosedInterval?
  /// Replicates in which the statistic the verdict uses was undefined (left out of the percentiles).
  public var undefinedReplicates: Int
  /// PASS / FAIL / INCONCLUSIVE of the interval against the tolerance band; UNDEFINED when a needed
  /// rate of the group or the reference is undefined.
  public var verdict: FairnessVerdict
  /// Why the verdict is UNDEFINED (names the rate and group), or `nil`.
  public var undefined: String?
  /// Notes on how the verdict was reached, joined by "; " (a rate 0 for both the group and the
  /// reference left out of a two-rate criterion, an undefined ratio when judged on the difference,
  /// a point-estimate verdict), or `nil`.
  public var note: String?
}

/// ABROCA of one group against the reference group.
public struct ABROCAEntry: Sendable {
  public var group: String
  public var reference: String
  /// Area between the two ROC curves, `nil` when undefined.
  public var value: Double?
  /// Permutation p-value `(1 + #{ABROCA_perm ≥ ABROCA}) / (1 + permutations)`.
  public var pValue: Double?
  /// Holm-adjusted p-value across the groups of the audit.
  public var pHolm: Double?
  public var undefined: String?
}

/// One audit: one attribute (or intersection) within one stratum (or pooled).
public struct AuditResult: Sendable {
  /// The attribute name, or the intersection `a & b`.
  public var attribute: String
  public var attributes: [String]
  /// The stratum value, `nil` for the pooled audit over all rows.
  public var stratum: String?
  /// Rows in the audit.
  public var n: Int
  /// Rows of this audit (of its stratum; all rows for the pooled audit) left out because of a
  /// missing sensitive value (`--missing drop`).
  public var droppedRows: Int
  /// Why `n` is suppressed in every output (below the minimum group size, or complementary suppression:
  /// the strata's n's add up to the pooled n); `nil` when it is printed.
  public var nSuppressionReason: String? = nil
  /// Why `droppedRows` is suppressed in every output (it would give a suppressed n by subtraction from the
  /// stratum's or the input's rows); `nil` when it is printed.
  public var droppedRowsSuppressionReason: String? = nil
  public var groups: [GroupResult]
  public var criteria: [CriterionResult]
  /// The reference group of reference comparisons and of ABROCA.
  public var reference: String?
  /// ABROCA per non-reference group (with scores).
  public var abroca: [ABROCAEntry]?
  /// Notices (suppressed groups, fallbacks, single level).
  public var notices: [String]
}

/// The result of ``FairnessAudit/run(_:configuration:progress:)``.
public struct FairnessResult: Sendable {
  public var audits: [AuditResult]
  public var rowCount: Int
  /// The normal quantile used for Wilson intervals.
  public var z: Double
  public var configuration: FairnessConfiguration
  /// Warnings for the whole run (e.g. scores outside [0, 1]).
  public var warnings: [String]
}

/// The order of strata in every output (audits, tables, charts): numerically when every stratum is a
/// number; otherwise naturally — runs of digits compared as numbers, the text between them by code points
/// (`w2` before `w10`, ISO dates by date) — and labels equal that way (`w02`, `w2`, or `1` and `1.0`) by code
/// points.
public enum StratumOrder {
  /// The indices of `strata` in that order. O(s log s · label length).
  public static func sorted(_ strata: [String]) -> [Int] {
    let numbers = strata.map { Double($0) }
    if numbers.allSatisfy({ $0.map { !$0.isNaN } ?? false }) {
      return strata.indices.sorted { (numbers[$0]!, ExactText(strata[$0])) < (numbers[$1]!, ExactText(strata[$1])) }
    }
    return strata.indices.sorted { a, b in
      naturalComparison(strata[a], strata[b]) ?? (ExactText(strata[a]) < ExactText(strata[b]))
    }
  }

  /// Natural comparison of `a` and `b`: whether `a` comes first, or nil when they are equal that way.
  static func naturalComparison(_ a: String, _ b: String) -> Bool? {
    func runs(_ s: String) -> [(digits: Bool, text: [UInt32])] {
      var out: [(digits: Bool, text: [UInt32])] = []
      for u in s.unicodeScalars {
        let digit = u.value >= 0x30 && u.value <= 0x39
        if let last = out.last, last.digits == digit { out[out.count - 1].text.append(u.value) } else { out.append((digit, [u.value])) }
      }
      return out
    }
    let x = runs(a), y = runs(b)
    for (p, q) in zip(x, y) {
      if p.digits && q.digits {
        // As numbers: without leading zeros, the shorter is smaller, then digit by digit.
        let m = Array(p.text.drop { $0 == 0x30 }), n = Array(q.text.drop { $0 == 0x30 })
        if m.count != n.count { return m.count < n.count }
        if m != n { return m.lexicographicallyPrecedes(n) }
      } else if p.digits != q.digits {
        return p.digits  // a number before text at the same place
      } else if p.text != q.text {
        return p.text.lexicographicallyPrecedes(q.text)
      }
    }
    return x.count == y.count ? nil : x.count < y.count
  }
}
