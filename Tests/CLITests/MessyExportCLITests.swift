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

  /// One file with the same learner id written two ways ('3' and '003', '3' and ' 3'): two learners, as
  /// written, with a warning naming them (they were clustered as two learners silently).
  @Test func idsWrittenTwoWaysInOneFileAreNamed() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,a,b\n"
    for i in 0..<10 { csv += "\(i == 7 ? "003" : String(i)),\(Double(i % 5)),\(Double(i / 5))\n" }
    let f = try CLI.write(csv, "f.csv", in: dir)
    let warning = "ids '3' and '003' of column 'id' are two learners here but the same id written differently: ids are compared exactly as written (leading zeros, blanks, letter case and '7' vs '7.0' count); if they are one learner, write them alike"
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "a,b", "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("cohortlens cluster: warning: \(warning)\n"), "\(r.stderr)")
    #expect((try CLI.json(r.stdout)["warnings"] as? [String])?.contains(warning) == true)
    let scores = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "a,b", "--labels", "b", "--format", "csv"])
    #expect(scores.stderr.contains("cohortlens scores: warning: \(warning)\n"), "\(scores.stderr)")
    // A series split between '4' (steps 0-2) and ' 4' (steps 3-5): two complete learners, named.
    var series = "id,t,v\n"
    for learner in 0..<5 {
      for t in 0..<6 { series += "\(learner == 4 && t >= 3 ? " 4" : String(learner)),\(learner == 4 && t >= 3 ? t - 3 : t),\(Double((learner * 7 + t * 3) % 5))\n" }
    }
    let s = try CLI.write(series, "s.csv", in: dir)
    let seriesWarning = "ids '4' and ' 4' of column 'id' are two learners here but the same id written differently"
    let dtw = try CLI.run(["dtw", "--series", s, "--id", "id", "--time", "t", "--value", "v", "--radius", "1", "--format", "csv"])
    #expect(dtw.status == 0 && dtw.stderr.contains("cohortlens dtw: warning: \(seriesWarning)"), "\(dtw.stderr)")
    let cluster = try CLI.run(["cluster", "--series", s, "--id", "id", "--time", "t", "--value", "v", "--radius", "1", "--k", "2", "--format", "csv"])
    #expect(cluster.status == 0 && cluster.stderr.contains("cohortlens cluster: warning: \(seriesWarning)"), "\(cluster.stderr)")
  }

  /// Group values that differ only by blanks around them (' M' beside 'M'): two groups, as pandas makes them,
  /// with a warning naming them, in fairness and audit (they were two groups silently).
  @Test func groupValuesThatDifferOnlyByBlanksAreNamed() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,truth,pred,g,s\n"
    for i in 0..<24 { csv += "s\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),\(["M", " M", "F"][i % 3]),\(i % 4 == 0 ? "x " : "x")\n" }
    let p = try CLI.write(csv, "p.csv", in: dir)
    let warning = "sensitive attribute 'g': 'M' and ' M' differ only by blanks around them but are two groups — values are compared as written, as pandas does. Trim the blanks in the file to merge them"
    let r = try CLI.run(["fairness", "--predictions", p, "--label", "truth", "--positive", "1", "--prediction", "pred", "--by", "g",
                         "--stratify", "s", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("cohortlens fairness: warning: \(warning)\n"), "\(r.stderr)")
    #expect(r.stderr.contains("cohortlens fairness: warning: the --stratify column 's': 'x ' and 'x' differ only by blanks around them but are two strata"), "\(r.stderr)")
    #expect((try CLI.json(r.stdout)["warnings"] as? [String])?.contains(warning) == true)
    let plain = try CLI.run(["fairness", "--predictions", p, "--label", "truth", "--positive", "1", "--prediction", "pred", "--by", "truth", "--format", "csv"])
    #expect(plain.status == 0 && !plain.stderr.contains("differ only by blanks"), "\(plain.stderr)")
    // ` 1.0` beside `1`: the same number once its blanks are skipped (neither warning fired before).
    var numbers = "id,truth,pred,g\n"
    for i in 0..<12 { numbers += "s\(i),\(i % 2),\(i % 3 == 0 ? 1 : 0),\(i % 2 == 0 ? "1" : " 1.0")\n" }
    let q = try CLI.write(numbers, "q.csv", in: dir)
    let n = try CLI.run(["fairness", "--predictions", q, "--label", "truth", "--positive", "1", "--prediction", "pred", "--by", "g", "--format", "csv"])
    #expect(n.status == 0 && n.stderr.contains("sensitive attribute 'g': '1' and ' 1.0' are the same number but two groups"), "\(n.stderr)")
  }

  /// An id holding a NUL byte ('4\0'): refused by every command that reads ids, named by inspect (cluster
  /// printed it as written, JSON as '4\u0000').
  @Test func aNULByteInAnIdIsRefusedAndNamedByInspect() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,a,b\n"
    for i in 0..<10 { csv += "\(i)\(i == 4 ? "\0" : ""),\(Double(i % 5)),\(Double(i / 5))\n" }
    let f = try CLI.write(csv, "f.csv", in: dir)
    let error = "\(f):6:1: column 'id' row 5: id '4\\x00' holds a NUL byte: the file is probably damaged; delete the NUL bytes (tr -d '\\000' < \(f) > \(f.dropLast(4)).fixed.csv) and check the ids\n"
    for args in [["cluster", "--features", f, "--id", "id", "--columns", "a,b", "--k", "2"],
                 ["scores", "--features", f, "--id", "id", "--columns", "a,b", "--labels", "b"]] {
      let r = try CLI.run(args + ["--format", "json"])
      #expect(r.status == 65 && r.stdout.isEmpty, "\(r.stdout)")
      #expect(r.stderr == error, "\(r.stderr)")
    }
    var series = "id,t,v\n"
    for learner in 0..<4 { for t in 0..<3 { series += "\(learner)\(learner == 2 ? "\0" : ""),\(t),\(Double((learner + t) % 3))\n" } }
    let s = try CLI.write(series, "s.csv", in: dir)
    let dtw = try CLI.run(["dtw", "--series", s, "--id", "id", "--time", "t", "--value", "v", "--radius", "1", "--format", "csv"])
    #expect(dtw.status == 65 && dtw.stdout.isEmpty && dtw.stderr.hasPrefix("\(s):8:1: column 'id' row 7: id '2\\x00' holds a NUL byte (3 ids do)"), "\(dtw.stderr)")
    let inspect = try CLI.run(["inspect", f, "--format", "json"])
    let warning = "column 'id' row 5 (line 6): '4\\x00' holds a NUL byte: the file is probably damaged; commands refuse such a cell as an id"
    #expect(inspect.status == 0 && inspect.stderr == "cohortlens inspect: warning: \(warning)\n", "\(inspect.stderr)")
    #expect((try CLI.json(inspect.stdout)["warnings"] as? [String]) == [warning])
  }

  /// A quoted "5,286.20" or "39,9155" and a Latin-1 file: the errors say what the cell looks like and how to
  /// fix the file (were a plain "is not a number" and "not valid UTF-8").
  @Test func separatorsAndLatin1AreNamedThroughTheBinary() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,a,b\n1,\"5,286.20\",1\n2,3,4\n3,5,6\n", "f.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "a,b", "--k", "2"])
    #expect(r.status == 65 && r.stdout.isEmpty)
    #expect(r.stderr.hasPrefix("\(f):2:3: column 'a' row 1: '5,286.20' is not a number: it is written with ',' as a thousands separator; write it without separators, 5286.20:"), "\(r.stderr)")
    let url = dir.appendingPathComponent("g.csv")
    try Data(Array("id,a,b\n1,2,3\n2,4,5\nCl".utf8) + [0xE9] + Array("o,6,7\n".utf8)).write(to: url)
    let latin = try CLI.run(["cluster", "--features", url.path, "--id", "id", "--columns", "a,b", "--k", "2"])
    #expect(latin.status == 65 && latin.stdout.isEmpty)
    #expect(latin.stderr == "\(url.path):4:1: column 'id' row 3: cell is not valid UTF-8: byte 0xE9 is 'é' in Windows-1252 (Latin-1), so the file is probably in that encoding; re-save the file as UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)'), or convert it: iconv -f WINDOWS-1252 -t UTF-8 \(url.path) > \(url.path.dropLast(4)).utf8.csv\n", "\(latin.stderr)")
  }

  /// A column whose every cell is a number with digit grouping is not left out of the default features as
  /// "non-numeric" (it was, with only the general warning): it is the located error `--columns` gives.
  @Test func columnOfGroupedNumbersIsNotLeftOutSilently() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,a,b,name\n1,\"1,234.5\",2,x\n2,\"2,345.5\",3,y\n3,\"5,000.1\",4,z\n", "f.csv", in: dir)
    for command in ["cluster", "scores"] {
      let extra = command == "cluster" ? ["--k", "2"] : ["--labels", "b"]
      let r = try CLI.run([command, "--features", f, "--id", "id"] + extra)
      #expect(r.status == 65 && r.stdout.isEmpty, "\(command): \(r.stderr)")
      #expect(r.stderr.hasPrefix("\(f):2:3: column 'a' row 1: '1,234.5' is not a number: it is written with ',' as a thousands separator"), "\(r.stderr)")
    }
    // A real text column is still left out with the warning.
    let g = try CLI.write("id,a,b,name\n1,1,2,x\n2,2,3,y\n3,5,4,z\n", "g.csv", in: dir)
    let ok = try CLI.run(["cluster", "--features", g, "--id", "id", "--k", "2"])
    #expect(ok.status == 0 && ok.stderr.contains("non-numeric column(s) not used as features: name (choose columns with --columns)"), "\(ok.stderr)")
  }
}
