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
}
