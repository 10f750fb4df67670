import Foundation
import Testing

/// A successful command ends without libc's exit handlers (`_exit` after its outputs are written): the exit
/// status, the whole of standard output (through a pipe), the warnings on stderr and every output file are
/// as before.
@Suite struct QuickExitTests {
  static let effort = CLI.fixture("flipped-classroom/effort_features.csv")

  @Test func stdoutThroughAPipeIsComplete() throws {
    let args = ["cluster", "--features", Self.effort, "--id", "user", "--columns", "effort_time,effort_clicks",
                "--k", "2...6", "--format", "json"]
    let a = try CLI.run(args)
    let b = try CLI.run(args)
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stdout.hasSuffix("}\n"))
    #expect(try CLI.json(a.stdout)["sweep"] != nil)
    #expect(a.stdout == b.stdout && a.stderr == b.stderr)
  }

  @Test func outputFilesAreWrittenAndWarningsPrinted() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("r.json").path
    let labels = dir.appendingPathComponent("labels.csv").path
    let r = try CLI.run(["cluster", "--features", CLI.fixture("synthetic/blobs_separated.csv"), "--id", "id",
                         "--k", "3", "--format", "json", "--output", out, "--labels-out", labels])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let json = try String(contentsOfFile: out, encoding: .utf8)
    #expect(json.hasSuffix("}\n"))
    #expect(try CLI.json(json)["sweep"] != nil)
    let csv = try String(contentsOfFile: labels, encoding: .utf8)
    #expect(csv.hasPrefix("id,"))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
  }

  @Test func failuresKeepTheirExitStatus() throws {
    let r = try CLI.run(["cluster", "--features", "/nonexistent/x.csv", "--id", "id", "--k", "3"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("cannot read"))
  }
}
