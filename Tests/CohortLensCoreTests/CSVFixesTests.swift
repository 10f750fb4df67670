import Foundation
import Testing
@testable import CohortLensCore
#if canImport(Glibc)
import Glibc
#endif

private func table(_ text: String, name: String = "t.csv", options: CSVOptions = CSVOptions()) throws -> Table {
  try Table.parse(bytes: Array(text.utf8), name: name, options: options)
}

private let tenMB = String(repeating: "x", count: 10_000_000)

/// Reading a wide header and finding its columns by name is linear in the number of columns.
@Suite struct WideHeaderTests {
  @Test func aHundredThousandColumnsAreReadAndFoundQuickly() throws {
    let n = 100_000
    let names = (0..<n).map { "c\($0)" }
    let text = names.joined(separator: ",") + "\n" + (0..<n).map { String($0 % 10) }.joined(separator: ",") + "\n"
    let start = DispatchTime.now().uptimeNanoseconds
    let t = try table(text, name: "wide.csv")
    // Every column looked up by name, and all selected at once.
    var sum = 0
    for name in names { sum += try t.columnIndex(name) }
    let s = try t.selecting(columns: names)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    #expect(t.columnCount == n && s.columnCount == n)
    #expect(sum == n * (n - 1) / 2)
    #expect(try t.columnIndex("c99999") == 99_999)
    #expect(try s.numbers("c12345") == [5])
    // Quadratic lookups took over a minute here (79 s for the header alone); linear ones well under a second.
    #expect(seconds < 20, "took \(seconds) s")
  }

  /// An unknown name in a wide header lists the first 50 columns and says how many more there are.
  @Test func unknownColumnListsAtMostFiftyColumns() throws {
    let t = try table((0..<1000).map { "c\($0)" }.joined(separator: ",") + "\n" + Array(repeating: "1", count: 1000).joined(separator: ",") + "\n")
    let e = inputError { _ = try t.columnIndex("nope") }
    #expect(e?.hint?.hasSuffix("'c48', 'c49', … (950 more)") == true)
    #expect(e?.hint?.hasPrefix("available columns: 'c0', 'c1', ") == true)
  }
}

/// Names and values quoted in messages are bounded and show invisible characters.
@Suite struct MessageTextTests {
  @Test func excerptsAreCutAndInvisibleCharactersShown() {
    #expect(MessageText.quoted("score") == "'score'")
    #expect(MessageText.quoted(String(repeating: "7", count: 41)) == "'" + String(repeating: "7", count: 40) + "…'")
    #expect(MessageText.quoted(String(repeating: "7", count: 40)) == "'" + String(repeating: "7", count: 40) + "'")
    #expect(MessageText.quoted(tenMB).utf8.count == 40 + 2 + 3)
    #expect(MessageText.quoted("\u{FEFF}id") == "'\\u{FEFF}id'")
    #expect(MessageText.quoted("a\u{200B}b\u{202E}c\u{2066}d") == "'a\\u{200B}b\\u{202E}c\\u{2066}d'")
    #expect(MessageText.quoted("x\u{85}y\u{9B}") == "'x\\u{0085}y\\u{009B}'")
    #expect(MessageText.quoted("1\u{A0}") == "'1\\u{00A0}'")
    #expect(MessageText.quoted("line1\nline2\tx\u{7}") == "'line1\\nline2\\tx\\x07'")
    #expect(MessageText.quoted("Amélie ☃ 😀") == "'Amélie ☃ 😀'")
    // A chain of combining marks is one character: still cut (at 320 scalars).
    let chain = "e" + String(repeating: "\u{301}", count: 100_000)
    #expect(MessageText.excerpt(chain).unicodeScalars.count == 321)
    #expect(MessageText.excerpt(chain).hasSuffix("…"))
  }

  @Test func tableMessagesQuoteBoundedNames() throws {
    // A 10 MB id reported as a duplicate: 40 characters of it.
    let ids = try table("id,v\n\(tenMB),1\nb,2\n\(tenMB),3\n", name: "d.csv")
    let dup = inputError { _ = try ids.ids("id") }
    #expect(dup?.message == "duplicate id '\(String(repeating: "x", count: 40))…' in column 'id' (lines 2 and 4)")
    // A 10 MB column name in "no column named" and in the list of columns.
    let named = try table("id,\(tenMB)\n1,2\n", name: "n.csv")
    let unknown = inputError { _ = try named.columnIndex("zz") }
    #expect(unknown?.description == "n.csv:1: no column named 'zz'; available columns: 'id', '\(String(repeating: "x", count: 40))…'")
    // ... and in "column 'x' row N: ... is not a number".
    let cell = try table("\(tenMB),b\nabc,1\n", name: "c.csv")
    let bad = inputError { _ = try cell.numbers(at: 0) }
    #expect(bad?.message == "column '\(String(repeating: "x", count: 40))…' row 1: 'abc' is not a number")
    // A second byte order mark (the first is the file's) is shown, so the suggestion reads as it is.
    let bom = try Table.parse(bytes: [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("id,a\n1,2\n".utf8), name: "b.csv")
    #expect(inputError { _ = try bom.columnIndex("id") }?.description
      == "b.csv:1: no column named 'id'; did you mean '\\u{FEFF}id'? available columns: '\\u{FEFF}id', 'a'")
  }

