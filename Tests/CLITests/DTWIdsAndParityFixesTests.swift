import Foundation
import Testing

/// `dtw`: outputs whose layout cannot hold every learner id.
@Suite("cohortlens dtw: ids beside the NumPy matrix")
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
}
