import CohortLensCore
import Explanation

/// Rendering of `cohortlens explain` results: the long explanation table (one row per student ×
/// feature), a summary per student, and optional stability, week and group-disparity tables.
struct ExplainReport {
  var explanations: [Explanation]
  var className: String
  var discretized: Bool
  var numFeatures: Int
  var stability: [StabilityReport]?
  var weeks: WeekGrouping?
  var disparity: GroupDisparity?
  var groupAttribute: String?
  var warnings: [String]
  var header: [(String, JSONValue)]
  /// Neighbourhood size (for the ESS column).
  var sampleCount: Int
  /// What the explained model output is: a class probability, or a regression model's prediction
  /// (a `"type": "linear"` model file). Names the readable columns and titles; the CSV and JSON keys
  /// stay `probability` / `model_probability`, and JSON says which in `model_output`.
  var outputIsProbability = true

  var outputName: String { outputIsProbability ? "probability" : "prediction" }

  func render(_ format: OutputFormat) -> String {
    switch format {
    case .json: return json().serialized(pretty: true) + "\n"
    case .csv: return longTable(readable: false, withSummary: true).render(.csv)
    case .markdown, .table:
      var parts = [longTable(readable: true, withSummary: false), summaryTable()]
      if let s = stabilityTable() { parts.append(s) }
      if let w = weekTables() { parts.append(contentsOf: w) }
      if let d = disparityTable() { parts.append(d) }
      return parts.map { $0.render(format) }.joined(separator: "\n")
    }
  }

  static func direction(_ w: Double) -> String { w > 0 ? "+" : (w < 0 ? "\u{2212}" : "0") }

  func number(_ x: Double, _ readable: Bool, digits: Int = 4) -> String {
    readable ? NumberFormatting.fixed(x, decimals: digits) : NumberFormatting.roundTrip(x)
  }

  /// One row per student × feature. CSV (`withSummary`) repeats the student's summary columns.
  func longTable(readable: Bool, withSummary: Bool) -> TextTable {
    var headers = ["student", "class", readable ? outputName : "probability", "rank", "feature", "condition",
                   "value", "weight", "direction"]
    if withSummary {
      headers += ["intercept", "local_prediction", "abs_difference", "score", "score_undefined_reason",
                  "effective_sample_size"]
    }
    var t = TextTable(
      title: readable ? "LIME explanations (\(outputIsProbability ? "class '\(className)'; weight = change of P(\(className))" : "weight = change of the model's prediction") when the condition holds\(discretized ? "" : ", per standard deviation"))" : nil,
      headers: headers,
      alignments: [.left, .left, .right, .right, .left, .left, .right, .right, .left] + [.right, .right, .right, .right, .left, .right])
    for e in explanations {
      for f in e.features {
        var row = [e.student, className, number(e.probability, readable), String(f.rank), f.name, f.condition,
                   readable ? NumberFormatting.significant(f.value, digits: 6) : NumberFormatting.roundTrip(f.value),
                   number(f.weight, readable, digits: 5), Self.direction(f.weight)]
        if withSummary {
          row += [number(e.intercept, false), number(e.localPrediction, false),
                  number(Swift.abs(e.localPrediction - e.probability), false), e.score.map { number($0, false) } ?? "undefined",
                  e.score == nil ? (e.scoreUndefinedReason ?? "") : "", number(e.effectiveSampleSize, false)]
        }
        t.append(row)
      }
    }
    return t
  }