  /// The closest name is suggested only when it is close relative to the name's length.
  @Test func suggestionsNeedSimilarity() {
    #expect(Table.closest(to: "zz", in: ["id", "a", "b", "c"]) == nil)
    #expect(Table.closest(to: "a", in: ["id"]) == nil)
    #expect(Table.closest(to: "y", in: ["id", "x"]) == nil)
    #expect(Table.closest(to: "agee", in: ["user", "age"]) == "age")
    #expect(Table.closest(to: "scor", in: ["id", "score"]) == "score")
    #expect(Table.closest(to: "studnt_id", in: ["student_id", "x"]) == "student_id")
    #expect(Table.closest(to: "stdnt_idd", in: ["student_id"]) == "student_id")  // 3 edits of 9
    #expect(Table.closest(to: "sdt_i", in: ["student_id"]) == nil)  // 5 edits of 5
    #expect(Table.closest(to: "a", in: ["ab"]) == "ab")
    #expect(Table.closest(to: "SCORE", in: ["score"]) == "score")
    #expect(Table.closest(to: "ab", in: [tenMB, "abc"]) == "abc")
  }
}

/// pandas' default missing tokens, and blank lines of spaces and tabs.
@Suite struct MissingTokensAndBlankLinesTests {
  @Test func pandasDefaultMissingTokens() throws {
    // pandas 2.x/3.x `pandas._libs.parsers.STR_NA_VALUES`.
    let pandas = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
                  "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
    #expect(Table.defaultMissingTokens.sorted() == pandas.sorted())
    let t = try table("v,w\n" + pandas.map { "\"\($0)\",\" \($0)\t\"" }.joined(separator: "\n") + "\n5,6\n")
    #expect(try t.numbers("v") == Array(repeating: nil, count: pandas.count) + [5])
    #expect(try t.strings("w") == Array(repeating: nil, count: pandas.count) + ["6"])
    #expect(t.profile(at: 0).type == .numeric && t.profile(at: 0).missingCount == pandas.count)
    // Case matters, as in pandas.
    #expect(try table("v\nNull\nnone\n").strings("v") == ["Null", "none"])
  }

  @Test func linesOfSpacesAndTabsAreBlank() throws {
    let t = try table("id,a,b\n1,2,3\n  \n\t \t\n4,5,6\n \t", name: "w.csv")
    #expect(t.rowCount == 2)
    #expect(try t.ids("id") == ["1", "4"])
    #expect(t.location(row: 1, column: 0).line == 5)
    #expect(try table("id,a\n1,2\n   \n").rowCount == 1)
    #expect(try table("id,a\r\n1,2\r\n  \r\n3,4").rowCount == 2)
    // Before the header too.
    let before = try table(" \n\t\nid,a\n1,2\n")
    #expect(before.headerLine == 3 && before.columnNames == ["id", "a"])
    // A file of blank lines has no header.
    #expect(inputError { _ = try table("  \n\t\n") }?.message == "the file is empty; a header row is required")
    // One column: pandas skips the line too (a quoted blank is a cell).
    let one = try table("a\n1\n  \n2\n\"  \"\n")
    #expect(try one.numbers("a") == [1, 2, nil])
    // With a tab delimiter a tab is a field separator: a line of one tab is a row of two empty cells, as in pandas.
    let tsv = try table("a\tb\n1\t2\n  \n\t\n3\t4\n", options: CSVOptions(delimiter: UInt8(ascii: "\t")))
    #expect(try tsv.numbers("a") == [1, nil, 3])
    // Spaces before a field are still part of a row.
    #expect(try table("a,b\n  ,1\n").numbers("b") == [1])
  }
}

