import CohortLensCore
import Fairness
import Report

extension FairnessCommand: AuditStep {
  func auditRun(_ context: AuditContext) throws -> AuditStepResult {
    // Cluster slices: `clusters: <cluster step>` adds the clusters as one more sensitive attribute.
    var sliceNote: String?
    let extra: (([String]?) throws -> [SensitiveAttribute])?
    if let (source, node) = context.step.settings.clusters {
      // Checked when the configuration was loaded: an earlier cluster step, which ran.
      guard let labels = context.results[source]?.clusters else {
        throw node.error(
          "'clusters: \(source)' names no earlier cluster step", hint: "name a cluster step that runs before this one")
      }
      extra = { ids in
        guard let ids else { throw Self.clustersNeedIds(node, step: context.step.name) }
        let values = ids.map { labels[ExactText($0)].map { "cluster \($0)" } }
        let matched = values.filter { $0 != nil }.count
        sliceNote = "Clusters of step '\(source)' as slices: \(matched) of \(ids.count) rows matched a clustered learner; the others form the '(missing)' group."
        return [SensitiveAttribute(name: Self.clusterAttribute, values: values)]
      }
    } else {
      extra = nil
    }
    let run = try compute(progress: context.progress, wantsJSON: true, extraAttributes: extra)
    var json = run.report.json().objectFields
    json.removeAll { ["schema", "tool", "seed", "inputs"].contains($0.0) }

    let sectionID = context.sectionID
    var section = Section(title: context.step.title ?? "Fairness: \(context.step.name)", id: sectionID)
    section.paragraph(run.report.description + ". Tolerance: \(run.result.configuration.tolerance.bandDescription).")
    if let sliceNote { section.note(sliceNote) }
    var verdicts: [Verdict] = []
    var summary: [String] = []
    let tolerance = run.result.configuration.tolerance
    // The ids the subsections ask for (the verdicts link by them): the step's id (a slug, no spaces), a
    // space, then the attribute — distinct for distinct attributes even when their slugs are equal (`a<b`,
    // `a>b`), and across steps; the document gives each its own anchor (`step-f-a-b`, `step-f-a-b-2`).
    // The numbers beneath each ROC chart (TPR at FPR 0, 0.1, …, 1 per group), for report.json.
    var rocTables: [JSONValue] = []
    var requested = Set<String>()
    func subsectionID(_ text: String) -> String {
      var id = "\(sectionID) \(text)", n = 2
      while !requested.insert(id).inserted {
        id = "\(sectionID) \(text) (\(n))"
        n += 1
      }
      return id
    }
    for audit in run.result.audits where audit.stratum == nil {
      let subID = subsectionID(audit.attribute)
      var sub = Section(title: "By \(audit.attribute)", id: subID)
      for n in audit.notices { sub.note(n, kind: .warning) }
      sub.table(Self.groupTable(audit, lowSupport: run.result.configuration.lowSupportDenominator))
      sub.table(Self.criteriaTable(audit))
      if let perGroup = Self.comparisonTable(audit) { sub.table(perGroup) }
      for c in audit.criteria {
        verdicts.append(Verdict(
          status: Self.status(c.verdict),
          subject: "\(context.step.name): \(c.name.replacingOccurrences(of: "_", with: " ")) by \(audit.attribute)",
          detail: Self.detail(c, tolerance: tolerance), sectionID: subID, group: context.step.name))
      }
      sub.figure(Self.criteriaChart(audit, tolerance: tolerance).figure())
      for metric in ["selection_rate", "tpr", "fpr", "ppv", "npv", "accuracy"] {
        sub.figure(Self.metricChart(audit, metric: metric).figure())
      }
      if let roc = Self.rocChart(audit) {
        sub.figure(roc.figure())
        rocTables.append(Self.rocTableJSON(audit, chart: roc))
      }
      if let rel = Self.reliability(audit) { sub.figure(rel.figure()) }
      section.subsection(sub)
      summary.append("\(audit.attribute): " + Self.tally(audit.criteria.map(\.verdict)))
    }
    // Per stratum (e.g. per course week): a trend per attribute, one verdict per criterion over all strata.
    let stratified = Dictionary(grouping: run.result.audits.filter { $0.stratum != nil }, by: \.attribute)
    let attributesInOrder = run.result.audits.map(\.attribute).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    for attribute in attributesInOrder where stratified[attribute] != nil {
      let audits = stratified[attribute]!  // in the library's stratum order (``StratumOrder``)
      let strata = audits.map { $0.stratum! }
      let column = stratify ?? "stratum"
      let subID = subsectionID("\(attribute) by \(column)")
      var sub = Section(title: "By \(attribute), per \(column)", id: subID)
      // Numbers on a numeric axis; anything else (ISO dates, `w10`) as categories, labelled as written.
      let values = strata.map { Double($0) }
      let numeric = values.allSatisfy { $0?.isFinite == true } && Set(values.map { $0! }).count == values.count
      let names = audits[0].criteria.map(\.name)
      // The quantity the verdicts were judged on: the ratio in [τ, 1/τ], or |difference| ≤ E.
      let quantity: String
      let band: ClosedRange<Double>
      let value: (CriterionResult) -> Double?
      let interval: (CriterionResult) -> ClosedInterval?
      switch tolerance {
      case .ratio(let t):
        (quantity, band, value, interval) = ("ratio", min(t, 1 / t)...max(t, 1 / t), { $0.ratio }, { $0.ratioInterval })
      case .difference(let e):
        (quantity, band, value, interval) = ("difference", -e...e, { $0.difference }, { $0.differenceInterval })
      }
      let title = "Fairness criteria by \(attribute) per \(column)"
      let caption = "\(quantity.prefix(1).uppercased() + quantity.dropFirst()) of each criterion in each \(column), the quantity the verdicts are judged on (undefined values break the line); the band is the tolerance."
      let series = names.map { name in
        LineChart.Series(name: name.replacingOccurrences(of: "_", with: " "),
                         values: audits.map { a in a.criteria.first { $0.name == name }.flatMap(value) ?? .nan })
      }
      sub.figure(
        (numeric
          ? LineChart(title: title, caption: caption, xLabel: column, yLabel: quantity, xs: values.map { $0! }, series: series,
                      tolerance: band)
          : LineChart.categorical(title: title, caption: caption, xLabel: column, yLabel: quantity, categories: strata,
                                  series: series, tolerance: band)).figure())
      var rows: [[DataTable.Cell]] = []
      for a in audits {
        for c in a.criteria {
          rows.append([.init(a.stratum!), .init(c.name), value(c).map { .init(fmt($0)) } ?? DataTable.undefined(),
                       .init(interval(c).map { "[\(fmt($0.lower)), \(fmt($0.upper))]" } ?? ""), .init(c.verdict.rawValue),
                       .init(c.reason ?? "")])
        }
      }
      sub.table(DataTable(caption: "Criteria by \(attribute) in each \(column)", headers: [column, "criterion", quantity, "interval", "verdict", "note"], cells: rows))
      var overall: [FairnessVerdict] = []
      for name in names {
        let per = audits.map { a in (a.stratum!, a.criteria.first { $0.name == name }?.verdict ?? .undefined) }
        let worst = [FairnessVerdict.fail, .undefined, .inconclusive, .pass].first { v in per.contains { $0.1 == v } } ?? .undefined
        overall.append(worst)
        let failing = per.filter { $0.1 == .fail }.map(\.0)
        verdicts.append(Verdict(
          status: Self.status(worst),
          subject: "\(context.step.name): \(name.replacingOccurrences(of: "_", with: " ")) by \(attribute), every \(column)",
          detail: failing.isEmpty ? Self.tally(per.map(\.1)) + " over \(per.count) \(column)s" : "FAIL in \(column) \(failing.joined(separator: ", ")); " + Self.tally(per.map(\.1)),
          sectionID: subID, group: context.step.name))
      }
      section.subsection(sub)
      // The verdicts over all strata count in the audit's total; the per-stratum results are their evidence.
      summary.append(
        "\(attribute), every \(column): " + Self.tally(overall) + " (the worst of \(strata.count) \(column)s; per \(column): "
          + Self.tally(audits.flatMap { $0.criteria.map(\.verdict) }) + ")")
    }
    if !rocTables.isEmpty { json.append(("roc_tables", .array(rocTables))) }
    var tables: [(name: AuditTable, csv: String)] = [(.fairness, run.report.csv().renderCSV())]
    if let roc = run.report.rocCSV() { tables.append((.roc, roc.renderCSV())) }
    if let calibration = run.report.calibrationCSV() { tables.append((.calibration, calibration.renderCSV())) }
    return AuditStepResult(
      json: json, tables: tables, summary: summary, verdicts: verdicts,
      warnings: run.warnings, sections: [section], inputs: run.inputs, digests: run.digests)
  }

