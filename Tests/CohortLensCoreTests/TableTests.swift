import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import CohortLensCore

private func table(_ text: String, name: String = "t.csv") throws -> Table {
  try Table.parse(bytes: Array(text.utf8), name: name)
}

/// The `InputError` that `body` throws, or nil (also shared by the other suites of this module).
func inputError(_ body: () throws -> Void) -> InputError? {
  do {
    try body()
    return nil
  } catch let e as InputError {
    return e
  } catch {
    return nil
  }
}

@Suite struct CSVReaderTests {
  static let fixture = "\u{FEFF}id,name,score\r\n1,\"Smith, J\",3.5\r\n2,\"say \"\"hi\"\"\",4\r\n3,\"line1\nline2\",5\r\n4,,6\r\n5,x,7"

  @Test func correctnessFixture() throws {
    let t = try table(Self.fixture, name: "data/fixture.csv")
    #expect(t.name == "fixture")
    #expect(t.columnNames == ["id", "name", "score"])
    #expect(t.rowCount == 5)
    #expect(try t.strings("name") == ["Smith, J", "say \"hi\"", "line1\nline2", nil, "x"])
    #expect(try t.numbers("score") == [3.5, 4, 5, 6, 7])
    #expect(try t.ids("id") == ["1", "2", "3", "4", "5"])
    // Physical lines: header 1, rows 2, 3, 4 (spans 4–5), 6, 7.
    #expect((0..<5).map { t.location(row: $0, column: 0).line } == [2, 3, 4, 6, 7])
    // The score of row 3 sits on line 5 after the embedded newline: `line2",5` → column 8.
    #expect(t.location(row: 2, column: 2).line == 5)
    #expect(t.location(row: 2, column: 2).column == 8)
    #expect(t.location(row: 0, column: 1).column == 3)
    #expect(t.location(row: 4, column: 2).column == 5)
    let e = InputError(table: t, row: 2, column: 2, message: "bad label", hint: "fix it")
    #expect(e.description == "data/fixture.csv:5:8: bad label; fix it")
  }

  @Test func missingValuesAreNil() throws {
    let t = try table("a,b\n1,NA\n,2\nNaN,nan\nN/A,null\n 7 , \n")
    #expect(try t.numbers("a") == [1, nil, nil, nil, 7])
    #expect(try t.numbers("b") == [nil, 2, nil, nil, nil])
    #expect(try t.strings("a") == ["1", nil, nil, nil, " 7 "])
    let p = t.profile(at: 0)
    #expect(p.type == .numeric && p.missingCount == 3 && p.presentCount == 2)
    #expect(t.inferType("b") == .numeric)
  }

  @Test func lfAndCrlfAndBlankLinesAndQuotedMissing() throws {
    let t = try table("x,y\n\n1,\"\"\r\n2,\"NA\"\n\n")
    #expect(t.rowCount == 2)
    #expect(try t.numbers("y") == [nil, nil])
    #expect(t.location(row: 1, column: 0).line == 4)
  }

  @Test func quotedFieldAtEndOfFileAndBareCR() throws {
    #expect(try table("a\n\"q\"").strings("a") == ["q"])
    #expect(try table("a,b\r1,2\r3,\"\"").strings("b") == ["2", nil])
    #expect(try table("a,b\n1,").numbers("b") == [nil])
  }

  @Test func nonNumericCellErrorHasLocation() throws {
    let t = try table("id,score\n1,2.5\n2,abc\n", name: "grades.csv")
    let e = inputError { _ = try t.numbers("score") }
    #expect(e?.file == "grades.csv")
    #expect(e?.line == 3 && e?.column == 3)
    #expect(e?.description == "grades.csv:3:3: column 'score' row 2: 'abc' is not a number; fix the cell or exclude the column with --columns")
    #expect(t.profile(at: 1).type == .text)
    #expect(t.inferType("score") == .text && t.inferType(at: 0) == .numeric)
    #expect(t.profile(at: 1).firstNonNumeric == "abc")
  }

