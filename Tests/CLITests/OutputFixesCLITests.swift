import CohortLensCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The aligned table with a huge cell; output files (missing folders, long names, permissions), through the binary.
@Suite("output edge cases")
struct OutputFixesCLITests {
  @Test func aHugeCellIsCutInTheAlignedTableOnly() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = String(repeating: "x", count: 10_000_000)
    let cells = try CLI.write("id,g\n1,\(big)\n2,b\n", "c.csv", in: dir)
    let table = try CLI.run(["inspect", cells])
    #expect(table.status == 0)
    #expect(table.stdout.utf8.count < 2000)
    #expect(table.stdout.hasSuffix(TextTable.shortenedNote + "\n"))
    #expect(table.stdout.contains("2: " + String(repeating: "x", count: 56) + "…"))
    let csv = try CLI.run(["inspect", cells, "--format", "csv"])
    #expect(csv.stdout.utf8.count > 10_000_000)
  }

  @Test func outputFolderThatDoesNotExistAndLongNamesAndPermissions() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,a,b\ns1,0,0\ns2,0.1,0\ns3,5,5\ns4,5.1,5\n", "f.csv", in: dir)
    let missing = dir.appendingPathComponent("newdir").path + "/"
    let r = try CLI.run(["inspect", f, "--output", missing])
    #expect(r.status == 73)
    #expect(r.stderr == "\(missing): the folder '\(missing)' does not exist; create it and name a file inside it\n")
    let existing = try CLI.run(["inspect", f, "--output", dir.path + "/"])
    #expect(existing.status == 64)
    // A 255-byte name.
    let long = dir.appendingPathComponent(String(repeating: "n", count: 251) + ".csv").path
    let named = try CLI.run(["inspect", f, "--format", "csv", "--output", long])
    #expect(named.status == 0, "\(named.stderr)")
    #expect(try String(contentsOfFile: long, encoding: .utf8).hasPrefix("column,header,type"))
    // A private file stays private when replaced (a report and its labels, written together).
    let report = dir.appendingPathComponent("report.csv").path, labels = dir.appendingPathComponent("labels.csv").path
    for p in [report, labels] {
      try Data("old\n".utf8).write(to: URL(fileURLWithPath: p))
      chmod(p, 0o600)
    }
    let c = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--format", "csv", "--output", report, "--labels-out", labels])
    #expect(c.status == 0, "\(c.stderr)")
    for p in [report, labels] {
      var st = stat()
      stat(p, &st)
      #expect(st.st_mode & 0o777 == 0o600)
      #expect(try String(contentsOfFile: p, encoding: .utf8) != "old\n")
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(!names.contains { $0.hasPrefix(".") })
  }

  /// Help and version text that cannot be written to standard output (a full disk) is a failed output, exit 73
  /// with the reason, as every command's result is; it used to exit 0.
  @Test func helpAndVersionThatCannotBeWrittenExit73() throws {
    guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
    for (args, what) in [(["--version"], "version"), (["--help"], "help"), (["cluster", "--help"], "help"), (["help", "dtw"], "help")] {
      let r = try AuditConsoleAndInputTests.run(args, stdout: "/dev/full")
      #expect(r.status == 73, "\(args): \(r.stderr)")
      #expect(r.stderr.hasPrefix("standard output: cannot write the \(what) ("), "\(args): \(r.stderr)")
      let ok = try AuditConsoleAndInputTests.run(args, stdout: "/dev/null")
      #expect(ok.status == 0 && ok.stderr.isEmpty, "\(args): \(ok.stderr)")
    }
    let version = try CLI.run(["--version"])
    #expect(version.status == 0 && version.stdout == CohortLensVersion.string + "\n")
  }

  /// A file name longer than the file system allows fails before any work (exit 73, nothing on stdout), not at
  /// the final rename: `--labels-out` used to print the whole report, then fail; `dtw --output D.npy` computed
  /// the matrix, then failed on `D.ids.txt`.
  @Test func aTooLongOutputNameFailsBeforeAnyWork() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,a,b\ns1,0,0\ns2,0.1,0\ns3,5,5\ns4,5.1,5\n", "f.csv", in: dir)
    let tooLong = dir.appendingPathComponent(String(repeating: "n", count: 252) + ".csv").path
    let note = ": the file name is 256 bytes long, more than the 255 bytes a file name may have in '\(dir.path)'; choose a shorter name\n"
    let labels = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--labels-out", tooLong])
    #expect(labels.status == 73)
    #expect(labels.stdout.isEmpty)
    #expect(labels.stderr == tooLong + note)
    let output = try CLI.run(["inspect", f, "--output", tooLong])
    #expect(output.status == 73)
    #expect(output.stderr == tooLong + note)
    // `D.npy` fits (253 bytes) but its `D.ids.txt` (257 bytes) does not.
    let series = try CLI.write("id,w1,w2\na,1,2\nb,2,1\nc,3,1\n", "s.csv", in: dir)
    let npy = dir.appendingPathComponent(String(repeating: "d", count: 249) + ".npy").path
    let ids = String(npy.dropLast(4)) + ".ids.txt"
    let d = try CLI.run(["dtw", "--series", series, "--id", "id", "--wide", "--radius", "1", "--output", npy])
    #expect(d.status == 73)
    #expect(d.stderr == ids + note.replacingOccurrences(of: "256 bytes", with: "257 bytes"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["f.csv", "s.csv"])
  }

  /// A read-only previous report (0555, `tables/` too) is replaced by a writer without any override of file
  /// permissions — an ordinary user, or root run without CAP_DAC_OVERRIDE through `setpriv` — and the new
  /// report keeps 0555, with no temporary or old folder left behind. The staging folder used to take 0555 at
  /// once, so nothing could be written into it (exit 73).
  @Test func aReadOnlyPreviousReportIsReplaced() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("out").path
    defer {
      _ = chmod(out + "/tables", 0o755)
      _ = chmod(out, 0o755)
      try? FileManager.default.removeItem(at: dir)
    }
    let config = try CLI.write(
      "steps:\n  - fairness:\n      name: f\n      predictions: \(CLI.fixture("synthetic/fairness_edge_cases.csv"))\n"
        + "      label: truth\n      positive: 1\n      prediction: predicted\n      predicted-positive: 1\n      by: group\n",
      "a.yaml", in: dir)
    let args = ["audit", "--config", config, "--out", out]
    #expect(try CLI.run(args).status == 0)
    #expect(chmod(out + "/tables", 0o555) == 0 && chmod(out, 0o555) == 0)
    let again: CLIResult
    if getuid() == 0 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
      p.arguments = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search",
                     CLI.binary] + args
      let err = Pipe()
      p.standardOutput = FileHandle.nullDevice
      p.standardError = err
      p.standardInput = FileHandle.nullDevice
      try p.run()
      let errData = err.fileHandleForReading.readDataToEndOfFile()
      p.waitUntilExit()
      again = CLIResult(status: p.terminationStatus, stdout: "", stderr: String(decoding: errData, as: UTF8.self))
    } else {
      again = try CLI.run(args)
    }
    #expect(again.status == 0, "\(again.stderr)")
    #expect(!again.stderr.contains("warning"), "\(again.stderr)")
    var st = stat()
    #expect(stat(out, &st) == 0 && st.st_mode & 0o777 == 0o555)
    #expect(stat(out + "/tables", &st) == 0 && st.st_mode & 0o777 == 0o555)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.yaml", "out"])
  }
}
