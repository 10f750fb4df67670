import Clustering
import CohortLensCore
import Report
import TimeSeries

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension ClusterSettings: AuditStep {
  func auditRun(_ context: AuditContext) throws -> AuditStepResult {
    let run = try series != nil
      ? computeSeries(progress: context.progress, wantsJSON: true, keepDistances: metric == .dtw)
      : compute(progress: context.progress, wantsJSON: true)
    let result = run.report.result
    let ids = run.report.ids
    var json = run.report.json().objectFields
    json.removeAll { ["schema", "tool", "seed", "inputs"].contains($0.0) }

    // The k the report works with: the silhouette's choice (first k if none).
    guard let entry = result.entries.first(where: { $0.k == result.silhouetteK }) ?? result.entries.first else {
      throw UsageError("the cluster step '\(context.step.name)' produced no clustering")
    }
    let k = entry.k
    var clusters: [ExactText: Int] = [:]
    for (i, id) in ids.enumerated() { clusters[ExactText(id)] = entry.labels[i] }
    json.append(("chosen_k", .int(k)))
    json.append(("chosen_by", .string(result.silhouetteK != nil ? "silhouette" : "first k")))

    let sectionID = context.sectionID
    var section = Section(title: context.step.title ?? "Kinds of learners: \(context.step.name)", id: sectionID)
    section.paragraph(run.report.description + ".")
    for w in run.warnings { section.note(w, kind: .warning) }
    var facts: [(String, String)] = [
      ("learners", String(ids.count)), ("k (silhouette)", String(k)),
      ("eigengap suggests", result.eigengapK.map(String.init) ?? "undefined"),
      ("silhouette at k", fmt(entry.silhouette)),
      ("cluster sizes", entry.clusterSizes.map(String.init).joined(separator: " / ")),
    ]
    if let ari = entry.adjustedRandIndex { facts.append(("ARI vs reference labels", fmt(ari))) }
    section.add(.facts(facts))

    // Choosing k.
    var choose = Section(title: "Choosing k", id: sectionID + "-k")
    choose.figure(
      ScatterChart.eigenvalues(
        result.eigenvalues, gapAfter: result.eigengapK,
        caption: "Smallest eigenvalues of the \(laplacian == .normalized ? "normalised graph Laplacian I − D^-½WD^-½" : "unnormalised graph Laplacian D − W"); the largest gap among the first k_max + 1 suggests k (von Luxburg 2007, §8.3)"
          + (result.eigengapUndefinedReason.map { " — undefined here: \($0)" } ?? "") + ". Fragile on overlapping clusters."
      ).figure())
    let ks = result.entries.map { Double($0.k) }
    choose.figure(
      LineChart(
        title: "Cluster quality against k",
        caption: "Mean silhouette (higher is better) and Davies–Bouldin index (lower is better) on the spectral embedding; the marked k has the highest silhouette.",
        xLabel: "k", yLabel: "score", xs: ks,
        series: [
          .init(name: "silhouette", values: result.entries.map(\.silhouette)),
          .init(name: "Davies–Bouldin", values: result.entries.map(\.daviesBouldin)),
        ],
        marker: .init(x: Double(k), label: "k = \(k)")
      ).figure())
    section.subsection(choose)

    // What the clusters look like.
    var look = Section(title: "The \(k) clusters", id: sectionID + "-clusters")
    var tables: [(name: AuditTable, csv: String)] = [
      (.sweep, run.report.sweepTable().renderCSV()), (.labels, run.report.labelsCSV()),
    ]
    // The numbers beneath the band charts and the heat map, for report.json (`series_bands`, `distance_means`).
    var bandJSON: [JSONValue] = []
    func numbers(_ xs: [Double]) -> JSONValue { .array(xs.map { $0.isFinite ? .double($0) : .null }) }
    if let raw = run.rawSeries {
      let d = raw.dimensions
      let steps = raw.steps
      let xs = steps.enumerated().map { i, s in Double(s) ?? Double(i) }
      for f in 0..<min(d, 4) {
        var bands: [BandChart.Band] = []
        for c in 0..<k {
          let members = raw.series.indices.filter { entry.labels[$0] == c }.map { i -> [Double] in
            let s = raw.series[i]
            return (0..<steps.count).map { t in t * d + f < s.count ? s[t * d + f] : .nan }
          }
          bands.append(BandChart.Band.summarise(name: "cluster \(c)", members: members, spread: .standardDeviation))
        }
        bandJSON.append(.object([
          ("feature", .string(raw.features[f])), ("steps", .array(steps.map { .string($0) })),
          ("clusters", .array(bands.enumerated().map { c, band in
            .object([
              ("cluster", .int(c)), ("size", .int(band.count ?? 0)), ("mean", numbers(band.mean)),
              ("lower", numbers(band.lower)), ("upper", numbers(band.upper)),
            ])
          })),
        ]))
        look.figure(
          BandChart(
            title: "Mean \(raw.features[f]) per step, by cluster",
            caption: "Mean raw series of each cluster with a band of ± one standard deviation (before normalisation).",
            xLabel: "step", yLabel: raw.features[f], xs: xs, bands: bands, spread: .standardDeviation
          ).figure())
      }
      if d > 4 { look.note("Bands are drawn for the first 4 of \(d) series features; report.json has the means of all.") }
    }
    if !bandJSON.isEmpty { json.append(("series_bands", .array(bandJSON))) }
    if let dist = run.distances {
      let heatMap =
        HeatMap(
          title: "DTW distances ordered by cluster",
          caption: "Pairwise DTW distances between learners, rows and columns grouped by cluster; a good clustering shows dark (small) blocks on the diagonal.",
          valueLabel: "DTW distance", n: dist.rows, values: dist.storage, clusters: entry.labels,
          clusterNames: Dictionary(uniqueKeysWithValues: (0..<k).map { ($0, "cluster \($0)") }))
      look.figure(heatMap.figure())
      let (labels, means) = heatMap.clusterPairMeans()
      json.append(("distance_means", .object([
        ("clusters", .array(labels.map { .int($0) })), ("mean", .array(means.map(numbers))),
      ])))
    }

    // Profiles: outcome rate and demographic composition per cluster.
    var summary = [
      "k = \(k) by silhouette (\(fmt(entry.silhouette))); eigengap suggests \(result.eigengapK.map(String.init) ?? "undefined"); sizes \(entry.clusterSizes.map(String.init).joined(separator: "/"))"
    ]
    var inputs = run.inputs
    var digests = run.digests
    var warnings = run.warnings
    if let profile = context.step.settings.profile {
      let out = try profile.compute(ids: ids, labels: entry.labels, k: k)
      warnings += out.warnings
      for w in out.warnings { look.note(w, kind: .warning) }
      inputs.append((role: "profile", path: profile.table))
      if let h = out.digest { digests[profile.table] = h }
      look.table(out.table)
      for comp in out.compositions {
        look.table(comp.table)
        look.paragraph(comp.sentence)
        summary.append(comp.sentence)
      }
      tables.append((.profiles, out.csv.renderCSV()))
      // Not "profiles": the cluster command's result already has that key for series profiles.
      json.append(("cluster_profiles", out.json))
    }
    section.subsection(look)
    return AuditStepResult(
      json: json, tables: tables, summary: summary, verdicts: [], warnings: warnings, sections: [section],
      inputs: inputs, digests: digests, clusters: clusters)
  }
}

