import CohortLensCore
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
    // The step lines add up to the total, the weekly engine's verdicts over all weeks included.
    let tallies = Self.consoleTallies(r.stdout)
    #expect(!tallies.total.isEmpty && tallies.lines == tallies.total, "\(r.stdout)")
    #expect(r.stdout.contains("  gender, every week: "), "\(r.stdout)")
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
    let profiles = (steps[0]["result"] as? [String: Any])?["cluster_profiles"] as? [String: Any]
    let composition = profiles?["composition"] as? [[String: Any]] ?? []
    #expect(composition.count == 2 && composition.allSatisfy { $0["cramers_v"] is Double })
    // The series profiles of the cluster command keep their own key (no key twice in one object).
    let seriesProfiles = (steps[0]["result"] as? [String: Any])?["profiles"] as? [String: Any]
    #expect(seriesProfiles?["by_k"] is [Any])
    let tables = Self.files(in: out.appendingPathComponent("tables"))
    #expect(tables.contains("weekly-activity-labels.csv") && tables.contains("oulad-early-warning-fairness.csv"))
    #expect(tables.contains("why-flagged-explanations.csv"))
    // The explanation disparity by cluster is in report.json as in the HTML and its CSV table.
    let why = steps[3]["result"] as? [String: Any] ?? [:]
    let byCluster = why["cluster_disparity"] as? [String: Any]
    #expect(byCluster?["clusters_of"] as? String == "weekly-activity")
    let csvRows = try String(contentsOf: out.appendingPathComponent("tables/why-flagged-disparity-clusters.csv"), encoding: .utf8)
      .split(separator: "\n").count - 1
    #expect((byCluster?["rows"] as? [Any])?.count == csvRows && csvRows > 0)
    // Its CSV numbers are those of report.json (round-trip precision; they used to be cut to 4 digits).
    let clusterCSV = try String(contentsOf: out.appendingPathComponent("tables/why-flagged-disparity-clusters.csv"), encoding: .utf8)
      .split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
    #expect(clusterCSV.first == ["feature", "group", "students", "selected", "frequency", "mean_abs_weight"])
    // (Foundation's JSON reader on Linux parses numbers as decimals and may drop the 17th digit: compare to 1e-15.)
    func same(_ text: String, _ value: Any?) -> Bool {
      guard let x = Double(text), let y = (value as? NSNumber)?.doubleValue else { return false }
      return abs(x - y) <= 1e-15 * max(1, abs(y))
    }
    for (row, value) in zip(clusterCSV.dropFirst(), byCluster?["rows"] as? [[String: Any]] ?? []) {
      #expect(same(row[4], value["frequency"]) && same(row[5], value["mean_abs_weight"])
                && Int(row[3]) == value["selected"] as? Int, "\(row) \(value)")
    }
    // The cluster profiles table: counts and the outcome rate as in report.json (the rate was cut to 4 digits).
    let profileCSV = try String(contentsOf: out.appendingPathComponent("tables/weekly-activity-profiles.csv"), encoding: .utf8)
      .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(profileCSV.first == ["cluster", "learners", "outcome_positive", "outcome_known", "outcome_rate", "note"])
    let profileRows = profiles?["clusters"] as? [[String: Any]] ?? []
    #expect(profileCSV.count == 1 + profileRows.count && !profileRows.isEmpty)
    for (row, p) in zip(profileCSV.dropFirst(), profileRows) {
      #expect(Int(row[1]) == p["size"] as? Int && Int(row[2]) == p["outcome_positive"] as? Int && same(row[4], p["outcome_rate"]),
              "\(row) \(p)")
    }
    // The summary table: every student's numbers as in report.json, ESS and the sample count as two numbers.
    let summaryCSV = try String(contentsOf: out.appendingPathComponent("tables/why-flagged-summary.csv"), encoding: .utf8)
      .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(summaryCSV.first == ["student", "intercept", "local_prediction", "model_probability", "abs_difference", "score",
                                 "score_undefined_reason", "effective_sample_size", "samples", "kernel_width"])
    let explained = why["explanations"] as? [[String: Any]] ?? []
    #expect(summaryCSV.count == 1 + explained.count && !explained.isEmpty)
    for (row, e) in zip(summaryCSV.dropFirst(), explained) {
      #expect(row[0] == e["student"] as? String && same(row[1], e["intercept"]) && same(row[5], e["score"])
                && same(row[7], e["effective_sample_size"]),
              "\(row)")
    }
    // Calibration tables list every bin for every group (bin k is the same score range), empty ones undefined.
    #expect(html.contains("empty or undefined bin(s) are listed but not drawn"))
  }

  /// The verdict counts of the console summary: summed over the step lines (outside parentheses, which
  /// hold evidence such as per-week results) and as the `Verdicts:` line states them.
  static func consoleTallies(_ stdout: String) -> (lines: [String: Int], total: [String: Int]) {
    var lines: [String: Int] = [:], total: [String: Int] = [:]
    for line in stdout.split(separator: "\n") {
      let isTotal = line.hasPrefix("Verdicts: ")
      guard isTotal || line.hasPrefix("  ") else { continue }
      let text = String(line).replacing(#/\([^)]*\)/#, with: "")
      for match in text.matches(of: #/(\d+) (FAIL|INCONCLUSIVE|UNDEFINED|PASS)\b/#) {
        if isTotal { total[String(match.2), default: 0] += Int(match.1)! } else { lines[String(match.2), default: 0] += Int(match.1)! }
      }
    }
    return (lines, total)
  }

  /// Every verdict of the total appears in one step line of the console summary: a stratified fairness
  /// step shows its verdicts over all weeks, with the per-week results as their evidence.
  @Test func consoleVerdictLinesAddUpToTheTotal() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,truth,score,group,week\n"
    for i in 0..<240 {
      csv += "s\(i % 60),\((i * 7) % 5 < 2 ? 1 : 0),\(Double((i * 37) % 100) / 100),\(i % 3 == 0 ? "A" : "B"),\(i / 60 + 1)\n"
    }
    _ = try CLI.write(csv, "weeks.csv", in: dir)
    let config = try CLI.write(
      """
      steps:
        - fairness:
            name: weekly
            predictions: weeks.csv
            label: truth
            positive: "1"
            score: score
            threshold: 0.5
            by: group
            stratify: week
            min-group-size: 5
            bootstrap: 50
            permutations: 0
      """, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    let verdicts = json["verdicts"] as? [[String: Any]] ?? []
    // 6 criteria pooled + 6 over all 4 weeks.
    #expect(verdicts.count == 12)
    var expected: [String: Int] = [:]
    for v in verdicts { expected[v["verdict"] as? String ?? "?", default: 0] += 1 }
    let tallies = Self.consoleTallies(r.stdout)
    #expect(tallies.total == expected, "\(r.stdout)")
    #expect(tallies.lines == expected, "\(r.stdout)")
    let everyWeek = verdicts.filter { ($0["check"] as? String ?? "").hasSuffix(", every week") }
    var weekly: [String: Int] = [:]
    for v in everyWeek { weekly[v["verdict"] as? String ?? "?", default: 0] += 1 }
    let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("  group, every week: ") }.map(String.init) ?? ""
    #expect(everyWeek.count == 6)
    for (verdict, count) in weekly { #expect(line.contains("\(count) \(verdict)"), "\(line)") }
    #expect(line.contains("(the worst of 4 weeks; per week: "), "\(line)")
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
    // The console JSON carries the provenance of report.json (it had none).
    #expect((summary["tool"] as? [String: Any])?["version"] as? String == CohortLensVersion.string)
    #expect(summary["seed"] as? Int == 3)
    let inputs = summary["inputs"] as? [[String: Any]] ?? []
    let predictionsDigest = try SHA256.hex(ofFile: course.predictions), configDigest = try SHA256.hex(ofFile: course.config)
    #expect(inputs.count == 1 && inputs.first?["sha256"] as? String == predictionsDigest)
    #expect(((summary["config"] as? [String: Any])?["sha256"] as? String) == configDigest)
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

  @Test func groupTableShowsUndefinedRatesWithCountsAndReason() throws {
    // Group N has no actual positives: its TPR and FNR are 0/0. The report's counts-and-rates table says
    // so (it used to print a bare 'undefined') and lists every rate, FNR and TNR included.
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,truth,pred,group\n"
    for i in 0..<40 { csv += "p\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),P\n" }
    for i in 0..<30 { csv += "n\(i),0,\(i % 4 == 0 ? 1 : 0),N\n" }
    _ = try CLI.write(csv, "predictions.csv", in: dir)
    let config = try CLI.write("""
      steps:
        - fairness:
            name: engine
            predictions: predictions.csv
            label: truth
            positive: "1"
            prediction: pred
            predicted-positive: "1"
            by: group
            min-group-size: 5
            bootstrap: 50
      """, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("r")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains(">fnr</th>") && html.contains(">tnr</th>"), "FNR and TNR columns")
    #expect(html.contains("undefined (0/0: no actual positives"), "undefined TPR with its counts and reason")
  }

  @Test func fairnessStepWritesROCAndCalibrationTables() throws {
    // The ROC points and calibration bins of report.json are also CSV tables, row for row.
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    // Group C's scores halved: its bins above 0.5 are empty, and stay in the table as undefined.
    let halved = try String(contentsOfFile: course.predictions, encoding: .utf8).split(separator: "\n").map { line -> String in
      guard line.hasSuffix(",\"C\"") else { return String(line) }
      var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      cells[2] = "\(Double(cells[2])! / 2)"
      return cells.joined(separator: ",")
    }
    try (halved.joined(separator: "\n") + "\n").write(toFile: course.predictions, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("r")
    let r = try CLI.run(["audit", "--config", course.config, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    let step = (json["steps"] as? [[String: Any]] ?? [])[0]
    #expect(step["tables"] as? [String: String] == [
      "fairness": "tables/engine-fairness.csv", "roc": "tables/engine-roc.csv",
      "calibration": "tables/engine-calibration.csv",
    ])
    let audits = (step["result"] as? [String: Any])?["audits"] as? [[String: Any]] ?? []
    let groups = audits.first?["groups"] as? [[String: Any]] ?? []
    #expect(groups.count == 3)
    let roc = try String(contentsOf: out.appendingPathComponent("tables/engine-roc.csv"), encoding: .utf8)
      .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(roc[0] == ["attribute", "stratum", "group", "point", "threshold", "fpr", "tpr"])
    var expectedROC = 0
    for g in groups {
      let points = g["roc"] as? [[String: Any]] ?? []
      let name = g["group"] as? String ?? ""
      let rows = roc.dropFirst().filter { $0.count == 7 && $0[2] == (name.contains(",") || name.contains("\"") ? "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"" : name) }
      #expect(rows.count == points.count && !points.isEmpty, "\(name)")
      for (row, p) in zip(rows, points) {
        #expect(row[4] == ((p["threshold"] as? Double).map { "\($0)" } ?? "inf"))
        #expect(Double(row[5]) == p["fpr"] as? Double && Double(row[6]) == p["tpr"] as? Double)
      }
      expectedROC += points.count
    }
    #expect(roc.count == 1 + expectedROC)
    let cal = try String(contentsOf: out.appendingPathComponent("tables/engine-calibration.csv"), encoding: .utf8)
      .split(separator: "\n").map(String.init)
    #expect(cal[0] == "attribute,stratum,group,bin,lower,upper,n,mean_score,observed_rate,note")
    let bins = groups.flatMap { $0["reliability"] as? [[String: Any]] ?? [] }
    #expect(cal.count == 1 + bins.count && bins.count == 30)
    let empty = bins.filter { $0["n"] as? Int == 0 }.count
    #expect(empty >= 4, "group C's upper bins are empty")
    #expect(cal.dropFirst().filter { $0.hasSuffix(",0,,,undefined: empty bin") }.count == empty)
  }

  @Test func reportStatesTheSeedUsedWhenNoneIsSet() throws {
    // Neither the config nor --seed sets a seed: the steps run with 0, and report.json says so
    // (it used to say null), with the same results as an explicit --seed 0.
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let text = try String(contentsOfFile: course.config, encoding: .utf8)
    #expect(text.contains("seed: 3\n"))
    let unseeded = try CLI.write(text.replacingOccurrences(of: "seed: 3\n", with: ""), "unseeded.yaml", in: dir)
    let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
    let r1 = try CLI.run(["audit", "--config", unseeded, "--out", a.path])
    #expect(r1.status == 0, "\(r1.stderr)")
    let r2 = try CLI.run(["audit", "--config", unseeded, "--out", b.path, "--seed", "0"])
    #expect(r2.status == 0, "\(r2.stderr)")
    let json = try CLI.json(String(contentsOf: a.appendingPathComponent("report.json"), encoding: .utf8))
    #expect(json["seed"] as? Int == 0)
    for name in ["report.html", "report.json", "tables/engine-fairness.csv"] {
      let x = try Data(contentsOf: a.appendingPathComponent(name)), y = try Data(contentsOf: b.appendingPathComponent(name))
      #expect(x == y, "\(name) differs between no seed and --seed 0")
    }
    let html = try String(contentsOf: a.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("audit of 1 step(s), seed 0"))
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

  /// A path such as `../data/p.csv` in a configuration names the file as a user would (`<root>/data/p.csv`, not
  /// `<root>/conf/../data/p.csv`) in messages and report.json; through a folder that is a symbolic link the
  /// `..` is kept, since there it means the link target's parent.
  @Test func relativePathsClimbTheConfigFolder() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let conf = dir.appendingPathComponent("real/conf"), data = dir.appendingPathComponent("real/data")
    try FileManager.default.createDirectory(at: conf, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let course = try Self.smallCourse(in: data)
    let text = try String(contentsOfFile: course.config, encoding: .utf8)
      .replacingOccurrences(of: "predictions: predictions.csv", with: "predictions: ../data/predictions.csv")
    let config = try CLI.write(text, "audit.yaml", in: conf)
    let r = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("out").path, "--check"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains(data.path + "/predictions.csv") && !r.stdout.contains("conf/../"), "\(r.stdout)")
    let link = dir.appendingPathComponent("link")
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: conf.path)
    let viaLink = try CLI.run(["audit", "--config", link.path + "/audit.yaml", "--out", dir.appendingPathComponent("out2").path, "--check"])
    #expect(viaLink.status == 0, "\(viaLink.stderr)")
    #expect(viaLink.stdout.contains(link.path + "/../data/predictions.csv"), "\(viaLink.stdout)")
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
    #expect(r.stderr.contains("holds 'notes.txt', which the audit did not write") && r.stderr.contains("--force"))
    #expect(Self.files(in: out) == ["notes.txt"])
    let forced = try CLI.run(["audit", "--config", course.config, "--out", out.path, "--force"])
    #expect(forced.status == 0, "\(forced.stderr)")
    // --force writes the report beside the user's file and keeps it.
    #expect(Self.files(in: out) == ["notes.txt", "report.html", "report.json", "tables"])
    #expect(try String(contentsOf: out.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me")
  }

  /// The small course's configuration with its step renamed (the step names its tables), saved as `file`.
  static func config(step: String, from course: (predictions: String, config: String), as file: String, in dir: URL) throws -> String {
    let text = try String(contentsOfFile: course.config, encoding: .utf8)
    return try CLI.write(text.replacingOccurrences(of: "name: engine", with: "name: \(step)"), file, in: dir)
  }

  /// Every file below `dir` (relative paths, hidden ones included) with its bytes.
  static func snapshot(_ dir: URL) -> [String: Data] {
    var files: [String: Data] = [:]
    let base = dir.resolvingSymlinksInPath().path
    if let walk = FileManager.default.enumerator(atPath: base) {
      for case let path as String in walk {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDir), !isDir.boolValue {
          files[path] = FileManager.default.contents(atPath: base + "/" + path)
        } else if isDir.boolValue {
          files[path + "/"] = Data()
        }
      }
    }
    return files
  }

  @Test func aUsersFileInAPreviousReportStopsTheAuditWithoutForce() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let out = dir.appendingPathComponent("report")
    let first = try CLI.run(["audit", "--config", course.config, "--out", out.path])
    #expect(first.status == 0, "\(first.stderr)")
    for (name, folder) in [("my_notes.txt", out), ("mine.csv", out.appendingPathComponent("tables"))] {
      let path = try CLI.write("notes\n", name, in: folder)
      let before = Self.snapshot(out)
      let r = try CLI.run(["audit", "--config", course.config, "--out", out.path, "--seed", "4"])
      let shown = folder == out ? name : "tables/" + name
      #expect(r.status == 64, "\(r.stderr)")
      #expect(r.stderr.contains("--out '\(out.path)' holds '\(shown)', which the audit did not write"), "\(r.stderr)")
      #expect(r.stderr.contains("choose another folder, remove '\(shown)', or pass --force"), "\(r.stderr)")
      #expect(r.stdout.isEmpty)
      #expect(Self.snapshot(out) == before, "the folder was changed")
      #expect(Self.files(in: dir).allSatisfy { !$0.hasPrefix(".report") }, "\(Self.files(in: dir))")
      try FileManager.default.removeItem(atPath: path)
    }
    // A hidden file or a symbolic link is not the audit's either.
    try FileManager.default.createSymbolicLink(atPath: out.path + "/report.csv", withDestinationPath: course.predictions)
    let link = try CLI.run(["audit", "--config", course.config, "--out", out.path])
    #expect(link.status == 64 && link.stderr.contains("holds 'report.csv'"), "\(link.stderr)")
    #expect(FileManager.default.fileExists(atPath: course.predictions))
  }

  @Test func onlyTablesThePreviousReportListsAreItsOwn() throws {
    // A file named like a table the previous report's step did not write is the user's: the audit stops
    // (exit 64) instead of deleting or overwriting it, as for any other file it did not write.
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let out = dir.appendingPathComponent("report")
    #expect(try CLI.run(["audit", "--config", course.config, "--out", out.path]).status == 0)
    let mine = try CLI.write("mine\n", "engine-sweep.csv", in: out.appendingPathComponent("tables"))
    let r = try CLI.run(["audit", "--config", course.config, "--out", out.path])
    #expect(r.status == 64 && r.stderr.contains("holds 'tables/engine-sweep.csv'"), "\(r.stderr)")
    #expect(try String(contentsOfFile: mine, encoding: .utf8) == "mine\n")
    try FileManager.default.removeItem(atPath: mine)
    // A report written before steps listed their tables: its fairness step wrote only the fairness table,
    // so a user's engine-roc.csv beside it is kept too.
    let jsonPath = out.appendingPathComponent("report.json").path
    var json = try String(contentsOfFile: jsonPath, encoding: .utf8)
    let listed = try #require(json.range(of: #""tables": \{[^}]*\},\n\s*"#, options: .regularExpression))
    json.removeSubrange(listed)
    #expect(!json.contains("\"tables\": {"))
    try json.write(toFile: jsonPath, atomically: true, encoding: .utf8)
    for name in ["engine-roc.csv", "engine-calibration.csv"] {
      try FileManager.default.removeItem(at: out.appendingPathComponent("tables/\(name)"))
    }
    let roc = try CLI.write("mine\n", "engine-roc.csv", in: out.appendingPathComponent("tables"))
    let legacy = try CLI.run(["audit", "--config", course.config, "--out", out.path])
    #expect(legacy.status == 64 && legacy.stderr.contains("holds 'tables/engine-roc.csv'"), "\(legacy.stderr)")
    #expect(try String(contentsOfFile: roc, encoding: .utf8) == "mine\n")
    // Without the user's file, the legacy report and its fairness table are replaced as before.
    try FileManager.default.removeItem(atPath: roc)
    let again = try CLI.run(["audit", "--config", course.config, "--out", out.path])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(Self.files(in: out.appendingPathComponent("tables")) == ["engine-calibration.csv", "engine-fairness.csv", "engine-roc.csv"])
  }

  @Test func aPreviousReportIsReplacedWholeWithoutForce() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let out = dir.appendingPathComponent("report")
    // A step name that JSON escapes, and one that is renamed: the old step's table goes with the old report.
    let odd = try Self.config(step: #""eng \"ine\" é/1""#, from: course, as: "odd.yaml", in: dir)
    let renamed = try Self.config(step: "engine-2", from: course, as: "renamed.yaml", in: dir)
    let written = { (stem: String) in ["calibration", "fairness", "roc"].map { "\(stem)-\($0).csv" } }
    for (config, tables) in [(course.config, written("engine")), (odd, written("eng__ine__é_1")),
                             (odd, written("eng__ine__é_1")), (renamed, written("engine-2"))] {
      let r = try CLI.run(["audit", "--config", config, "--out", out.path])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(Self.files(in: out) == ["report.html", "report.json", "tables"])
      #expect(Self.files(in: out.appendingPathComponent("tables")) == tables)
      #expect(Self.files(in: dir).filter { $0.hasPrefix(".") }.isEmpty, "left beside: \(Self.files(in: dir))")
    }
  }

  /// 30 students with two features and a logistic model of them (`students.csv`, `model.json`), for
  /// fast explain steps.
  static func smallExplainCourse(in dir: URL) throws {
    var csv = "id,a,b\n"
    for i in 0..<30 { csv += "\(i + 1),\(Double((i * 37) % 100) / 25 - 2),\(Double((i * 53) % 100) / 25 - 2)\n" }
    _ = try CLI.write(csv, "students.csv", in: dir)
    _ = try CLI.write(
      #"{"type":"logistic","features":["a","b"],"coefficients":[[0.5,-0.3]],"intercept":[0.1],"classes":["no","yes"]}"#,
      "model.json", in: dir)
  }

  /// Step names that make one file name (`why<`/`why>`, names in other scripts, names that differ only
  /// in case) get distinct tables, numbered in step order; report.json names each step's tables, and
  /// the folder is recognised as the audit's own on the next run.
  @Test func stepNamesThatMakeOneFileNameGetDistinctTables() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.smallExplainCourse(in: dir)
    let names = ["why<", "why>", "原因", "解释", "Why<"]
    var body = "steps:\n"
    for (i, name) in names.enumerated() {
      body += "  - explain: {name: \"\(name)\", features: students.csv, id: id, model: model.json, all: true, num-samples: 50, class: \(i % 2)}\n"
    }
    let config = try CLI.write(body, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("out")
    let stems = ["why_", "why_-2", "原因", "解释", "Why_-3"]
    let expected = stems.flatMap { ["\($0)-explanations.csv", "\($0)-summary.csv", "\($0)-features.csv"] }.sorted()
    for run in 0..<2 {  // the second run replaces the first one's report, tables included
      let r = try CLI.run(["audit", "--config", config, "--out", out.path, "--seed", String(run)])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(Self.files(in: out) == ["report.html", "report.json", "tables"])
      #expect(Self.files(in: out.appendingPathComponent("tables")) == expected)
      let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
      #expect(json["seed"] as? Int == run)
      let steps = json["steps"] as? [[String: Any]] ?? []
      #expect(steps.map { $0["name"] as? String } == names)
      for (step, stem) in zip(steps, stems) {
        let tables = step["tables"] as? [String: String] ?? [:]
        #expect(tables == [
          "explanations": "tables/\(stem)-explanations.csv", "summary": "tables/\(stem)-summary.csv",
          "features": "tables/\(stem)-features.csv",
        ], "\(step)")
      }
    }
    // Each step's own table: class 0 ('no') for why<, class 1 ('yes') for why>.
    let first = try String(contentsOf: out.appendingPathComponent("tables/why_-summary.csv"), encoding: .utf8)
    let second = try String(contentsOf: out.appendingPathComponent("tables/why_-2-summary.csv"), encoding: .utf8)
    #expect(first != second)
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    let classes = (json["steps"] as? [[String: Any]] ?? []).map { (($0["result"] as? [String: Any])?["parameters"] as? [String: Any])?["class"] as? Int }
    #expect(classes == [0, 1, 0, 1, 0])
  }

  /// Two step names with one slug (`pm<`, `pm>`) get distinct section ids, and each step's verdicts
  /// link to its own section, not to the first step's.
  @Test func verdictLinksPointAtTheirOwnStepWhenNamesShareASlug() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var body = "steps:\n"
    for name in ["pm<", "pm>"] {
      body += "  - fairness: {name: \"\(name)\", predictions: \(CLI.fixture("flipped-classroom/pass_model_predictions.csv")), "
        + "groups: \(CLI.fixture("flipped-classroom/aggregated_fc.csv")), id: user, label: pass, positive: \"1\", "
        + "prediction: predicted_pass, by: [gender], bootstrap: 20, permutations: 0}\n"
    }
    let config = try CLI.write(body, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("<section id=\"step-pm\"") && html.contains("<section id=\"step-pm-2\""))
    let first = html.components(separatedBy: "href=\"#step-pm-gender\"").count - 1
    let second = html.components(separatedBy: "href=\"#step-pm-2-gender\"").count - 1
    #expect(first > 1 && first == second, "links: \(first) / \(second)")
  }

  /// `model-command:` runs in the configuration's folder, like every path there is relative to it: a
  /// worker script and its model file beside the configuration are found from another working directory.
  @Test func modelCommandRunsInTheConfigurationsFolder() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = dir.appendingPathComponent("course")
    try FileManager.default.createDirectory(at: course, withIntermediateDirectories: true)
    try Self.smallExplainCourse(in: course)
    try FileManager.default.copyItem(
      at: CLI.root.appendingPathComponent("Examples/engines/model_worker.py"), to: course.appendingPathComponent("model_worker.py"))
    let config = try CLI.write(
      """
      steps:
        - explain:
            name: built-in
            features: students.csv
            id: id
            model: model.json
            student: "1,2,3"
            num-samples: 50
        - explain:
            name: worker
            features: students.csv
            id: id
            model-command: "python3 model_worker.py model.json"
            student: "1,2,3"
            num-samples: 50
      """, "audit.yaml", in: course)
    let out = dir.appendingPathComponent("out")
    // The tests run in the package's folder, not in the configuration's.
    let check = try CLI.run(["audit", "--config", config, "--out", out.path, "--check"])
    #expect(check.status == 0, "\(check.stderr)")
    let lines = check.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 5, "\(check.stdout)")
    #expect(lines.count == 5 && lines[2].hasPrefix("  worker: cohortlens explain") && lines[2].contains("--model-command 'python3 model_worker.py model.json'"))
    #expect(lines.count == 5 && lines[3] == "    (the model worker starts in the configuration's folder \(course.path))")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    let results = (json["steps"] as? [[String: Any]] ?? []).map { $0["result"] as? [String: Any] ?? [:] }
    #expect(results.count == 2)
    let probabilities = results.map { ($0["explanations"] as? [[String: Any]] ?? []).map { $0["probability"] as? Double ?? -1 } }
    // The worker serves the same logistic model as the built-in step: the same probabilities.
    #expect(probabilities[0].count == 3 && probabilities[0].allSatisfy { $0 > 0 && $0 < 1 })
    #expect(probabilities[1].count == 3 && zip(probabilities[1], probabilities[0]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(probabilities)")
    #expect((results[1]["parameters"] as? [String: Any])?["model_command_directory"] as? String == course.path)
  }

  @Test func forceWritesIntoTheFolderAndKeepsTheUsersFiles() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let out = dir.appendingPathComponent("report")
    #expect(try CLI.run(["audit", "--config", course.config, "--out", out.path]).status == 0)
    _ = try CLI.write("my notes\n", "my_notes.txt", in: out)
    _ = try CLI.write("a,b\n1,2\n", "mine.csv", in: out.appendingPathComponent("tables"))
    _ = try CLI.write("hidden\n", ".settings", in: out)
    let renamed = try Self.config(step: "engine-2", from: course, as: "renamed.yaml", in: dir)
    let r = try CLI.run(["audit", "--config", renamed, "--out", out.path, "--seed", "4", "--force"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.files(in: out) == [".settings", "my_notes.txt", "report.html", "report.json", "tables"])
    // The previous report's table is gone (the audit wrote it), the user's is kept.
    #expect(Self.files(in: out.appendingPathComponent("tables"))
      == ["engine-2-calibration.csv", "engine-2-fairness.csv", "engine-2-roc.csv", "mine.csv"])
    #expect(try String(contentsOf: out.appendingPathComponent("my_notes.txt"), encoding: .utf8) == "my notes\n")
    #expect(try String(contentsOf: out.appendingPathComponent("tables/mine.csv"), encoding: .utf8) == "a,b\n1,2\n")
    #expect(try String(contentsOf: out.appendingPathComponent(".settings"), encoding: .utf8) == "hidden\n")
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    #expect(json["seed"] as? Int == 4)
    #expect(Self.files(in: dir).filter { $0.hasPrefix(".") }.isEmpty, "left beside: \(Self.files(in: dir))")
    // Still refused without --force, and --force again keeps them.
    let again = try CLI.run(["audit", "--config", renamed, "--out", out.path])
    #expect(again.status == 64 && again.stderr.contains("holds '.settings' (and 2 more)"), "\(again.stderr)")
    let forced = try CLI.run(["audit", "--config", renamed, "--out", out.path, "--force"])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(Self.files(in: out.appendingPathComponent("tables"))
      == ["engine-2-calibration.csv", "engine-2-fairness.csv", "engine-2-roc.csv", "mine.csv"])
  }

  @Test func evenForceNeverOverwritesAUsersFileAtOneOfTheReportsNames() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let cases: [(String, (URL) throws -> Void)] = [
      ("report.html", { _ = try CLI.write("<p>my page</p>\n", "report.html", in: $0) }),
      ("report.json", { _ = try CLI.write("{\"mine\": true}\n", "report.json", in: $0) }),
      ("tables", { _ = try CLI.write("not a folder\n", "tables", in: $0) }),
      ("tables/engine-fairness.csv", {
        try FileManager.default.createDirectory(at: $0.appendingPathComponent("tables"), withIntermediateDirectories: true)
        _ = try CLI.write("x\n", "engine-fairness.csv", in: $0.appendingPathComponent("tables"))
      }),
    ]
    for (i, (name, make)) in cases.enumerated() {
      let out = dir.appendingPathComponent("out\(i)")
      try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
      try make(out)
      let before = Self.snapshot(out)
      for force in [false, true] {
        let r = try CLI.run(["audit", "--config", course.config, "--out", out.path] + (force ? ["--force"] : []))
        #expect(r.status == 64, "\(name) \(force): \(r.stderr)")
        #expect(r.stderr.contains("holds '\(name)', which the audit did not write and whose name the report uses"), "\(r.stderr)")
        #expect(r.stderr.contains("move '\(name)' away, or choose another folder"), "\(r.stderr)")
        #expect(Self.snapshot(out) == before, "\(name) \(force): the folder was changed")
      }
    }
  }

  @Test func aSymbolicLinkOutIsFollowedAndKept() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let real = dir.appendingPathComponent("real"), link = dir.appendingPathComponent("link")
    try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "real")
    for (args, seed) in [([String](), 3), (["--seed", "5"], 5)] {  // into the empty folder, then over its report
      let r = try CLI.run(["audit", "--config", course.config, "--out", link.path + "/"] + args)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "real")
      let json = try CLI.json(String(contentsOf: real.appendingPathComponent("report.json"), encoding: .utf8))
      #expect(json["seed"] as? Int == seed)
    }
    // The linked folder's other files are the user's: refused, then kept with --force.
    _ = try CLI.write("keep\n", "user.txt", in: real)
    let r = try CLI.run(["audit", "--config", course.config, "--out", link.path])
    #expect(r.status == 64 && r.stderr.contains("holds 'user.txt'"), "\(r.stderr)")
    let forced = try CLI.run(["audit", "--config", course.config, "--out", link.path, "--force"])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(Self.files(in: real) == ["report.html", "report.json", "tables", "user.txt"])
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "real")
    #expect(Self.files(in: dir).filter { $0.hasPrefix(".") }.isEmpty, "left beside: \(Self.files(in: dir))")
    // A link to nothing is refused and left as it is.
    let dangling = dir.appendingPathComponent("dangling")
    try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "nowhere")
    let d = try CLI.run(["audit", "--config", course.config, "--out", dangling.path, "--force"])
    #expect(d.status == 64 && d.stderr.contains("is a symbolic link to nothing"), "\(d.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dangling.path) == "nowhere")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("nowhere").path))
  }

  @Test func aFileOutIsRefusedAndLeftAsItIs() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let file = try CLI.write("my data\n", "results", in: dir)
    for force in [false, true] {
      let r = try CLI.run(["audit", "--config", course.config, "--out", file] + (force ? ["--force"] : []))
      #expect(r.status == 64, "\(r.stderr)")
      #expect(r.stderr.contains("--out '\(file)' is a file, not a folder; choose a folder for the report"), "\(r.stderr)")
      #expect(try String(contentsOfFile: file, encoding: .utf8) == "my data\n")
    }
    let dot = try CLI.run(["audit", "--config", course.config, "--out", ".", "--force", "--check"])
    #expect(dot.status == 64 && dot.stderr.contains("names no folder the report can be written as"), "\(dot.stderr)")
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
    #expect(r.stdout.contains("group, every week: 6 UNDEFINED (the worst of 4 weeks; per week: 24 UNDEFINED)"), "\(r.stdout)")
    let tallies = Self.consoleTallies(r.stdout)
    #expect(tallies.lines == tallies.total && tallies.total == ["UNDEFINED": 12, "INCONCLUSIVE": 6], "\(r.stdout)")
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

  /// Every audit-only setting (`profile:`, `clusters:`, `show:`) and the files it names are checked with
  /// the configuration: `--check` refuses them, with the setting's `file:line:column`, and no step runs.
  @Test(arguments: [
    ("steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      all: true\n      clusters: nope\n",
     ["audit.yaml:7:17: step 'explain' (explain): 'clusters: nope' names no earlier cluster step: no step is named 'nope'"]),
    ("steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      all: true\n      show: -3\n",
     ["audit.yaml:7:13: step 'explain' (explain): show must be 0 or more, got -3"]),
    ("steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      all: true\n      show: lots\n",
     ["audit.yaml:7:13: step 'explain' (explain): show must be a whole number, got 'lots'"]),
    ("steps:\n  - cluster:\n      features: students.csv\n      id: id\n      k: 2\n      profile:\n        table: missing-file.csv\n        id: id\n",
     ["audit.yaml:7:16: step 'cluster' (cluster): profile.table '", "missing-file.csv' cannot be read (No such file or directory)"]),
    ("steps:\n  - cluster:\n      features: students.csv\n      id: id\n      k: 2\n      profile:\n        table: students.csv\n        id: id\n        outcome: a\n        positive: \">=x\"\n",
     ["audit.yaml:10:19: step 'cluster' (cluster): profile.positive '>=x': 'x' after '>=' is not a number"]),
    ("steps:\n  - cluster:\n      features: students.csv\n      id: id\n      k: 2\n      profile:\n        table: students.csv\n        id: id\n        positive: \"1\"\n",
     ["audit.yaml:9:19: step 'cluster' (cluster): profile.positive needs 'outcome'"]),
    ("steps:\n  - cluster:\n      features: students.csv\n      id: id\n      k: 2\n      profile:\n        table: students.csv\n        id: id\n        outcom: a\n",
     ["audit.yaml:9:9: step 'cluster' (cluster): unknown profile setting 'outcom'"]),
    ("steps:\n  - fairness:\n      predictions: predictions.csv\n      id: id\n      label: truth\n      positive: \"1\"\n      score: score\n      threshold: 0.5\n      by: group\n      clusters: kinds\n  - cluster:\n      name: kinds\n      features: students.csv\n      id: id\n      k: 2\n",
     ["audit.yaml:10:17: step 'fairness' (fairness): 'clusters: kinds' names no earlier cluster step: 'kinds' runs after this step (line 11)",
      "move the cluster step 'kinds' before this one"]),
    ("steps:\n  - explain:\n      name: why\n      features: students.csv\n      id: id\n      model: model.json\n      all: true\n  - fairness:\n      predictions: predictions.csv\n      id: id\n      label: truth\n      positive: \"1\"\n      score: score\n      threshold: 0.5\n      by: group\n      clusters: why\n",
     ["audit.yaml:16:17: step 'fairness' (fairness): 'clusters: why' names no earlier cluster step: 'why' is an explain step"]),
    ("steps:\n  - cluster:\n      name: kinds\n      features: students.csv\n      id: id\n      k: 2\n  - fairness:\n      predictions: predictions.csv\n      label: truth\n      positive: \"1\"\n      score: score\n      threshold: 0.5\n      by: group\n      clusters: kinds\n",
     ["audit.yaml:14:17: step 'fairness' (fairness): 'clusters' needs the learner id of every row, and the step sets no 'id:'"]),
    ("steps:\n  - cluster:\n      name: \"\"\n      features: students.csv\n      id: id\n      k: 2\n",
     ["audit.yaml:3:13: a step's name must not be empty"]),
  ])
  func auditSettingsAreCheckedBeforeAnyWork(body: String, fragments: [String]) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try Self.smallCourse(in: dir)
    try Self.smallExplainCourse(in: dir)
    let config = try CLI.write(body, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("out")
    for check in [true, false] {
      let r = try CLI.run(["audit", "--config", config, "--out", out.path] + (check ? ["--check"] : []))
      #expect(r.status == 64, "\(r.stderr)")
      for f in fragments { #expect(r.stderr.contains(f), "missing '\(f)' in: \(r.stderr)") }
      // Refused with the configuration: no step ran.
      #expect(!r.stderr.contains("audit step"), "\(r.stderr)")
      #expect(r.stdout.isEmpty)
      #expect(!FileManager.default.fileExists(atPath: out.path))
    }
  }

  /// A flag takes the YAML 1.2 booleans (true/True/TRUE, false/False/FALSE, or nothing); anything else is
  /// refused at the flag's own key, naming it and the accepted values.
  @Test(arguments: [
    ("True", "--all"), ("TRUE", "--all"), ("true", "--all"), ("false\n      student: \"1\"", "--student 1"),
    ("False\n      student: \"1\"", "--student 1"), ("FALSE\n      student: \"1\"", "--student 1"),
    ("\n      student: \"1\"", "--student 1"),
  ])
  func flagsTakeYAMLBooleans(value: String, listed: String) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.smallExplainCourse(in: dir)
    let config = try CLI.write(
      "steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      all: \(value)\n",
      "audit.yaml", in: dir)
    let r = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("out").path, "--check"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains(" --model \(dir.path)/model.json \(listed)\n"), "\(r.stdout)")
  }

  @Test(arguments: [("yes", "'yes'"), ("no", "'no'"), ("on", "'on'"), ("1", "'1'"), ("\"true\"", "the quoted text \"true\""),
                    ("[true]", "a list")])
  func aFlagWithAnotherValueIsRefusedAtItsKey(value: String, shown: String) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.smallExplainCourse(in: dir)
    let config = try CLI.write(
      "steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      num-samples: 50\n      all: \(value)\n",
      "audit.yaml", in: dir)
    let r = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("out").path, "--check"])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains("audit.yaml:7:7: step 'explain' (explain): 'all' is a flag and takes true or false, got \(shown); "
      + "write 'all: true' (or True, TRUE) to set it, 'all: false' (or False, FALSE, or nothing) to leave it out"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
  }

  /// Errors of a step's own parser point at the option they are about; an option that takes a value
  /// takes any text, `true` and values starting with '-' included.
  @Test func stepArgumentErrorsPointAtTheirKey() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try Self.smallCourse(in: dir)
    try Self.smallExplainCourse(in: dir)
    let cases: [(String, String)] = [
      // A value the option's parser refuses: at that option.
      ("steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      all: true\n      num-samples: lots\n",
       "audit.yaml:7:7: step 'explain' (explain): The value 'lots' is invalid for '--num-samples <num-samples>'"),
      // An option missing from the step: at the step.
      ("steps:\n  - explain:\n      features: students.csv\n      model: model.json\n      all: true\n",
       "audit.yaml:2:5: step 'explain' (explain): Missing expected argument '--id <column>'"),
      // Two options that exclude each other: at the first of them.
      ("steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      student: \"1\"\n      all: true\n",
       "audit.yaml:6:7: step 'explain' (explain): give exactly one of --student ID[,ID…] and --all"),
    ]
    for (body, message) in cases {
      let config = try CLI.write(body, "audit.yaml", in: dir)
      let r = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("out").path, "--check"])
      #expect(r.status == 64, "\(r.stderr)")
      #expect(r.stderr.contains(message), "\(r.stderr)")
    }
    // `true` is the text of an option that takes a value; a value starting with '-' is that option's value.
    var csv = "id,truth,score,group\n"
    for i in 0..<40 { csv += "s\(i),\(i % 3 == 0 ? "true" : "false"),\(Double(i % 7) - 3),\(i % 2 == 0 ? "A" : "B")\n" }
    _ = try CLI.write(csv, "signed.csv", in: dir)
    let config = try CLI.write(
      "steps:\n  - fairness:\n      predictions: signed.csv\n      label: truth\n      positive: true\n      score: score\n      threshold: -0.5\n      by: group\n      bootstrap: 0\n      permutations: 0\n",
      "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("out")
    let check = try CLI.run(["audit", "--config", config, "--out", out.path, "--check"])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.stdout.contains("--label truth --positive true --score score --threshold=-0.5 --by group"), "\(check.stdout)")
    let r = try CLI.run(["audit", "--config", config, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try CLI.json(String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8))
    let result = (json["steps"] as? [[String: Any]])?.first?["result"] as? [String: Any]
    let parameters = result?["parameters"] as? [String: Any]
    #expect(parameters?["threshold_value"] as? Double == -0.5, "\(parameters ?? [:])")
    #expect(parameters?["positive"] as? String == "true", "\(parameters ?? [:])")
  }

  /// `labels-out` would write a file outside the report: refused like `output`, at its key.
  @Test func labelsOutIsRefusedInAClusterStep() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.smallExplainCourse(in: dir)
    let config = try CLI.write(
      "steps:\n  - cluster:\n      features: students.csv\n      id: id\n      k: 2\n      labels-out: labels.csv\n",
      "audit.yaml", in: dir)
    for check in [true, false] {
      let r = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("out").path] + (check ? ["--check"] : []))
      #expect(r.status == 64, "\(r.stderr)")
      #expect(r.stderr.contains("audit.yaml:6:7: step 'cluster' (cluster): 'labels-out' is set by the audit itself; remove it"), "\(r.stderr)")
      #expect(r.stderr.contains("tables/<step>-labels.csv"), "\(r.stderr)")
      #expect(Self.files(in: dir) == ["audit.yaml", "model.json", "students.csv"])
    }
  }

  /// An --out the report cannot be created at (its parent missing or a file, a name too long) is refused before any
  /// work, with the exit code of an output that cannot be created (73).
  @Test func anOutThatCannotBeCreatedIsRefusedBeforeAnyWork() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try Self.smallCourse(in: dir)
    let file = try CLI.write("my data\n", "results", in: dir)
    let cases = [
      (dir.path + "/nope/deeper/x", "cannot create the report folder: '\(dir.path)/nope/deeper' does not exist; create it first"),
      (file + "/x", "cannot create the report folder: '\(file)' is not a folder"),
      // A name longer than the file system allows used to fail only when the finished report was moved into place.
      (dir.path + "/" + String(repeating: "r", count: 256),
       "cannot create the report folder: its name is 256 bytes long, more than the 255 bytes a file name may have in '\(dir.path)'; choose a shorter name"),
    ]
    for (out, message) in cases {
      for check in [true, false] {
        let r = try CLI.run(["audit", "--config", course.config, "--out", out] + (check ? ["--check"] : []))
        #expect(r.status == 73, "\(r.stderr)")
        #expect(r.stderr.contains("\(out): \(message)"), "\(r.stderr)")
        #expect(!r.stderr.contains("audit step"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
      }
    }
    #expect(Self.files(in: dir) == ["audit.yaml", "predictions.csv", "results"])
    #expect(try String(contentsOfFile: file, encoding: .utf8) == "my data\n")
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
