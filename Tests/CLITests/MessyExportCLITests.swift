import Foundation
import Testing

/// Files as spreadsheets and other tools export them, through the binary.
@Suite("Exports from Excel, R and LMS platforms")
struct MessyExportCLITests {
  /// Booleans written in two letter cases (`TRUE` and `True`): the hint says to write them alike; it suggested
  /// declaring 'True' a negative with --negative.
  @Test func labelInAnotherLetterCaseIsNotSuggestedAsANegative() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,truth,pred,g\n"
    for i in 0..<12 {
      let t = i % 2 == 0 ? (i % 4 == 0 ? "TRUE" : "True") : (i % 3 == 0 ? "FALSE" : "False")
      csv += "s\(i),\(t),\(i % 3 == 0 ? "TRUE" : "FALSE"),\(i % 2 == 0 ? "a" : "b")\n"
    }
    let p = try CLI.write(csv, "p.csv", in: dir)
    let base = ["fairness", "--predictions", p, "--label", "truth", "--positive", "TRUE", "--prediction", "pred", "--by", "g"]
    let r = try CLI.run(base)
    #expect(r.status == 65 && r.stdout.isEmpty)
    #expect(r.stderr.hasSuffix("; 'True' is the positive 'TRUE' in another letter case: values are compared as written; write every label alike (e.g. all 'TRUE')\n"), "\(r.stderr)")
    #expect(!r.stderr.contains("--negative"), "\(r.stderr)")
    let declared = try CLI.run(base + ["--negative", "FALSE,False"])
    #expect(declared.status == 65)
    #expect(declared.stderr.hasPrefix("\(p):4:4: label value 'True' is neither the positive 'TRUE' nor a declared negative (FALSE, False)"), "\(declared.stderr)")
    #expect(declared.stderr.hasSuffix("; 'True' is the positive 'TRUE' in another letter case: values are compared as written; write every label alike (e.g. all 'TRUE')\n"), "\(declared.stderr)")
  }

  /// `--student` names an id written with blanks around it (its values are trimmed, so ' 5' could not be
  /// named), and an id written differently in the table ('005', '5.0' for '5') is named in the error.
  @Test func studentIdsWrittenDifferently() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: CLI.fixture("flipped-classroom/aggregated_fc.csv"), encoding: .utf8)
      .split(separator: "\n").prefix(31).enumerated().map { $0 == 6 ? " " + $1 : String($1) }
    let f = try CLI.write(lines.joined(separator: "\n") + "\n", "f.csv", in: dir)
    let base = ["explain", "--features", f, "--id", "user", "--model", CLI.fixture("models/flipped_pass.json"),
                "--num-samples", "100", "--format", "csv"]
    for student in ["5", " 5"] {
      let r = try CLI.run(base + ["--student", student])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("\n\" 5\",pass,"), "\(r.stdout)")
    }
    for student in ["005", "5.0"] {
      let r = try CLI.run(base + ["--student", student])
      #expect(r.status == 65 && r.stdout.isEmpty)
      #expect(r.stderr == "\(f): no student '\(student)' in column 'user'; the table writes it ' 5' (ids are compared exactly as written); give --student ' 5'\n")
    }
    let far = try CLI.run(base + ["--student", "1000"])
    #expect(far.stderr.hasSuffix("no student '1000' in column 'user'; closest ids: '10', '0', '1', '11', '12'\n"), "\(far.stderr)")
  }
}