  /// The name of the attribute `clusters:` adds (its groups are `cluster 0`, `cluster 1`, …).
  static let clusterAttribute = "cluster"

  /// `clusters:` matches the clusters to the audited rows by learner id, which `id:` gives; and it adds
  /// the attribute `cluster`, so a `by:` column of that name would give the report two attributes of one
  /// name (two "by cluster" sections and verdicts, rows keyed alike in the tables): refused at that
  /// `by:` entry.
  func checkAuditSettings(_ step: AuditConfiguration.Step) throws {
    guard let (source, node) = step.settings.clusters else { return }
    if id == nil { throw Self.clustersNeedIds(node, step: step.name) }
    if splitList(by).contains(Self.clusterAttribute) {
      let entry = step.optionValueMarks["by"]?.first { $0.value == Self.clusterAttribute }
      throw ConfigError(
        file: node.file, mark: entry?.mark ?? step.optionMarks["by"] ?? node.mark,
        message: "step '\(step.name)' (fairness): 'by' names the column '\(Self.clusterAttribute)', and 'clusters: \(source)' (line \(node.mark.line)) adds the clusters as the attribute '\(Self.clusterAttribute)': the report would hold two attributes of that name",
        hint: "name the column with its file's stem ("
          + ([predictions] + (groups.map { [$0] } ?? [])).map { "'\(FileIO.stem(of: $0)).\(Self.clusterAttribute)'" }.joined(separator: " or ")
          + ") or its number ('#N'), rename it in the file, or leave out 'clusters:'")
    }
  }