  /// The surrogate fit per student. `readable: false` (the audit's CSV table) gives every number at round-trip
  /// precision, the undefined score's reason in its own column and the ESS and the sample count as two numbers.
  func summaryTable(readable: Bool = true) -> TextTable {
    if !readable {
      var t = TextTable(headers: ["student", "intercept", "local_prediction", "model_probability", "abs_difference",
                                  "score", "score_undefined_reason", "effective_sample_size", "samples", "kernel_width"])
      for e in explanations {
        t.append([e.student, number(e.intercept, false), number(e.localPrediction, false), number(e.probability, false),
                  number(Swift.abs(e.localPrediction - e.probability), false), e.score.map { number($0, false) } ?? "undefined",
                  e.score == nil ? (e.scoreUndefinedReason ?? "") : "", number(e.effectiveSampleSize, false),
                  String(sampleCount), number(e.kernelWidth, false)])
      }
      return t
    }
    var t = TextTable(
      title: "Per student: surrogate fit (score = weighted R²; ESS = (Σw)²/Σw² of the kernel weights)",
      headers: ["student", "intercept", "local prediction", "model \(outputName)", "|local − model|", "score", "ESS"],
      alignments: [.left] + Array(repeating: .right, count: 6))
    for e in explanations {
      t.append([e.student, number(e.intercept, true), number(e.localPrediction, true), number(e.probability, true),
                number(Swift.abs(e.localPrediction - e.probability), true), e.score.map { number($0, true) } ?? "undefined",
                "\(NumberFormatting.fixed(e.effectiveSampleSize, decimals: 1))/\(sampleCount)"])
    }
    if let k = explanations.first?.kernelWidth { t.footnotes.append("kernel width \(NumberFormatting.fixed(k, decimals: 4))") }
    for e in explanations { if let why = e.scoreUndefinedReason { t.footnotes.append("\(e.student): score undefined — \(why)") } }
    for w in warnings { t.footnotes.append("warning: \(w)") }
    return t
  }


  func stabilityTable() -> TextTable? {
    guard let stability else { return nil }
    var t = TextTable(
      title: "Stability over \(stability.first?.runs ?? 0) seeds (VSI, CSI: Visani et al. 2022, 0–100; frequency = runs selecting the feature / runs)",
      headers: ["student", "VSI", "CSI", "feature", "selected", "frequency", "sign agreement", "mean weight"],
      alignments: [.left, .right, .right, .left, .right, .right, .right, .right])
    for s in stability {
      let vsi = s.vsi.map { NumberFormatting.fixed($0, decimals: 1) } ?? "undefined"
      let csi = s.csi.map { NumberFormatting.fixed($0, decimals: 1) } ?? "undefined"
      for (k, f) in s.features.enumerated() {
        t.append([k == 0 ? s.student : "", k == 0 ? vsi : "", k == 0 ? csi : "", f.name, "\(f.selected)/\(s.runs)",
                  NumberFormatting.fixed(f.frequency, decimals: 2),
                  NumberFormatting.fixed(f.signAgreement, decimals: 2), NumberFormatting.fixed(f.meanWeight, decimals: 5)])
      }
      if let reason = s.undefinedReason { t.footnotes.append("\(s.student): \(reason)") }
    }
    return t
  }

  func weekTables() -> [TextTable]? {
    guard let weeks else { return nil }
    var byWeek = TextTable(title: "Weights summed by week (features matching \(weeks.pattern))",
                           headers: ["student", "week", "total weight", "features"],
                           alignments: [.left, .right, .right, .right])
    var byBase = TextTable(title: "Weights summed by base feature", headers: ["student", "feature", "total weight", "weeks"],
                           alignments: [.left, .left, .right, .right])
    for e in explanations {
      let t = weeks.totals(e)
      for w in t.weeks { byWeek.append([e.student, String(w.week), NumberFormatting.fixed(w.weight, decimals: 5), String(w.count)]) }
      for b in t.bases { byBase.append([e.student, b.base, NumberFormatting.fixed(b.weight, decimals: 5), String(b.count)]) }
    }
    return [byWeek, byBase]
  }

  /// Selection frequency and mean |weight| per feature and group; `readable: false` (the audit's CSV table)
  /// gives the numbers at round-trip precision and `selected` as a count.
  func disparityTable(readable: Bool = true) -> TextTable? {
    guard let disparity else { return nil }
    if !readable { return Self.disparityCSV(disparity) }
    var t = TextTable(
      title: "Explanation disparity by \(groupAttribute ?? "group") (mean |weight| counts 0 for students whose explanation omits the feature)",
      headers: ["feature", "group", "students", "selected", "frequency", "mean |weight|"],
      alignments: [.left, .left, .right, .right, .right, .right])
    for r in disparity.rows {
      t.append([r.feature, r.group, String(r.students), "\(r.selected)/\(r.students)",
                NumberFormatting.fixed(r.frequency, decimals: 2), NumberFormatting.fixed(r.meanAbsWeight, decimals: 5)])
    }
    return t
  }

