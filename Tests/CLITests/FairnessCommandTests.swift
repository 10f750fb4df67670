import Foundation
import Fairness
import Testing

/// `cohortlens fairness` end to end: the lecture 12 audit, formats, determinism, gating, bad input.
@Suite("cohortlens fairness")
struct FairnessCommandTests {
  static let lecture: [String] = [
    "fairness", "--predictions", CLI.fixture("flipped-classroom/model_predictions.csv"),
    "--groups", CLI.fixture("flipped-classroom/demographics.csv"), "--join", "row",
    "--label", "demographics.grade", "--positive", ">=4",
    "--prediction", "model_predictions.grade", "--predicted-positive", "<0.5", "--by", "gender",
    "--bootstrap", "200",
  ]

  static func audits(_ j: [String: Any]) -> [[String: Any]] { j["audits"] as? [[String: Any]] ?? [] }
  static func groups(_ a: [String: Any]) -> [[String: Any]] { a["groups"] as? [[String: Any]] ?? [] }
  static func metric(_ g: [String: Any], _ name: String) -> [String: Any] {
    (g["metrics"] as? [String: Any])?[name] as? [String: Any] ?? [:]
  }

  @Test func lectureAuditMatchesFairlearnCounts() throws {
    let r = try CLI.run(Self.lecture + ["--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(j["schema"] as? String == "cohortlens.fairness/1")
    #expect(j["rows"] as? Int == 214)
    #expect((j["inputs"] as? [[String: Any]])?.count == 2)
    let a = Self.audits(j)
    #expect(a.count == 1)
    #expect(a[0]["attribute"] as? String == "gender")
    #expect(a[0]["stratum"] is NSNull)
    let g = Self.groups(a[0])
    #expect(g.map { $0["group"] as? String } == ["F", "M", "(missing)"])
    // Golden counts (Scripts/golden/fairness.py): F tp 37 fp 10 tn 14 fn 9; M 56/19/35/15; (missing) 13/2/0/4.
    #expect([g[0]["tp"], g[0]["fp"], g[0]["tn"], g[0]["fn"]].map { $0 as? Int } == [37, 10, 14, 9])
    #expect([g[1]["tp"], g[1]["fp"], g[1]["tn"], g[1]["fn"]].map { $0 as? Int } == [56, 19, 35, 15])
    #expect([g[2]["tp"], g[2]["fp"], g[2]["tn"], g[2]["fn"]].map { $0 as? Int } == [13, 2, 0, 4])
    let tpr = Self.metric(g[0], "tpr")
    #expect(abs((tpr["value"] as? Double ?? 0) - 37.0 / 46.0) < 1e-15)
    #expect(r.stdout.contains("\"value\": 0.8043478260869565"))  // round-trip text of 37/46
    #expect(tpr["numerator"] as? Int == 37 && tpr["denominator"] as? Int == 46)
    #expect((tpr["ci"] as? [Double])?.count == 2)
    #expect(tpr["undefined"] is NSNull)
    #expect(tpr["low_support"] as? Bool == false)
    #expect(Self.metric(g[0], "fpr")["low_support"] as? Bool == true)  // 24 negatives < 30
    let names = Set((g[0]["metrics"] as? [String: Any] ?? [:]).keys)
    #expect(names == ["selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "accuracy", "base_rate"])
    let criteria = a[0]["criteria"] as? [[String: Any]] ?? []
    #expect(criteria.map { $0["name"] as? String } == ["demographic_parity", "equalized_odds", "equalized_odds_mean",
                                                      "equal_opportunity", "predictive_value_parity", "accuracy_parity"])
    let dp = criteria[0]
    // fairlearn demographic_parity_difference on these groups: 15/19 − 75/125.
    #expect(abs((dp["difference"] as? Double ?? 0) - (15.0 / 19.0 - 75.0 / 125.0)) < 1e-15)
    #expect(["PASS", "FAIL", "INCONCLUSIVE"].contains(dp["verdict"] as? String ?? ""))
    #expect((dp["worst_pair"] as? [String])?.count == 2)
  }

  @Test func sameSeedSameBytesAndSeedMatters() throws {
    let a = try CLI.run(Self.lecture + ["--format", "json", "--seed", "7"])
    let b = try CLI.run(Self.lecture + ["--format", "json", "--seed", "7"])
    let c = try CLI.run(Self.lecture + ["--format", "json", "--seed", "8"])
    #expect(a.status == 0 && a.stdout == b.stdout)
    #expect(a.stdout != c.stdout)
  }