  static func clustersNeedIds(_ node: ConfigNode, step: String) -> ConfigError {
    node.error(
      "step '\(step)' (fairness): 'clusters' needs the learner id of every row, and the step sets no 'id:'",
      hint: "name the id column with 'id:' (with --groups the files are then joined on it instead of 'join: row')")
  }

  static func tally(_ verdicts: [FairnessVerdict]) -> String {
    let counts = Dictionary(grouping: verdicts, by: { $0 }).mapValues(\.count)
    return [FairnessVerdict.fail, .inconclusive, .undefined, .pass].compactMap { v in counts[v].map { "\($0) \(v.rawValue)" } }
      .joined(separator: ", ")
  }

  /// The verdict's detail: the quantity the verdict was read from — the ratio against [τ, 1/τ], or the
  /// difference against ±E with `max-difference` — with its interval, band and pair, then the
  /// criterion's notes (why it is undefined, a point-estimate verdict, a ratio the verdict did not need).
  static func detail(_ c: CriterionResult, tolerance: FairnessTolerance) -> String {
    let name: String, value: Double?, interval: ClosedInterval?, band: String
    switch tolerance {
    case .ratio(let t):
      (name, value, interval) = ("ratio", c.ratio, c.ratioInterval)
      band = "band [\(fmt(min(t, 1 / t))), \(fmt(max(t, 1 / t)))]"
    case .difference(let e):
      (name, value, interval) = ("difference", c.difference, c.differenceInterval)
      band = "band ±\(fmt(e))"
    }
    guard let v = value else { return "\(name) undefined: \(c.reason ?? "no value")" }
    let range = interval.map { " [\(fmt($0.lower)), \(fmt($0.upper))]" } ?? ""
    let pair = c.worstPair.map { ", \(MessageText.excerpt($0.0)) vs \(MessageText.excerpt($0.1))" } ?? ""
    return "\(name) \(fmt(v))\(range) (\(band))\(pair)" + (c.reason.map { "; \($0)" } ?? "")
  }