  /// The caller supplies what fixes a bad cell; every reader of numbers passes it through.
  @Test func numberHintsComeFromTheCaller() throws {
    let t = try table("id,a,b\n1,2,inf\n2,x,3\n", name: "m.csv")
    let hints = Table.NumberHints(notANumber: "correct the entry", notFinite: "no infinities here")
    #expect(inputError { _ = try t.numbers("a", hints: hints) }?.description == "m.csv:3:3: column 'a' row 2: 'x' is not a number; correct the entry")
    #expect(inputError { _ = try t.numbers(at: 2, hints: hints) }?.hint == "no infinities here")
    #expect(inputError { _ = try t.numbers(at: [2, 1], hints: hints) }?.hint == "no infinities here")
    #expect(inputError { _ = try t.numericMatrix(columns: ["a"], hints: hints) }?.hint == "correct the entry")
    // Without hints: the feature-table default.
    #expect(inputError { _ = try t.numbers("b") }?.hint == Table.NumberHints.featureTable.notFinite)
    #expect(inputError { _ = try t.numericMatrix(columns: ["a"]) }?.hint == "fix the cell or exclude the column with --columns")
  }

  @Test func nonFiniteIsRejected() throws {
    let t = try table("a\ninf\n")
    let e = inputError { _ = try t.numbers("a") }
    #expect(e?.message.contains("not a finite number") == true)
    let big = try table("a\n1e999\n")
    #expect(inputError { _ = try big.numbers("a") }?.message.contains("'1e999' is not a finite number") == true)
  }

  @Test func unbalancedQuote() throws {
    let e = inputError { _ = try table("a,b\n1,\"open\n2,3\n") }
    #expect(e?.line == 2 && e?.column == 3)
    #expect(e?.message.contains("unbalanced quote") == true)
    #expect(e?.hint != nil)
  }

  @Test func textAfterClosingQuote() throws {
    let e = inputError { _ = try table("a,b\n\"x\"y,1\n") }
    #expect(e?.line == 2 && e?.column == 4)
  }

  @Test func raggedRows() throws {
    let tooMany = inputError { _ = try table("a,b\n1,2\n3,4,5\n", name: "r.csv") }
    #expect(tooMany?.description.hasPrefix("r.csv:3:5: row 2 has 3 fields but the header has 2 columns") == true)
    let tooFew = inputError { _ = try table("a,b,c\n1,2\n") }
    #expect(tooFew?.line == 2 && tooFew?.column == 4)
  }

