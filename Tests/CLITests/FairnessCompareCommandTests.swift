import Foundation
import Testing

/// `cohortlens fairness --compare largest|GROUP`: per-group comparisons in every format, determinism,
/// and `--fail-on` gating on a group's own verdict.
@Suite("cohortlens fairness --compare")
struct FairnessCompareCommandTests {
  static let oulad: [String] = [
    "fairness", "--predictions", CLI.fixture("oulad/early_warning_predictions.csv"),
    "--groups", CLI.fixture("oulad/studentInfo.csv"), "--join", "row", "--label", "at_risk", "--positive", "1",
    "--prediction", "predicted", "--by", "age_band", "--bootstrap", "200",
  ]

  static func criteria(_ j: [String: Any]) -> [[String: Any]] {
    ((j["audits"] as? [[String: Any]])?.first?["criteria"] as? [[String: Any]]) ?? []
  }

  /// The criterion row of equalized_odds_mean is the worst group's own mean (55<= here: 0.015499…, 1.130831…),
  /// and its legend says so; between groups the legend is fairlearn's agg='mean'.
  @Test func equalizedOddsMeanRowIsAGroupsComparison() throws {
    let r = try CLI.run(Self.oulad + ["--compare", "largest", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let mean = Self.criteria(try CLI.json(r.stdout)).first { $0["name"] as? String == "equalized_odds_mean" } ?? [:]
    let group = (mean["comparisons"] as? [[String: Any]] ?? []).first { $0["group"] as? String == "55<=" } ?? [:]
    #expect(mean["worst_pair"] as? [String] == ["55<=", "0-35"])
    for key in ["difference", "ratio"] {
      let a = (mean[key] as? NSNumber)?.doubleValue, b = (group[key] as? NSNumber)?.doubleValue
      #expect(a != nil && a == b, "\(key)")
    }
    #expect(abs(((mean["ratio"] as? NSNumber)?.doubleValue ?? 0) - 1.1308314151693468) < 1e-12)
    let table = try CLI.run(Self.oulad + ["--compare", "largest"])
    #expect(table.stdout.contains("equalized_odds_mean: per group, the mean of its TPR and FPR comparisons with the reference; the row is the worst group"))
    let between = try CLI.run(Self.oulad)
    #expect(between.stdout.contains("equalized_odds_mean: mean of the TPR and FPR statistics (fairlearn agg='mean')"))
  }

  /// A reference group whose name starts with '-' (a numeric code such as `-1`) is given as written:
  /// `--compare -1` names the group, as `--compare=-1` does (it used to stop with "Missing value").
  @Test func aReferenceNamedLikeANegativeNumberIsAccepted() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,g,y,p\n"
    for i in 0..<40 { csv += "s\(i),\(i % 2 == 0 ? "-1" : "3"),\(i % 3 == 0 ? 1 : 0),\(i % 4 == 0 ? 1 : 0)\n" }
    let path = try CLI.write(csv, "codes.csv", in: dir)
    let base = ["fairness", "--predictions", path, "--label", "y", "--positive", "1", "--prediction", "p", "--by", "g",
                "--bootstrap", "0", "--format", "json"]
    let spaced = try CLI.run(base + ["--compare", "-1"])
    #expect(spaced.status == 0, "\(spaced.stderr)")
    let joined = try CLI.run(base + ["--compare=-1"])
    #expect(joined.status == 0, "\(joined.stderr)")
    let audit = (try CLI.json(spaced.stdout)["audits"] as? [[String: Any]])?.first ?? [:]
    #expect(audit["reference"] as? String == "-1")
    #expect(spaced.stdout == joined.stdout)
  }

  @Test func jsonHasOneComparisonPerGroupAndCriterion() throws {
    let r = try CLI.run(Self.oulad + ["--compare", "largest", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    let audit = (j["audits"] as? [[String: Any]])?.first ?? [:]
    #expect(audit["reference"] as? String == "0-35")
    let crit = Self.criteria(j)
    #expect(crit.count == 6)
    for c in crit {
      let comparisons = c["comparisons"] as? [[String: Any]] ?? []
      #expect(comparisons.map { $0["group"] as? String } == ["35-55", "55<="], "\(c["name"] ?? "")")
      for x in comparisons {
        #expect(x["reference"] as? String == "0-35")
        let rates = x["rates"] as? [String: [String: Any]] ?? [:]
        #expect(Set(rates.keys) == Set(c["metrics"] as? [String] ?? []))
        for (_, v) in rates {
          let g = v["group"] as? Double, ref = v["reference"] as? Double, d = v["difference"] as? Double
          #expect(g != nil && ref != nil && d != nil)
          if let g, let ref, let d { #expect(abs(d - (g - ref)) < 1e-15) }
          if let g, let ref, let ratio = v["ratio"] as? Double { #expect(abs(ratio - g / ref) < 1e-15) }
        }
        #expect((x["ci"] as? [String: Any])?["ratio"] as? [Double] != nil)
        #expect(["PASS", "FAIL", "INCONCLUSIVE"].contains(x["verdict"] as? String ?? ""))
        #expect(x["undefined"] is NSNull)
      }
    }
    // A named reference: the other groups are compared with it.
    let named = try CLI.run(Self.oulad + ["--compare", "55<=", "--format", "json"])
    let crit2 = Self.criteria(try CLI.json(named.stdout))
    #expect((crit2[0]["comparisons"] as? [[String: Any]])?.map { $0["group"] as? String } == ["0-35", "35-55"])
    // between-groups output is unchanged: no comparisons field.
    let between = try CLI.run(Self.oulad + ["--format", "json"])
    #expect(Self.criteria(try CLI.json(between.stdout)).allSatisfy { $0["comparisons"] == nil })
  }

  @Test func tableCSVAndMarkdownShowTheRowsDeterministically() throws {
    let table = try CLI.run(Self.oulad + ["--compare", "largest", "--seed", "3"])
    #expect(table.status == 0, "\(table.stderr)")
    #expect(table.stdout.contains("age_band — per group vs reference '0-35'"))
    #expect(table.stdout.contains("equalized_odds · tpr"))
    #expect(table.stdout.contains("predictive_value_parity (worst)"))
    #expect(!table.stdout.contains("\u{1B}["))  // not a terminal: no colour
    let again = try CLI.run(Self.oulad + ["--compare", "largest", "--seed", "3"])
    #expect(again.stdout == table.stdout)
    let json1 = try CLI.run(Self.oulad + ["--compare", "largest", "--seed", "3", "--format", "json"])
    let json2 = try CLI.run(Self.oulad + ["--compare", "largest", "--seed", "3", "--format", "json"])
    #expect(json1.stdout == json2.stdout)
    let csv = try CLI.run(Self.oulad + ["--compare", "largest", "--format", "csv"])
    let rows = csv.stdout.split(separator: "\n").filter { $0.contains(",comparison,") }
    // 2 groups × (6 criteria × 2 statistics + 9 (criterion, rate) pairs × 4 values).
    #expect(rows.count == 2 * (12 + 36))
    #expect(rows.contains { $0.hasPrefix("age_band,,55<=,0-35,comparison,demographic_parity.ratio,") })
    #expect(rows.contains { $0.contains(",comparison,equalized_odds.fpr.reference,") })
    let md = try CLI.run(Self.oulad + ["--compare", "largest", "--format", "markdown"])
    #expect(md.stdout.contains("| 55<= | demographic_parity |"))
  }

  @Test func failOnCountsAGroupsFailUnderAnInconclusiveCriterion() throws {
    // Perfect predictions; selection rates A 0.5 (reference), B 0.3, F 0.83: both groups FAIL on their own,
    // but the worst comparison flips between B and F across replicates, so the criterion is INCONCLUSIVE;
    // no criterion-level verdict is FAIL.
    var lines = ["id,g,truth,predicted"]
    var id = 0
    for (g, pos, n) in [("A", 2500, 5000), ("B", 1500, 5000), ("F", 4150, 5000)] {
      for k in 0..<n {
        let t = k < pos ? 1 : 0
        lines.append("\(id),\(g),\(t),\(t)")
        id += 1
      }
    }
    let dir = try CLI.temporaryDirectory()
    let path = try CLI.write(lines.joined(separator: "\n") + "\n", "flip.csv", in: dir)
    let base = ["fairness", "--predictions", path, "--label", "truth", "--positive", "1", "--prediction", "predicted",
                "--by", "g", "--compare", "largest", "--bootstrap", "300"]
    let out = dir.appendingPathComponent("flip.json").path
    let r = try CLI.run(base + ["--fail-on", "fail", "--format", "json", "--output", out])
    #expect(r.status == 3, "\(r.stderr)")
    let crit = Self.criteria(try CLI.json(try String(contentsOfFile: out, encoding: .utf8)))
    #expect(!crit.contains { $0["verdict"] as? String == "FAIL" })
    #expect(crit[0]["verdict"] as? String == "INCONCLUSIVE")
    #expect((crit[0]["comparisons"] as? [[String: Any]])?.map { $0["verdict"] as? String } == ["FAIL", "FAIL"])
    // FPR is 0 in every group (perfect predictions): the FPR ratio is 0/0 and left out, as fairlearn does;
    // equalized odds is the TPR ratio (1) alone, and the note says so.
    let eo = (crit[1]["comparisons"] as? [[String: Any]])?.first ?? [:]
    #expect(eo["verdict"] as? String == "PASS")
    #expect(eo["ratio"] as? Double == 1)
    #expect(eo["undefined"] is NSNull)
    #expect((eo["note"] as? String)?.hasPrefix("fpr is 0 for group 'B' and the reference group 'A' (ratio 0/0 undefined); the ratio is the tpr ratio alone") == true, "\(eo)")
    #expect(crit[1]["ratio"] as? Double == 1)
    #expect((crit[1]["reason"] as? String)?.hasPrefix("fpr is 0 in every group (ratio 0/0 undefined)") == true)
    // Without the gate the command succeeds.
    #expect(try CLI.run(base).status == 0)
  }

  @Test func auditReportShowsThePerGroupTableOnlyWithAReference() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    func config(_ compare: String?) throws -> String {
      try CLI.write("""
        title: "per-group"
        seed: 1
        steps:
          - fairness:
              name: engine
              predictions: \(CLI.fixture("oulad/early_warning_predictions.csv"))
              groups: \(CLI.fixture("oulad/studentInfo.csv"))
              join: row
              label: at_risk
              positive: "1"
              prediction: predicted
              by: age_band
              bootstrap: 100
        \(compare.map { "      compare: \"\($0)\"" } ?? "")
        """, "audit-\(compare ?? "between").yaml", in: dir)
    }
    let out = dir.appendingPathComponent("largest")
    let r = try CLI.run(["audit", "--config", try config("largest"), "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("Each group against the reference &#39;0-35&#39;") || html.contains("Each group against the reference '0-35'"))
    let csv = try String(contentsOf: out.appendingPathComponent("tables/engine-fairness.csv"), encoding: .utf8)
    #expect(csv.contains("55<=,0-35,comparison,demographic_parity.ratio,"))
    let plain = dir.appendingPathComponent("between")
    #expect(try CLI.run(["audit", "--config", try config(nil), "--out", plain.path]).status == 0)
    let html2 = try String(contentsOf: plain.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(!html2.contains("Each group against the reference"))
  }

  @Test func anIntersectionGroupCanBeTheReference() throws {
    let base = ["fairness", "--predictions", CLI.fixture("oulad/early_warning_predictions.csv"),
                "--groups", CLI.fixture("oulad/studentInfo.csv"), "--join", "row", "--label", "at_risk", "--positive", "1",
                "--prediction", "predicted", "--by", "gender,age_band", "--intersect", "--bootstrap", "50", "--format", "json"]
    let r = try CLI.run(base + ["--compare", "M & 0-35"])
    #expect(r.status == 0, "\(r.stderr)")
    let audits = try CLI.json(r.stdout)["audits"] as? [[String: Any]] ?? []
    #expect(audits.map { $0["reference"] as? String } == ["M", "0-35", "M & 0-35"])
    #expect((audits[0]["notices"] as? [String])?.contains { $0.contains("reference group 'M & 0-35' does not occur") } == true)
    let crit = audits[2]["criteria"] as? [[String: Any]] ?? []
    #expect((crit.first?["comparisons"] as? [[String: Any]])?.count == 5)
    let bad = try CLI.run(base + ["--compare", "M & 99+"])
    #expect(bad.status == 64)
    #expect(bad.stderr.contains("nor an intersection group"))
  }
}
