import CohortLensCore
import Foundation
import Testing

/// `cohortlens audit`: its console output, the files it reads and where their relative paths start.
@Suite("cohortlens audit: console output and inputs")
struct AuditConsoleAndInputTests {
  /// Runs `cohortlens args…` in the package root with stdout opened on `stdout` (e.g. `/dev/full`); stderr
  /// captured.
  static func run(_ args: [String], stdout path: String) throws -> (status: Int32, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.binary)
    p.arguments = args
    p.currentDirectoryURL = CLI.root
    p.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 }
    let sink = try #require(FileHandle(forWritingAtPath: path))
    let err = Pipe()
    p.standardOutput = sink
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let data = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// `--check` whose listing cannot be written (a full disk, a closed pipe) fails with exit 73 and the
  /// reason, as every other command's result on standard output does; in both console formats.
  @Test func aCheckThatCannotBeWrittenExits73() throws {
    guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try AuditCommandTests.smallCourse(in: dir)
    let out = dir.appendingPathComponent("out").path
    for format in ["table", "json"] {
      let r = try Self.run(
        ["audit", "--config", course.config, "--out", out, "--check", "--format", format], stdout: "/dev/full")
      #expect(r.status == 73, "\(format): \(r.stderr)")
      #expect(r.stderr.contains("standard output: cannot write the check ("), "\(format): \(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: out))
    }
    // Written to a device that takes it, the check succeeds.
    let ok = try Self.run(["audit", "--config", course.config, "--out", out, "--check"], stdout: "/dev/null")
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  /// A folder given where a file that is not a CSV file is expected is named as a folder, and the hint names
  /// the file that is expected: the audit configuration (YAML or JSON), explain's model (JSON) — never "a CSV
  /// file", and never read as an empty model.
  @Test func aFolderGivenForAFileThatIsNotCSVIsNamedWithTheRightHint() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let audit = try CLI.run(["audit", "--config", dir.path, "--out", dir.appendingPathComponent("out").path])
    #expect(audit.status == 64, "\(audit.stderr)")
    #expect(audit.stderr.contains("\(dir.path): is a directory, not a file; pass the path of the audit configuration file (YAML or JSON"), "\(audit.stderr)")
    #expect(!audit.stderr.contains("CSV"), "\(audit.stderr)")
    let explain = try CLI.run([
      "explain", "--features", CLI.fixture("flipped-classroom/aggregated_fc.csv"), "--id", "user", "--all",
      "--model", dir.path,
    ])
    #expect(explain.status == 65, "\(explain.stderr)")
    #expect(explain.stderr.contains("\(dir.path): is a directory, not a file; pass the path of the model's JSON file"), "\(explain.stderr)")
    #expect(!explain.stderr.contains("CSV") && !explain.stderr.contains("JSON object"), "\(explain.stderr)")
    // A CSV input keeps its hint.
    let features = try CLI.run(["explain", "--features", dir.path, "--id", "user", "--all", "--model", CLI.fixture("models/flipped_pass.json")])
    #expect(features.status == 65, "\(features.stderr)")
    #expect(features.stderr.contains("is a directory, not a file; pass the path of a CSV file"), "\(features.stderr)")
  }

  /// A configuration read from a pipe (`--config <(cat audit.yaml)`: `/dev/fd/63`) or named through
  /// `/proc/self/fd/N` has no folder of its own: its relative paths start at the current directory, not at
  /// `/dev/fd` or `/proc/self/fd`.
  @Test func relativePathsOfAConfigurationFromAPipeStartAtTheCurrentDirectory() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let course = try AuditCommandTests.smallCourse(in: dir)  // audit.yaml names predictions.csv
    let out = dir.appendingPathComponent("out").path
    for command in [
      #"exec "$0" audit --config <(cat "$1") --out "$2" --check"#,
      #"exec "$0" audit --config /proc/self/fd/3 --out "$2" --check 3<"$1""#,
    ] {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/bash")
      p.arguments = ["-c", command, CLI.binary, course.config, out]
      p.currentDirectoryURL = dir
      p.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 }
      let stdout = Pipe(), stderr = Pipe()
      p.standardOutput = stdout
      p.standardError = stderr
      try p.run()
      let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(p.terminationStatus == 0, "\(command): \(errors)")
      #expect(text.contains("--predictions predictions.csv "), "\(command): \(text)")
    }
    // Started elsewhere, the missing input's hint says where its path started.
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", #"exec "$0" audit --config <(cat "$1") --out "$2" --check"#, CLI.binary, course.config, out]
    p.currentDirectoryURL = CLI.root
    let stderr = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = stderr
    try p.run()
    let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 64, "\(errors)")
    #expect(errors.contains("predictions 'predictions.csv' cannot be read"), "\(errors)")
    #expect(errors.contains("paths are relative to the current directory"), "\(errors)")
    // A configuration in a folder keeps that folder as the start of its relative paths.
    let r = try CLI.run(["audit", "--config", course.config, "--out", out, "--check"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("--predictions \(dir.path)/predictions.csv "), "\(r.stdout)")
  }

  /// The explain step's facts (students, mean local R², mean |local − model|) and its "features chosen"
  /// table are in report.json (the step's `cohort`) and the table in `tables/<step>-features.csv`, at full
  /// precision and equal to what the HTML shows to 4 significant digits; the footer claims no more.
  @Test func theExplainStepsFactsAndFeaturesTableAreInReportJSONAndTables() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try AuditCommandTests.smallExplainCourse(in: dir)
    let config = try CLI.write(
      "steps:\n  - explain:\n      name: why\n      features: students.csv\n      id: id\n      model: model.json\n"
        + "      all: true\n      num-samples: 200\n      num-features: 1\n      class: yes\n      show: 0\n", "audit.yaml", in: dir)
    let (r, html) = try AuditReportContentTests.audit(config, in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let json = try AuditReportContentTests.reportJSON(in: dir)
    let step = try #require((json["steps"] as? [[String: Any]])?.first)
    let result = try #require(step["result"] as? [String: Any])
    let cohort = try #require(result["cohort"] as? [String: Any])
    let explanations = try #require(result["explanations"] as? [[String: Any]])
    #expect(cohort["students"] as? Int == 30 && explanations.count == 30)
    let scores = explanations.compactMap { $0["score"] as? Double }
    let meanScore = try #require(cohort["mean_score"] as? Double)
    #expect(abs(meanScore - scores.reduce(0, +) / Double(scores.count)) < 1e-12)
    #expect(cohort["scores_defined"] as? Int == scores.count)
    let gaps = explanations.compactMap { $0["abs_difference"] as? Double }
    let meanGap = try #require(cohort["mean_abs_difference"] as? Double)
    #expect(abs(meanGap - gaps.reduce(0, +) / 30) < 1e-12)
    let facts = AuditReportContentTests.text(Substring(html))
    #expect(facts.contains("mean local R²  \(NumberFormatting.significant(meanScore, digits: 4))")
      || html.contains(">\(NumberFormatting.significant(meanScore, digits: 4))<"), "mean R²")
    #expect(html.contains(">\(NumberFormatting.significant(meanGap, digits: 4))<"), "mean gap")
    // One feature per explanation: the chosen counts add up to the students.
    let chosen = try #require(cohort["features_chosen"] as? [[String: Any]])
    #expect(!chosen.isEmpty && chosen.map { $0["chosen"] as? Int ?? 0 }.reduce(0, +) == 30)
    let rows = AuditReportContentTests.rows(after: "Features chosen across the 30 explanations", in: html)
    #expect(rows.map { $0[0] } == chosen.map { $0["feature"] as? String ?? "" })
    for (row, c) in zip(rows, chosen) {
      #expect(row[1] == "\(c["chosen"] as? Int ?? -1)/30")
      #expect(row[3] == NumberFormatting.significant(c["mean_abs_weight"] as? Double ?? .nan, digits: 4), "\(row)")
    }
    #expect((step["tables"] as? [String: String])?["features"] == "tables/why-features.csv")
    let csv = try String(contentsOf: dir.appendingPathComponent("out/tables/why-features.csv"), encoding: .utf8)
    let lines = csv.split(separator: "\n").map(String.init)
    #expect(lines.first == "feature,chosen,students,share,mean_abs_weight,towards_class,towards_class_share")
    #expect(lines.count == chosen.count + 1)
    #expect(!html.contains("and in tables/*.csv."), "the footer claims only what is true")
  }
}