/// `profile:` of a cluster step: a learner table with an outcome and demographic columns. Parsed and
/// checked when the configuration is loaded (the table's existence with the other inputs), before any work.
struct ClusterProfileSpec {
  var table: String
  /// Where `table:` is in the configuration.
  var tableMark: ConfigMark
  var id: String
  var outcome: String?
  /// `positive:` as written and parsed (a value or a comparison such as `>=4`); set exactly when `outcome` is.
  var positiveText: String?
  var positive: ClassSpec?
  var by: [String]
  var node: ConfigNode
  /// The column names `id`, `outcome` and `by` give, each with its position in the configuration (for
  /// errors about a column the table does not have).
  var columnMarks: [(value: String, mark: ConfigMark)] = []

  init(node: ConfigNode, base: String) throws {
    self.node = node
    var table: (path: String, mark: ConfigMark)?, id: String?
    var positiveNode: ConfigNode?
    by = []
    for e in try node.mapping("profile") {
      switch e.key {
      case "table":
        let path = try e.value.string("profile.table")
        if path.isEmpty { throw e.value.error("profile.table must name a learner CSV, got an empty value") }
        table = (AuditConfiguration.resolve(path, against: base), e.value.mark)
      case "id":
        id = try e.value.string("profile.id")
        columnMarks.append((id!, e.value.mark))
      case "outcome":
        outcome = try e.value.string("profile.outcome")
        columnMarks.append((outcome!, e.value.mark))
      case "positive":
        positiveNode = e.value
        do {
          positiveText = try e.value.string("profile.positive")
          positive = try ClassSpec(parsing: positiveText!, flag: "profile.positive")
        } catch let error as UsageError {
          throw e.value.error(error.message, hint: error.hint)
        }
      case "by":
        by = try e.value.stringList("profile.by")
        if case .sequence(let items) = e.value.value, items.count == by.count {
          columnMarks += zip(by, items).map { ($0, $1.mark) }
        } else {
          columnMarks += by.map { ($0, e.value.mark) }
        }
      default:
        throw ConfigError(
          file: node.file, mark: e.keyMark, message: "unknown profile setting '\(e.key)'",
          hint: "profile takes table, id, outcome, positive and by")
      }
    }
    guard let table, let id else {
      throw node.error("profile needs 'table' (a learner CSV) and 'id' (its learner id column)")
    }
    if outcome != nil && positive == nil {
      throw node.error("profile.outcome needs 'positive' (a value or a comparison such as '>=4')")
    }
    if let positiveNode, outcome == nil {
      throw positiveNode.error("profile.positive needs 'outcome' (the outcome column it is a value of)")
    }
    self.table = table.path
    self.tableMark = table.mark
    self.id = id
  }

