import CohortLensCore
import Foundation
import Testing

/// What `cohortlens audit` puts in report.html: text from data, ids and links, per-stratum trends, table
/// numbers and flags, explanations, the clustering of identical learners; and where a bad input or a
/// step's error is reported in the configuration.
@Suite("cohortlens audit: report content")
struct AuditReportContentTests {
  /// Runs `cohortlens audit` on `config` into `dir/out`; returns the result and the report's HTML ("" when none).
  static func audit(_ config: String, in dir: URL, _ extra: [String] = []) throws -> (CLIResult, String) {
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path] + extra)
    let html = (try? String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)) ?? ""
    return (r, html)
  }

  static func reportJSON(in dir: URL) throws -> [String: Any] {
    try CLI.json(String(contentsOf: dir.appendingPathComponent("out/report.json"), encoding: .utf8))
  }

  /// `s` without markup, with the report's five entities decoded.
  static func text(_ s: Substring) -> String {
    var t = String(s.replacing(#/<[^>]*>/#, with: ""))
    for (entity, c) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
      t = t.replacingOccurrences(of: entity, with: c)
    }
    return t
  }

  /// The body rows (cell texts) of the first table after `marker`.
  static func rows(after marker: String, in html: String) -> [[String]] {
    guard let m = html.range(of: marker), let start = html[m.upperBound...].range(of: "<tbody>"),
      let end = html[start.upperBound...].range(of: "</tbody>")
    else { return [] }
    return html[start.upperBound..<end.lowerBound].components(separatedBy: "<tr>").dropFirst().map { row in
      row.matches(of: #/<t[hd][^>]*>(.*?)</t[hd]>/#).map { text($0.1) }
    }
  }

  /// Every `id` of the document, and every in-page reference (`href="#…"`, `aria-labelledby`, `url(#…)`).
  static func idsAndReferences(_ html: String) -> (ids: [String], references: [String]) {
    let ids = html.matches(of: #/ id="([^"]*)"/#).map { String($0.1) }
    var references = html.matches(of: #/href="#([^"]*)"/#).map { String($0.1) }
    references += html.matches(of: #/aria-labelledby="([^"]*)"/#).flatMap { $0.1.split(separator: " ").map(String.init) }
    references += html.matches(of: #/url\(#([^)]*)\)/#).map { String($0.1) }
    return (ids, references)
  }

  /// A fairness course: `n` learners with a score, a label and the given group columns (`name → value of
  /// learner i`).
  static func predictions(_ n: Int, columns: [(String, (Int) -> String)], in dir: URL, file: String = "predictions.csv") throws {
    var csv = (["id", "truth", "score"] + columns.map(\.0)).map(CSVWriter.field).joined(separator: ",") + "\n"
    for i in 0..<n {
      let truth = (i * 7) % 5 < 2 ? 1 : 0
      let score = Double((i * 37) % 100) / 100
      csv += (["s\(i)", "\(truth)", "\(score)"] + columns.map { $0.1(i) }).map(CSVWriter.field).joined(separator: ",") + "\n"
    }
    _ = try CLI.write(csv, file, in: dir)
  }

  /// Bidi controls, DEL, C1 controls and non-characters in group names reach the page as U+FFFD, in
  /// legends, tables and verdicts alike, and cannot reverse the report's own text; report.json keeps
  /// the names as they are.
  @Test func controlCharactersInDataAreReplacedEverywhere() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    func c(_ v: UInt32) -> String { String(Unicode.Scalar(v)!) }
    let names = ["\u{202E}A", "B\u{7F}x", "C\u{85}", "D" + c(0xFDD0), "E" + c(0x1FFFE), "\u{2066}F\u{2069}"]
    try Self.predictions(240, columns: [("group", { names[$0 % names.count] })], in: dir)
    let config = try CLI.write(
      "steps:\n  - fairness:\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n      score: score\n"
        + "      threshold: 0.5\n      by: group\n      bootstrap: 20\n      permutations: 0\n", "audit.yaml", in: dir)
    let (r, html) = try Self.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(AuditCommandTests.xmlError(html) == nil)
    let forbidden = html.unicodeScalars.filter { v in
      let x = v.value
      return (x < 0x20 && x != 0x0A && x != 0x09 && x != 0x0D) || (0x7F...0x9F).contains(x) || (0x202A...0x202E).contains(x)
        || (0x2066...0x2069).contains(x) || (0xFDD0...0xFDEF).contains(x) || x & 0xFFFE == 0xFFFE
    }
    #expect(forbidden.isEmpty, "\(forbidden.map { String($0.value, radix: 16) })")
    // The ROC legend reads "�A (AUC …)", in order.
    #expect(html.contains(">\u{FFFD}A (AUC 0."), "legend")
    for shown in ["\u{FFFD}A", "B\u{FFFD}x", "C\u{FFFD}", "D\u{FFFD}", "E\u{FFFD}", "\u{FFFD}F\u{FFFD}"] {
      #expect(Self.rows(after: "Counts and rates by group", in: html).contains { $0.first == shown }, "\(shown)")
    }
    let json = try Self.reportJSON(in: dir)
    let audits = ((json["steps"] as? [[String: Any]])?.first?["result"] as? [String: Any])?["audits"] as? [[String: Any]] ?? []
    let groups = (audits.first?["groups"] as? [[String: Any]] ?? []).compactMap { $0["group"] as? String }
    #expect(Set(groups) == Set(names))
  }

  /// A column named `h` used to give its section the id of the step heading (`step-f-h`), and `a<b`
  /// and `a>b` shared one slug, so every verdict linked to the first: every id is unique, every link
  /// resolves, and each verdict links to its own attribute's section.
  @Test func idsAreUniqueAndVerdictsLinkToTheirOwnSection() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.predictions(
      200, columns: [("h", { $0 % 2 == 0 ? "P" : "Q" }), ("a<b", { $0 % 3 == 0 ? "x" : "y" }), ("a>b", { $0 % 4 == 0 ? "u" : "v" })],
      in: dir)
    let config = try CLI.write(
      "steps:\n  - fairness:\n      name: f\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n"
        + "      score: score\n      threshold: 0.5\n      by: [h, \"a<b\", \"a>b\"]\n      intersect: true\n      bootstrap: 20\n"
        + "      permutations: 0\n", "audit.yaml", in: dir)
    let (r, html) = try Self.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let (ids, references) = Self.idsAndReferences(html)
    let duplicates = Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
    #expect(duplicates.isEmpty, "duplicate ids \(duplicates)")
    let missing = Set(references).subtracting(ids)
    #expect(missing.isEmpty, "dangling references \(missing.sorted())")
    // Each attribute's section id, from its heading.
    var section: [String: String] = [:]
    for m in html.matches(of: #/<section id="([^"]*)"[^>]*>\n<h3 id="[^"]*"><a class="anchor" href="#[^"]*">By ([^<]*)</a>/#) {
      section[Self.text(m.2)] = String(m.1)
    }
    #expect(section == ["h": "step-f-h", "a<b": "step-f-a-b", "a>b": "step-f-a-b-2", "h & a<b & a>b": "step-f-h-a-b-a-b"])
    let list = html[html.range(of: "<details class=\"all-verdicts\">")!.upperBound...]
    var links: [String: Set<String>] = [:]
    for m in list.matches(of: #/<a href="#([^"]*)"><strong>f: [a-z ]+ by ([^<]*)</strong>/#) {
      links[Self.text(m.2), default: []].insert(String(m.1))
    }
    #expect(links == section.mapValues { [$0] })
  }

  /// A `by:` column named `cluster` and `clusters:` would give two attributes named `cluster`: refused with
  /// the configuration, at the `by:` entry; the column can be named with its file's stem instead.
  @Test func aByColumnNamedClusterBesideClustersIsRefused() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try AuditCommandTests.smallExplainCourse(in: dir)
    var csv = "id,truth,score,cluster\n"
    for i in 1...30 { csv += "\(i),\(i % 3 == 0 ? 1 : 0),\(Double(i % 10) / 10),\(i % 2 == 0 ? "k1" : "k2")\n" }
    _ = try CLI.write(csv, "preds.csv", in: dir)
    func config(_ by: String) throws -> String {
      try CLI.write(
        "steps:\n  - cluster:\n      name: kinds\n      features: students.csv\n      id: id\n      k: 2\n  - fairness:\n"
          + "      predictions: preds.csv\n      id: id\n      label: truth\n      positive: \"1\"\n      score: score\n"
          + "      threshold: 0.5\n      by: [\(by)]\n      clusters: kinds\n      min-group-size: 1\n      bootstrap: 0\n"
          + "      permutations: 0\n", "audit.yaml", in: dir)
    }
    let bad = try config("cluster")
    for check in [true, false] {
      let (r, _) = try Self.audit(bad, in: dir, check ? ["--check"] : [])
      #expect(r.status == 64, "\(r.stderr)")
      #expect(r.stderr.contains(
        "audit.yaml:14:12: step 'fairness' (fairness): 'by' names the column 'cluster', and 'clusters: kinds' (line 15) adds the clusters as the attribute 'cluster'"),
        "\(r.stderr)")
      #expect(r.stderr.contains("'preds.cluster'"), "\(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }
    let (r, html) = try Self.audit(try config("preds.cluster"), in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(html.contains(">By preds.cluster</a>") && html.contains(">By cluster</a>"))
  }

  /// Strata that are not numbers are the trend chart's categories, in natural order (`w2` before
  /// `w10`): its ticks, its numbers table, the criteria table and the verdicts all name the strata
  /// (they used to say 0, 1, 2, … in code-point order w1, w10, w11, w12, w2).
  @Test func perStratumTrendsNameTheStrataInNaturalOrder() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.predictions(
      600, columns: [("gender", { $0 % 2 == 0 ? "F" : "M" }), ("week", { "w\($0 % 12 + 1)" })], in: dir)
    let config = try CLI.write(
      "steps:\n  - fairness:\n      name: wk\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n"
        + "      score: score\n      threshold: 0.5\n      by: gender\n      stratify: week\n      min-group-size: 5\n"
        + "      bootstrap: 0\n      permutations: 0\n", "audit.yaml", in: dir)
    let (r, html) = try Self.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let weeks = (1...12).map { "w\($0)" }
    let figure = try #require(html.range(of: "Fairness criteria by gender per week</h4>"))
    let svg = html[figure.upperBound...]
    let axes = try #require(svg.firstMatch(of: #/<g class="axes">(.*?)</g>/#))
    let ticks = axes.1.matches(of: #/text-anchor="middle" font-size="13" fill="#555555">([^<]*)</text>/#).map { String($0.1) }
    #expect(ticks == weeks)
    #expect(Self.rows(after: "Numbers beneath figure", in: String(svg)).map { $0.first ?? "" } == weeks)
    let criteria = Self.rows(after: "Criteria by gender in each week", in: html).map { $0[0] }
    #expect(criteria == weeks.flatMap { Array(repeating: $0, count: criteria.count / 12) })
    #expect(!html.contains("Strata in order"))
    for m in html.matches(of: #/FAIL in week ([^;]*);/#) {
      let listed = m.1.split(separator: ", ").map(String.init)
      #expect(listed == weeks.filter(listed.contains), "\(listed)")
    }
  }

  /// Score metrics flagged `low_support` in report.json are flagged in the HTML table too; calibration
  /// bins are numbered 0–9 there, as in report.json and the calibration CSV.
  @Test func lowSupportFlagsAndCalibrationBinsMatchTheJSON() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try AuditCommandTests.smallCourse(in: dir)
    let (r, html) = try Self.audit(course.config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let json = try Self.reportJSON(in: dir)
    let audit = (((json["steps"] as? [[String: Any]])?.first?["result"] as? [String: Any])?["audits"] as? [[String: Any]])?.first
    let groups = audit?["groups"] as? [[String: Any]] ?? []
    let table = Self.rows(after: "Counts and rates by group", in: html)
    let header = try #require(html.range(of: "Counts and rates by group")).upperBound
    let headers = html[header...].prefix(3000).matches(of: #/<th scope="col"[^>]*>([^<]*)</th>/#).map { String($0.1) }
    var flagged = 0
    for g in groups {
      let name = g["group"] as? String ?? ""
      let row = try #require(table.first { $0.first == name })
      for metric in ["auc", "brier", "ece"] {
        let m = (g["metrics"] as? [String: Any])?[metric] as? [String: Any]
        guard let value = m?["value"] as? Double else { continue }
        let cell = row[try #require(headers.firstIndex(of: metric))]
        let low = m?["low_support"] as? Bool == true
        #expect(cell == NumberFormatting.significant(value, digits: 4) + (low ? " low support" : ""), "\(name) \(metric): \(cell)")
        if low { flagged += 1 }
      }
    }
    #expect(flagged >= 3, "every group has fewer than 30 positives: its AUC is low support")
    // Calibration: the bins of the numbers table are those of the CSV.
    let calibration = Self.rows(after: "Calibration by group</h4>", in: html)
    let csv = try String(contentsOf: dir.appendingPathComponent("out/tables/engine-calibration.csv"), encoding: .utf8)
      .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(calibration.count == csv.count && calibration.count == 30)
    #expect(calibration.map { $0[1] } == csv.map { $0[3] })
    #expect(Set(calibration.map { $0[1] }) == Set((0...9).map(String.init)))
    #expect(calibration.first?[2] == "[0, 0.1)" && calibration.last?[2] == "[0.9, 1]")
  }

  /// The explanation-disparity table gives 4 significant digits (a mean |weight| of 4e-07 used to read
  /// 0.00000, frequencies had 2 decimals), and an undefined local R² says why, as report.json does.
  @Test func explanationNumbersAndUndefinedR2() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,a,b,gender\n"
    for i in 0..<30 { csv += "\(i + 1),\(Double((i * 37) % 100) / 25 - 2),\(Double((i * 53) % 100) / 25 - 2),\(i % 3 == 0 ? "F" : "M")\n" }
    _ = try CLI.write(csv, "students.csv", in: dir)
    _ = try CLI.write(#"{"type":"logistic","features":["a","b"],"coefficients":[[2e-6,-1e-6]],"intercept":[0.1],"classes":["no","yes"]}"#,
                      "tiny.json", in: dir)
    _ = try CLI.write(#"{"type":"logistic","features":["a","b"],"coefficients":[[0,0]],"intercept":[0],"classes":["no","yes"]}"#,
                      "flat.json", in: dir)
    let config = try CLI.write(
      "steps:\n  - explain:\n      name: tiny\n      features: students.csv\n      id: id\n      columns: [a, b]\n      model: tiny.json\n"
        + "      all: true\n      num-samples: 300\n      show: 0\n      groups: students.csv\n      by: gender\n"
        + "  - explain:\n      name: flat\n      features: students.csv\n      id: id\n      columns: [a, b]\n      model: flat.json\n"
        + "      student: \"1,2\"\n      num-samples: 200\n      show: 1\n", "audit.yaml", in: dir)
    let (r, html) = try Self.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let json = try Self.reportJSON(in: dir)
    let steps = json["steps"] as? [[String: Any]] ?? []
    let disparity = ((steps.first?["result"] as? [String: Any])?["disparity"] as? [String: Any])?["rows"] as? [[String: Any]] ?? []
    let rows = Self.rows(after: "Explanation disparity by gender (mean", in: html)
    #expect(rows.count == disparity.count && !rows.isEmpty)
    for (row, d) in zip(rows, disparity) {
      #expect(row[4] == NumberFormatting.significant(d["frequency"] as! Double, digits: 4), "\(row)")
      #expect(row[5] == NumberFormatting.significant(d["mean_abs_weight"] as! Double, digits: 4), "\(row)")
    }
    #expect(rows.contains { $0[5].contains("e-0") }, "weights of order 1e-6: \(rows)")
    // The flat model's R² is undefined, with report.json's reason under the drawn student and in a note.
    let explanations = (steps.last?["result"] as? [String: Any])?["explanations"] as? [[String: Any]] ?? []
    let reason = try #require(explanations.first?["score_undefined_reason"] as? String)
    #expect(reason.contains("the model answered the same value"))
    let escaped = reason.replacingOccurrences(of: "'", with: "&#39;")
    #expect(html.contains("<p class=\"figure-note\">R² undefined: \(escaped).</p>"), "figure note")
    #expect(html.contains("Local R² undefined for 2 student(s) (1, 2): \(escaped)."), "section note")
  }

  /// A linear model's explanations speak of its prediction, not of a class probability.
  @Test func aLinearModelIsExplainedAsAPrediction() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,a,b\n"
    for i in 0..<30 { csv += "\(i + 1),\(Double((i * 37) % 100) / 25 - 2),\(Double((i * 53) % 100) / 25 - 2)\n" }
    _ = try CLI.write(csv, "students.csv", in: dir)
    _ = try CLI.write(#"{"type":"linear","features":["a","b"],"coefficients":[[0.5,-1.5]],"intercept":[60]}"#, "grade.json", in: dir)
    let config = try CLI.write(
      "steps:\n  - explain:\n      name: grade\n      features: students.csv\n      id: id\n      columns: [a, b]\n      model: grade.json\n"
        + "      student: \"1,2\"\n      num-samples: 200\n      show: 1\n", "audit.yaml", in: dir)
    let (r, html) = try Self.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(html.contains("of the model&#39;s prediction.") || html.contains("of the model's prediction."), "caption")
    #expect(html.contains("Student 2: prediction = ") || html.contains("Student 1: prediction = "))
    #expect(!html.contains("P(value)"))
    #expect(r.stdout.contains("highest predictions: "))
  }

  /// Identical learner series (after normalisation) get the warning identical feature rows get, from
  /// `cluster --series` and in the audit; the DTW heat map of their all-zero distances has a 0…1 colour bar.
  @Test func identicalSeriesAreWarnedAboutAndDrawnOnASaneScale() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "user,week,v\n"
    for u in 1...12 { for w in 1...5 { csv += "u\(u),\(w),\(w * 2)\n" } }
    let series = try CLI.write(csv, "same.csv", in: dir)
    let warning = "only 1 distinct learner series after normalisation (l2), fewer than k = 4; clusters beyond that split identical learners by rounding noise"
    let single = try CLI.run(["cluster", "--series", series, "--id", "user", "--time", "week", "--value", "v", "--k", "2...4"])
    #expect(single.status == 0, "\(single.stderr)")
    #expect(single.stderr.contains("cohortlens cluster: warning: \(warning)"), "\(single.stderr)")
    let config = try CLI.write(
      "steps:\n  - cluster:\n      series: same.csv\n      id: user\n      time: week\n      value: v\n      k: 2...4\n", "audit.yaml", in: dir)
    let (r, html) = try Self.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("cohortlens audit: cluster: warning: \(warning)"), "\(r.stderr)")
    #expect(html.contains("<strong>Warning:</strong> \(warning)"))
    let heat = try #require(html.range(of: "DTW distances ordered by cluster</h4>"))
    let legend = try #require(html[heat.upperBound...].firstMatch(of: #/class="colour-legend"(.*?)</svg>/#))
    let labels = legend.1.matches(of: #/font-size="12" fill="#555555">([^<]*)</text>/#).map { String($0.1) }
    #expect(labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
  }

  /// The numbers beneath the cluster step's band charts (mean ∓ sd per step and cluster) and heat map (mean
  /// DTW distance per pair of clusters), and beneath a fairness step's ROC chart (TPR at FPR 0, 0.1, …, 1),
  /// are in report.json (`series_bands`, `distance_means`, `roc_tables`), as the report's footer says of
  /// every number; each is the one the HTML shows, to its 4 significant digits.
  @Test func chartTableNumbersAreInReportJSON() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var series = "user,week,v\n", predictions = "user,truth,score,group\n"
    for u in 0..<16 {
      for w in 1...5 { series += "u\(u),\(w),\(u % 2 == 0 ? w * (3 + u % 5) : 40 - w * (2 + u % 3))\n" }
      predictions += "u\(u),\((u * 7) % 3 == 0 ? 1 : 0),\(Double((u * 37) % 100) / 100),\(u % 2 == 0 ? "A" : "B")\n"
    }
    _ = try CLI.write(series, "weekly.csv", in: dir)
    _ = try CLI.write(predictions, "predictions.csv", in: dir)
    let config = try CLI.write(
      "steps:\n  - cluster:\n      name: kinds\n      series: weekly.csv\n      id: user\n      time: week\n      value: v\n"
        + "      metric: dtw\n      k: 2\n  - fairness:\n      name: engine\n      predictions: predictions.csv\n      id: user\n"
        + "      label: truth\n      positive: \"1\"\n      score: score\n      threshold: 0.5\n      by: group\n"
        + "      min-group-size: 5\n      bootstrap: 0\n      permutations: 0\n",
      "audit.yaml", in: dir)
    let (r, html) = try Self.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let steps = try #require(try Self.reportJSON(in: dir)["steps"] as? [[String: Any]])
    func fmt(_ x: Any?) -> String? { (x as? NSNumber).map { NumberFormatting.significant($0.doubleValue, digits: 4) } }

    let cluster = try #require(steps.first?["result"] as? [String: Any])
    let bands = try #require(cluster["series_bands"] as? [[String: Any]])
    #expect(bands.count == 1)
    let perCluster = try #require(bands.first?["clusters"] as? [[String: Any]])
    #expect(perCluster.count == 2)
    for c in perCluster {
      let mean = c["mean"] as? [Any] ?? [], lower = c["lower"] as? [Any] ?? [], upper = c["upper"] as? [Any] ?? []
      #expect(mean.count == 5 && lower.count == 5 && upper.count == 5)
      for t in mean.indices {
        let cell = "\(fmt(mean[t]) ?? "?") [\(fmt(lower[t]) ?? "?"), \(fmt(upper[t]) ?? "?")]"
        #expect(html.contains(">\(cell)<"), "band cell \(cell)")
      }
    }
    let distances = try #require(cluster["distance_means"] as? [String: Any])
    #expect((distances["clusters"] as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue } == [0, 1])
    let means = try #require(distances["mean"] as? [[Any]])
    let heat = Self.rows(after: "mean DTW distance between members of two clusters", in: html)
    #expect(heat.map { Array($0.dropFirst()) } == means.map { $0.map { fmt($0) ?? "undefined" } })

    let fairness = try #require(steps.last?["result"] as? [String: Any])
    let roc = try #require((fairness["roc_tables"] as? [[String: Any]])?.first)
    #expect(roc["attribute"] as? String == "group")
    #expect((roc["fpr"] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue } == (0...10).map { Double($0) / 10 })
    let groups = try #require(roc["groups"] as? [[String: Any]])
    #expect(groups.map { $0["group"] as? String } == ["A", "B"])
    let table = Self.rows(after: "<caption>true-positive rate at fixed false-positive rates", in: html)
    #expect(table.count == 12)  // FPR 0, 0.1, …, 1 and AUC
    for (k, g) in groups.enumerated() {
      let tpr = try #require(g["tpr"] as? [Any])
      #expect(table.prefix(11).map { $0[k + 1] } == tpr.map { fmt($0) ?? "undefined" }, "group \(k)")
    }
  }

  /// An input that is not a readable regular file (here a folder) is refused with the configuration, at its
  /// key, exit 64 — by --check as well — before any step runs.
  @Test func anInputThatIsAFolderIsRefusedAtItsKey() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("dir.csv"), withIntermediateDirectories: true)
    try AuditCommandTests.smallExplainCourse(in: dir)
    let cases = [
      ("steps:\n  - fairness:\n      predictions: dir.csv\n      label: truth\n      positive: \"1\"\n      prediction: p\n      by: g\n",
       "audit.yaml:3:7: step 'fairness' (fairness): predictions '\(dir.path)/dir.csv' is a folder, not a file"),
      ("steps:\n  - cluster:\n      features: students.csv\n      id: id\n      k: 2\n      profile:\n        table: dir.csv\n        id: id\n",
       "audit.yaml:7:16: step 'cluster' (cluster): profile.table '\(dir.path)/dir.csv' is a folder, not a file"),
    ]
    for (body, message) in cases {
      let config = try CLI.write(body, "audit.yaml", in: dir)
      for check in [true, false] {
        let (r, _) = try Self.audit(config, in: dir, check ? ["--check"] : [])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("audit step") && r.stdout.isEmpty, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
      }
    }
  }

  /// A step's runtime error about something the configuration set points at that entry: a column that is
  /// not in the file at its `by:` item (naming the CSV too), a k above the number of learners at `k:`, a
  /// profile column at its `profile.by` item.
  @Test func stepErrorsPointAtTheConfigurationEntry() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try AuditCommandTests.smallCourse(in: dir)
    try AuditCommandTests.smallExplainCourse(in: dir)
    _ = try CLI.write("id,a,b\n1,0,1\n2,1,0\n3,1,1\n", "three.csv", in: dir)
    _ = try CLI.write("id,truth,score,g,g\n1,1,0.9,x,p\n2,0,0.2,y,q\n3,1,0.6,x,q\n4,0,0.4,y,p\n", "dup.csv", in: dir)
    let long = String(repeating: "a_very_long_column_name_", count: 3)
    let cases: [(String, Int32, String)] = [
      // The name is found from the error itself, not from its message: also a name several columns have,
      // and one longer than the 40 characters a message shows.
      ("steps:\n  - fairness:\n      predictions: dup.csv\n      label: truth\n      positive: \"1\"\n      score: score\n"
        + "      threshold: 0.5\n      by: g\n      bootstrap: 0\n",
       65, "audit.yaml:8:7: audit step 'fairness' (fairness) failed, nothing was written: \(dir.path)/dup.csv:1: column name 'g' is the name of 2 columns"),
      ("steps:\n  - fairness:\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n      score: score\n"
        + "      threshold: 0.5\n      by:\n        - group\n        - \(long)\n      bootstrap: 0\n",
       65, "audit.yaml:10:11: audit step 'fairness' (fairness) failed, nothing was written: \(dir.path)/predictions.csv:1: no column named '\(long.prefix(40))…'"),
      ("steps:\n  - fairness:\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n      score: score\n"
        + "      threshold: 0.5\n      by:\n        - group\n        - nosuchcolumn\n      bootstrap: 0\n",
       65, "audit.yaml:10:11: audit step 'fairness' (fairness) failed, nothing was written: \(dir.path)/predictions.csv:1: no column named 'nosuchcolumn'"),
      ("steps:\n  - fairness:\n      predictions: predictions.csv\n      label: nope\n      positive: \"1\"\n      score: score\n"
        + "      threshold: 0.5\n      by: group\n",
       65, "audit.yaml:4:7: audit step 'fairness' (fairness) failed, nothing was written: \(dir.path)/predictions.csv:1: no column named 'nope'"),
      ("steps:\n  - cluster:\n      features: three.csv\n      id: id\n      k: 2...10\n",
       64, "audit.yaml:5:7: audit step 'cluster' (cluster) failed, nothing was written: k = 3 needs more learners than clusters, but there are n = 3"),
      ("steps:\n  - cluster:\n      features: students.csv\n      id: id\n      k: 2\n      profile:\n        table: students.csv\n"
        + "        id: id\n        by: [a, gender]\n",
       65, "audit.yaml:9:17: audit step 'cluster' (cluster) failed, nothing was written: \(dir.path)/students.csv:1: no column named 'gender'"),
    ]
    for (body, code, message) in cases {
      let config = try CLI.write(body, "audit.yaml", in: dir)
      let (r, _) = try Self.audit(config, in: dir)
      #expect(r.status == code, "\(r.stderr)")
      #expect(r.stderr.contains(message), "\(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }
  }
}
