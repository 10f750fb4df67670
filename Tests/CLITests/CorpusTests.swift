import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The bad-input corpus (Tests/Corpus/cases.json, Tests/Corpus/README.md): every broken input is run
/// through the built `cohortlens` binary and must end with its exact exit status, its message
/// fragments on stderr, a `file:line:column` location where one applies, nothing on stdout, and no
/// output file created or overwritten. Warning cases (exit 0) must state the warning on stderr and
/// in the output.
struct CorpusCase: Decodable, Sendable, CustomTestStringConvertible {
  /// Unique, `<command>-<what is broken>`.
  var name: String
  /// The subcommand (`cluster`, `dtw`, `fairness`, `explain`, `audit`); `args` start after it.
  var command: String
  /// Arguments after the command; `{out}`, `{tmp}`, `{big}`, `{pidfile}` are substituted.
  var args: [String]
  /// Expected exit status.
  var exit: Int32
  /// Fragments that must all appear in stderr.
  var stderr: [String]
  /// The exact `file:line:column` the message must start with (followed by `: `), when it applies.
  var location: String?
  /// `absent` (default): `{out}` must not exist afterwards; `sentinel`: `{out}` exists beforehand
  /// with sentinel content and must be unchanged; `none`: the case writes no output to check.
  var output: String?
  /// `{out}` is a folder (audit `--out`); its sentinel is a `report.json` inside.
  var outputIsDirectory: Bool?
  /// Warning cases (exit 0): fragments that the output (`{out}` when given, else stdout) must contain.
  var outputContains: [String]?
  /// `bigfield-text` / `bigfield-digits`: `{big}` is generated at run time: a CSV (`id,a,b,c`) whose
  /// cell `a` of row 2 is 10 MB of `x` / of `7` (not committed).
  var generate: String?
  /// Further names in the case's temporary folder that must not exist afterwards.
  var absent: [String]?
  /// The worker writes its pid to `{pidfile}`; afterwards the process must be gone (killed and reaped).
  var reaped: Bool?
  /// Upper bound on the run's wall-clock seconds (a hanging worker must be stopped by `--timeout`).
  var maxSeconds: Double?

  var testDescription: String { name }
}

enum Corpus {
  static let folder = CLI.root.appendingPathComponent("Tests/Corpus")
  static let commands = ["cluster", "dtw", "fairness", "explain", "audit"]
  static let sentinel = "sentinel: a previous result that a failing run must not touch\n"
  /// The sentinel `report.json` of a previous audit report (recognised by its schema, so the audit
  /// accepts the folder as replaceable and must still leave it untouched when it fails).
  static let reportSentinel = #"{"schema": "cohortlens.audit/1", "note": "sentinel: a previous report"}"# + "\n"

  static let cases: [CorpusCase] = {
    do {
      let data = try Data(contentsOf: folder.appendingPathComponent("cases.json"))
      return try JSONDecoder().decode([CorpusCase].self, from: data)
    } catch {
      // An unreadable manifest fails `manifestCoversEveryCommand` with this error's text.
      return [CorpusCase(name: "unreadable cases.json: \(error)", command: "", args: [], exit: -1, stderr: [])]
    }
  }()

  /// `bigfield.csv` in `dir`: `id,a,b,c` with four learners, cell `a` of row 2 (line 3) a quoted
  /// 10 MiB run of `fill`.
  static func bigField(_ fill: Character, in dir: URL) throws -> String {
    var text = "id,a,b,c\ns1,1,2,3\ns2,\""
    text += String(repeating: fill, count: 10 * 1024 * 1024)
    text += "\",4,5\ns3,5,6,7\ns4,2,1,0\n"
    return try CLI.write(text, "bigfield.csv", in: dir)
  }
}

@Suite("bad-input corpus")
struct CorpusTests {
  @Test func manifestCoversEveryCommand() throws {
    let cases = Corpus.cases
    #expect(cases.count >= 45, "\(cases.count) cases")
    #expect(Set(cases.map(\.name)).count == cases.count, "case names must be unique")
    for command in Corpus.commands {
      #expect(cases.contains { $0.command == command }, "no case for \(command)")
    }
    for c in cases {
      #expect(Corpus.commands.contains(c.command), "\(c.name): unknown command '\(c.command)'")
      #expect(c.exit == 0 || c.exit == 64 || c.exit == 65, "\(c.name): exit \(c.exit)")
      if c.exit == 0 {
        #expect(c.outputContains?.isEmpty == false, "\(c.name): an exit-0 case must check its output")
      } else {
        #expect(!c.stderr.isEmpty, "\(c.name): no expected message fragment")
      }
      if let loc = c.location {
        #expect((try? Regex(#"[^\s:]+:[0-9]+:[0-9]+"#).wholeMatch(in: loc)) != nil, "\(c.name): location '\(loc)'")
      }
      // Every committed input the case names exists.
      for a in c.args where a.hasPrefix("Tests/Corpus/") && !a.contains("{") {
        #expect(FileManager.default.fileExists(atPath: CLI.root.appendingPathComponent(a).path), "\(c.name): \(a)")
      }
    }
  }

