import CohortLensCore
import Explanation
import Report

extension ExplainCommand: AuditStep {
  func auditRun(_ context: AuditContext) throws -> AuditStepResult {
    // A worker starts in the configuration's folder: its command's paths are relative to it, like every path there.
    let run = try compute(progress: context.progress, wantsJSON: true, workerDirectory: context.baseDirectory)
    let report = run.report
    var json = report.json().objectFields
    json.removeAll { ["schema", "tool", "seed", "inputs"].contains($0.0) }
    let explanations = report.explanations
    let className = report.className

    let show = context.step.settings.show
    // The students drawn: the model's most confident predictions of the explained class.
    let drawn = explanations.indices.sorted {
      (explanations[$0].probability, explanations[$1].student) > (explanations[$1].probability, explanations[$0].student)
    }.prefix(show)

    let sectionID = context.sectionID
    var section = Section(title: context.step.title ?? "Why students were flagged: \(context.step.name)", id: sectionID)
    let n = explanations.count
    let definedScores = explanations.compactMap(\.score)
    let undefinedScores = n - definedScores.count
    let meanScore = definedScores.isEmpty ? .nan : definedScores.reduce(0, +) / Double(definedScores.count)
    let meanGap = n > 0 ? explanations.map { abs($0.localPrediction - $0.probability) }.reduce(0, +) / Double(n) : .nan
    section.paragraph(
      "LIME explanations (lime 0.2.0.1 semantics, \(report.sampleCount) samples per student, \(report.discretized ? "quartile-binned" : "continuous") features) of \(report.outputIsProbability ? "the model's probability of '\(className)'" : "the model's prediction"). Each bar is the weight of a condition in the local linear model: \(report.outputIsProbability ? "towards '\(className)' on the right, against it on the left" : "raising the prediction on the right, lowering it on the left")."
    )
    section.add(.facts([
      ("students explained", String(n)), ("class", className),
      ("mean local R²", (definedScores.isEmpty ? "undefined" : fmt(meanScore))
        + (undefinedScores > 0 ? " (\(definedScores.count) of \(n); undefined for \(undefinedScores), see below)" : "")),
      ("mean |local − model|", fmt(meanGap)),
    ]))
    for w in run.warnings { section.note(w, kind: .warning) }
    // Why R² is undefined, as report.json and the CSV (`score_undefined_reason`) say it.
    // One line per distinct reason, naming the students it applies to.
    var reasons: [(reason: String, students: [String])] = []
    for e in explanations where e.score == nil {
      let reason = e.scoreUndefinedReason ?? "no reason given"
      if let i = reasons.firstIndex(where: { $0.reason == reason }) { reasons[i].students.append(e.student) } else {
        reasons.append((reason, [e.student]))
      }
    }
    for (reason, students) in reasons.prefix(5) {
      let listed = students.prefix(10).joined(separator: ", ") + (students.count > 10 ? " and \(students.count - 10) more" : "")
      section.note("Local R² undefined for \(students.count) student(s) (\(listed)): \(reason).")
    }
    if reasons.count > 5 {
      let more = reasons.dropFirst(5).reduce(0) { $0 + $1.students.count }
      section.note("Local R² undefined for \(more) more student(s), for \(reasons.count - 5) other reason(s): score_undefined_reason in report.json and tables/.")
    }

    // Cohort view: how often each feature is chosen and its mean |weight|.
    var frequency: [String: (count: Int, absWeight: Double, positive: Int)] = [:]
    for e in explanations {
      for f in e.features {
        var v = frequency[f.name] ?? (0, 0, 0)
        v.count += 1
        v.absWeight += abs(f.weight)
        if f.weight > 0 { v.positive += 1 }
        frequency[f.name] = v
      }
    }
    let ranked = frequency.sorted { ($0.value.count, $0.value.absWeight, $1.key) > ($1.value.count, $1.value.absWeight, $0.key) }
    // The section's facts and this table in report.json (`cohort`) and tables/ (`features`), at full precision.
    json.append(("cohort", .object([
      ("students", .int(n)), ("class_name", .string(className)),
      // Mean of the defined local R² only: its denominator is `scores_defined`.
      ("mean_score", .number(definedScores.isEmpty ? nil : meanScore)),
      ("scores_defined", .int(definedScores.count)), ("scores_undefined", .int(undefinedScores)),
      ("mean_score_undefined_reason", definedScores.isEmpty
        ? .string(n == 0 ? "no student was explained" : "no student's local R² is defined (see score_undefined_reason)") : .null),
      ("mean_abs_difference", .number(n > 0 ? meanGap : nil)),
      ("features_chosen", .array(ranked.map { name, v in
        .object([
          ("feature", .string(name)), ("chosen", .int(v.count)), ("students", .int(n)),
          ("share", .double(Double(v.count) / Double(n))), ("mean_abs_weight", .double(v.absWeight / Double(v.count))),
          ("towards_class", .int(v.positive)), ("towards_class_share", .double(Double(v.positive) / Double(v.count))),
        ])
      })),
    ])))
    var featuresCSV = TextTable(headers: [
      "feature", "chosen", "students", "share", "mean_abs_weight", "towards_class", "towards_class_share",
    ])
    for (name, v) in ranked {
      featuresCSV.append([
        name, String(v.count), String(n), NumberFormatting.roundTrip(Double(v.count) / Double(n)),
        NumberFormatting.roundTrip(v.absWeight / Double(v.count)), String(v.positive),
        NumberFormatting.roundTrip(Double(v.positive) / Double(v.count)),
      ])
    }
    section.table(DataTable(
      caption: "Features chosen across the \(n) explanations (how often, mean |weight| when chosen, share pushing towards '\(className)')",
      headers: ["feature", "chosen", "share", "mean |weight|", "towards \(className)"],
      rows: ranked.map { name, v in
        [name, "\(v.count)/\(n)", fmt(Double(v.count) / Double(max(n, 1))), fmt(v.absWeight / Double(v.count)),
         fmt(Double(v.positive) / Double(v.count))]
      }))

    var studentsSection = Section(title: "Students the model is most confident are '\(className)'", id: sectionID + "-students")
    for i in drawn {
      let e = explanations[i]
      var figure = ContributionChart(
        title: report.outputIsProbability
          ? "Student \(e.student): P(\(className)) = \(fmt(e.probability))"
          : "Student \(e.student): prediction = \(fmt(e.probability))",
        caption: "Local explanation of student \(e.student); condition labels are the student's bins (lime's format).",
        className: className,
        contributions: e.features.map { .init(condition: $0.condition, weight: $0.weight) },
        facts: [
          "intercept \(fmt(e.intercept))", "local prediction \(fmt(e.localPrediction))",
          "R² \(e.score.map(fmt) ?? "undefined (reason below)")",
        ]
      ).figure()
      if e.score == nil { figure.notes.append("R² undefined: \(e.scoreUndefinedReason ?? "no reason given").") }
      studentsSection.figure(figure)
    }
    if drawn.isEmpty { studentsSection.paragraph("No student is drawn (show: 0).") }
    section.subsection(studentsSection)

    var tables: [(name: AuditTable, csv: String)] = [
      (.explanations, report.longTable(readable: false, withSummary: true).renderCSV()),
      (.summary, report.summaryTable(readable: false).renderCSV()),
      (.features, featuresCSV.renderCSV()),
    ]
    if let d = report.disparity, let csv = report.disparityTable(readable: false) {
      var sub = Section(title: "Explanation disparity by \(report.groupAttribute ?? "group")", id: sectionID + "-disparity")
      sub.table(Self.disparityTable(
        d, caption: "Explanation disparity by \(report.groupAttribute ?? "group") (mean |weight| counts 0 for students whose explanation omits the feature)",
        groupHeader: "group"))
      section.subsection(sub)
      tables.append((.disparity, csv.renderCSV()))
    }
    // Disparity by the clusters of an earlier cluster step.
    if let (source, node) = context.step.settings.clusters {
      // Checked when the configuration was loaded: an earlier cluster step, which ran.
      guard let labels = context.results[source]?.clusters else {
        throw node.error("'clusters: \(source)' names no earlier cluster step", hint: "name a cluster step that runs before this one")
      }
      let groups = explanations.map { labels[ExactText($0.student)].map { "cluster \($0)" } }
      let disparity = GroupDisparity(explanations: explanations, groups: groups)
      var sub = Section(title: "Explanation disparity by cluster", id: sectionID + "-clusters")
      let unmatched = groups.filter { $0 == nil }.count
      if unmatched > 0 { sub.note("\(unmatched) explained student(s) are not in the clustering and are left out.") }
      sub.table(Self.disparityTable(
        disparity, caption: "Explanation disparity by cluster of '\(source)' (mean |weight| counts 0 when the feature is not chosen)",
        groupHeader: "cluster"))
      section.subsection(sub)
      tables.append((.disparityClusters, ExplainReport.disparityCSV(disparity).renderCSV()))
      // The join's numbers in report.json too (every number of the report is there).
      json.append(("cluster_disparity", .object([
        ("clusters_of", .string(source)), ("students_not_clustered", .int(unmatched)),
        ("rows", .array(disparity.rows.map { r in
          .object([
            ("group", .string(r.group)), ("feature", .string(r.feature)), ("students", .int(r.students)),
            ("selected", .int(r.selected)), ("frequency", .double(r.frequency)), ("mean_abs_weight", .double(r.meanAbsWeight)),
          ])
        })),
        ("gaps", .array(disparity.gaps.map { .object([("feature", .string($0.feature)), ("gap", .double($0.gap))]) })),
      ])))
    }
    let top = ranked.prefix(3).map { "\($0.key) (\($0.value.count)/\(n))" }.joined(separator: ", ")
    var summary = ["\(n) student(s) explained for '\(className)'; most chosen: \(top)"]
    if !drawn.isEmpty {
      summary.append((report.outputIsProbability ? "most confident '\(className)': " : "highest predictions: ") + drawn.map { "\(explanations[$0].student) (\(fmt(explanations[$0].probability)))" }.joined(separator: ", "))
    }
    return AuditStepResult(
      json: json, tables: tables, summary: summary, verdicts: [], warnings: run.warnings, sections: [section],
      inputs: run.inputs, digests: run.digests)
  }

  /// A disparity table for the report: per feature and group the students, how many explanations chose
  /// the feature, the frequency and the mean |weight|, numbers to 4 significant digits (as every report
  /// table; report.json and tables/ have them at round-trip precision).
  static func disparityTable(_ disparity: GroupDisparity, caption: String, groupHeader: String) -> DataTable {
    DataTable(
      caption: caption, headers: ["feature", groupHeader, "students", "selected", "frequency", "mean |weight|"],
      rows: disparity.rows.map { r in
        [r.feature, r.group, String(r.students), "\(r.selected)/\(r.students)", fmt(r.frequency), fmt(r.meanAbsWeight)]
      },
      numericColumns: [false, false, true, true, true, true])
  }
}
