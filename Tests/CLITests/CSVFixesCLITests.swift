import CohortLensCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Duplicate and unnamed headers, blank lines, missing tokens and bounded messages, through the binary.
@Suite("CSV input edge cases")
struct CSVFixesCLITests {
  static let x40 = String(repeating: "x", count: 40)

  @Test func duplicateHeadersAreAnErrorOnlyWhenSelected() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,a,b,a\ns1,0,0,1\ns2,0.1,0,1\ns3,5,5,1\ns4,5.1,5,1\n", "d.csv", in: dir)
    // The default selection would take both 'a' columns.
    let all = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--format", "csv"])
    #expect(all.status == 65)
    #expect(all.stderr == "\(f):1: column name 'a' is the name of 2 columns: #2 'a', #4 'a'; choose the feature columns with --columns, selecting one by its position ('#2' or '#4'), or rename the columns in the header\n")
    let named = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "a,b", "--k", "2", "--format", "csv"])
    #expect(named.status == 65)
    #expect(named.stderr.hasSuffix("column name 'a' is the name of 2 columns: #2 'a', #4 'a'; select one by its position ('#2' or '#4'), or rename the columns in the header\n"))
    // By position: the column is named #2 in the results.
    let byPosition = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "#2,b", "--k", "2", "--format", "json"])
    #expect(byPosition.status == 0, "\(byPosition.stderr)")
    let json = try CLI.json(byPosition.stdout)
    #expect((json["parameters"] as? [String: Any])?["columns"] as? [String] == ["#2", "b"])
    // Not used at all: no error.
    let unused = try CLI.run(["inspect", f, "--format", "csv"])
    #expect(unused.status == 0 && unused.stdout.hasPrefix("column,header,type"))
    // fairness names the columns (it said "no column named" for a column it could not tell apart).
    let p = try CLI.write("lab,pred,g,g\n1,1,x,p\n0,1,x,q\n1,0,y,p\n0,0,y,q\n", "p.csv", in: dir)
    let by = try CLI.run(["fairness", "--predictions", p, "--label", "lab", "--positive", "1", "--prediction", "pred", "--by", "g"])
    #expect(by.status == 65)
    #expect(by.stderr == "\(p):1: column name 'g' is the name of 2 columns: #3 'g', #4 'g'; select one by its position ('#3' or '#4'), or rename the columns in the header\n")
    let fourth = try CLI.run(["fairness", "--predictions", p, "--label", "lab", "--positive", "1", "--prediction", "pred", "--by", "#4",
                              "--min-group-size", "1", "--format", "csv"])
    #expect(fourth.status == 0, "\(fourth.stderr)")
    #expect(fourth.stdout.contains("\n#4,,p,,group,n,2,,,,,\n"))
  }

  @Test func unnamedColumnsAreNeverChosenByDefault() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // An Excel export: two trailing columns without a name; pandas' index column without a name.
    let f = try CLI.write(",id,a,b,,\n0,s1,0,0,,\n1,s2,0.1,0,,9\n2,s3,5,5,,\n3,s4,5.1,5,,\n", "e.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try CLI.json(r.stdout)
    #expect((json["parameters"] as? [String: Any])?["columns"] as? [String] == ["a", "b"])
    #expect(r.stderr.contains("column(s) without a name not used as features: #1, #5, #6 (choose them with --columns '#1')"))
    let fairness = try CLI.write("lab,pred,g,,\n1,1,x,,\n0,1,x,,\n1,0,y,,\n0,0,y,,\n", "f.csv", in: dir)
    let audit = try CLI.run(["fairness", "--predictions", fairness, "--label", "lab", "--positive", "1", "--prediction", "pred",
                             "--by", "g", "--min-group-size", "1", "--format", "csv"])
    #expect(audit.status == 0, "\(audit.stderr)")
  }

  @Test func autoDetectedNumberColumnsReportCellsAsColumnsDoes() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for (cell, message, hint) in [
      ("inf", "'inf' is not a finite number", "replace it with a finite value or mark it missing (empty or NA), or choose the feature columns with --columns"),
      ("1e400", "'1e400' is not a finite number", "replace it with a finite value or mark it missing (empty or NA), or choose the feature columns with --columns"),
      ("abc", "'abc' is not a number", "fix the cell, or choose the feature columns with --columns"),
    ] {
      let f = try CLI.write("id,a,b\ns1,1,2\ns2,3,\(cell)\ns3,5,7\n", "n.csv", in: dir)
      let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2"])
      #expect(r.status == 65)
      #expect(r.stderr == "\(f):3:6: column 'b' row 2: \(message); \(hint)\n")
    }
    // A Windows-1252 byte.
    let url = dir.appendingPathComponent("w.csv")
    try Data(Array("id,a,b\ns1,1,2\ns2,3,2".utf8) + [0x92] + Array("\ns3,5,7\n".utf8)).write(to: url)
    let r = try CLI.run(["cluster", "--features", url.path, "--id", "id", "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr == "\(url.path):3:6: column 'b' row 2: cell is not valid UTF-8: byte 0x92 is '’' in Windows-1252 (Latin-1), so the file is probably in that encoding; re-save the file as UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)'), or convert it: iconv -f WINDOWS-1252 -t UTF-8 \(url.path) > \(url.path.dropLast(4)).utf8.csv\n")
  }

  @Test func blankLinesAndPandasMissingTokens() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("lab,pred,g\n1,1,x\n  \n0,1,x\n\t\nNULL,0,x\n1,1,y\n0,0,y\n \t", "p.csv", in: dir)
    // The NULL label is missing (not a third class), reported at its line (blank lines counted).
    let r = try CLI.run(["fairness", "--predictions", f, "--label", "lab", "--positive", "1", "--prediction", "pred", "--by", "g"])
    #expect(r.status == 65)
    #expect(r.stderr == "\(f):6:1: missing label in column 'lab'; fill the cell or remove the row\n")
    let inspect = try CLI.run(["inspect", f, "--format", "csv"])
    #expect(inspect.status == 0, "\(inspect.stderr)")
    #expect(inspect.stdout.contains("lab,lab,numeric,4,1,0.0,1.0,0.5,\npred,pred,numeric,5,0,0.0,1.0,0.6,\n"))
  }

  @Test func hugeValuesStayOutOfMessagesAndTables() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = String(repeating: "x", count: 10_000_000)
    // A 10 MB label, three times in one message before.
    let labels = try CLI.write("lab,pred,g\n1,1,x\n0,1,x\n\(big),0,y\n1,1,y\n0,0,y\n", "l.csv", in: dir)
    let r = try CLI.run(["fairness", "--predictions", labels, "--label", "lab", "--positive", "1", "--prediction", "pred", "--by", "g"])
    #expect(r.status == 65)
    #expect(r.stderr.utf8.count < 1000)
    #expect(r.stderr.contains("label value '\(Self.x40)…' makes column 'lab' non-binary: it is neither the positive '1' nor '0'"))
    #expect(r.stderr.contains("values found: '1', '0', '\(Self.x40)…'; if both are negative, declare every negative value with --negative (here --negative 0,\(Self.x40)…)"))
    // A 10 MB id reported as a duplicate.
    let ids = try CLI.write("id,a\n\(big),1\nb,2\n\(big),3\n", "i.csv", in: dir)
    let dup = try CLI.run(["cluster", "--features", ids, "--id", "id", "--k", "2"])
    #expect(dup.status == 65)
    #expect(dup.stderr == "\(ids):4:1: duplicate id '\(Self.x40)…' in column 'id' (lines 2 and 4); ids must be unique; remove or rename one of the rows\n")
  }

  @Test func invisibleCharactersAndFarNamesInColumnMessages() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("b.csv")
    try Data([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("id,a,b,c\ns1,1,2,5\ns2,3,4,1\ns3,5,7,0\n".utf8)).write(to: url)
    let r = try CLI.run(["cluster", "--features", url.path, "--id", "id", "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr == "\(url.path):1: no column named 'id'; did you mean '\\u{FEFF}id'? available columns: '\\u{FEFF}id', 'a', 'b', 'c'\n")
    let plain = try CLI.write("id,a,b,c\ns1,1,2,5\ns2,3,4,1\ns3,5,7,0\n", "p.csv", in: dir)
    let far = try CLI.run(["cluster", "--features", plain, "--id", "id", "--columns", "a,zz", "--k", "2"])
    #expect(far.stderr == "\(plain):1: no column named 'zz'; available columns: 'id', 'a', 'b', 'c'\n")
  }
}