  /// `feature, group, students, selected, frequency, mean_abs_weight` at round-trip precision.
  static func disparityCSV(_ disparity: GroupDisparity) -> TextTable {
    var t = TextTable(headers: ["feature", "group", "students", "selected", "frequency", "mean_abs_weight"])
    for r in disparity.rows {
      t.append([r.feature, r.group, String(r.students), String(r.selected), NumberFormatting.roundTrip(r.frequency),
                NumberFormatting.roundTrip(r.meanAbsWeight)])
    }
    return t
  }

  func json() -> JSONValue {
    var fields = header
    fields.append(("class_name", .string(className)))
    fields.append(("model_output", .string(outputName)))
    fields.append(("explanations", .array(explanations.map { e in
      .object([
        ("student", .string(e.student)), ("class", .int(e.label)), ("class_name", .string(className)),
        ("probability", .double(e.probability)), ("probabilities", .array(e.probabilities.map { .double($0) })),
        ("intercept", .double(e.intercept)), ("local_prediction", .double(e.localPrediction)),
        ("abs_difference", .double(Swift.abs(e.localPrediction - e.probability))),
        ("score", .number(e.score)), ("score_undefined_reason", e.scoreUndefinedReason.map { .string($0) } ?? .null),
        ("effective_sample_size", .double(e.effectiveSampleSize)),
        ("kernel_width", .double(e.kernelWidth)),
        ("zero_fed_values", .int(e.zeroFedValues)),
        ("features", .array(e.features.map { f in
          .object([
            ("rank", .int(f.rank)), ("feature", .string(f.name)), ("condition", .string(f.condition)),
            ("value", .double(f.value)), ("weight", .double(f.weight)), ("direction", .string(Self.direction(f.weight))),
            ("standard_error", e.standardErrors.indices.contains(f.rank - 1) ? .number(e.standardErrors[f.rank - 1]) : .null),
          ])
        })),
      ])
    })))
    if let stability {
      fields.append(("stability", .array(stability.map { s in
        .object([
          ("student", .string(s.student)), ("runs", .int(s.runs)), ("vsi", .number(s.vsi)), ("csi", .number(s.csi)),
          ("undefined_reason", s.undefinedReason.map { .string($0) } ?? .null),
          ("features", .array(s.features.map { f in
            .object([
              ("feature", .string(f.name)), ("selected", .int(f.selected)), ("frequency", .double(f.frequency)),
              ("sign_agreement", .double(f.signAgreement)), ("mean_weight", .double(f.meanWeight)),
            ])
          })),
        ])
      })))
    }
    if let weeks {
      fields.append(("weeks", .array(explanations.map { e in
        let t = weeks.totals(e)
        return .object([
          ("student", .string(e.student)),
          ("by_week", .array(t.weeks.map { .object([("week", .int($0.week)), ("weight", .double($0.weight)), ("features", .int($0.count))]) })),
          ("by_feature", .array(t.bases.map { .object([("feature", .string($0.base)), ("weight", .double($0.weight)), ("weeks", .int($0.count))]) })),
        ])
      })))
    }
    if let disparity {
      fields.append(("disparity", .object([
        ("attribute", .string(groupAttribute ?? "")),
        ("rows", .array(disparity.rows.map { r in
          .object([
            ("group", .string(r.group)), ("feature", .string(r.feature)), ("students", .int(r.students)),
            ("selected", .int(r.selected)), ("frequency", .double(r.frequency)), ("mean_abs_weight", .double(r.meanAbsWeight)),
          ])
        })),
        ("gaps", .array(disparity.gaps.map { .object([("feature", .string($0.feature)), ("gap", .double($0.gap))]) })),
      ])))
    }
    fields.append(("warnings", .array(warnings.map { .string($0) })))
    return .object(fields)
  }
}