  @Test func tableShowsCountsVerdictsAndFormulasWithoutColourWhenPiped() throws {
    let r = try CLI.run(Self.lecture + ["--by", "gender,country_diploma", "--intersect", "--score",
                                        "model_predictions.grade", "--lower-is-positive", "--permutations", "50"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("gender & country_diploma — all rows (n = 214)"))
    #expect(r.stdout.contains("0.804 (37/46)"))
    #expect(r.stdout.contains("demographic_parity: selection rate (TP+FP)/n equal across groups"))
    #expect(r.stdout.contains("ABROCA against 'M'"))
    #expect(!r.stdout.contains("\u{1B}["))
    #expect(r.stdout.contains("INCONCLUSIVE") || r.stdout.contains("FAIL") || r.stdout.contains("PASS"))
  }

  @Test func failOnGatesWithExitThreeAfterWritingTheReport() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("report.json").path
    let r = try CLI.run(Self.lecture + ["--fail-on", "fail", "--format", "json", "--output", out])
    #expect(r.status == 3, "\(r.stderr)")
    let j = try CLI.json(try String(contentsOfFile: out, encoding: .utf8))
    let verdicts = (Self.audits(j)[0]["criteria"] as? [[String: Any]] ?? []).map { $0["verdict"] as? String }
    #expect(verdicts.contains("FAIL"))
    // A generous tolerance passes the gate.
    let ok = try CLI.run(Self.lecture + ["--fail-on", "fail", "--max-difference", "1"])
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test func syntheticEdgeCasesReportUndefinedNotZero() throws {
    let r = try CLI.run([
      "fairness", "--predictions", CLI.fixture("synthetic/fairness_edge_cases.csv"), "--label", "truth",
      "--positive", "1", "--score", "score", "--prediction", "predicted", "--by", "group", "--format", "json",
      "--permutations", "100", "--bootstrap", "100",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let a = Self.audits(try CLI.json(r.stdout))[0]
    let g = Self.groups(a)
    let c = g.first { $0["group"] as? String == "C" }!
    let tpr = Self.metric(c, "tpr")
    #expect(tpr["value"] is NSNull)
    #expect(tpr["undefined"] as? String == "no actual positives (TP + FN = 0)")
    #expect(tpr["denominator"] as? Int == 0)
    #expect(Self.metric(c, "auc")["value"] is NSNull)
    let d = g.first { $0["group"] as? String == "D" }!
    #expect(Self.metric(d, "fpr")["value"] is NSNull)
    #expect(Self.metric(d, "npv")["undefined"] as? String == "no predicted negatives (TN + FN = 0)")
    let eo = (a["criteria"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "equal_opportunity" }!
    #expect(eo["verdict"] as? String == "UNDEFINED")
    #expect(eo["difference"] is NSNull)
    #expect((eo["reason"] as? String ?? "").contains("tpr undefined for group 'C'"))
    let abroca = a["abroca"] as? [[String: Any]] ?? []
    #expect(abroca.map { $0["group"] as? String } == ["B", "C", "D"])
    #expect(abroca[1]["value"] is NSNull && abroca[1]["undefined"] is String)
    let pB = abroca[0]["p_value"] as? Double ?? -1
    #expect(pB > 0 && pB <= 1)
    #expect((abroca[0]["p_holm"] as? Double ?? -1) >= pB)
    // Reliability table and ROC points for plotting.
    let b = g.first { $0["group"] as? String == "B" }!
    #expect((b["reliability"] as? [[String: Any]])?.count == 10)
    let roc = b["roc"] as? [[String: Any]] ?? []
    #expect(roc.first?["fpr"] as? Double == 0 && roc.last?["tpr"] as? Double == 1)
  }

  /// A stratum with fewer learners than the minimum prints no n: the table title says `(n suppressed)`, JSON `n`
  /// is null with the reason, and the dropped rows that would give it away are suppressed too (`--missing drop`).
  @Test func aSmallStratumsNIsSuppressedInEveryFormat() throws {
    let dir = try CLI.temporaryDirectory()
    var csv = "id,y,p,w,g,h\n"
    for i in 0..<40 { csv += "a\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),w1,\(i % 2 == 0 ? "A" : "B"),\(i < 12 ? "" : (i % 2 == 0 ? "X" : "Y"))\n" }
    for i in 0..<7 { csv += "b\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),w2,\(i < 4 ? "A" : "B"),\(i < 4 ? "X" : "")\n" }
    for i in 0..<50 { csv += "c\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),w3,\(i % 2 == 0 ? "A" : "B"),\(i % 2 == 0 ? "Y" : "X")\n" }
    let f = try CLI.write(csv, "strata.csv", in: dir)
    let base = ["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--prediction", "p", "--by", "g,h",
                "--stratify", "w", "--bootstrap", "0"]
    let table = try CLI.run(base)
    #expect(table.status == 0, "\(table.stderr)")
    #expect(table.stdout.contains("g — stratum w2 (n suppressed)"), "\(table.stdout)")
    #expect(!table.stdout.contains("(n = 7)"))
    #expect(table.stdout.contains("the audit's n suppressed (n < 10 (--min-group-size))"))
    let markdown = try CLI.run(base + ["--format", "markdown"])
    #expect(markdown.stdout.contains("(n suppressed)") && !markdown.stdout.contains("(n = 7)"))
    let json = try CLI.run(base + ["--format", "json"])
    let audits = Self.audits(try CLI.json(json.stdout))
    let w2 = audits.filter { $0["stratum"] as? String == "w2" }
    #expect(w2.count == 2 && w2.allSatisfy { $0["n"] is NSNull && $0["n_suppression_reason"] as? String == "n < 10 (--min-group-size)" })
    let drop = try CLI.run(base + ["--format", "json", "--missing", "drop"])
    #expect(drop.status == 0, "\(drop.stderr)")
    for a in Self.audits(try CLI.json(drop.stdout)) {
      // Every printed n is at least 10 or the row count; a null dropped-row count says why.
      if let n = a["n"] as? Int { #expect(n >= 10, "\(a["attribute"] ?? "") \(a["stratum"] ?? "")") }
      if a["dropped_rows"] is NSNull { #expect(a["dropped_rows_suppression_reason"] is String) }
    }
    let dropTable = try CLI.run(base + ["--missing", "drop"])
    #expect(dropTable.stdout.contains("rows with a missing value dropped (--missing drop); their number is suppressed"))
  }

  @Test func smallGroupsAreSuppressedWithTheirComplement() throws {
    let dir = try CLI.temporaryDirectory()
    var csv = "id,y,p,g\n"
    for i in 0..<40 { csv += "a\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),A\n" }
    for i in 0..<20 { csv += "b\(i),\(i % 2),\(i % 4 == 0 ? 1 : 0),B\n" }
    for i in 0..<15 { csv += "c\(i),\(i % 2),\(i % 2),C\n" }
    for i in 0..<4 { csv += "d\(i),\(i % 2),1,D\n" }
    let f = try CLI.write(csv, "small.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--prediction", "p",
                         "--by", "g", "--format", "json", "--bootstrap", "50"])
    #expect(r.status == 0, "\(r.stderr)")
    let a = Self.audits(try CLI.json(r.stdout))[0]
    let g = Self.groups(a)
    let suppressed = g.filter { $0["suppressed"] as? Bool == true }.map { $0["group"] as? String }
    #expect(suppressed == ["C", "D"])  // D (n = 4) and, complementarily, the next smallest C (n = 15)
    let d = g.first { $0["group"] as? String == "D" }!
    #expect(d["n"] is NSNull && d["tp"] is NSNull && d["metrics"] is NSNull)
    #expect((a["notices"] as? [String] ?? []).contains { $0.contains("'D' suppressed") })
    let table = try CLI.run(["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--prediction", "p",
                             "--by", "g", "--bootstrap", "0"])
    #expect(!table.stdout.contains("D    4"))
    #expect(table.stdout.contains("suppressed"))
  }

  /// Audits that suppression (or --missing drop) leaves with fewer than two groups: every format and
  /// comparison mode exits 0, names the suppressed groups with their reasons and reports every criterion
  /// UNDEFINED with the reason, never PASS.
  @Test func tooFewGroupsLeftAreReportedAsUndefinedInEveryFormat() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // 30 M and 9 F; week = row % 5 (6 M and 1–2 F per week).
    var csv = "id,gender,truth,predicted,score,week\n"
    for i in 0..<39 {
      csv += "s\(i),\(i < 30 ? "M" : "F"),\(i % 2),\(i % 3 == 0 ? 1 : 0),\(Double(i % 10) / 10),\(i % 5)\n"
    }
    let f = try CLI.write(csv, "small.csv", in: dir)
    let missing = try CLI.write(csv.replacingOccurrences(of: ",M,", with: ",,").replacingOccurrences(of: ",F,", with: ",,"),
                                "missing.csv", in: dir)
    let base = ["--label", "truth", "--positive", "1", "--prediction", "predicted", "--bootstrap", "50"]
    let cases: [(args: [String], reason: String)] = [
      (["--predictions", f, "--by", "gender"], "2 of 2 groups suppressed (1 with n < 10 (--min-group-size), 1 by complementary suppression)"),
      (["--predictions", f, "--by", "gender", "--compare", "F"], "2 of 2 groups suppressed"),
      (["--predictions", f, "--by", "gender", "--compare", "largest", "--score", "score", "--permutations", "20"],
       "2 of 2 groups suppressed"),
      (["--predictions", f, "--by", "gender", "--min-group-size", "40"], "2 of 2 groups suppressed (2 with n < 40 (--min-group-size))"),
      (["--predictions", f, "--by", "id"], "39 of 39 groups suppressed (39 with n < 10 (--min-group-size))"),
      (["--predictions", f, "--by", "gender", "--stratify", "week", "--min-group-size", "5"], "2 of 2 groups suppressed"),
      (["--predictions", missing, "--by", "gender", "--missing", "drop"], "no rows left to audit"),
    ]
    for (args, reason) in cases {
      let stratified = args.contains("--stratify")
      let json = try CLI.run(["fairness"] + base + args + ["--format", "json"])
      #expect(json.status == 0, "\(args): \(json.stderr)")
      let audits = Self.audits(try CLI.json(json.stdout))
      #expect(audits.count == (stratified ? 6 : 1), "\(args)")
      for a in audits where !stratified || !(a["stratum"] is NSNull) {
        let criteria = a["criteria"] as? [[String: Any]] ?? []
        #expect(criteria.count == 6)
        #expect(criteria.allSatisfy { $0["verdict"] as? String == "UNDEFINED" && $0["difference"] is NSNull }, "\(args)")
        #expect(criteria.allSatisfy { ($0["reason"] as? String ?? "").contains(reason) }, "\(args): \(criteria.first?["reason"] ?? "")")
        for g in Self.groups(a) {
          #expect(g["suppressed"] as? Bool == true && g["n"] is NSNull && !(g["suppression_reason"] as? String ?? "").isEmpty)
        }
      }
      if stratified {
        // Pooled, 30 M and 9 F are both at least 5: compared as usual.
        #expect((audits[0]["criteria"] as? [[String: Any]] ?? []).allSatisfy { $0["verdict"] as? String != "UNDEFINED" })
      } else {
        #expect(!json.stdout.contains("\"PASS\""), "\(args)")
      }
      let csvRun = try CLI.run(["fairness"] + base + args + ["--format", "csv"])
      #expect(csvRun.status == 0, "\(args): \(csvRun.stderr)")
      #expect(csvRun.stdout.contains("criterion,demographic_parity.ratio,,,,,,UNDEFINED: ")
              || csvRun.stdout.contains("criterion,demographic_parity.ratio,,,,,,\"UNDEFINED: "), "\(args)")
      #expect(csvRun.stdout.contains(reason), "\(args)")
      for format in ["table", "markdown"] {
        let r = try CLI.run(["fairness"] + base + args + ["--format", format])
        #expect(r.status == 0, "\(args) \(format): \(r.stderr)")
        #expect(r.stdout.contains("criteria undefined: ") && r.stdout.contains("every criterion: "), "\(args) \(format)")
        #expect(r.stdout.contains(reason), "\(args) \(format)")
        // No PASS verdict cell (the criteria titles say what PASS needs).
        let passCells = r.stdout.split(separator: "\n").filter { $0.hasSuffix("  PASS") || $0.contains("| PASS |") }
        if !stratified { #expect(passCells.isEmpty, "\(args) \(format)") }
      }
    }
    // The groups and their reasons, in the table and the CSV.
    let table = try CLI.run(["fairness"] + base + ["--predictions", f, "--by", "gender"])
    #expect(table.stdout.contains("group 'F' suppressed (n < 10 (--min-group-size)); left out of criteria"))
    #expect(table.stdout.contains("group 'M' suppressed (complementary suppression"))
    let csvTable = try CLI.run(["fairness"] + base + ["--predictions", f, "--by", "gender", "--format", "csv"])
    #expect(csvTable.stdout.contains("gender,,F,,group,n,,,,,,suppressed: n < 10 (--min-group-size)\n"))
    #expect(csvTable.stdout.contains("gender,,M,,group,n,,,,,,suppressed: complementary suppression"))
    // --fail-on does not gate on UNDEFINED.
    let gate = try CLI.run(["fairness"] + base + ["--predictions", f, "--by", "gender", "--fail-on", "inconclusive"])
    #expect(gate.status == 0, "\(gate.stderr)")
  }

  /// Non-finite numbers for the fairness command's number options are usage errors with a hint.
  @Test(arguments: [
    ("--threshold", "nan"), ("--threshold", "inf"), ("--threshold", "-inf"), ("--threshold", "1e400"),
    ("--threshold", "NaN"), ("--tolerance", "nan"), ("--tolerance", "1e400"), ("--max-difference", "inf"),
    ("--max-difference", "nan"), ("--confidence", "nan"),
  ])
  func nonFiniteNumberOptionsAreUsageErrors(option: String, value: String) throws {
    let r = try CLI.run([
      "fairness", "--predictions", CLI.fixture("synthetic/fairness_edge_cases.csv"), "--label", "truth",
      "--positive", "1", "--score", "score", "--by", "group", "\(option)=\(value)",
    ] + (option == "--threshold" ? [] : ["--threshold", "0.5"]))
    #expect(r.status == 64, "\(option) \(value): \(r.stderr)")
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("\(option) must"), "\(r.stderr)")
    #expect(r.stderr.contains("e.g. \(option) "), "\(r.stderr)")
    if option == "--threshold" {
      #expect(r.stderr.contains("--threshold must be a finite number or 'prevalence' (got '\(value)')"), "\(r.stderr)")
    }
  }

  @Test func optionsThatWouldDecideNothingAreUsageErrors() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("group,truth,score,pred\nA,1,0.9,1\nA,0,0.2,0\nB,1,0.4,0\nB,0,0.7,1\n", "opts.csv", in: dir)
    let out = dir.appendingPathComponent("never.json").path
    let common = ["fairness", "--predictions", f, "--label", "truth", "--by", "group", "--output", out]
    let ignoredPrediction = try CLI.run(common + ["--positive", "1", "--score", "score", "--threshold", "0.5",
                                                  "--predicted-positive", "0"])
    #expect(ignoredPrediction.status == 64)
    #expect(ignoredPrediction.stderr.contains("--predicted-positive '0' does nothing without --prediction COLUMN: with --score the predicted class is score >= --threshold"),
            "\(ignoredPrediction.stderr)")
    let ignoredNegative = try CLI.run(common + ["--positive", ">=1", "--negative", "5,6", "--prediction", "pred"])
    #expect(ignoredNegative.status == 64)
    #expect(ignoredNegative.stderr.contains("--negative '5,6' does nothing with the comparison --positive '>=1': every value that does not satisfy it is negative"),
            "\(ignoredNegative.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
    // The meaningful combinations still run.
    let ok = try CLI.run(common + ["--positive", ">=1", "--prediction", "pred", "--predicted-positive", "1",
                                   "--min-group-size", "1", "--bootstrap", "0"])
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test func stratifiedAuditsAndReferenceGroup() throws {
    let dir = try CLI.temporaryDirectory()
    var csv = "id,week,y,s,g\n"
    for i in 0..<240 {
      let y = (i * 7) % 3 == 0 ? 1 : 0
      csv += "\(i),\(i % 2 + 1),\(y),\(Double((i * 37) % 100) / 100),\(i % 3 == 0 ? "X" : "Y")\n"
    }
    let f = try CLI.write(csv, "weeks.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--score", "s",
                         "--threshold", "prevalence", "--by", "g", "--stratify", "week", "--compare", "largest",
                         "--format", "json", "--permutations", "20", "--bootstrap", "50"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    let a = Self.audits(j)
    #expect(a.map { $0["stratum"] as? String } == [nil, "1", "2"])
    #expect(a.allSatisfy { $0["reference"] as? String == "Y" })
    let params = j["parameters"] as? [String: Any] ?? [:]
    #expect(params["threshold_value"] as? Double == 80.0 / 240.0)
    let named = try CLI.run(["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--score", "s",
                             "--threshold", "0.5", "--by", "g", "--compare", "X", "--format", "json",
                             "--permutations", "0", "--bootstrap", "0"])
    #expect(Self.audits(try CLI.json(named.stdout))[0]["reference"] as? String == "X")
  }

  @Test func droppedRowsAreReportedPerStratum() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("group,week,truth,pred\nA,1,1,1\nB,1,0,0\n,1,1,0\nA,2,1,0\nB,2,0,1\n,2,0,0\n,2,1,1\n",
                          "dropst.csv", in: dir)
    let base = ["fairness", "--predictions", f, "--label", "truth", "--positive", "1", "--prediction", "pred",
                "--by", "group", "--stratify", "week", "--missing", "drop", "--min-group-size", "1", "--bootstrap", "0"]
    let r = try CLI.run(base + ["--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let a = Self.audits(try CLI.json(r.stdout))
    #expect(a.map { $0["stratum"] as? String } == [nil, "1", "2"])
    #expect(a.map { $0["dropped_rows"] as? Int } == [3, 1, 2])
    let table = try CLI.run(base)
    #expect(table.stdout.contains("3 row(s) with a missing value dropped (--missing drop)"), "\(table.stdout)")
    #expect(table.stdout.contains("1 row(s) with a missing value dropped (--missing drop)"))
    #expect(table.stdout.contains("2 row(s) with a missing value dropped (--missing drop)"))
  }

  @Test func aRateThatIsZeroInEveryGroupIsLeftOutOfEqualizedOddsAndSaidSo() throws {
    // FPR is 0 in both groups; TPR A 1/2, B 2/3. fairlearn 0.15: equalized_odds_ratio 0.75 (worst_case and mean).
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("group,truth,pred\nA,1,1\nA,1,0\nA,0,0\nA,0,0\nB,1,1\nB,1,1\nB,1,0\nB,0,0\nB,0,0\n",
                          "fpr0s.csv", in: dir)
    let base = ["fairness", "--predictions", f, "--label", "truth", "--positive", "1", "--prediction", "pred",
                "--by", "group", "--min-group-size", "1", "--bootstrap", "0"]
    let r = try CLI.run(base + ["--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let criteria = Self.audits(try CLI.json(r.stdout))[0]["criteria"] as? [[String: Any]] ?? []
    for name in ["equalized_odds", "equalized_odds_mean"] {
      let c = try #require(criteria.first { $0["name"] as? String == name })
      #expect(abs((c["ratio"] as? Double ?? 0) - 0.75) < 1e-15, "\(name)")
      #expect(c["verdict"] as? String == "FAIL")
      #expect((c["reason"] as? String ?? "").hasPrefix("fpr is 0 in every group (ratio 0/0 undefined); the "), "\(c)")
      #expect((c["reason"] as? String ?? "").contains("tpr ratio alone, as fairlearn 0.15"))
    }
    let csv = try CLI.run(base + ["--format", "csv"])
    #expect(csv.stdout.contains("criterion,equalized_odds.ratio,0.75,,,,,\"FAIL: fpr is 0 in every group (ratio 0/0 undefined); the ratio is the tpr ratio alone"), "\(csv.stdout)")
    let table = try CLI.run(base)
    #expect(table.stdout.contains("equalized_odds: fpr is 0 in every group (ratio 0/0 undefined); the ratio is the tpr ratio alone"), "\(table.stdout)")
  }

  @Test func rocThresholdsAreInTheScoreUnitsAndValidJSON() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("group,truth,score\nA,1,0.1\nA,0,0.8\nA,1,0.3\nA,0,0.6\nB,1,0.2\nB,0,0.9\n", "lowpos.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "truth", "--positive", "1", "--score", "score",
                         "--threshold", "0.5", "--lower-is-positive", "--by", "group", "--min-group-size", "1",
                         "--bootstrap", "0", "--permutations", "0", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let g = Self.groups(Self.audits(try CLI.json(r.stdout))[0])
    let roc = g[0]["roc"] as? [[String: Any]] ?? []
    #expect(roc.count == 5)
    #expect(roc.first?["threshold"] is NSNull)
    #expect(roc.dropFirst().map { $0["threshold"] as? Double } == [0.1, 0.3, 0.6, 0.8])
    #expect(roc.map { $0["fpr"] as? Double } == [0, 0, 0, 0.5, 1])
  }

  @Test func stratifyColumnIsResolvedLikeEveryOtherColumn() throws {
    // One prediction per learner and week; the week is in both files, so it must be qualified.
    let dir = try CLI.temporaryDirectory()
    let wk = try CLI.write("id,week,truth,pred\nu1,1,1,1\nu2,1,0,0\nu1,2,1,0\nu2,2,0,1\n", "wk.csv", in: dir)
    let wkg = try CLI.write("id,group,week\nu1,A,1\nu2,B,1\n", "wkg.csv", in: dir)
    let wkg2 = try CLI.write("id,group\nu1,A\nu2,B\n", "wkg2.csv", in: dir)
    let base = ["fairness", "--predictions", wk, "--id", "id", "--label", "truth", "--positive", "1", "--prediction", "pred",
                "--by", "group", "--min-group-size", "1", "--bootstrap", "0", "--format", "json"]
    for (groups, stratum) in [(wkg, "wk.week"), (wkg2, "wk.#2"), (wkg2, "week")] {
      let r = try CLI.run(base + ["--groups", groups, "--stratify", stratum])
      #expect(r.status == 0, "\(stratum): \(r.stderr)")
      let a = Self.audits(try CLI.json(r.stdout))
      #expect(a.map { $0["stratum"] as? String } == [nil, "1", "2"], "\(stratum)")
      #expect(a.map { $0["n"] as? Int } == [4, 2, 2])
    }
    // Ambiguous bare names are usage errors naming both, as for --by.
    let ambiguous = try CLI.run(base + ["--groups", wkg, "--stratify", "week"])
    #expect(ambiguous.status == 64)
    #expect(ambiguous.stderr.contains("'wk.week' or 'wkg.week'"), "\(ambiguous.stderr)")
    // Without a groups file, #N names the predictions' column.
    let single = try CLI.write("id,week,truth,pred,group\nu1,1,1,1,A\nu2,1,0,0,B\nu1,2,1,0,A\nu2,2,0,1,B\n", "single.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", single, "--id", "id", "--label", "truth", "--positive", "1",
                         "--prediction", "pred", "--by", "group", "--min-group-size", "1", "--bootstrap", "0",
                         "--stratify", "#2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.audits(try CLI.json(r.stdout)).map { $0["stratum"] as? String } == [nil, "1", "2"])
  }

  @Test func aRealValueNamedLikeTheMissingGroupIsAnError() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("group,truth,pred\n(missing),1,1\n(missing),0,0\n,1,0\n,0,0\nA,1,1\nA,0,1\n", "dupmiss.csv", in: dir)
    let out = dir.appendingPathComponent("never.json").path
    let base = ["fairness", "--predictions", f, "--label", "truth", "--positive", "1", "--prediction", "pred",
                "--by", "group", "--min-group-size", "1", "--bootstrap", "0", "--format", "json"]
    let r = try CLI.run(base + ["--compare", "(missing)", "--output", out])
    #expect(r.status == 65)
    #expect(r.stderr.contains("dupmiss.csv:2:1: sensitive attribute 'group' has the value '(missing)' (2 row(s))"), "\(r.stderr)")
    #expect(r.stderr.contains("--missing drop or --missing fail"))
    #expect(!FileManager.default.fileExists(atPath: out))
    // With --missing drop there is no synthetic group: '(missing)' is an ordinary value.
    let dropped = try CLI.run(base + ["--missing", "drop"])
    #expect(dropped.status == 0, "\(dropped.stderr)")
    let a = Self.audits(try CLI.json(dropped.stdout))[0]
    #expect(Self.groups(a).map { $0["group"] as? String } == ["(missing)", "A"])
    #expect(a["dropped_rows"] as? Int == 2)
  }

  @Test func auditVerdictDetailShowsTheQuantityThatDecided() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Nobody predicted positive: selection rates are 0 in both groups (ratio 0/0), accuracy differs.
    var none = "id,group,truth,pred\n", some = "id,group,truth,pred\n"
    for i in 0..<40 {
      let g = i < 20 ? "A" : "B"
      none += "\(i),\(g),\(i % 2 == 0 || (g == "B" && i % 4 == 1) ? 1 : 0),0\n"
      some += "\(i),\(g),\(i % 2),\(g == "A" ? (i % 4 == 0 ? 1 : 0) : (i % 4 != 3 ? 1 : 0))\n"
    }
    func run(_ data: String, _ name: String, tolerance: String) throws -> String {
      let f = try CLI.write(data, "\(name).csv", in: dir)
      let config = try CLI.write("""
        title: "detail"
        seed: 0
        steps:
          - fairness:
              predictions: \(f)
              label: truth
              positive: "1"
              prediction: pred
              by: [group]
              \(tolerance)
              bootstrap: 100
        """, "\(name).yaml", in: dir)
      let out = dir.appendingPathComponent("out-\(name)")
      let r = try CLI.run(["audit", "--config", config, "--out", out.path])
      #expect(r.status == 0, "\(r.stderr)")
      return try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    }
    let zero = try run(none, "none", tolerance: "max-difference: 0.1")
    // PASS judged on the difference, and the undefined ratio named with its reason — never a bare "undefined".
    #expect(zero.contains("difference 0 [0, 0] (band ±0.1), A vs B; ratio undefined: selection_rate is 0 in every group (ratio 0/0 undefined); the verdict uses the difference"))
    #expect(zero.contains("Fairness criteria by group: differences"))
    let judged = try run(some, "some", tolerance: "max-difference: 0.1")
    // Selection rates A 5/20, B 15/20: the demographic parity verdict is read from the difference 0.5.
    #expect(judged.contains("difference 0.5 ["), "difference detail")
    #expect(judged.contains("(band ±0.1), B vs A"))
    let ratio = try run(some, "ratio", tolerance: "tolerance: 0.8")
    #expect(ratio.contains("ratio 0.3333 ["), "ratio detail")
    #expect(ratio.contains("(band [0.8, 1.25]), A vs B"))
    #expect(ratio.contains("Fairness criteria by group: ratios"))
  }

  /// A label or prediction cell is matched over its whole text: '1' followed by a NUL byte is not
  /// the positive '1' (Swift's Double(String) stops at the NUL); the message shows the byte.
  @Test func aCellWithAStrayControlByteIsNotTheValueItStartsWith() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,group,truth,pred\nA0,A,1,1\u{0}\nA1,B,0,0\nA2,A,1,1\nA3,B,1,0\n", "nul.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "truth", "--positive", "1", "--prediction", "pred",
                         "--by", "group", "--min-group-size", "1", "--bootstrap", "0"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("'1\\x00'"))
    #expect(r.stdout.isEmpty)
  }

  /// A stratified step judged on |difference| ≤ E shows differences per stratum (chart and table),
  /// not ratios the verdicts never looked at.
  @Test func perStratumSectionShowsTheQuantityThatDecided() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var data = "id,week,group,truth,pred\n"
    for w in 1...3 {
      for i in 0..<40 {
        let g = i < 20 ? "A" : "B"
        data += "\(w)-\(i),\(w),\(g),\(i % 2),\(g == "A" ? (i % 4 == 0 ? 1 : 0) : ((i + w) % 4 != 3 ? 1 : 0))\n"
      }
    }
    let f = try CLI.write(data, "weeks.csv", in: dir)
    func report(_ tolerance: String, _ name: String) throws -> String {
      let config = try CLI.write("""
        title: "weeks"
        seed: 0
        steps:
          - fairness:
              predictions: \(f)
              label: truth
              positive: "1"
              prediction: pred
              by: [group]
              stratify: week
              \(tolerance)
              bootstrap: 50
        """, "\(name).yaml", in: dir)
      let out = dir.appendingPathComponent("out-\(name)")
      let r = try CLI.run(["audit", "--config", config, "--out", out.path])
      #expect(r.status == 0, "\(r.stderr)")
      return try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    }
    let difference = try report("max-difference: 0.1", "difference")
    #expect(difference.contains("Difference of each criterion in each week, the quantity the verdicts are judged on"))
    #expect(difference.contains(">difference</th>"))
    #expect(!difference.contains("Ratio of each criterion in each week"))
    let ratio = try report("tolerance: 0.8", "ratio")
    #expect(ratio.contains("Ratio of each criterion in each week, the quantity the verdicts are judged on"))
    #expect(!ratio.contains("Difference of each criterion in each week"))
  }

  /// Values containing " & " are quoted in intersection names, so two different groups never share a name
  /// ("a & b" with c, and a with "b & c", both read "a & b & c" before), and `--compare` takes the quoted name.
  @Test func intersectionNamesAreUnambiguous() throws {
    #expect(IntersectionName.join(["a & b", "c"]) == #""a & b" & c"#)
    #expect(IntersectionName.join(["a", "b & c"]) == #"a & "b & c""#)
    #expect(IntersectionName.join(["\"q", "x"]) == #""""q" & x"#)
    for parts in [["a & b", "c"], ["a", "b & c"], ["\"q", "x"], ["M", "0-35"], ["a & ", " & b"]] {
      #expect(IntersectionName.parts(of: IntersectionName.join(parts)) == parts)
    }
    #expect(IntersectionName.parts(of: #""open & x"#) == nil)
    // A part that only ends or starts with the separator's halves is quoted too: these were both `R & & D`.
    #expect(IntersectionName.join(["R &", "D"]) == #""R &" & D"#)
    #expect(IntersectionName.join(["R", "& D"]) == #"R & "& D""#)
    #expect(IntersectionName.join(["A&B", "c"]) == #""A&B" & c"#)
    for parts in [["R &", "D"], ["R", "& D"], ["R ", "D"], ["R", " D"]] {
      #expect(IntersectionName.parts(of: IntersectionName.join(parts)) == parts)
    }
    let dir = try CLI.temporaryDirectory()
    var csv = "id,A,B,truth,pred\n"
    for i in 0..<160 {
      let (a, b) = i < 40 ? ("a & b", "c") : i < 80 ? ("a", "b & c") : i < 120 ? ("a", "c") : ("a & b", "b & c")
      csv += "\(i),\(a),\(b),\(i % 2),\(i < 40 ? (i % 8 == 0 ? 1 : 0) : (i % 8 == 0 ? 0 : 1))\n"
    }
    let f = try CLI.write(csv, "amp.csv", in: dir)
    let base = ["fairness", "--predictions", f, "--label", "truth", "--positive", "1", "--prediction", "pred",
                "--predicted-positive", "1", "--by", "A,B", "--intersect", "--bootstrap", "0", "--permutations", "0"]
    let r = try CLI.run(base + ["--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    let groups = r.stdout.split(separator: "\n").filter { $0.contains(",group,n,") }.map { String($0) }
    #expect(groups.contains(#"A & B,,"""a & b"" & c",,group,n,40,,,,,"#), "\(groups)")
    #expect(groups.contains(#"A & B,,"a & ""b & c""",,group,n,40,,,,,"#), "\(groups)")
    #expect(groups.filter { $0.hasPrefix("A & B,,") }.count == 4)
    let compared = try CLI.run(base + ["--compare", #"a & "b & c""#, "--format", "json"])
    #expect(compared.status == 0, "\(compared.stderr)")
    // Only the two one-attribute audits lack it; the intersection audit uses it.
    #expect(compared.stdout.components(separatedBy: "does not occur in this audit").count - 1 == 2)
    #expect(try CLI.run(base + ["--compare", "a & b & c"]).status == 64)
  }

  @Test func csvAndMarkdownFormats() throws {
    let csv = try CLI.run(Self.lecture + ["--format", "csv"])
    #expect(csv.status == 0)
    #expect(csv.stdout.hasPrefix("attribute,stratum,group,reference,kind,name,value,numerator,denominator,ci_low,ci_high,note\n"))
    #expect(csv.stdout.contains("gender,,F,,metric,tpr,0.8043478260869565,37,46,"))
    // A criterion row names its worst pair in two columns: a group name may itself contain " vs ".
    #expect(csv.stdout.contains("gender,,M,(missing),criterion,demographic_parity.ratio,"))
    let md = try CLI.run(Self.lecture + ["--format", "markdown"])
    #expect(md.stdout.contains("| group |"))
  }

  // MARK: Bad input

  @Test func unknownColumnListsTheAvailableOnes() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("never.json").path
    var args = Self.lecture
    args[args.firstIndex(of: "gender")!] = "gendre"
    let r = try CLI.run(args + ["--output", out])
    #expect(r.status == 65)
    #expect(r.stderr.contains("no column named 'gendre'"), "\(r.stderr)")
    #expect(r.stderr.contains("'country_diploma'") && r.stderr.contains("#1"))
    // The closest name is suggested, as by every other command (it used to be only a case-insensitive match).
    #expect(r.stderr.contains("did you mean 'gender'?"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func ambiguousBareNameListsBothQualifiedNames() throws {
    var args = Self.lecture
    args[args.firstIndex(of: "demographics.grade")!] = "grade"
    let r = try CLI.run(args)
    #expect(r.status == 64)
    #expect(r.stderr.contains("'model_predictions.grade' or 'demographics.grade'"), "\(r.stderr)")
  }

  @Test func repeatedPandasIndexIsReportedAsDuplicateIds() throws {
    var args = Self.lecture
    let k = args.firstIndex(of: "--join")!
    args.replaceSubrange(k...k + 1, with: ["--id", "#1"])
    let r = try CLI.run(args)
    #expect(r.status == 65)
    #expect(r.stderr.contains("duplicate id '0'"), "\(r.stderr)")
    #expect(r.stderr.contains("demographics.csv:106:1:"))  // the index restarts at 0 for the second cohort
  }

  /// Ids that differ only in Unicode normalisation are two learners in the --groups join and in the
  /// per-stratum id check (pandas merges on code points), and a column flag finds a header written
  /// with blanks around its name, as in every other command.
  @Test func exactIdsInTheJoinAndTheStrataAndBlankHeaders() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let nfc = "Am\u{E9}lie", nfd = "Ame\u{301}lie"
    var preds = "id,week,truth,pred\n\(nfc),1,1,1\n\(nfd),1,0,0\n", groups = "id,gender\n\(nfc),F\n\(nfd),M\n"
    for i in 0..<10 { preds += "u\(i),1,\(i % 2),\(i % 3 == 0 ? 1 : 0)\n"; groups += "u\(i),\(i < 5 ? "F" : "M")\n" }
    let p = try CLI.write(preds, "p.csv", in: dir), g = try CLI.write(groups, "g.csv", in: dir)
    let base = ["fairness", "--predictions", p, "--label", "truth", "--positive", "1", "--prediction", "pred",
                "--by", "gender", "--min-group-size", "1", "--bootstrap", "0", "--format", "json"]
    let r = try CLI.run(base + ["--groups", g, "--id", "id"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("have no prediction"))
    let audits = try #require(try CLI.json(r.stdout)["audits"] as? [[String: Any]])
    let sizes = (audits.first?["groups"] as? [[String: Any]] ?? []).map { ($0["group"] as? String ?? "", $0["n"] as? Int ?? -1) }
    #expect(sizes.map(\.0) == ["F", "M"] && sizes.map(\.1) == [6, 6], "\(sizes)")
    let strata = try CLI.run(base + ["--groups", g, "--id", "id", "--stratify", "p.week"])
    #expect(strata.status == 0, "\(strata.stderr)")
    let blank = try CLI.write("id, y , p ,g\n" + (0..<12).map { "\($0),\($0 % 2),\($0 % 3 == 0 ? 1 : 0),\($0 < 6 ? "a" : "b")" }.joined(separator: "\n") + "\n", "blank.csv", in: dir)
    let b = try CLI.run(["fairness", "--predictions", blank, "--label", "y", "--positive", "1", "--prediction", "p",
                         "--by", "g", "--min-group-size", "1", "--bootstrap", "0"])
    #expect(b.status == 0, "\(b.stderr)")
  }

  @Test func idMismatchIsCountedOrAnErrorUnderMissingFail() throws {
    let dir = try CLI.temporaryDirectory()
    var preds = "sid,y,p\n", demo = "sid,g\n"
    for i in 0..<30 { preds += "s\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0)\n" }
    for i in 3..<33 { demo += "s\(i),\(i % 2 == 0 ? "F" : "M")\n" }
    let p = try CLI.write(preds, "preds.csv", in: dir)
    let d = try CLI.write(demo, "demo.csv", in: dir)
    let base = ["fairness", "--predictions", p, "--groups", d, "--id", "sid", "--label", "y", "--positive", "1",
                "--prediction", "p", "--by", "g", "--bootstrap", "0", "--format", "json"]
    let r = try CLI.run(base)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("3 of 30 prediction row(s) have no 'sid'"), "\(r.stderr)")
    #expect(r.stderr.contains("3 of 30 row(s) of \(d) have no prediction"))
    #expect(try CLI.json(r.stdout)["rows"] as? Int == 27)
    let strict = try CLI.run(base + ["--missing", "fail"])
    #expect(strict.status == 65)
    // Located at the first prediction row whose id the groups file lacks (s0, line 2), with the count and ids.
    #expect(strict.stderr.hasPrefix("\(p):2:1: id 's0' is not in \(d): 3 of 30 prediction row(s) have no 'sid' there (e.g. s0, s1, s2)"),
            "\(strict.stderr)")
  }

  @Test func unexpectedLabelValuesAreListed() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,outcome,p,g\n1,pass,1,F\n2,fail,0,M\n3,withdrawn,0,F\n4,pass,1,M\n", "l.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "outcome", "--positive", "pass", "--prediction", "p",
                         "--predicted-positive", "1", "--by", "g"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("l.csv:4:"), "\(r.stderr)")
    #expect(r.stderr.contains("'withdrawn'") && r.stderr.contains("values found: 'pass', 'fail', 'withdrawn'"))
    let ok = try CLI.run(["fairness", "--predictions", f, "--label", "outcome", "--positive", "pass",
                          "--negative", "fail,withdrawn", "--prediction", "p", "--predicted-positive", "1",
                          "--by", "g", "--min-group-size", "0", "--bootstrap", "0"])
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test func aNumericLabelErrorShowsTheValuesAsWrittenAtTheCellThatBreaksIt() throws {
    // truth: 1 (line 2), 2 (line 5, the stray value), 0 (line 12): the column stops being binary at line 12.
    let dir = try CLI.temporaryDirectory()
    var csv = "id,group,truth,pred\n"
    for (k, t) in ["1", "1", "1", "2", "1", "1", "1", "1", "1", "1", "0", "1", "0.0"].enumerated() {
      csv += "A\(k),\(k % 2 == 0 ? "A" : "B"),\(t),\(k % 3 == 0 ? 1 : 0)\n"
    }
    let f = try CLI.write(csv, "lab2.csv", in: dir)
    let base = ["fairness", "--predictions", f, "--label", "truth", "--positive", "1", "--prediction", "pred",
                "--by", "group", "--bootstrap", "0"]
    let r = try CLI.run(base)
    #expect(r.status == 65)
    #expect(r.stderr.hasPrefix("\(f):12:7: label value '0' makes column 'truth' non-binary: it is neither the positive '1' nor '2' (the other value, first at line 5); values found: '1', '2', '0'; "),
            "\(r.stderr)")
    #expect(r.stderr.contains("--negative 2,0") && r.stderr.contains("otherwise fix the cell"))
    #expect(!r.stderr.contains("1.0") && !r.stderr.contains("2.0"))
    // A declared negative that leaves out the stray value: located at its first cell, as written.
    let declared = try CLI.run(base + ["--negative", "0"])
    #expect(declared.status == 65)
    #expect(declared.stderr.hasPrefix("\(f):5:6: label value '2' is neither the positive '1' nor a declared negative (0)"), "\(declared.stderr)")
    // Both declared: '0.0' is the number 0, a declared negative.
    let ok = try CLI.run(base + ["--negative", "0,2", "--min-group-size", "1"])
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test func aModelThatPredictsNobodyPositiveIsAuditedWithAWarning() throws {
    let dir = try CLI.temporaryDirectory()
    var csv = "y,p,g\n"
    for i in 0..<40 { csv += "\(i % 2),0,\(i % 4 < 2 ? "F" : "M")\n" }
    let f = try CLI.write(csv, "none.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--prediction", "p",
                         "--by", "g", "--format", "json", "--bootstrap", "0"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("predicts no learner positive"))
    let g = Self.groups(Self.audits(try CLI.json(r.stdout))[0])
    #expect(Self.metric(g[0], "selection_rate")["value"] as? Double == 0)
    #expect(Self.metric(g[0], "ppv")["undefined"] as? String == "no predicted positives (TP + FP = 0)")
    // A label without its positive class is still an error.
    let bad = try CLI.run(["fairness", "--predictions", f, "--label", "p", "--positive", "1", "--prediction", "y",
                           "--by", "g"])
    #expect(bad.status == 65)
    #expect(bad.stderr.contains("does not occur"), "\(bad.stderr)")
  }

  @Test func scoreThatIsNotANumberIsLocated() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,y,s,g\n1,1,0.9,F\n2,0,high,M\n", "s.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--score", "s",
                         "--threshold", "0.5", "--by", "g"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("s.csv:3:5:"), "\(r.stderr)")
    #expect(r.stderr.contains("'high' is not a number"))
  }