  static func status(_ v: FairnessVerdict) -> VerdictStatus {
    switch v {
    case .pass: return .pass
    case .fail: return .fail
    case .inconclusive: return .inconclusive
    case .undefined: return .undefined
    }
  }

  private static let metricTitles: [String: String] = [
    "selection_rate": "Selection rate (predicted positive)", "tpr": "True-positive rate", "fpr": "False-positive rate",
    "ppv": "Positive predictive value", "npv": "Negative predictive value", "accuracy": "Accuracy",
  ]

  /// Counts and rates per group; a value below the `lowSupport` denominator is flagged "low support".
  static func groupTable(_ a: AuditResult, lowSupport: Int) -> DataTable {
    let metrics = FairnessAudit.rateNames
      + (a.groups.first { !$0.suppressed }?.metric("auc") != nil ? ["auc", "brier", "ece"] : [])
    var rows: [[DataTable.Cell]] = []
    for g in a.groups {
      if g.suppressed {
        rows.append([.init(g.name), "suppressed", "", "", "", ""] + metrics.map { _ in "" })
        continue
      }
      rows.append([.init(g.name), .init(String(g.n)), .init(String(g.tp)), .init(String(g.fp)), .init(String(g.tn)), .init(String(g.fn))]
        + metrics.map { name -> DataTable.Cell in
          guard let m = g.metric(name) else { return "" }
          guard let v = m.value else {
            // Undefined with its count and reason, as every other format shows it.
            let counts = m.numerator.flatMap { n in m.denominator.map { "\(Int(n))/\(Int($0))" } }
            let why = [counts, m.undefined].compactMap { $0 }.joined(separator: ": ")
            return DataTable.undefined(why.isEmpty ? "undefined" : "undefined (\(why))")
          }
          // Flagged as in the JSON and CSV (`low_support`), rates and the score metrics (AUC, Brier, ECE) alike.
          let flag = m.lowSupport ? " low support" : ""
          if let num = m.numerator, let den = m.denominator, name != "auc", name != "brier", name != "ece" {
            return .init("\(fmt(v)) (\(Int(num))/\(Int(den)))" + flag)
          }
          return .init(fmt(v) + flag)
        })
    }
    return DataTable(
      caption: "Counts and rates by \(a.attribute) (rate (numerator/denominator); undefined when the denominator is 0; low support: a denominator below \(lowSupport) — for AUC the group's positives or negatives, for Brier and ECE its size)",
      headers: ["group", "n", "TP", "FP", "TN", "FN"] + metrics, cells: rows)
  }

  static func criteriaTable(_ a: AuditResult) -> DataTable {
    let rows = a.criteria.map { c -> [DataTable.Cell] in
      [
        .init(c.name), number(c.difference),
        .init(c.differenceInterval.map { "[\(fmt($0.lower)), \(fmt($0.upper))]" } ?? ""),
        number(c.ratio), .init(c.ratioInterval.map { "[\(fmt($0.lower)), \(fmt($0.upper))]" } ?? ""),
        .init(c.worstPair.map { "\($0.0) vs \($0.1)" } ?? ""), .init(c.verdict.rawValue), .init(c.reason ?? ""),
      ]
    }
    return DataTable(
      caption: "Criteria by \(a.attribute): difference and ratio with bootstrap intervals",
      headers: ["criterion", "difference", "interval", "ratio", "interval", "worst pair", "verdict", "note"], cells: rows)
  }

