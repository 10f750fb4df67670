import CohortLensCore
import Foundation
import Testing

/// `cohortlens audit` on data and configurations a course team writes by hand.
@Suite("cohortlens audit: profiles and configuration text")
struct AuditProfileAndConfigTests {
  /// Two clusters of 30 learners each (features `a`, `b`), with a `grp` column holding a precomposed `é`, an
  /// `e` + U+0301 and `x`, and a `grade`.
  static func course(in dir: URL) throws {
    var csv = "id,a,b,grp,grade\n"
    for i in 0..<60 {
      let c = Double(i % 2) * 5
      let jitter = Double((i * 37) % 11) / 20
      let grp = ["\u{E9}", "e\u{301}", "x"][i % 3]
      csv += "s\(i),\(c + jitter),\(c - jitter),\(grp),\(3 + i % 3)\n"
    }
    _ = try CLI.write(csv, "students.csv", in: dir)
  }

  /// A profile attribute whose levels are canonically equivalent but written differently (`é` and `e` +
  /// U+0301: two values in pandas and SciPy) is a table with one column per level, not a crash.
  @Test func profileLevelsAreTheTextAsWritten() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.course(in: dir)
    let config = try CLI.write(
      "steps:\n  - cluster:\n      features: students.csv\n      id: id\n      columns: [a, b]\n      k: 2...3\n"
        + "      profile:\n        table: students.csv\n        id: id\n        outcome: grade\n        positive: \">=4\"\n"
        + "        by: [grp]\n",
      "audit.yaml", in: dir)
    let r = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("out").path])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try AuditReportContentTests.reportJSON(in: dir)
    let steps = try #require(json["steps"] as? [[String: Any]])
    let result = try #require(steps.first?["result"] as? [String: Any])
    let profiles = try #require(result["cluster_profiles"] as? [String: Any])
    let composition = try #require((profiles["composition"] as? [[String: Any]])?.first)
    let levels = try #require(composition["levels"] as? [String])
    // Code-point order: `e` + U+0301 (0x65 …) before `x` (0x78) before `é` (0xE9).
    #expect(levels.map { Array($0.unicodeScalars) } == [["e", "\u{301}"], ["x"], ["\u{E9}"]])
    let counts = try #require(composition["counts"] as? [[Int]])
    #expect(counts.map { $0.reduce(0, +) }.reduce(0, +) == 60)
    #expect(counts.allSatisfy { $0.count == 3 })
  }

  /// A cluster none of whose learners has an outcome has an undefined rate: its profile-table cell is drawn in
  /// the undefined style (class `undef`), as every other undefined cell of the report, not as plain text.
  @Test func anUndefinedProfileRateIsStyledAsUndefined() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,a,b,grade\n"
    for i in 0..<60 {
      let c = Double(i % 2) * 5
      let jitter = Double((i * 37) % 11) / 20
      // The learners of one cluster (odd i) have no grade.
      csv += "s\(i),\(c + jitter),\(c - jitter),\(i % 2 == 1 ? "" : String(3 + i % 3))\n"
    }
    _ = try CLI.write(csv, "students.csv", in: dir)
    let config = try CLI.write(
      "steps:\n  - cluster:\n      features: students.csv\n      id: id\n      columns: [a, b]\n      k: 2\n"
        + "      profile:\n        table: students.csv\n        id: id\n        outcome: grade\n        positive: \">=4\"\n",
      "audit.yaml", in: dir)
    let (r, html) = try AuditReportContentTests.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let table = try #require(html.range(of: "<caption>Cluster profiles from ").map { html[$0.lowerBound...] })
    let body = table[..<(table.range(of: "</table>")?.lowerBound ?? table.endIndex)]
    #expect(body.contains(#/<td class="[^"]*\bundef\b[^"]*">undefined \(no outcome\)</td>/#))
    #expect(body.contains(">0/0<"))
  }

  /// report.json and the console JSON give the digest of the configuration bytes the audit parsed, also when
  /// the configuration is a pipe that can be read only once (`--config <(…)`).
  @Test func theConfigurationDigestIsOfTheBytesThatWereRead() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try AuditCommandTests.smallCourse(in: dir)
    let text = try String(contentsOfFile: course.config, encoding: .utf8)
      .replacingOccurrences(of: "predictions: predictions.csv", with: "predictions: \(course.predictions)")
    let config = try CLI.write(text, "absolute.yaml", in: dir)
    let out = dir.appendingPathComponent("out").path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", #"exec "$0" audit --config <(cat "$1") --out "$2" --format json"#, CLI.binary, config, out]
    p.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 }
    let stdout = Pipe()
    p.standardOutput = stdout
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = stdout.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let digest = SHA256.hex(bytes: Array(text.utf8))
    let summary = try CLI.json(String(decoding: data, as: UTF8.self))
    #expect((summary["config"] as? [String: Any])?["sha256"] as? String == digest)
    let report = try CLI.json(String(contentsOfFile: out + "/report.json", encoding: .utf8))
    #expect((report["config"] as? [String: Any])?["sha256"] as? String == digest)
  }

  /// A list given to an option that takes one name (`by:` of explain: one group column) reaches the command
  /// as one comma-joined name; the command's error about that name points at the option's key.
  @Test func aListForAnOptionOfOneNameIsLocatedAtItsKey() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try AuditCommandTests.smallExplainCourse(in: dir)
    let cases = [
      "      by: [a, b]\n", "      by:\n        - a\n        - b\n", "      by: a, b\n",
    ]
    for by in cases {
      let config = try CLI.write(
        "steps:\n  - explain:\n      features: students.csv\n      id: id\n      model: model.json\n      all: true\n"
          + "      num-samples: 100\n      groups: students.csv\n" + by,
        "audit.yaml", in: dir)
      let (r, _) = try AuditReportContentTests.audit(config, in: dir)
      #expect(r.status == 65, "\(r.stderr)")
      #expect(r.stderr.hasPrefix("\(config):9:7: audit step 'explain' (explain) failed, nothing was written: "), "\(r.stderr)")
      #expect(r.stderr.contains("no column named 'a,"), "\(r.stderr)")
    }
  }

  /// `--check --format json` prints the validation as JSON (`cohortlens.audit-check/1`), not the text listing,
  /// and writes nothing.
  @Test func checkPrintsJSONWhenAskedTo() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try AuditCommandTests.smallCourse(in: dir)
    let out = dir.appendingPathComponent("out").path
    let r = try CLI.run(["audit", "--config", course.config, "--out", out, "--check", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try CLI.json(r.stdout)
    #expect(json["schema"] as? String == "cohortlens.audit-check/1")
    #expect(json["valid"] as? Bool == true)
    #expect(json["seed"] as? Int == 3)
    #expect((json["config"] as? [String: Any])?["sha256"] as? String == (try SHA256.hex(ofFile: course.config)))
    let steps = try #require(json["steps"] as? [[String: Any]])
    #expect(steps.map { $0["name"] as? String } == ["engine"])
    #expect((steps[0]["arguments"] as? [String])?.first == "--predictions")
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}