  struct Composition {
    var attribute: String
    var test: ContingencyTest
    var table: DataTable
    var sentence: String
    var json: JSONValue
  }

  struct Output {
    var table: DataTable
    /// The profiles as the CSV table: `cluster, learners` and with an outcome `outcome_positive,
    /// outcome_known, outcome_rate, note` (the rate at round-trip precision, undefined with its reason).
    var csv: TextTable
    var compositions: [Composition]
    var json: JSONValue
    var digest: String?
    /// Clustered learners the table lacks (with the ids that are there written differently).
    var warnings: [String] = []
  }

  func compute(ids: [String], labels: [Int], k: Int) throws -> Output {
    let t = try Table.read(path: table, digest: true)
    let tableIds = try t.ids(id)
    var row: [ExactText: Int] = [:]
    for (r, v) in tableIds.enumerated() { row[ExactText(v)] = r }
    let matchedRows = ids.map { row[ExactText($0)] }
    let unmatched = matchedRows.filter { $0 == nil }.count
    var warnings: [String] = []
    if unmatched > 0 {
      // Said on the console too (it was only a count in the caption and in report.json): with no learner in
      // common the profiles are empty, e.g. when one file writes the ids '007' and the other '7'.
      let missing = ids.indices.filter { matchedRows[$0] == nil }.map { ids[$0] }
      let known = Set(ids.map(ExactText.init))
      let respelled = IdSpelling.note(unmatched: missing, others: tableIds.filter { !known.contains(ExactText($0)) }, otherFile: table)
      warnings.append("\(unmatched) of \(ids.count) clustered learner(s) have no \(MessageText.quoted(id)) in \(table) (e.g. \(missing.prefix(5).map { MessageText.excerpt($0) }.joined(separator: ", "))); left out of the cluster profiles"
        + (respelled.map { " — " + $0 } ?? ""))
    }

    // Outcome rate per cluster.
    var outcomeOK: [Bool?] = Array(repeating: nil, count: ids.count)
    if let outcome, let positive {
      let values = try t.strings(outcome)
      for (i, r) in matchedRows.enumerated() {
        guard let r, let v = values[r] else { continue }
        outcomeOK[i] = try positive.matches(v, column: outcome, table: t, row: r)
      }
    }
    var headers = ["cluster", "learners"]
    if outcome != nil { headers += ["outcome \(positiveText ?? "")", "rate"] }
    var rows: [[DataTable.Cell]] = []
    var jsonRows: [JSONValue] = []
    var csv = TextTable(headers: ["cluster", "learners"] + (outcome != nil ? ["outcome_positive", "outcome_known", "outcome_rate", "note"] : []))
    for c in 0..<k {
      let members = labels.indices.filter { labels[$0] == c }
      var cells: [DataTable.Cell] = [.init("cluster \(c)"), .init(String(members.count))]
      var fields: [(String, JSONValue)] = [("cluster", .int(c)), ("size", .int(members.count))]
      if outcome != nil {
        let known = members.compactMap { outcomeOK[$0] }
        let pos = known.filter { $0 }.count
        // An undefined rate in the undefined style, as in every other table of the report.
        cells += [.init("\(pos)/\(known.count)"),
                  known.isEmpty ? DataTable.undefined("undefined (no outcome)") : .init(fmt(Double(pos) / Double(known.count)))]
        fields.append(("outcome_positive", .int(pos)))
        fields.append(("outcome_known", .int(known.count)))
        fields.append(("outcome_rate", known.isEmpty ? .null : .double(Double(pos) / Double(known.count))))
        csv.append(["\(c)", String(members.count), String(pos), String(known.count),
                    known.isEmpty ? "undefined" : NumberFormatting.roundTrip(Double(pos) / Double(known.count)),
                    known.isEmpty ? "undefined: no outcome" : ""])
      } else {
        csv.append(["\(c)", String(members.count)])
      }
      rows.append(cells)
      jsonRows.append(.object(fields))
    }
    var compositions: [Composition] = []
    for attribute in by {
      let values = try t.strings(attribute)
      var levels: [String] = []
      var index: [ExactText: Int] = [:]
      let perLearner = matchedRows.map { r -> String in
        guard let r, let v = values[r] else { return "(missing)" }
        return v
      }
      for v in perLearner where index[ExactText(v)] == nil {
        index[ExactText(v)] = levels.count
        levels.append(v)
      }
      // Levels as written (`ExactText`: a precomposed `é` and `e` + U+0301 are two levels, as in pandas), in
      // code-point order with `(missing)` last.
      let order = levels.sorted {
        ($0 == "(missing)" ? 1 : 0, ExactText($0)) < ($1 == "(missing)" ? 1 : 0, ExactText($1))
      }
      var counts = Array(repeating: Array(repeating: 0, count: order.count), count: k)
      let col = Dictionary(uniqueKeysWithValues: order.enumerated().map { (ExactText($1), $0) })
      for (i, v) in perLearner.enumerated() { counts[labels[i]][col[ExactText(v)]!] += 1 }
      let test = ContingencyTest(counts: counts)
      let tableRows = (0..<k).map { c in ["cluster \(c)"] + counts[c].map(String.init) }
      let sentence: String
      if let chi2 = test.statistic, let p = test.pValue, let v = test.cramersV {
        let strength = v < 0.1 ? "negligible" : v < 0.3 ? "weak" : v < 0.5 ? "moderate" : "strong"
        sentence =
          "Clusters × \(attribute): χ² = \(fmt(chi2)), dof \(test.degreesOfFreedom), p = \(fmt(p)), Cramér's V = \(fmt(v)) (\(strength) association"
          + (test.lowExpectedCounts ? "; more than 20 % of expected counts are below 5, so the p-value is approximate)" : ")")
          + (p < 0.05 && v >= 0.3 ? " — the clusters partly track \(attribute)." : ".")
      } else {
        sentence = "Clusters × \(attribute): no test (\(test.undefined ?? "undefined"))."
      }
      compositions.append(Composition(
        attribute: attribute, test: test,
        table: DataTable(caption: "Composition of the clusters by \(attribute) (learner counts)", headers: ["cluster"] + order, rows: tableRows),
        sentence: sentence,
        json: .object([
          ("attribute", .string(attribute)), ("levels", .array(order.map { .string($0) })),
          ("counts", .array(counts.map { .array($0.map { .int($0) }) })),
          ("chi2", test.statistic.map { .double($0) } ?? .null), ("dof", .int(test.degreesOfFreedom)),
          ("p_value", test.pValue.map { .double($0) } ?? .null), ("cramers_v", test.cramersV.map { .double($0) } ?? .null),
          ("yates_correction", .bool(test.yatesCorrection)), ("low_expected_counts", .bool(test.lowExpectedCounts)),
          ("undefined", test.undefined.map { .string($0) } ?? .null),
        ])))
    }
    let caption = "Cluster profiles from \(table)" + (unmatched > 0 ? " (\(unmatched) clustered learner(s) not in it)" : "")
    return Output(
      table: DataTable(caption: caption, headers: headers, cells: rows), csv: csv,
      compositions: compositions,
      json: .object([
        ("table", .string(table)), ("unmatched", .int(unmatched)), ("clusters", .array(jsonRows)),
        ("composition", .array(compositions.map(\.json))),
      ]),
      digest: t.sha256, warnings: warnings)
  }
}
