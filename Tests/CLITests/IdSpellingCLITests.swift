import Foundation
import Testing

/// The same learner written differently in two files ('007' and '7', ' 7' and '7', '7.0' and '7') does not
/// join, and every join says so, naming a pair, instead of a bare count of unmatched rows.
@Suite("Ids written differently in two files")
struct IdSpellingCLITests {
  /// Predictions with ids `007`, `008`, … and groups with `7`, `8`, …
  static func files(in dir: URL, predictionId: (Int) -> String) throws -> (predictions: String, groups: String) {
    var p = "id,truth,pred\n", g = "id,g\n"
    for i in 0..<20 {
      p += "\(predictionId(i)),\(i % 2),\((i / 2) % 2)\n"
      g += "\(i),\(i % 4 < 2 ? "a" : "b")\n"
    }
    return (try CLI.write(p, "p.csv", in: dir), try CLI.write(g, "g.csv", in: dir))
  }

  static func fairness(_ f: (predictions: String, groups: String), _ extra: [String] = []) throws -> CLIResult {
    try CLI.run(["fairness", "--predictions", f.predictions, "--groups", f.groups, "--id", "id", "--label", "truth",
                 "--positive", "1", "--prediction", "pred", "--by", "g", "--min-group-size", "1", "--bootstrap", "0",
                 "--permutations", "0", "--format", "csv"] + extra)
  }

  /// No learner in common: an error at the first prediction id, with examples from both files (it was
  /// "no rows to audit; the files have no (matching) data rows", at the header).
  @Test func fairnessWithNoIdInCommonNamesBothSpellings() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let zeros = try Self.files(in: dir, predictionId: { String(format: "%03d", $0) })
    let r = try Self.fairness(zeros)
    #expect(r.status == 65 && r.stdout.isEmpty)
    #expect(r.stderr == "\(zeros.predictions):2:1: none of the 20 prediction id(s) in column 'id' is an id of \(zeros.groups) (here e.g. '000', '001', '002'; there e.g. '0', '1', '2'); '000' is written '0' in \(zeros.groups) (and 19 more id(s) like it): ids are compared exactly as written (leading zeros, blanks, letter case and '7' vs '7.0' count); write them alike in both files\n")
    let other = try Self.files(in: dir, predictionId: { "u\($0)" })
    let o = try Self.fairness(other)
    #expect(o.status == 65)
    #expect(o.stderr.hasSuffix("(here e.g. 'u0', 'u1', 'u2'; there e.g. '0', '1', '2'); join on a column that holds the same ids in both files (--id), or align the files row by row with --join row\n"), "\(o.stderr)")
  }

  /// Some learners written differently: the warning (and the --missing fail error) names a pair.
  @Test func fairnessWarningNamesIdsWrittenDifferently() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try Self.files(in: dir, predictionId: { $0 < 15 ? String($0) : ($0 < 17 ? " \($0)" : "\($0).0") })
    let r = try Self.fairness(f)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("warning: 5 of 20 prediction row(s) have no 'id' in \(f.groups) (e.g.  15,  16, 17.0, 18.0, 19.0); left out of the audit — ' 15' is written '15' in \(f.groups) (and 4 more id(s) like it): ids are compared exactly as written"), "\(r.stderr)")
    let failing = try Self.fairness(f, ["--missing", "fail"])
    #expect(failing.status == 65)
    #expect(failing.stderr.hasPrefix("\(f.predictions):17:1: id ' 15' is not in \(f.groups): "), "\(failing.stderr)")
    #expect(failing.stderr.contains("; ' 15' is written '15' in \(f.groups) (and 4 more id(s) like it)"), "\(failing.stderr)")
  }

  /// explain --groups: the students the groups file writes differently are named.
  @Test func explainGroupsWarningNamesIdsWrittenDifferently() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // The first 30 students of the flipped classroom, and a groups file that writes their ids '00', '01', …
    let lines = try String(contentsOfFile: CLI.fixture("flipped-classroom/aggregated_fc.csv"), encoding: .utf8)
      .split(separator: "\n").prefix(31)
    let f = try CLI.write(lines.joined(separator: "\n") + "\n", "f.csv", in: dir)
    var groups = "user,g\n"
    for i in 0..<30 { groups += "\(String(format: "%02d", i)),\(i % 3 == 0 ? "x" : "y")\n" }
    let g = try CLI.write(groups, "g.csv", in: dir)
    let r = try CLI.run(["explain", "--features", f, "--id", "user", "--model", CLI.fixture("models/flipped_pass.json"), "--all",
                         "--groups", g, "--by", "g", "--num-samples", "100", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("warning: 10 of 30 explained student(s) have no 'user' in \(g) (e.g. 0, 1, 2, 3, 4); left out of the disparity table — '0' is written '00' in \(g) (and 9 more id(s) like it)"), "\(r.stderr)")
  }

  /// audit: clustered learners missing from the profile table are a warning on the console and in the report
  /// (they were only counted in report.json and a caption).
  @Test func auditProfileWarnsAboutLearnersItLacks() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var features = "id,a,b\n", profile = "id,grade,g\n"
    for i in 0..<12 {
      features += "\(i),\(i < 6 ? 0.1 * Double(i) : 5 + 0.1 * Double(i)),\(i % 3)\n"
      profile += "\(String(format: "%03d", i)),\(i % 5),\(i % 2 == 0 ? "F" : "M")\n"
    }
    _ = try CLI.write(features, "features.csv", in: dir)
    _ = try CLI.write(profile, "profile.csv", in: dir)
    let config = try CLI.write(
      """
      seed: 0
      steps:
        - cluster:
            name: kinds
            features: features.csv
            id: id
            columns: [a, b]
            k: 2
            profile:
              table: profile.csv
              id: id
              outcome: grade
              positive: ">=3"
              by: g
      """, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("report").path
    let r = try CLI.run(["audit", "--config", config, "--out", out])
    #expect(r.status == 0, "\(r.stderr)")
    let warning = "12 of 12 clustered learner(s) have no 'id' in \(dir.path)/profile.csv (e.g. 0, 1, 2, 3, 4); left out of the cluster profiles — '0' is written '000' in \(dir.path)/profile.csv (and 11 more id(s) like it)"
    #expect(r.stderr.contains("cohortlens audit: kinds: warning: \(warning)"), "\(r.stderr)")
    let json = try CLI.json(String(contentsOfFile: out + "/report.json", encoding: .utf8))
    let steps = try #require(json["steps"] as? [[String: Any]])
    #expect((steps[0]["warnings"] as? [String])?.contains { $0.hasPrefix(warning) } == true, "\(steps[0]["warnings"] ?? "")")
  }
}