  @Test func emptyFileAndDuplicateHeader() throws {
    #expect(inputError { _ = try table("") }?.message.contains("header row is required") == true)
    // A header may name a column twice (pandas reads `a` and `a.1`); only selecting that name is an error.
    let t = try table("a,b,a\n1,2,3\n", name: "d.csv")
    #expect(t.columnNames == ["a", "b", "a"])
    #expect(try t.numbers("b") == [2])
    #expect(inputError { _ = try t.columnIndex("a") }?.description
      == "d.csv:1: column name 'a' is the name of 2 columns: #1 'a', #3 'a'; select one by its position ('#1' or '#3'), or rename the columns in the header")
    #expect(try t.numbers("#3") == [3])
  }

  @Test func headerOnly() throws {
    let t = try table("a,b\n")
    #expect(t.rowCount == 0)
    #expect(t.profile(at: 0).type == .empty)
    #expect(t.inferType("b") == .empty)
  }

  @Test func duplicateIds() throws {
    let t = try table("id,v\nu1,1\nu2,2\nu1,3\n", name: "d.csv")
    let e = inputError { _ = try t.ids("id") }
    #expect(e?.message == "duplicate id 'u1' in column 'id' (lines 2 and 4)")
    #expect(e?.line == 4 && e?.column == 1)
    let m = inputError { _ = try table("id,v\n,1\n").ids("id") }
    #expect(m?.message.contains("missing id") == true)
  }

  /// A header written with blanks around it is found by its trimmed name (command-line lists are trimmed), an
  /// exact match wins, two headers equal after trimming are an error naming both, and the suggestion for an
  /// unknown name compares trimmed names.
  @Test func columnLookupIgnoresBlanksAroundHeaderNames() throws {
    let t = try table("id, x0 ,lab\ta\n1,2,3\n", name: "h.csv")
    #expect(try t.columnIndex("x0") == 1)
    #expect(try t.columnIndex(" x0 ") == 1)
    #expect(try t.columnIndex("\tx0") == 1)
    #expect(try t.columnIndex("lab\ta") == 2)
    #expect(try t.numbers("x0") == [2])
    let e = inputError { _ = try t.columnIndex("x1") }
    #expect(e?.description == "h.csv:1: no column named 'x1'; did you mean ' x0 '? available columns: 'id', ' x0 ', 'lab\\ta'")
    let exact = try table("x0, x0\n1,2\n", name: "e.csv")
    #expect(try exact.columnIndex("x0") == 0)
    #expect(try exact.columnIndex(" x0") == 1)
    let twice = try table(" x0,x0 ,y\n1,2,3\n", name: "a.csv")
    let a = inputError { _ = try twice.columnIndex("x0") }
    #expect(a?.description == "a.csv:1: column name 'x0' matches 2 columns once the blanks around names are ignored: #1 ' x0', #2 'x0 '; select one by its position ('#1' or '#2'), or rename the columns in the header so that they differ by more than surrounding blanks")
    #expect(Table.closest(to: " AGE ", in: ["user", "age"]) == "age")
    #expect(Table.closest(to: "x1", in: ["id", "  x0  "]) == "  x0  ")
  }

  @Test func idsKeepTextAsWritten() throws {
    let t = try table("id\n\" 007\"\n007\n")
    #expect(try t.ids("id") == [" 007", "007"])
  }

  @Test func columnsByPosition() throws {
    // `#N` is the N-th column when no header matches (pandas writes its index with an empty name).
    let t = try table(",x,#1\n0,5,7\n1,6,8\n", name: "p.csv")
    #expect(try t.columnIndex("#2") == 1)
    #expect(try t.columnIndex(" #2 ") == 1)
    #expect(try t.columnIndex("#1") == 2)  // a header written '#1' is matched by name first
    #expect(try t.ids("#1") == ["7", "8"])
    #expect(t.findColumn("#4") == nil && t.findColumn("#0") == nil && t.findColumn("#+2") == nil)
    #expect(t.findColumn("#２") == nil)  // ASCII digits only
    #expect(inputError { _ = try t.columnIndex("#4") }?.description
      == "p.csv:1: no column named '#4'; did you mean '#1'? available columns: #1 (no name), 'x', '#1'")
    #expect(t.findColumn("#2", byPosition: false) == nil && t.findColumn("#1", byPosition: false) == 2)
    let unnamed = try table(",x\n0,5\n", name: "u.csv")
    #expect(try unnamed.numbers("#1") == [0])
    #expect(unnamed.displayName(ofColumn: 0) == "#1" && unnamed.displayName(ofColumn: 1) == "x")
    // The empty name is never suggested.
    let far = try table(",xyz\n0,5\n", name: "f.csv")
    #expect(inputError { _ = try far.columnIndex("ab") }?.description == "f.csv:1: no column named 'ab'; available columns: #1 (no name), 'xyz'")
    #expect(Table.closest(to: "ab", in: ["", "xyz"]) == nil)
  }

  @Test func headerErrorsPointAtTheHeaderAfterBlankLines() throws {
    // Blank lines before the header are skipped (as pandas' skip_blank_lines); errors about the
    // header or the table as a whole point at the header's own line, not at line 1.
    let t = try table("\r\n\nid,x\na,1\n", name: "b.csv")
    #expect(t.headerLine == 3)
    #expect(inputError { _ = try t.columnIndex("idd") }?.description
      == "b.csv:3: no column named 'idd'; did you mean 'id'? available columns: 'id', 'x'")
    let empty = try table("\n\n\nid,x\n", name: "e.csv")
    #expect(empty.headerLine == 4)
    #expect(inputError { try empty.requireDataRows() }?.description
      == "e.csv:4: the file has a header but no data rows; add one row per learner below the header")
    let bom = try Table.parse(bytes: [0xEF, 0xBB, 0xBF] + Array("\nid\n1\n".utf8), name: "m.csv")
    #expect(bom.headerLine == 2)
    #expect(try table("id\n1\n").headerLine == 1)
  }

  @Test func unknownColumnListsColumnsAndSuggests() throws {
    let t = try table("user,Score,age\n1,2,3\n")
    let e = inputError { _ = try t.columnIndex("score") }
    #expect(e?.message == "no column named 'score'")
    #expect(e?.hint == "did you mean 'Score'? available columns: 'user', 'Score', 'age'")
    let far = inputError { _ = try t.columnIndex("zzzzzz") }
    #expect(far?.hint == "available columns: 'user', 'Score', 'age'")
    #expect(inputError { _ = try t.columnIndex("agee") }?.hint?.hasPrefix("did you mean 'age'?") == true)
  }

  @Test func invalidUTF8InTextCell() throws {
    var bytes = Array("a,b\n1,".utf8)
    bytes += [0xFF, 0xFE]
    bytes += Array("\n".utf8)
    let t = try Table.parse(bytes: bytes, name: "u.csv")
    let e = inputError { _ = try t.strings("b") }
    #expect(e?.line == 2 && e?.column == 3)
    #expect(e?.message.contains("not valid UTF-8") == true)
  }

  @Test func numericMatrixMissingPolicies() throws {
    let t = try table("id,a,b\n1,1,2\n2,,3\n3,4,5\n4,6,NA\n")
    let dropped = try t.numericMatrix(columns: ["b", "a"], missing: .drop)
    #expect(dropped.values == [2, 1, 5, 4])
    #expect(dropped.keptRows == [0, 2])
    #expect(dropped.rowCount == 2 && dropped.columnCount == 2)
    let e = inputError { _ = try t.numericMatrix(columns: ["a", "b"]) }
    #expect(e?.line == 3)
    #expect(e?.message == "2 rows have missing values: row 2 (line 3, column 'a'), row 4 (line 5, column 'b')")
    #expect(e?.hint?.contains("--drop-missing") == true)
  }

  @Test func selectingRowsAndColumns() throws {
    let t = try table("id,a\nx,1\ny,2\nz,3\n")
    let s = t.selecting(rows: [2, 0])
    #expect(try s.ids("id") == ["z", "x"])
    #expect(s.location(row: 0, column: 1).line == 4)
    let c = try t.selecting(columns: ["a"])
    #expect(c.columnNames == ["a"])
    #expect(try c.numbers("a") == [1, 2, 3])
  }

  @Test func joinOnIds() throws {
    let left = try table("user,score,group\nu1,1,a\nu2,2,b\nu3,3,c\n", name: "dir/grades.csv")
    let right = try table("id,score,age\nu3,30,33\nu1,10,11\nu9,90,99\n", name: "logs.csv")
    let j = try Table.join(left, right, leftId: "user", rightId: "id")
    #expect(j.table.columnNames == ["user", "grades.score", "group", "logs.score", "age"])
    #expect(try j.table.ids("user") == ["u1", "u3"])
    #expect(try j.table.numbers("logs.score") == [10, 30])
    #expect(try j.table.numbers("grades.score") == [1, 3])
    #expect(j.unmatchedLeft == ["u2"])
    #expect(j.unmatchedRight == ["u9"])
    let m = try j.table.numericMatrix(columns: ["grades.score", "age"])
    #expect(m.values == [1, 11, 3, 33])
    // Locations refer to the right file for right columns.
    let loc = j.table.location(row: 1, column: 4)
    #expect(loc.file == "logs.csv" && loc.line == 2 && loc.column == 7)
  }

  /// Ids are compared exactly as written (code points, as pandas): a precomposed and a decomposed
  /// 'Amélie' are two learners, not a duplicate, and a join matches each only with itself.
  @Test func idsThatDifferOnlyInNormalisationAreDistinct() throws {
    let nfc = "Am\u{E9}lie", nfd = "Ame\u{301}lie"
    #expect(nfc == nfd)  // Swift's String equality: canonical equivalence
    let left = try table("id,a\n\(nfc),1\n\(nfd),2\n", name: "l.csv")
    #expect(try left.ids("id").map { Array($0.unicodeScalars) } == [Array(nfc.unicodeScalars), Array(nfd.unicodeScalars)])
    let right = try table("id,b\n\(nfd),20\nzoe,30\n", name: "r.csv")
    let j = try Table.join(left, right, leftId: "id", rightId: "id")
    #expect(try j.table.numbers("a") == [2])
    #expect(try j.table.numbers("b") == [20])
    #expect(j.unmatchedLeft.map { Array($0.unicodeScalars) } == [Array(nfc.unicodeScalars)])
    #expect(j.unmatchedRight == ["zoe"])
  }

  /// A bare CR inside a quoted field is a line break like LF and CRLF (as between records), so later
  /// locations count it; a cell's line break is shown escaped in the one-line message. Column names
  /// that differ only in Unicode normalisation are two columns (pandas keeps both).
  @Test func lineBreaksInQuotedFieldsAndExactColumnNames() throws {
    let cr = try table("id,a,b\rr1,\"x\ry\",1\rr2,q,zz\r", name: "cr.csv")
    var e = inputError { _ = try cr.numbers("b") }
    #expect(e?.line == 4 && e?.column == 6, "\(String(describing: e))")
    let inField = try table("id,a,b\rr1,\"x\ry\",zz\r", name: "f.csv")
    e = inputError { _ = try inField.numbers("b") }
    #expect(e?.line == 3 && e?.column == 4, "\(String(describing: e))")
    let lf = try table("id,a\nr1,\"x\ny\"\n", name: "lf.csv")
    e = inputError { _ = try lf.numbers("a") }
    #expect(e?.message.contains("'x\\ny' is not a number") == true, "\(String(describing: e))")
    // A padded infinity is still called not finite (with the finite-value hint), like an unpadded one.
    let padded = try table("id,x\nr1, inf\nr2,1\n", name: "p.csv")
    e = inputError { _ = try padded.numbers("x") }
    #expect(e?.message.contains("' inf' is not a finite number") == true, "\(String(describing: e))")
    let names = try table("id,\u{E9},e\u{301}\n1,2,3\n", name: "n.csv")
    #expect(names.columnNames.count == 3)
    #expect(try names.numbers("e\u{301}") == [3])
  }

  @Test func joinRejectsDuplicateIds() throws {
    let left = try table("id,a\n1,1\n1,2\n", name: "l.csv")
    let right = try table("id,b\n1,1\n", name: "r.csv")
    let e = inputError { _ = try Table.join(left, right, leftId: "id", rightId: "id") }
    #expect(e?.file == "l.csv" && e?.message.contains("duplicate id '1'") == true)
  }

  @Test func readFromDiskAndMissingFile() throws {
    let path = "/tmp/cohortlens-core-test-\(UInt64.random(in: 0 ... .max)).csv"
    try AtomicFile.write(Self.fixture, to: path)
    defer { unlink(path) }
    let t = try Table.read(path: path)
    #expect(try t.numbers("score") == [3.5, 4, 5, 6, 7])
    let e = inputError { _ = try Table.read(path: "/nonexistent/x.csv") }
    #expect(e?.description.hasPrefix("/nonexistent/x.csv: cannot read: No such file or directory") == true)
  }

  @Test func readsSpecialFilesAndRejectsDirectories() throws {
    // /proc files report size 0: the reader must keep reading until end of file.
    let status = try FileIO.readAll(path: "/proc/self/status")
    #expect(String(decoding: status, as: UTF8.self).hasPrefix("Name:"))
    let e = inputError { _ = try Table.read(path: "/tmp") }
    #expect(e?.message.contains("is a directory") == true)
  }

  @Test func csvWriterRoundTripsThroughReader() throws {
    let cells = ["plain", "with,comma", "with \"quote\"", "multi\nline", "crlf\r\nx", " padded ", "", "ünïcødé"]
    let text = CSVWriter.render(header: ["c"], rows: cells.map { [$0] })
    let t = try table(text)
    var expected: [String?] = cells
    expected[6] = nil
    #expect(try t.strings("c") == expected)
    #expect(CSVWriter.field("a\"b") == "\"a\"\"b\"")
    #expect(CSVWriter.field("abc") == "abc")
  }

  @Test func randomTablesRoundTrip() throws {
    var rng = SystemRandomNumberGenerator()
    let alphabet: [String] = ["a", "b", "Z", "0", "9", ",", "\"", "\n", "\r\n", " ", ";", "é", "-", "."]
    for _ in 0..<200 {
      let columns = Int.random(in: 1...6, using: &rng)
      let rows = Int.random(in: 0...20, using: &rng)
      let header = (0..<columns).map { "c\($0)" }
      let cells: [[String]] = (0..<rows).map { _ in
        (0..<columns).map { _ in
          (0..<Int.random(in: 1...20, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
        }
      }
      var text = CSVWriter.render(header: header, rows: cells)
      let crlf = Bool.random(using: &rng)
      func lineEndings(_ s: String) -> String {
        crlf ? s.replacingAll("\n", with: "\r\n").replacingAll("\r\r\n", with: "\r\n") : s
      }
      text = lineEndings(text)
      if Bool.random(using: &rng) && text.hasSuffix("\n") { text.removeLast() }
      let t = try table(text)
      #expect(t.rowCount == rows)
      for j in 0..<columns {
        let expected: [String?] = cells.map { row in
          let trimmed = row[j].trimmingASCIIBlanks()
          return Table.defaultMissingTokens.contains(trimmed) ? nil : lineEndings(row[j])
        }
        let got = try t.strings(at: j)
        #expect(got == expected)
      }
    }
  }

  @Test func semicolonDelimiter() throws {
    let t = try Table.parse(bytes: Array("a;b\n1,5;\"x;y\"\n".utf8), name: "s.csv",
                            options: CSVOptions(delimiter: UInt8(ascii: ";")))
    #expect(try t.strings("a") == ["1,5"])
    #expect(try t.strings("b") == ["x;y"])
  }

  @Test func tableFromRows() throws {
    let t = try Table(name: "mem", columnNames: ["id", "v"], rows: [["a", "1.5"], ["b", nil]])
    #expect(try t.numbers("v") == [1.5, nil])
  }
}

extension String {
  fileprivate func trimmingASCIIBlanks() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
  }
}

