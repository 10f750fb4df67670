import Foundation
import Testing

/// Model files are refused at the entry that is wrong (`file:line:column`), a student named twice is refused,
/// and the CSV says which requested results it does not hold.
@Suite struct ExplainInputTests {
  static let fc = ExplainCommandTests.fc
  static let model = CLI.fixture("models/flipped_pass.json")

  static func run(model path: String, extra: [String] = []) throws -> CLIResult {
    try CLI.run(["explain", "--features", fc, "--id", "user", "--model", path, "--student", "7", "--num-samples", "100"] + extra)
  }

  /// The exported flipped-classroom model with one line changed, and where (1-based line, column of the value).
  static func edited(_ change: (inout [String: Any]) -> Void, in dir: URL, name: String) throws -> String {
    var m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as! [String: Any]
    change(&m)
    let data = try JSONSerialization.data(withJSONObject: m, options: [.prettyPrinted, .sortedKeys])
    return try CLI.write(String(decoding: data, as: UTF8.self), name, in: dir)
  }

  /// 1-based line and column of the `n`-th (1-based) occurrence of `needle` in the file.
  static func position(of needle: String, occurrence n: Int = 1, in path: String) throws -> String {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var from = text.startIndex
    var found: Range<String.Index>?
    for _ in 0..<n {
      found = text.range(of: needle, range: from..<text.endIndex)
      from = found!.upperBound
    }
    let before = text[..<found!.lowerBound]
    let line = before.filter { $0 == "\n" }.count + 1
    let column = before.count - (before.lastIndex(of: "\n").map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
    return "\(line):\(column)"
  }

  @Test func modelFileErrorsNameTheLineAndColumnOfTheEntry() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // A coefficient row one value short: located at the row.
    let short = try Self.edited({ m in
      var c = m["coefficients"] as! [[Double]]
      c[0].removeLast()
      m["coefficients"] = c
    }, in: dir, name: "short.json")
    var r = try Self.run(model: short)
    #expect(r.status == 65)
    let row = try Self.position(of: "[", occurrence: 3, in: short)  // after the "classes" list and the outer "coefficients" one
    #expect(r.stderr.contains("short.json:\(row): coefficient row has 10 value(s) for 11 feature(s)"), "\(r.stderr)")
    // A zero scale: located at the value, naming the feature.
    let zero = try Self.edited({ m in
      var sc = m["scaler"] as! [String: [Double]]
      sc["scale"]![3] = 0
      m["scaler"] = sc
    }, in: dir, name: "zero.json")
    r = try Self.run(model: zero)
    #expect(r.status == 65)
    #expect(r.stderr.contains("zero.json:"), "\(r.stderr)")
    #expect(r.stderr.contains(": scaler.scale of 'lecture_delay' is 0.0; scales must be finite and non-zero"), "\(r.stderr)")
    let line = try String(contentsOfFile: zero, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let located = r.stderr.split(separator: ":").dropFirst().prefix(2).compactMap { Int($0) }
    #expect(located.count == 2 && line[located[0] - 1].dropFirst(located[1] - 1).hasPrefix("0"), "\(r.stderr)")
    // Two intercepts for one row, a wrong type, a mean list too short.
    let intercepts = try Self.edited({ $0["intercept"] = [0.1, 0.2] }, in: dir, name: "intercepts.json")
    r = try Self.run(model: intercepts)
    #expect(r.stderr.contains("intercepts.json:\(try Self.position(of: "[", occurrence: 5, in: intercepts)): 1 coefficient row(s) but 2 intercept(s)"),
            "\(r.stderr)")
    let type = try Self.edited({ $0["type"] = "svm" }, in: dir, name: "type.json")
    r = try Self.run(model: type)
    #expect(r.stderr.contains("type.json:\(try Self.position(of: "\"svm\"", in: type)): 'type' must be \"logistic\" or \"linear\""), "\(r.stderr)")
    let missing = try Self.edited({ $0["coefficients"] = nil }, in: dir, name: "missing.json")
    r = try Self.run(model: missing)
    #expect(r.status == 65)
    #expect(r.stderr.contains("missing.json:1:1: 'coefficients' is missing: it must be an array of numbers"), "\(r.stderr)")
  }

  /// The --groups join is reported both ways, naming ids: explained students without a row in the groups
  /// file, students whose row has no value, and rows of the groups file that match no student.
  @Test func theGroupsJoinNamesTheIdsThatDoNotJoin() throws {
    let dir = try CLI.temporaryDirectory()
    let groups = try CLI.write("user,gender\n7,F\n8,\n9999,M\n", "g.csv", in: dir)
    let r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", Self.model,
                         "--student", "7,8,9", "--num-samples", "100", "--groups", groups, "--by", "gender",
                         "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("1 of 3 explained student(s) have no 'user' in \(groups) (e.g. 9); left out of the disparity table"), "\(r.stderr)")
    #expect(r.stderr.contains("1 of 3 explained student(s) have no 'gender' value in \(groups) (e.g. 8); left out of the disparity table"), "\(r.stderr)")
    #expect(r.stderr.contains("1 of 3 row(s) of \(groups) have no student in \(Self.fc) (e.g. 9999)"), "\(r.stderr)")
  }

