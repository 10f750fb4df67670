#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options for reading a CSV file into a `Table`.
public struct CSVOptions: Sendable, Equatable {
  /// Field separator byte. Default `,`. Must be ASCII and not `"`, CR or LF.
  public var delimiter: UInt8
  /// Cell texts (after trimming ASCII spaces and tabs) that mean "missing".
  /// Default `Table.defaultMissingTokens`: pandas' default `na_values`. Matching is exact and
  /// case-sensitive; quoting does not matter (`""` and `"NA"` are missing too).
  public var missingTokens: [String]

  public init(delimiter: UInt8 = UInt8(ascii: ","), missingTokens: [String] = Table.defaultMissingTokens) {
    self.delimiter = delimiter
    self.missingTokens = missingTokens
  }
}

/// Where one data row starts in its source file.
struct RowOrigin: Sendable, Equatable {
  /// 1-based physical line of the row's first byte.
  var line: UInt32
  /// Byte offset of the row's first byte.
  var offset: UInt32
  /// 1-based data-row number in the source file (the header is not counted).
  var record: UInt32
}

/// One cell: a byte range into its source buffer. Quoted cells exclude the surrounding quotes;
/// `""` escapes inside them are still present (flag `escaped`) and are decoded on access.
struct CellRef: Sendable, Equatable {
  var start: UInt32
  var packed: UInt32

  static let quotedBit: UInt32 = 1 << 31
  static let escapedBit: UInt32 = 1 << 30
  static let lengthMask: UInt32 = (1 << 30) - 1

  @inline(__always) var length: Int { Int(packed & CellRef.lengthMask) }
  @inline(__always) var isQuoted: Bool { packed & CellRef.quotedBit != 0 }
  @inline(__always) var isEscaped: Bool { packed & CellRef.escapedBit != 0 }
  /// Offset of the field's first byte in the file (the opening quote for quoted cells).
  @inline(__always) var fieldStart: Int { Int(start) - (isQuoted ? 1 : 0) }
}

/// The result of tokenising a CSV buffer.
struct ParsedCSV: Sendable {
  var header: [String]
  /// 1-based physical line of the header row (after any leading blank lines).
  var headerLine: Int
  /// The header's fields and where its record starts (to locate a column name in messages).
  var headerCells: [CellRef]
  var headerOrigin: RowOrigin
  var cells: [CellRef]
  var origins: [RowOrigin]
}

/// Byte-level RFC 4180 state machine over a whole file held in memory.
///
/// Rules: an optional UTF-8 BOM is skipped; records end at LF, CRLF, a bare CR, or end of file;
/// blank lines (empty, or only spaces and tabs that are not the delimiter) are skipped; a field that starts with `"` is quoted and may contain the
/// delimiter, CR, LF and `""` (an escaped quote); a `"` inside an unquoted field is literal data.
/// O(n) in the file size; one `CellRef` (8 bytes) per cell and one `RowOrigin` per row.
struct CSVTokenizer {
  let p: UnsafeBufferPointer<UInt8>
  let path: String
  let delimiter: UInt8
  var i = 0
  var line: UInt32 = 1
  var cells: [CellRef] = []
  var origins: [RowOrigin] = []

  let delimiterMask: UInt64
  static let lfMask: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
  static let crMask: UInt64 = 0x0D0D_0D0D_0D0D_0D0D

  init(_ p: UnsafeBufferPointer<UInt8>, path: String, delimiter: UInt8) {
    self.p = p
    self.path = path
    self.delimiter = delimiter
    self.delimiterMask = UInt64(delimiter) &* 0x0101_0101_0101_0101
  }