@Suite struct ColumnSummaryTests {
  @Test func summaryTypesCountsAndStatistics() throws {
    let t = try table("id,x,name,mixed,blank,q\n1,1.5,a,3,,\"2\"\n2,NA,b,x y,NA,\"1\"\"\"\n3, -2 ,,4,,\" 7 \"\n")
    let all = t.summaries()
    #expect(all.count == t.columnCount)
    for j in 0..<t.columnCount {
      #expect(all[j] == t.summary(at: j))
    }
    #expect(all.map(\.type) == [.numeric, .numeric, .text, .text, .empty, .text])
    let x = try t.summary("x")
    #expect(x.type == .numeric && x.missingCount == 1 && x.presentCount == 2 && x.numericCount == 2)
    #expect(x.min == -2 && x.max == 1.5 && x.mean == -0.25)
    let name = try t.summary("name")
    #expect(name.type == .text && name.firstNonNumeric == "a" && name.firstNonNumericRow == 0)
    #expect(name.min == nil && name.mean == nil)
    let mixed = try t.summary("mixed")
    #expect(mixed.type == .text && mixed.numericCount == 2 && mixed.firstNonNumericRow == 1)
    #expect(mixed.min == 3 && mixed.max == 4 && mixed.mean == 3.5)
    let blank = try t.summary("blank")
    #expect(blank.type == .empty && blank.missingCount == 3 && blank.min == nil)
    // Quoted cells: "2" and " 7 " are numbers, "1""" is text.
    let q = try t.summary("q")
    #expect(q.type == .text && q.numericCount == 2 && q.firstNonNumeric == "1\"" && q.firstNonNumericRow == 1)
    #expect(t.summaries(columns: [3, 1]) == [t.summary(at: 3), t.summary(at: 1)])
    #expect(try table("a,b\n").summaries().map(\.type) == [.empty, .empty])
  }

