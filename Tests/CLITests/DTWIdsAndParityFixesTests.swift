import Foundation
import Testing

/// `dtw`: outputs whose layout cannot hold every learner id; negative counts in the DTW options.
@Suite("cohortlens dtw: ids beside the NumPy matrix, negative counts")
struct DTWIdsAndParityFixesTests {
  /// `D.ids.txt` holds one id per line; an id with a line break (a quoted CSV field) split into two lines there,
  /// so a 2 × 2 `D.npy` came with 3 ids (exit 0). It is now a data error at the learner's id cell, and neither
  /// file is written; the CSV matrix, which quotes the id, is unaffected.
  @Test(arguments: ["a\nb", "a\rb", "a\r\nb"])
  func idWithLineBreakIsRefusedForNPY(_ id: String) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write("id,t,v\nc,1,3\nc,2,4\n\"\(id)\",1,1\n\"\(id)\",2,2\n", "lines.csv", in: dir)
    let npy = dir.appendingPathComponent("D.npy").path
    let r = try CLI.run(["dtw", "--series", input, "--id", "id", "--time", "t", "--value", "v", "--radius", "1",
      "--output", npy])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("\(input):4:1: learner id "), "\(r.stderr)")
    #expect(r.stderr.contains("contains a line break, which \(dir.appendingPathComponent("D.ids.txt").path) (one id per line) cannot hold"), "\(r.stderr)")
    #expect(r.stderr.contains("--output D.csv"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["lines.csv"])
    let csv = dir.appendingPathComponent("D.csv").path
    let ok = try CLI.run(["dtw", "--series", input, "--id", "id", "--time", "t", "--value", "v", "--radius", "1",
      "--output", csv])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(try String(contentsOfFile: csv, encoding: .utf8).hasPrefix("id,c,\"\(id)\"\n"))
  }

  /// A negative `--knn` or `--threads` was taken for a flag and reported as "Missing value for '--knn <K>'"
  /// (exit 64 without saying what is wrong); it is now read as the value and refused by the range check, as
  /// `--radius -1` is.
  @Test(arguments: [
    (["dtw", "--knn", "-1"], "--knn must be at least 1, got -1"),
    (["dtw", "--threads", "-2"], "--threads must be at least 1, got -2"),
    (["cluster", "--k", "2", "--threads", "-3"], "--threads must be at least 1, got -3"),
  ])
  func negativeCountIsReadAsAValue(_ options: [String], _ message: String) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write("id,t,v\na,1,1\na,2,2\nb,1,3\nb,2,4\nc,1,2\nc,2,2\n", "s.csv", in: dir)
    var args = [options[0], "--series", input, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"]
    args += options.dropFirst()
    let r = try CLI.run(args)
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(!r.stderr.contains("Missing value"), "\(r.stderr)")
  }
}