  /// With `compare: largest|GROUP`: each group against the reference, one row per criterion.
  static func comparisonTable(_ a: AuditResult) -> DataTable? {
    guard let ref = a.reference, a.criteria.contains(where: { !$0.comparisons.isEmpty }) else { return nil }
    var rows: [[DataTable.Cell]] = []
    for group in a.criteria.first(where: { !$0.comparisons.isEmpty })!.comparisons.map(\.group) {
      for c in a.criteria {
        guard let x = c.comparisons.first(where: { ExactText($0.group) == ExactText(group) }) else { continue }
        rows.append([
          .init(group), .init(c.name), number(x.difference),
          .init(x.differenceInterval.map { "[\(fmt($0.lower)), \(fmt($0.upper))]" } ?? ""),
          number(x.ratio), .init(x.ratioInterval.map { "[\(fmt($0.lower)), \(fmt($0.upper))]" } ?? ""),
          .init(x.verdict.rawValue), .init(x.undefined ?? x.note ?? ""),
        ])
      }
    }
    return DataTable(
      caption: "Each group against the reference \(MessageText.quoted(ref)) (difference = group − reference, ratio = group / reference)",
      headers: ["group", "criterion", "difference", "interval", "ratio", "interval", "verdict", "note"], cells: rows)
  }

  /// The quantity each verdict was read from: ratios against [τ, 1/τ], or differences against ±E with
  /// `max-difference`; an undefined one is drawn as such with the criterion's reason.
  static func criteriaChart(_ a: AuditResult, tolerance: FairnessTolerance) -> IntervalBarChart {
    let usesRatio = tolerance.isRatioBand
    let bars = a.criteria.map { c in
      let value = usesRatio ? c.ratio : c.difference
      let interval = usesRatio ? c.ratioInterval : c.differenceInterval
      return IntervalBarChart.Bar(
        label: c.name.replacingOccurrences(of: "_", with: " "), value: value, lower: interval?.lower,
        upper: interval?.upper, detail: c.verdict.rawValue,
        undefinedReason: value == nil ? "\(usesRatio ? "ratio" : "difference") undefined: \(c.reason ?? "no value")" : nil)
    }
    switch tolerance {
    case .ratio(let t):
      return IntervalBarChart(
        title: "Fairness criteria by \(a.attribute): ratios", caption:
          "Ratio of each criterion (min/max between groups, or against the reference) with its bootstrap interval; the band is the tolerance. PASS needs the whole interval inside it.",
        valueLabel: "ratio", bars: bars, baseline: 0, tolerance: min(t, 1 / t)...max(t, 1 / t), reference: 1, referenceLabel: "parity")
    case .difference(let e):
      return IntervalBarChart(
        title: "Fairness criteria by \(a.attribute): differences", caption:
          "Difference of each criterion (max − min between groups, or group − reference) with its bootstrap interval; the band is ±\(fmt(e)) (max-difference). PASS needs the whole interval inside it.",
        valueLabel: "difference", bars: bars, baseline: 0, tolerance: -e...e, reference: 0, referenceLabel: "parity")
    }
  }

  static func metricChart(_ a: AuditResult, metric: String) -> IntervalBarChart {
    var total = 0.0, den = 0.0
    let bars = a.groups.map { g -> IntervalBarChart.Bar in
      if g.suppressed {
        return .init(label: g.name, value: nil, undefinedReason: "suppressed (n below the minimum group size)")
      }
      let m = g.metric(metric)
      if let num = m?.numerator, let d = m?.denominator {
        total += num
        den += d
      }
      return .init(
        label: g.name, value: m?.value, lower: m?.ci?.lower, upper: m?.ci?.upper,
        detail: m.flatMap { m in m.numerator.map { "\(Int($0))/\(Int(m.denominator ?? 0))" } },
        undefinedReason: m?.value == nil ? (m?.undefined ?? "undefined") : nil)
    }
    return IntervalBarChart(
      title: "\(metricTitles[metric] ?? metric) by \(a.attribute)",
      caption: "Per group with its Wilson interval; the dashed line is the rate over all shown groups.",
      valueLabel: metric, bars: bars, baseline: 0, reference: den > 0 ? total / den : nil, referenceLabel: "all groups")
  }

