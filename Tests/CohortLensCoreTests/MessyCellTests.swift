import Foundation
import Testing
@testable import CohortLensCore

/// Cells that exports write in ways the reader refuses: the error says what the cell looks like.
@Suite struct MessyCellTests {
  /// A quoted `"5,286.20"` in a comma-separated file was refused as a plain "is not a number".
  @Test func numbersWithThousandsSeparatorsOrDecimalCommasAreNamed() throws {
    let t = try Table.parse(bytes: Array("id,a,b,c,d\n1,\"5,286.20\",\"39,9155\",\"5.286,20\",\"1,234\"\n".utf8), name: "n.csv")
    let thousands = inputError { _ = try t.numbers("a") }
    #expect(thousands?.description == "n.csv:2:3: column 'a' row 1: '5,286.20' is not a number: it is written with ',' as a thousands separator; write it without separators, 5286.20: re-export the file without digit grouping and with '.' as the decimal point, or read it with pandas (thousands=',') and write it with to_csv(index=False)")
    let decimal = inputError { _ = try t.numbers("b") }
    #expect(decimal?.message == "column 'b' row 1: '39,9155' is not a number: it is written with a decimal comma")
    #expect(decimal?.hint?.hasPrefix("write it with a decimal point, 39.9155: ") == true)
    #expect(decimal?.hint?.contains("(decimal=',')") == true)
    let european = inputError { _ = try t.numbers("c") }
    #expect(european?.message == "column 'c' row 1: '5.286,20' is not a number: it is written with a decimal comma and '.' as a thousands separator")
    #expect(european?.hint?.contains("5286.20") == true && european?.hint?.contains("(decimal=',', thousands='.')") == true)
    let either = inputError { _ = try t.numbers("d") }
    #expect(either?.message == "column 'd' row 1: '1,234' is not a number: it is written with a ',' that is a thousands separator (1234) or a decimal comma (1.234)")
    // Other text keeps the caller's hint.
    let other = try Table.parse(bytes: Array("id,a\n1,\"1,2,3\"\n2,x\n".utf8), name: "o.csv")
    #expect(inputError { _ = try other.numbers("a") }?.description == "o.csv:2:3: column 'a' row 1: '1,2,3' is not a number; fix the cell or exclude the column with --columns")
    #expect(CellDiagnosis.numberWithSeparators("-1,234,567.5")?.hint.hasPrefix("write it without separators, -1234567.5:") == true)
    #expect(CellDiagnosis.numberWithSeparators("12,34,567") == nil)
    #expect(CellDiagnosis.numberWithSeparators("a,b") == nil)
  }

  /// A Latin-1 / Windows-1252 file was told "not valid UTF-8; re-save the file as UTF-8" without naming the
  /// encoding it is probably in.
  @Test func windows1252BytesAreNamedWithTheIconvCommand() throws {
    let cell = Array("id,g\n1,".utf8) + [0x53, 0xFC, 0x64] + Array("\n".utf8)
    let t = try Table.parse(bytes: cell, name: "my groups.csv")
    let e = inputError { _ = try t.strings("g") }
    #expect(e?.description == "my groups.csv:2:3: column 'g' row 1: cell is not valid UTF-8: byte 0xFC is 'ü' in Windows-1252 (Latin-1), so the file is probably in that encoding; re-save the file as UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)'), or convert it: iconv -f WINDOWS-1252 -t UTF-8 'my groups.csv' > 'my groups.utf8.csv'")
    let header = inputError { _ = try Table.parse(bytes: Array("id,genre_".utf8) + [0xE9] + Array("\n1,2\n".utf8), name: "h.csv") }
    #expect(header?.message == "column name 2 is not valid UTF-8: byte 0xE9 is 'é' in Windows-1252 (Latin-1), so the file is probably in that encoding")
    // cp1252's quotes (0x92) and a UTF-8 'é' followed by a Latin-1 byte.
    #expect(CellDiagnosis.windows1252([0x64, 0x92, 0x61])?.character == "\u{2019}")
    #expect(CellDiagnosis.windows1252([0xC3, 0xA9, 0xE9])?.byte == 0xE9)
    // Not a legacy 8-bit text: undefined in cp1252, or control bytes.
    #expect(CellDiagnosis.windows1252([0x61, 0x81]) == nil)
    #expect(CellDiagnosis.windows1252([0x61, 0x00, 0xE9]) == nil)
    let other = try Table.parse(bytes: Array("id,g\n1,".utf8) + [0x61, 0x81] + Array("\n".utf8), name: "x.csv")
    #expect(inputError { _ = try other.strings("g") }?.description == "x.csv:2:3: column 'g' row 1: cell is not valid UTF-8; re-save the file as UTF-8")
  }

  /// An id holding a NUL byte (`4\0`) was accepted and printed as written.
  @Test func aNULByteInAnIdIsRefused() throws {
    let t = try Table.parse(bytes: Array("id,a\n3,1\n4\0,2\n5\0,3\n".utf8), name: "z.csv")
    let e = inputError { _ = try t.ids("id") }
    #expect(e?.description == "z.csv:3:1: column 'id' row 2: id '4\\x00' holds a NUL byte (2 ids do): the file is probably damaged; delete the NUL bytes (tr -d '\\000' < z.csv > z.fixed.csv) and check the ids")
    // Text elsewhere is read as written.
    #expect(try t.strings("id")[1] == "4\0")
  }

  /// A header written again in the middle of the file (files concatenated with their headers) was read as a row
  /// of data: 'a' is not a number, or a label value 'truth' suggested as a --negative.
  @Test func aRepeatedHeaderIsNamed() throws {
    let e = inputError { _ = try Table.parse(bytes: Array("id,a,b\r\n1,2,3\r\n\"id\",\"a\",b\r\n4,5,6\r\n".utf8), name: "c.csv") }
    #expect(e?.description == "c.csv:3:1: row 2 repeats the header (the column names of line 1): the file is probably several files joined with their headers; delete the repeated header lines (pandas would read them as rows of data)")
    // One column, or a row holding some of the names, is data.
    #expect(try Table.parse(bytes: Array("id\n1\nid\n".utf8), name: "one.csv").rowCount == 2)
    #expect(try Table.parse(bytes: Array("id,a\nid,b\na,id\n".utf8), name: "two.csv").rowCount == 2)
  }
}
