import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `cohortlens audit` end to end: the bundled audit, the report folder, escaping, and bad configurations.
@Suite("cohortlens audit")
struct AuditCommandTests {
  /// Parses `text` as XML (the report is polyglot HTML5/XHTML); returns the parser's error, if any.
  static func xmlError(_ text: String) -> String? {
    let parser = XMLParser(data: Data(text.utf8))
    return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)"
  }

  static func files(in dir: URL) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()) ?? []
  }

  /// A small course: predictions with a hostile group name, for fast audits.
  static func smallCourse(in dir: URL) throws -> (predictions: String, config: String) {
    var csv = "id,truth,score,group\n"
    for i in 0..<60 {
      let group = i % 3 == 0 ? "<script>alert(1)</script>" : (i % 3 == 1 ? "A & B" : "C")
      let truth = (i * 7) % 5 < 2 ? 1 : 0
      let score = Double((i * 37) % 100) / 100
      csv += "s\(i),\(truth),\(score),\"\(group)\"\n"
    }
    let predictions = try CLI.write(csv, "predictions.csv", in: dir)
    let config = try CLI.write(
      """
      title: "Small <course> audit"
      seed: 3
      steps:
        - fairness:
            name: engine
            predictions: predictions.csv
            label: truth
            positive: "1"
            score: score
            threshold: 0.5
            by: group
            min-group-size: 5
            bootstrap: 200
            permutations: 100
      """, "audit.yaml", in: dir)
    return (predictions, config)
  }

  @Test func bundledAuditWritesACompleteWellFormedReport() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("report")
    let r = try CLI.run(["audit", "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Report: \(out.path)/report.html"))
    #expect(r.stdout.contains("weekly-activity (cluster)"))
    #expect(Self.files(in: out) == ["report.html", "report.json", "tables"])
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(Self.xmlError(html) == nil, "\(Self.xmlError(html) ?? "")")
    for id in ["step-weekly-activity", "step-pass-model", "step-weekly-early-warning", "step-weekly-early-warning-gender-by-week",
               "step-why-flagged", "step-lecture12-bilstm", "step-oulad-early-warning"] {
      #expect(html.contains("id=\"\(id)\""), "section \(id)")
    }
    for needle in ["Eigenvalues and the eigengap", "DTW distances ordered by cluster", "ROC curves by gender",
                   "Calibration by gender", "Student ", "Composition of the clusters by gender", "Verdicts",
                   "Fairness criteria by gender per week", "Failing checks"] {
      #expect(html.contains(needle), "\(needle)")
    }
    #expect(!html.contains("<script"))
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    #expect(json["schema"] as? String == "cohortlens.audit/1")
    let steps = json["steps"] as? [[String: Any]] ?? []
    #expect(
      steps.map { $0["name"] as? String }
        == ["weekly-activity", "pass-model", "weekly-early-warning", "why-flagged", "lecture12-bilstm", "oulad-early-warning"])
    // The cluster step's clusters are a slice of the pass-model audit.
    let pass = steps[1]["result"] as? [String: Any] ?? [:]
    let attributes = (pass["audits"] as? [[String: Any]] ?? []).compactMap { $0["attribute"] as? String }
    #expect(attributes.contains("cluster"))
    let profiles = (steps[0]["result"] as? [String: Any])?["profiles"] as? [String: Any]
    let composition = profiles?["composition"] as? [[String: Any]] ?? []
    #expect(composition.count == 2 && composition.allSatisfy { $0["cramers_v"] is Double })
    let tables = Self.files(in: out.appendingPathComponent("tables"))
    #expect(tables.contains("weekly-activity-labels.csv") && tables.contains("oulad-early-warning-fairness.csv"))
    #expect(tables.contains("why-flagged-explanations.csv"))
  }

  @Test func dataIsEscapedAndOutputIsDeterministic() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
    let r1 = try CLI.run(["audit", "--config", course.config, "--out", a.path])
    #expect(r1.status == 0, "\(r1.stderr)")
    let r2 = try CLI.run(["audit", "--config", course.config, "--out", b.path, "--format", "json"])
    #expect(r2.status == 0, "\(r2.stderr)")
    let summary = try CLI.json(r2.stdout)
    #expect(summary["schema"] as? String == "cohortlens.audit-summary/1")
    let html = try String(contentsOf: a.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(Self.xmlError(html) == nil, "\(Self.xmlError(html) ?? "")")
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(!html.contains("<script>alert(1)"))
    #expect(html.contains("Small &lt;course&gt; audit"))
    #expect(html.contains("A &amp; B"))
    // Same inputs and seed: identical bytes.
    for name in ["report.html", "report.json", "tables/engine-fairness.csv"] {
      let x = try Data(contentsOf: a.appendingPathComponent(name)), y = try Data(contentsOf: b.appendingPathComponent(name))
      #expect(x == y, "\(name) differs between two runs")
    }
    // A previous report is replaced without --force.
    let again = try CLI.run(["audit", "--config", course.config, "--out", a.path, "--seed", "4"])
    #expect(again.status == 0, "\(again.stderr)")
    let json = try CLI.json(String(contentsOf: a.appendingPathComponent("report.json"), encoding: .utf8))
    #expect(json["seed"] as? Int == 4)
  }

  @Test(arguments: ["Examples/audit/default.yaml", "Examples/audit/my-course.yaml"])
  func shippedConfigurationsAreValid(config: String) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["audit", "--config", CLI.root.appendingPathComponent(config).path, "--out", out.path, "--check"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("valid: ") && r.stdout.contains("cohortlens fairness --predictions"))
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }

  @Test func refusesAForeignNonEmptyFolderUnlessForced() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let out = dir.appendingPathComponent("mine")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    _ = try CLI.write("keep me", "notes.txt", in: out)
    let r = try CLI.run(["audit", "--config", course.config, "--out", out.path])
    #expect(r.status == 64)
    #expect(r.stderr.contains("non-empty folder") && r.stderr.contains("--force"))
    #expect(Self.files(in: out) == ["notes.txt"])
    let forced = try CLI.run(["audit", "--config", course.config, "--out", out.path, "--force"])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(Self.files(in: out) == ["report.html", "report.json", "tables"])
  }

  /// A fairness step whose groups are all suppressed (pooled and per stratum) writes the report with
  /// every criterion UNDEFINED and its reason.
  @Test func fairnessStepWithEveryGroupSuppressedReportsUndefined() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try Self.smallCourse(in: dir)
    var csv = "id,truth,score,group,week\n"
    for i in 0..<60 { csv += "s\(i),\((i * 7) % 5 < 2 ? 1 : 0),\(Double((i * 37) % 100) / 100),\(i % 3 == 0 ? "A" : "B"),\(i % 4)\n" }
    _ = try CLI.write(csv, "weeks.csv", in: dir)
    let config = try CLI.write(
      """
      steps:
        - fairness:
            name: everyone-hidden
            predictions: predictions.csv
            label: truth
            positive: "1"
            score: score
            threshold: 0.5
            by: group
            min-group-size: 100000
            bootstrap: 20
            permutations: 10
        - fairness:
            name: small-weeks
            predictions: weeks.csv
            label: truth
            positive: "1"
            score: score
            threshold: 0.5
            by: group
            stratify: week
            min-group-size: 12
            bootstrap: 20
            permutations: 10
      """, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("group: 6 UNDEFINED"), "\(r.stdout)")
    #expect(r.stdout.contains("group per week (4): 24 UNDEFINED"), "\(r.stdout)")
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(Self.xmlError(html) == nil, "\(Self.xmlError(html) ?? "")")
    #expect(html.contains("fewer than two groups of at least 100000 learners remain after suppression"))
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    let verdicts = json["verdicts"] as? [[String: Any]] ?? []
    let hidden = verdicts.filter { $0["step"] as? String == "everyone-hidden" }
    #expect(hidden.count == 6 && hidden.allSatisfy { $0["verdict"] as? String == "UNDEFINED" })
    let steps = json["steps"] as? [[String: Any]] ?? []
    let audits = (steps.first?["result"] as? [String: Any])?["audits"] as? [[String: Any]] ?? []
    let criteria = audits.first?["criteria"] as? [[String: Any]] ?? []
    #expect(criteria.count == 6 && criteria.allSatisfy { ($0["reason"] as? String ?? "").contains("3 of 3 groups suppressed") })
  }

  @Test(arguments: [
    // (config body, expected exit code, message fragments)
    ("steps:\n  - fairnes:\n      by: g\n", Int32(64), ["audit.yaml:2:5", "unknown step 'fairnes'", "steps are"]),
    ("steps:\n  - fairness:\n      predictions: missing.csv\n      label: truth\n      positive: \"1\"\n      prediction: p\n      by: g\n",
     Int32(64), ["audit.yaml:3:7", "missing.csv' cannot be read (No such file or directory)"]),
    ("steps:\n  - fairness:\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n      score: score\n      threshold: 0.5\n      by: group\n      bogus: 1\n",
     Int32(64), ["audit.yaml:9:7", "step 'fairness' (fairness)", "--bogus"]),
    ("title: x\nsteps: []\n", Int32(64), ["no steps"]),
    ("tittle: x\n", Int32(64), ["audit.yaml:1:1", "unknown setting 'tittle'"]),
    ("steps:\n  - fairness:\n      predictions: predictions.csv\n      label: nope\n      positive: \"1\"\n      score: score\n      threshold: 0.5\n      by: group\n",
     Int32(65), ["audit step 'fairness' (fairness) failed, nothing was written", "no column named 'nope'"]),
    ("steps:\n  - fairness:\n      clusters: later\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n      score: score\n      threshold: 0.5\n      by: group\n",
     Int32(64), ["audit.yaml:3:17", "names no earlier cluster step"]),
    ("steps:\n  - fairness:\n     - x\n", Int32(64), ["audit.yaml:3:6", "options of 'fairness' must be a mapping"]),
    ("steps:\n  - fairness:\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n      score: score\n      threshold: nan\n      by: group\n",
     Int32(64), ["audit.yaml:7:7", "--threshold must be a finite number or 'prevalence' (got 'nan')"]),
  ])
  func badConfigurationsStopBeforeWriting(body: String, code: Int32, fragments: [String]) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try Self.smallCourse(in: dir)
    let config = try CLI.write(body, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path])
    #expect(r.status == code, "\(r.stderr)")
    for f in fragments { #expect(r.stderr.contains(f), "missing '\(f)' in: \(r.stderr)") }
    #expect(!FileManager.default.fileExists(atPath: out.path), "no report folder on failure")
    #expect(Self.files(in: dir).allSatisfy { !$0.hasPrefix(".out") }, "no temporary folder left: \(Self.files(in: dir))")
  }
}