/// A header may name a column twice; only selecting that name is an error.
@Suite struct DuplicateHeaderTests {
  @Test func duplicatesAreReadAndSelectedByPosition() throws {
    let t = try table("id,a,b,a\n1,2,3,4\n", name: "d.csv")
    #expect(t.columnNames == ["id", "a", "b", "a"])
    let e = inputError { _ = try t.columnIndex("a") }
    #expect(e?.description
      == "d.csv:1: column name 'a' is the name of 2 columns: #2 'a', #4 'a'; select one by its position ('#2' or '#4'), or rename the columns in the header")
    #expect(t.findColumn("a") == nil)
    #expect(try t.numbers("#4") == [4] && t.findColumn("b") == 2)
    #expect(t.displayName(ofColumn: 1) == "#2" && t.displayName(ofColumn: 3) == "#4" && t.displayName(ofColumn: 2) == "b")
    #expect(t.listedName(ofColumn: 3) == "#4 'a'" && t.isUnnamed(column: 3) && !t.isUnnamed(column: 2))
    #expect(t.hasDuplicatedName(column: 1) && !t.hasDuplicatedName(column: 0))
    // The names a table gives its columns select them again.
    let chosen = try t.selecting(columns: (0..<4).map { t.displayName(ofColumn: $0) })
    #expect(try chosen.numbers("#4") == [4])
    // Excel's trailing empty columns.
    let excel = try table("id,a,b,g,,\n1,2,3,x,,\n", name: "e.csv")
    #expect(excel.columnCount == 6 && excel.displayName(ofColumn: 4) == "#5" && excel.listedName(ofColumn: 5) == "#6 (no name)")
    #expect(try excel.numbers("#6") == [nil] && excel.findColumn("") == nil)
    #expect(!excel.hasDuplicatedName(column: 4) && excel.isUnnamed(column: 4))
    // More than five columns of one name: the first five positions.
    let many = try table(Array(repeating: "x", count: 7).joined(separator: ",") + "\n" + Array(repeating: "1", count: 7).joined(separator: ",") + "\n")
    #expect(inputError { _ = try many.columnIndex("x") }?.hint == "select one by its position ('#1', '#2', '#3', '#4', '#5', …), or rename the columns in the header")
  }

  /// A join keeps a name one file has twice; a renamed column landing on the other file's name is refused.
  @Test func joinKeepsOneSidesDuplicates() throws {
    let left = try table("id,a,a\n1,2,3\n", name: "l.csv")
    let right = try table("id,g\n1,x\n", name: "r.csv")
    let joined = try Table.join(left, right, leftId: "id", rightId: "id").table
    #expect(joined.columnNames == ["id", "a", "a", "g"])
    #expect(try joined.strings("g") == ["x"] && joined.findColumn("a") == nil)
  }

  @Test func invalidUTF8NumberCellSaysSo() throws {
    let t = try Table.parse(bytes: Array("a,b\n1,2\n".utf8) + [0x32, 0x92] + Array(",3\n".utf8), name: "w.csv")
    let e = inputError { _ = try t.numbers("a") }
    #expect(e?.description == "w.csv:3:1: column 'a' row 2: cell is not valid UTF-8: byte 0x92 is '’' in Windows-1252 (Latin-1), so the file is probably in that encoding; re-save the file as UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)'), or convert it: iconv -f WINDOWS-1252 -t UTF-8 w.csv > w.utf8.csv")
    let inf = inputError { _ = try t.numbers(at: [1, 0]) }
    #expect(inf?.message == "column 'a' row 2: cell is not valid UTF-8: byte 0x92 is '’' in Windows-1252 (Latin-1), so the file is probably in that encoding")
  }
}

/// Files that are not comma-separated UTF-8 are refused at the header, saying what they are: a `;`- or
/// tab-separated export (read as one text column before), UTF-16 with or without a byte-order mark.
@Suite struct ForeignExportTests {
  @Test func semicolonSeparatedFileIsRefusedAtTheHeader() throws {
    // European Excel: ';' between fields and decimal commas (the row used to be reported as ragged).
    for text in ["user;effort;grade\n0;5286,2;4,5\n1;10926,1;4\n", "user;effort;grade\n0;5286.2;4.5\n"] {
      let e = inputError { _ = try table(text, name: "eu.csv") }
      #expect(e?.file == "eu.csv" && e?.line == 1 && e?.column == 1)
      #expect(e?.message == "the header is one column, 'user;effort;grade', with 2 semicolons in it: the file is probably separated by ';', not by ','")
      #expect(e?.hint?.contains("sep=';', decimal=','") == true)
    }
    let tab = inputError { _ = try table("user\teffort\n0\t1.5\n", name: "tab.csv") }
    #expect(tab?.message == "the header is one column, 'user\\teffort', with 1 tab in it: the file is probably separated by a tab, not by ','")
    // Read with ';' as the delimiter, the same file is fine; so is a one-column file, and a quoted name.
    let eu = try table("user;effort\n0;1.5\n", options: CSVOptions(delimiter: UInt8(ascii: ";")))
    #expect(eu.columnNames == ["user", "effort"])
    #expect(try table("user\n0\n1\n").columnNames == ["user"])
    #expect(try table("\"a;b\"\n1\n").columnNames == ["a;b"])
  }