  @Test func thresholdOutsideScoreRangeWarns() throws {
    let r = try CLI.run([
      "fairness", "--predictions", CLI.fixture("synthetic/fairness_edge_cases.csv"), "--label", "truth",
      "--positive", "1", "--score", "score", "--threshold", "5", "--by", "group", "--bootstrap", "0",
      "--permutations", "0",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("threshold 5.0 lies outside the score range"), "\(r.stderr)")
  }

  @Test func emptyGroupSetAndSingleLevelAttribute() throws {
    let empty = try CLI.run(Self.lecture.map { $0 == "gender" ? "," : $0 })
    #expect(empty.status == 64)
    #expect(empty.stderr.contains("group set is empty"), "\(empty.stderr)")
    let dir = try CLI.temporaryDirectory()
    var csv = "id,y,p,g\n"
    for i in 0..<30 { csv += "\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),all\n" }
    let f = try CLI.write(csv, "one.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "y", "--positive", "1", "--prediction", "p",
                         "--by", "g", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let a = Self.audits(try CLI.json(r.stdout))[0]
    let criteria = a["criteria"] as? [[String: Any]] ?? []
    #expect(criteria.allSatisfy { $0["verdict"] as? String == "UNDEFINED" })
    #expect((criteria[0]["reason"] as? String ?? "").contains("only one level"))
  }

  @Test func joinRowNeedsEqualRowCounts() throws {
    let dir = try CLI.temporaryDirectory()
    let p = try CLI.write("y,p\n1,1\n0,0\n", "p.csv", in: dir)
    let g = try CLI.write("g\nF\n", "g.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", p, "--groups", g, "--join", "row", "--label", "y",
                         "--positive", "1", "--prediction", "p", "--by", "g"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("equal row counts"), "\(r.stderr)")
  }

  @Test func missingSensitiveValuesPolicies() throws {
    let base = Self.lecture + ["--format", "json", "--bootstrap", "0"]
    let dropped = try CLI.run(base + ["--missing", "drop"])
    let a = Self.audits(try CLI.json(dropped.stdout))[0]
    #expect(Self.groups(a).map { $0["group"] as? String } == ["F", "M"])
    #expect(a["dropped_rows"] as? Int == 19)
    let fail = try CLI.run(base + ["--missing", "fail"])
    #expect(fail.status == 65)
    #expect(fail.stderr.contains("demographics.csv:4:"), "\(fail.stderr)")
  }

  /// '1' and '1.0' are two groups (values as written) where pandas makes one: a warning says so, on stderr
  /// and in JSON `warnings`; the groups stay as written.
  @Test func groupsThatAreTheSameNumberWrittenDifferentlyAreWarnedAbout() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,y,p,g,w\n"
    for i in 0..<60 { csv += "\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),\(["1", "1.0", "2", "02"][i % 4]),\(i < 30 ? "1" : "1.00")\n" }
    let f = try CLI.write(csv, "numeric.csv", in: dir)
    let args = ["fairness", "--predictions", f, "--id", "id", "--label", "y", "--positive", "1", "--prediction", "p",
                "--by", "g", "--bootstrap", "0"]
    let r = try CLI.run(args + ["--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let groupWarning = "sensitive attribute 'g': '1' and '1.0' are the same number but two groups (and 1 more value(s) like them)"
    #expect(r.stderr.contains(groupWarning), "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect((j["warnings"] as? [String] ?? []).contains { $0.hasPrefix(groupWarning) })
    #expect(Self.groups(Self.audits(j)[0]).map { $0["group"] as? String } == ["02", "1", "1.0", "2"])
    let stratified = try CLI.run(args + ["--stratify", "w"])
    #expect(stratified.stderr.contains("the --stratify column 'w': '1' and '1.00' are the same number but two strata"),
            "\(stratified.stderr)")
    // Distinct numbers, or text, give no warning.
    let plain = try CLI.run(Self.lecture + ["--format", "json"])
    #expect(!plain.stderr.contains("same number"))
  }

  /// Values starting with '-' reach the option: labels coded -1/1 (`--positive -1`), a threshold on logit scores
  /// (`--threshold -0.5`), and a negative tolerance gets its range message. Before, the argument parser took
  /// each for a flag and stopped with "Missing value for '--positive <value>'" (exit 64).
  @Test func negativeValuesReachTheirOptions() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,y,logit,g\n"
    for i in 0..<40 { csv += "\(i),\(i % 3 == 0 ? "-1" : "1"),\(Double(i % 7) - 3.5),\(i % 2 == 0 ? "a" : "b")\n" }
    let f = try CLI.write(csv, "logits.csv", in: dir)
    let base = ["fairness", "--predictions", f, "--id", "id", "--label", "y", "--by", "g", "--bootstrap", "0"]
    let r = try CLI.run(base + ["--positive", "-1", "--score", "logit", "--threshold", "-0.5", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    let parameters = j["parameters"] as? [String: Any]
    #expect(parameters?["positive"] as? String == "-1", "\(String(describing: parameters))")
    // Positives are the 14 learners with y = -1; predicted positive: logit >= -0.5, i.e. i % 7 >= 3 (22 of 40).
    let groups = Self.groups(Self.audits(j)[0])
    #expect(groups.map { $0["n"] as? Int } == [20, 20])
    let selected = groups.compactMap { Self.metric($0, "selection_rate")["numerator"] as? Int }
    #expect(selected.count == 2 && selected.reduce(0, +) == 22, "\(selected)")
    // True positives: y = -1 (i % 3 == 0) and logit >= -0.5 (i % 7 >= 3).
    #expect(groups.compactMap { $0["tp"] as? Int }.reduce(0, +) == 8)
    let bad = try CLI.run(base + ["--positive", "-1", "--score", "logit", "--threshold", "-0.5", "--tolerance", "-1"])
    #expect(bad.status == 64)
    #expect(bad.stderr.contains("--tolerance must be a finite positive number"), "\(bad.stderr)")
  }
}