  @Test func manyBlocksAreDeterministicAndAccurate() throws {
    // More rows than one block. `v`: exactly representable values (multiples of 1/4) whose mean is
    // known exactly; `u`: 0.1 everywhere, whose naive running sum drifts; `w`: a text cell late on.
    let n = Table.summaryBlockRows * 3 + 123
    var text = "v,u,w\n"
    var values: [Double] = []
    for r in 0..<n {
      let v = r % 2 == 0 ? 1e8 + Double(r % 7) / 4 : -1e8 + 0.5
      values.append(v)
      text += "\(v),0.1,\(r == n - 5 ? "oops" : String(r))\n"
    }
    let t = try table(text)
    let s = t.summaries()
    #expect(s == t.summaries())
    let v = s[0]
    #expect(v.numericCount == n && v.type == .numeric)
    #expect(v.min == values.min() && v.max == values.max())
    let quarters = values.reduce(0) { $0 + Int(($1 * 4).rounded()) }
    #expect(v.mean == Double(quarters) / 4 / Double(n))
    #expect(try t.numbers("v").map { $0! } == values)
    #expect(s[1].mean == 0.1)
    #expect((0..<n).reduce(0.0) { s, _ in s + 0.1 } / Double(n) != 0.1)  // what naive summation gives
    let w = s[2]
    #expect(w.type == .text && w.firstNonNumeric == "oops" && w.firstNonNumericRow == n - 5)
    #expect(w.numericCount == n - 1 && w.max == Double(n - 1))
  }
}

@Suite struct SeveralNumericColumnsTests {
  /// `numbers(at: [Int])` reads row by row but gives exactly `numbers(at:)` of each column.
  @Test func sameValuesAsColumnByColumn() throws {
    let t = try table("id,a,b,c\nx,1.5,,0.1\ny,NA,2e3,-0.30000000000000004\nz,7,8,9\n")
    let cols = [3, 1, 2]
    let together = try t.numbers(at: cols)
    #expect(together.count == 3)
    for (k, c) in cols.enumerated() { #expect(together[k] == (try t.numbers(at: c))) }
    #expect(together[1] == [1.5, nil, 7])
  }

  /// Of several bad cells, the first in file order is reported, with its line and column.
  @Test func firstBadCellInFileOrder() throws {
    let t = try table("id,a,b\nx,1,2\ny,3,oops\nz,bad,4\n", name: "bad.csv")
    let e = inputError { _ = try t.numbers(at: [1, 2]) }
    #expect(e?.line == 3)
    #expect(e?.column == 5)  // `y,3,oops`: the cell starts at byte 5
  }
}