  /// Excel's `sep=X` first line is named as such (it used to read as the header, the next line then a ragged row).
  @Test func excelSeparatorLineIsNamed() throws {
    let comma = inputError { _ = try table("sep=,\nuser,effort\n0,1.5\n", name: "x.csv") }
    #expect(comma?.file == "x.csv" && comma?.line == 1 && comma?.column == 1)
    #expect(comma?.message == "the first line, 'sep=,', is Excel's separator line, not a header")
    #expect(comma?.hint == "delete that line so that the file starts with its header")
    let semicolon = inputError { _ = try table("SEP=;\r\nuser;effort\r\n0;1,5\r\n", name: "x.csv") }
    #expect(semicolon?.message == "the first line, 'SEP=;', is Excel's separator line, not a header: the file is separated by ';'")
    #expect(semicolon?.hint?.contains("skiprows=1") == true)
    // A column really named `sep=x`, or `sep=` with a second column, is a header.
    #expect(try table("sep=x\n1\n").columnNames == ["sep=x"])
    #expect(try table("sep=,b\n1,2\n").columnNames == ["sep=", "b"])
  }

  @Test func utf16FilesAreNamed() throws {
    let text = "user,effort\n0,1.5\n1,2.5\n"
    func utf16(_ s: String, bigEndian: Bool, bom: Bool) -> [UInt8] {
      var out: [UInt8] = bom ? (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]) : []
      for u in s.utf16 { out += bigEndian ? [UInt8(u >> 8), UInt8(u & 0xFF)] : [UInt8(u & 0xFF), UInt8(u >> 8)] }
      return out
    }
    for bigEndian in [false, true] {
      let e = inputError { _ = try Table.parse(bytes: utf16(text, bigEndian: bigEndian, bom: true), name: "u.csv") }
      #expect(e?.line == 1 && e?.column == 1)
      #expect(e?.message == "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8")
      #expect(e?.hint?.hasPrefix("re-save it as UTF-8") == true)
    }
    // Without a byte-order mark every other byte of the header is NUL (before: "row 3 has 1 field", at the last line).
    let le = inputError { _ = try Table.parse(bytes: utf16(text, bigEndian: false, bom: false), name: "u.csv") }
    #expect(le?.line == 1 && le?.column == 2)
    #expect(le?.message == "the header holds a NUL byte: the file is probably UTF-16 (without a byte-order mark) or not text")
    let be = inputError { _ = try Table.parse(bytes: utf16(text, bigEndian: true, bom: false), name: "u.csv") }
    #expect(be?.line == 1 && be?.column == 1)
  }
}

/// Ids that name the same learner written differently.
@Suite struct IdSpellingTests {
  @Test func leadingZerosBlanksCaseAndNumberFormsFallTogether() {
    #expect(IdSpelling.key("007") == IdSpelling.key("7"))
    #expect(IdSpelling.key(" 7\t") == IdSpelling.key("7"))
    #expect(IdSpelling.key("7.0") == IdSpelling.key("7"))
    #expect(IdSpelling.key("-0") == IdSpelling.key("0"))
    #expect(IdSpelling.key("U7") == IdSpelling.key("u7"))
    #expect(IdSpelling.key("7") != IdSpelling.key("7.5"))
    #expect(IdSpelling.key("u7") != IdSpelling.key("7"))
    let r = IdSpelling.respelled(["007", "x", "8.0"], in: ["7", "8", "9"])
    #expect(r?.count == 2 && r?.first.0 == "007" && r?.first.1 == "7")
    #expect(IdSpelling.respelled(["a"], in: ["b"]) == nil)
    #expect(IdSpelling.note(unmatched: ["007"], others: ["7"], otherFile: "g.csv")
      == "'007' is written '7' in g.csv: ids are compared exactly as written (leading zeros, blanks, letter case and '7' vs '7.0' count); write them alike in both files")
  }
}

/// Ids of one column that are one id written two ways.
@Suite struct IdLookalikeTests {
  @Test func lookalikesAreCountedOncePerLaterSpelling() {
    #expect(IdSpelling.lookalikes(["1", "2", "3"]) == nil)
    let r = IdSpelling.lookalikes(["3", "a", " 3", "003", "A", "x"])
    #expect(r?.count == 3 && r?.first.0 == "3" && r?.first.1 == " 3")
    #expect(IdSpelling.lookalikeWarning(["7", "7.0"], column: "id")?.hasPrefix("ids '7' and '7.0' of column 'id' are two learners here") == true)
  }
}