  @Test func aStudentNamedTwiceIsRefused() throws {
    let r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", Self.model, "--student", "7,12,7",
                         "--num-samples", "100"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--student lists '7' twice"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
  }

  @Test func theCSVSaysWhichRequestedResultsItDoesNotHold() throws {
    let base = ["explain", "--features", Self.fc, "--id", "user", "--model", Self.model, "--student", "7,12",
                "--num-samples", "300", "--num-features", "3"]
    var r = try CLI.run(base + ["--stability", "2", "--format", "csv"])
    #expect(r.status == 0)
    #expect(r.stderr.contains("warning: --format csv holds the explanation table only; the --stability result is in --format json"),
            "\(r.stderr)")
    #expect(r.stdout.hasPrefix("student,class,probability,rank,feature,condition"))
    #expect(r.stdout.split(separator: "\n").count == 1 + 2 * 3)
    r = try CLI.run(base + ["--format", "csv"])
    #expect(r.status == 0 && !r.stderr.contains("warning"), "\(r.stderr)")
    r = try CLI.run(base + ["--stability", "2", "--format", "json"])
    #expect(r.status == 0 && !r.stderr.contains("warning"), "\(r.stderr)")
    #expect((try CLI.json(r.stdout)["stability"] as? [Any])?.count == 2)
  }

  /// A frame header announcing more classes than memory can hold (50,000 rows × 100,000 classes = 40 GB) stops
  /// the run with a message at once; it used to abort cohortlens allocating the announced answer.
  @Test func aWorkerAnnouncingAnAnswerBeyondMemoryIsStopped() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = try CLI.write("""
      import struct, sys, time
      header = sys.stdin.buffer.read(12)
      rows, cols = struct.unpack("<II", header[4:])
      sys.stdin.buffer.read(8 * rows * cols)
      sys.stdout.buffer.write(b"CLA1" + struct.pack("<II", rows, 100000))
      sys.stdout.buffer.flush()
      time.sleep(300)
      """, "huge.py", in: dir)
    let start = Date()
    let r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--columns", "sessions,submissions", "--student", "7",
                         "--num-samples", "2000000", "--timeout", "120", "--model-command", "python3 \(script)"])
    // 2,000,000 × 100,000 × 16 bytes = 3.2 TB: beyond the default limit (75 % of physical memory) of any machine
    // the tests run on.
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("announced 100000 classes per row for 2000000 rows, an answer needing 2.91 TiB"), "\(r.stderr)")
    #expect(r.stderr.contains("that does not fit in the memory limit"), "\(r.stderr)")
    #expect(Date().timeIntervalSince(start) < 60)
  }

  /// A key the model format does not know (a misspelt "classs", an exporter's metadata) is ignored with a warning
  /// at its line and column; the explanation is the same as without it.
  @Test func unknownModelKeysAreNamedInAWarning() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let typo = try Self.edited({ m in
      m["classs"] = m["classes"]
      m["classes"] = nil
      var sc = m["scaler"] as! [String: Any]
      sc["with_mean"] = true
      m["scaler"] = sc
    }, in: dir, name: "typo.json")
    let r = try Self.run(model: typo, extra: ["--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("warning: \(typo):\(try Self.position(of: "\"classs\"", in: typo)): unknown key 'classs' ignored"), "\(r.stderr)")
    #expect(r.stderr.contains("warning: \(typo):\(try Self.position(of: "\"with_mean\"", in: typo)): unknown key 'scaler.with_mean' ignored"),
            "\(r.stderr)")
    let plain = try Self.run(model: Self.model, extra: ["--format", "csv"])
    #expect(plain.status == 0 && !plain.stderr.contains("warning"), "\(plain.stderr)")
    // Without class names the class is shown by index; the numbers are the same.
    func withoutClass(_ csv: String) -> [[Substring]] {
      csv.split(separator: "\n").map { line in
        var fields = line.split(separator: ",", omittingEmptySubsequences: false)
        fields.remove(at: 1)
        return fields
      }
    }
    #expect(r.stdout.split(separator: "\n").dropFirst().allSatisfy { $0.split(separator: ",")[1] == "1" })
    #expect(withoutClass(r.stdout) == withoutClass(plain.stdout))
  }
}