  /// High bit set in each byte of `x` that is zero (and possibly in bytes above the lowest zero byte).
  @inline(__always)
  static func zeroBytes(_ x: UInt64) -> UInt64 {
    (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
  }

  static func parse(_ bytes: [UInt8], path: String, options: CSVOptions) throws -> ParsedCSV {
    let d = options.delimiter
    guard d < 0x80, d != UInt8(ascii: "\""), d != 0x0A, d != 0x0D else {
      throw UsageError("invalid CSV delimiter byte \(d)", hint: "use an ASCII character other than a quote or a line break")
    }
    guard bytes.count < Int(UInt32.max) else {
      throw InputError(file: path, message: "file is larger than 4 GiB", hint: "split the file")
    }
    return try bytes.withUnsafeBufferPointer { buf in
      var t = CSVTokenizer(buf, path: path, delimiter: options.delimiter)
      if buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { t.i = 3 }
      if buf.count >= 2 && ((buf[0] == 0xFF && buf[1] == 0xFE) || (buf[0] == 0xFE && buf[1] == 0xFF)) {
        throw InputError(file: path, line: 1, column: 1,
                         message: "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8",
                         hint: CSVTokenizer.reencodeHint)
      }
      guard let headerOrigin = try t.nextRecord() else {
        throw InputError(file: path, line: 1, message: "the file is empty; a header row is required",
                         hint: "add a first line with the column names")
      }
      let columnCount = t.cells.count
      let headerCells = t.cells
      try t.checkHeaderLooksLikeCSV(origin: headerOrigin)
      var header: [String] = []
      header.reserveCapacity(columnCount)
      for (j, cell) in t.cells.enumerated() {
        guard let name = Table.decode(cell, in: buf) else {
          let loc = Table.location(of: cell, origin: headerOrigin, in: buf)
          let (message, hint) = CellDiagnosis.notUTF8(Table.unescape(cell, in: buf), what: "column name \(j + 1)", path: path)
          throw InputError(file: path, line: loc.line, column: loc.column, message: message, hint: hint)
        }
        // A name written twice is kept (pandas reads it as `a` and `a.1`); selecting it is an error then.
        header.append(name)
      }
      t.cells.removeAll(keepingCapacity: true)
      // Rough pre-sizing: assume ~8 bytes per cell.
      let estimatedCells = max(16, buf.count / 8)
      t.cells.reserveCapacity(estimatedCells)
      t.origins.reserveCapacity(estimatedCells / max(1, columnCount) + 1)
      // The header's bytes, to recognise it written again below (files concatenated with their headers).
      let headerBytes = header.map { Array($0.utf8) }
      var record: UInt32 = 0
      while true {
        let before = t.cells.count
        guard var origin = try t.nextRecord() else { break }
        record += 1
        origin.record = record
        let fields = t.cells.count - before
        if fields != columnCount {
          throw t.raggedError(fields: fields, expected: columnCount, firstCell: before, origin: origin)
        }
        if columnCount >= 2, t.repeatsHeader(firstCell: before, headerBytes) {
          throw InputError(
            file: path, line: Int(origin.line), column: 1,
            message: "row \(record) repeats the header (the column names of line \(headerOrigin.line)): the file is probably several files joined with their headers",
            hint: "delete the repeated header lines (pandas would read them as rows of data)")
        }
        t.origins.append(origin)
      }
      return ParsedCSV(header: header, headerLine: Int(headerOrigin.line), headerCells: headerCells,
                       headerOrigin: headerOrigin, cells: t.cells, origins: t.origins)
    }
  }

  /// How to re-save a file that is not UTF-8 text.
  static let reencodeHint = "re-save it as UTF-8 CSV (Excel: 'CSV UTF-8 (Comma delimited)'; or iconv -f UTF-16 -t UTF-8)"

  /// Refuses a header that shows the file is not comma-separated UTF-8 CSV, before its rows are read (whose
  /// errors would otherwise point at a row, or whose single column would be read as text):
  /// - a NUL byte in the header: UTF-16 without a byte-order mark (every other byte of ASCII text is 0), or a
  ///   binary file;
  /// - a header of one unquoted field holding `;`, a tab or `|` (and the delimiter is something else): the file
  ///   is separated by that character — `;` is what Excel writes where the decimal separator is a comma.
  /// O(header length).
  func checkHeaderLooksLikeCSV(origin: RowOrigin) throws {
    for cell in cells {
      let start = cell.fieldStart
      let end = min(p.count, Int(cell.start) + cell.length)
      if let nul = (start..<end).first(where: { p[$0] == 0 }) {
        let loc = Table.location(ofOffset: nul, origin: origin, in: p)
        throw InputError(
          file: path, line: loc.line, column: loc.column,
          message: "the header holds a NUL byte: the file is probably UTF-16 (without a byte-order mark) or not text",
          hint: CSVTokenizer.reencodeHint)
      }
    }
    // Excel's separator line (`sep=;`, `sep=,`), written before the header by some exports: not a header.
    let firstCells = cells.prefix(2).map { ($0.isQuoted, Table.decode($0, in: p) ?? "") }
    let hinted: String?
    if firstCells.count == 1, !firstCells[0].0, firstCells[0].1.utf8.count == 5,
      firstCells[0].1.lowercased().hasPrefix("sep="), let last = firstCells[0].1.last, ";\t|:".contains(last)
    {
      hinted = String(firstCells[0].1.suffix(1))
    } else if cells.count == 2, !firstCells[0].0, !firstCells[1].0, firstCells[0].1.lowercased() == "sep=",
      firstCells[1].1.isEmpty
    {
      hinted = String(Character(Unicode.Scalar(delimiter)))
    } else {
      hinted = nil
    }
    if let separator = hinted {
      let same = separator.utf8.first == delimiter
      throw InputError(
        file: path, line: Int(origin.line), column: 1,
        message: "the first line, \(MessageText.quoted(firstCells.map(\.1).joined(separator: String(Character(Unicode.Scalar(delimiter)))))), is Excel's separator line, not a header"
          + (same ? "" : ": the file is separated by \(MessageText.quoted(separator))"),
        hint: same
          ? "delete that line so that the file starts with its header"
          : "delete that line and re-save the file comma-separated (pandas: read it with sep=\(MessageText.quoted(separator)), skiprows=1 and write it with to_csv(index=False))")
    }
    guard cells.count == 1, let cell = cells.first, !cell.isQuoted else { return }
    let bytes = UnsafeBufferPointer(rebasing: p[Int(cell.start) ..< Int(cell.start) + cell.length])
    for (candidate, shown, plural) in [(UInt8(ascii: ";"), "';'", "semicolon"), (UInt8(ascii: "\t"), "a tab", "tab"),
                                       (UInt8(ascii: "|"), "'|'", "'|'")]
    where candidate != delimiter {
      let count = bytes.reduce(0) { $0 + ($1 == candidate ? 1 : 0) }
      guard count > 0 else { continue }
      let name = Table.decode(cell, in: p) ?? ""
      let separator = delimiter == UInt8(ascii: ",") ? "','" : "'\(Character(Unicode.Scalar(delimiter)))'"
      throw InputError(
        file: path, line: Int(origin.line), column: 1,
        message: "the header is one column, \(MessageText.quoted(name)), with \(count) \(plural)\(count == 1 || plural == "'|'" ? "" : "s") in it: the file is probably separated by \(shown), not by \(separator)",
        hint: candidate == UInt8(ascii: ";")
          ? "re-save it comma-separated with '.' as the decimal point (Excel writes ';' where the decimal separator is a comma; pandas: read it with sep=';', decimal=',' and write it with to_csv(index=False))"
          : "re-save it comma-separated (pandas: read it with sep=\(candidate == UInt8(ascii: "|") ? "'|'" : "'\\t'") and write it with to_csv(index=False))")
    }
  }

  /// Whether the record whose cells start at `firstCell` holds exactly the header's names (as decoded bytes).
  /// O(1) for most rows: the first cell's length differs.
  func repeatsHeader(firstCell: Int, _ headerBytes: [[UInt8]]) -> Bool {
    for (j, name) in headerBytes.enumerated() {
      let cell = cells[firstCell + j]
      if !cell.isEscaped {
        // Compared in place: no allocation for the rows that are data.
        if cell.length != name.count { return false }
        let start = Int(cell.start)
        if !UnsafeBufferPointer(rebasing: p[start ..< start + cell.length]).elementsEqual(name) { return false }
      } else if Table.unescape(cell, in: p) != name {
        return false
      }
    }
    return true
  }

  func raggedError(fields: Int, expected: Int, firstCell: Int, origin: RowOrigin) -> InputError {
    let loc: (line: Int, column: Int)
    if fields > expected {
      loc = Table.location(of: cells[firstCell + expected], origin: origin, in: p)
    } else {
      // Point just past the last field of the row.
      let last = cells[cells.count - 1]
      var end = Int(last.start) + last.length + (last.isQuoted ? 1 : 0)
      end = min(end, p.count)
      loc = Table.location(ofOffset: end, origin: origin, in: p)
    }
    let plural = expected == 1 ? "" : "s"
    return InputError(
      file: path, line: loc.line, column: loc.column,
      message: "row \(origin.record) has \(fields) field\(fields == 1 ? "" : "s") but the header has \(expected) column\(plural)",
      hint: fields > expected
        ? "quote fields that contain the delimiter, or remove the extra delimiter"
        : "add the missing fields (empty fields are allowed: a,,c)")
  }

  /// Reads one record, appending its cells. Returns its origin, or `nil` at end of file.
  @inline(__always)
  mutating func nextRecord() throws -> RowOrigin? {
    let n = p.count
    let q = UInt8(ascii: "\"")
    let lf = UInt8(ascii: "\n")
    let cr = UInt8(ascii: "\r")
    let delim = delimiter
    // Skip blank lines: empty, or only spaces and tabs (other than the delimiter), as pandas'
    // skip_blank_lines; the last line may lack its line break.
    while i < n {
      var j = i
      while j < n && (p[j] == 0x20 || p[j] == 0x09) && p[j] != delim { j += 1 }
      if j >= n {
        i = j
        break
      }
      let c = p[j]
      if c == lf {
        i = j + 1
        line += 1
      } else if c == cr {
        i = j + 1
        if i < n && p[i] == lf { i += 1 }
        line += 1
      } else {
        break
      }
    }
    if i >= n { return nil }
    let origin = RowOrigin(line: line, offset: UInt32(i), record: 0)
    while true {
      if i < n && p[i] == q {
        // Quoted field.
        let start = i + 1
        var j = start
        var escaped = false
        while true {
          guard j < n else {
            let cell = CellRef(start: UInt32(start), packed: CellRef.quotedBit)
            let loc = Table.location(of: cell, origin: origin, in: p)
            throw InputError(
              file: path, line: loc.line, column: loc.column,
              message: "unbalanced quote: the quoted field starting here is never closed",
              hint: "add the closing quote, and write a quote inside a quoted field as two quotes (\"\")")
          }
          let c = p[j]
          if c == q {
            if j + 1 < n && p[j + 1] == q {
              escaped = true
              j += 2
              continue
            }
            break
          }
          // A line break inside the field: LF, CRLF (counted at its LF) or a bare CR, as between records.
          if c == lf || (c == cr && (j + 1 >= n || p[j + 1] != lf)) { line += 1 }
          j += 1
        }
        let length = j - start
        guard length <= Int(CellRef.lengthMask) else {
          throw InputError(file: path, line: Int(line), message: "field longer than 1 GiB", hint: nil)
        }
        var packed = UInt32(length) | CellRef.quotedBit
        if escaped { packed |= CellRef.escapedBit }
        cells.append(CellRef(start: UInt32(start), packed: packed))
        i = j + 1
        if i < n {
          let c = p[i]
          if c != delim && c != lf && c != cr {
            let loc = Table.location(ofOffset: i, origin: origin, in: p)
            throw InputError(
              file: path, line: loc.line, column: loc.column,
              message: "unexpected text after the closing quote of a quoted field",
              hint: "quote the whole field and write each quote inside it as two quotes (\"\")")
          }
        }
      } else {
        // Unquoted field.
        let start = i
        // Eight bytes at a time: a byte equals the delimiter, LF or CR iff the XOR with it is zero;
        // the lowest flagged byte of the classic "has zero byte" test is exact.
        let base = UnsafeRawPointer(p.baseAddress!)
        while i + 8 <= n {
          let v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
          let m = CSVTokenizer.zeroBytes(v ^ delimiterMask) | CSVTokenizer.zeroBytes(v ^ CSVTokenizer.lfMask)
            | CSVTokenizer.zeroBytes(v ^ CSVTokenizer.crMask)
          if m != 0 {
            i += m.trailingZeroBitCount >> 3
            break
          }
          i += 8
        }
        if i + 8 > n {
          while i < n {
            let c = p[i]
            if c == delim || c == lf || c == cr { break }
            i += 1
          }
        }
        let length = i - start
        guard length <= Int(CellRef.lengthMask) else {
          throw InputError(file: path, line: Int(line), message: "field longer than 1 GiB", hint: nil)
        }
        cells.append(CellRef(start: UInt32(start), packed: UInt32(length)))
      }
      // Delimiter or end of record.
      if i >= n { return origin }
      let c = p[i]
      i += 1
      if c == delim { continue }
      if c == cr && i < n && p[i] == lf { i += 1 }
      line += 1
      return origin
    }
  }
}
