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
}