  static func rocChart(_ a: AuditResult) -> ROCChart? {
    let shown = a.groups.filter { !$0.suppressed && $0.roc != nil }
    guard shown.count >= 1 else { return nil }
    let curves = shown.map { g in
      ROCChart.Curve(name: g.name, fpr: g.roc!.map(\.fpr), tpr: g.roc!.map(\.tpr), auc: g.metric("auc")?.value)
    }
    var shading: ROCChart.Shading?
    if let worst = (a.abroca ?? []).filter({ $0.value != nil }).max(by: { $0.value! < $1.value! }),
      let i = shown.firstIndex(where: { ExactText($0.name) == ExactText(worst.reference) }),
      let j = shown.firstIndex(where: { ExactText($0.name) == ExactText(worst.group) })
    {
      shading = .init(first: i, second: j, label: "ABROCA \(fmt(worst.value!)) (\(worst.group) vs \(worst.reference))")
    }
    return ROCChart(
      title: "ROC curves by \(a.attribute)",
      caption: "One ROC curve per group; the shaded area between the reference group and the group furthest from it is the ABROCA (Gardner, Brooks & Baker 2019).",
      curves: curves, shading: shading, tableFPRs: ScoreMetrics.exactFPRs)
  }

  /// The numbers table of a pooled audit's ROC chart as report.json holds it: the attribute, the false-positive
  /// rates 0, 0.1, …, 1 and per drawn group its true-positive rate at each (`ROCChart.Curve.tpr(at:)`: the
  /// highest TPR among the points at exactly that FPR, else linear interpolation; null where undefined).
  static func rocTableJSON(_ a: AuditResult, chart: ROCChart) -> JSONValue {
    let grid = chart.tableFPRs
    return .object([
      ("attribute", .string(a.attribute)), ("fpr", .array(grid.map { .double($0) })),
      ("groups", .array(chart.curves.map { c in
        .object([
          ("group", .string(c.name)),
          ("tpr", .array(grid.map { t in let v = c.tpr(at: t); return v.isFinite ? .double(v) : .null })),
        ])
      })),
    ])
  }

  static func reliability(_ a: AuditResult) -> ReliabilityDiagram? {
    let series = a.groups.compactMap { g -> ReliabilityDiagram.Series? in
      guard !g.suppressed, let bins = g.reliability else { return nil }
      // Every bin, in score order (bin k is the same range for every group); an empty bin is passed
      // as undefined (NaN, count 0), listed in the table and not drawn.
      return .init(name: g.name, bins: bins.enumerated().map { i, b in
        .init(meanPredicted: b.meanScore ?? .nan, observed: b.observedRate ?? .nan, count: b.n, range: b.lower...b.upper,
              closedAbove: i == bins.count - 1)
      })
    }
    guard !series.isEmpty else { return nil }
    return ReliabilityDiagram(
      title: "Calibration by \(a.attribute)",
      caption: "Mean predicted score against the observed positive rate in 10 equal-width bins (numbered 0–9 from the lowest scores, as in report.json and the calibration table); point area grows with the bin's size.",
      series: series)
  }
}

/// A compact number for report text: 4 significant digits.
func fmt(_ x: Double) -> String { x.isFinite ? NumberFormatting.significant(x, digits: 4) : "undefined" }

/// A report table's cell for `x` (4 significant digits), marked undefined when `x` is nil or not finite.
func number(_ x: Double?) -> DataTable.Cell {
  guard let x, x.isFinite else { return DataTable.undefined() }
  return DataTable.Cell(fmt(x))
}

extension JSONValue {
  /// The fields of an object (empty for other values).
  var objectFields: [(String, JSONValue)] {
    if case .object(let f) = self { return f }
    return []
  }
}