  @Test(arguments: Corpus.cases)
  func brokenInput(_ c: CorpusCase) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let isDirectory = c.outputIsDirectory ?? false
    let out = dir.appendingPathComponent(isDirectory ? "report" : "result.out").path
    let pidFile = dir.appendingPathComponent("worker.pid").path
    var big = ""
    switch c.generate {
    case "bigfield-text": big = try Corpus.bigField("x", in: dir)
    case "bigfield-digits": big = try Corpus.bigField("7", in: dir)
    case nil: break
    case let other?: Issue.record("unknown generator '\(other)'")
    }
    let args = [c.command] + c.args.map {
      $0.replacingOccurrences(of: "{out}", with: out).replacingOccurrences(of: "{tmp}", with: dir.path)
        .replacingOccurrences(of: "{big}", with: big).replacingOccurrences(of: "{pidfile}", with: pidFile)
    }
    let mode = c.output ?? (c.exit == 0 ? "none" : "absent")
    let sentinelPath = isDirectory ? out + "/report.json" : out
    if mode == "sentinel" {
      if isDirectory { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
      try Data((isDirectory ? Corpus.reportSentinel : Corpus.sentinel).utf8).write(to: URL(fileURLWithPath: sentinelPath))
    }

    let start = Date()
    let r = try CLI.run(args)
    let elapsed = Date().timeIntervalSince(start)

    #expect(r.status == c.exit, "exit \(r.status), expected \(c.exit); stderr: \(r.stderr)")
    for fragment in c.stderr {
      #expect(r.stderr.contains(fragment), "missing '\(fragment)' in stderr: \(r.stderr)")
    }
    if let loc = c.location {
      #expect(r.stderr.contains(loc + ": "), "no location '\(loc): ' in stderr: \(r.stderr)")
      #expect(r.stderr.contains(try Regex(#"[^\s:]+:[0-9]+:[0-9]+: "#)), "no file:line:column in stderr: \(r.stderr)")
    }
    // Messages quote bounded excerpts, never a whole 10 MB cell (worker stderr tails are at most 4 KB).
    #expect(r.stderr.utf8.count < 8192, "stderr is \(r.stderr.utf8.count) bytes")
    if c.exit != 0 {
      #expect(r.stdout.isEmpty, "stdout not empty on error: \(r.stdout.prefix(300))")
    }
    switch mode {
    case "absent":
      #expect(!FileManager.default.fileExists(atPath: out), "\(out) was created")
    case "sentinel":
      let now = try String(contentsOfFile: sentinelPath, encoding: .utf8)
      #expect(now == (isDirectory ? Corpus.reportSentinel : Corpus.sentinel), "the previous output was overwritten")
      if isDirectory {
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["report.json"], "files added to \(out)")
      }
    default:
      break
    }
    for name in c.absent ?? [] {
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name) was created")
    }
    // No staged `.name.tmp-…` left next to the output.
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
    #expect(left.isEmpty, "temporary files left: \(left)")
    if let wanted = c.outputContains {
      let text = FileManager.default.fileExists(atPath: out) && !isDirectory
        ? try String(contentsOfFile: out, encoding: .utf8) : r.stdout
      for fragment in wanted {
        #expect(text.contains(fragment), "missing '\(fragment)' in the output: \(text.prefix(2000))")
      }
    }
    if c.reaped == true {
      let text = try String(contentsOfFile: pidFile, encoding: .utf8)
      let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
      #expect(kill(pid, 0) == -1, "worker \(pid) still exists")
    }
    if let limit = c.maxSeconds { #expect(elapsed < limit, "took \(elapsed) s") }
  }
}

/// `dtw --max-memory`: the full-matrix estimate n²·(8 + output bytes per cell) + 8·(series values) is
/// checked before the matrix is allocated; `--knn` is not limited by it.
@Suite("dtw memory limit")
struct DTWMemoryLimitTests {
  static let series = ["--series", "Tests/Corpus/dtw/forty-learners.csv", "--id", "id", "--time", "week", "--value", "v",
                       "--radius", "1"]

  @Test func estimateNamesTheMatrixAndTheWayOut() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // 40 learners × 8 steps: matrix 40²·8 = 12,800 B, CSV 40²·24 = 38,400 B, series 320·8 = 2,560 B → 53,760 B.
    let limit = 53_760
    let out = dir.appendingPathComponent("D.csv").path
    let over = try CLI.run(["dtw"] + Self.series + ["--output", out, "--max-memory", String(limit - 1)])
    #expect(over.status == 64)
    #expect(over.stderr.contains("the DTW matrix of 40 learners (40×40 float64 plus its CSV text) needs about 52.5 KiB"), "\(over.stderr)")
    #expect(over.stderr.contains("use --knn K"))
    #expect(!FileManager.default.fileExists(atPath: out))
    // Exactly at the estimate: allowed, and the matrix is written.
    let at = try CLI.run(["dtw"] + Self.series + ["--output", out, "--max-memory", String(limit)])
    #expect(at.status == 0, "\(at.stderr)")
    let text = try String(contentsOfFile: out, encoding: .utf8)
    #expect(text.split(separator: "\n").count == 41)
    // .npy (computed into the mapped file): 40²·(8 + 0) + 2,560 = 15,360 B; the summary: 40²·(8 + 6) + 2,560 = 24,960 B.
    let npy = dir.appendingPathComponent("D.npy").path
    #expect(try CLI.run(["dtw"] + Self.series + ["--output", npy, "--max-memory", "15359"]).status == 64)
    #expect(try CLI.run(["dtw"] + Self.series + ["--output", npy, "--max-memory", "15360"]).status == 0)
    #expect(try CLI.run(["dtw"] + Self.series + ["--max-memory", "24959"]).status == 64)
    #expect(try CLI.run(["dtw"] + Self.series + ["--max-memory", "24960"]).status == 0)
    // An unreadable limit is a usage error before any work.
    let bad = try CLI.run(["dtw"] + Self.series + ["--max-memory", "lots"])
    #expect(bad.status == 64)
    #expect(bad.stderr.contains("--max-memory 'lots' is not a memory size"), "\(bad.stderr)")
  }
}
