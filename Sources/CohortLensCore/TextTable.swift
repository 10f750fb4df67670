/// A small table of already-formatted cells that renders as aligned text, CSV, Markdown or JSON.
///
/// Cells are strings: format numbers first (`NumberFormatting.fixed` for `.table`/`.markdown`,
/// `NumberFormatting.roundTrip` for `.csv`). Rendering is O(cells). The aligned text pads cells to
/// their width on a terminal (``displayWidth(_:)``: an East Asian wide or fullwidth character, such
/// as `日` or most emoji, takes two columns, a combining mark none); the cut of a long cell counts
/// `Character`s (grapheme clusters).
public struct TextTable: Sendable, Equatable {
  /// Horizontal alignment of a column in the text and Markdown renderings.
  public enum Alignment: Sendable, Equatable {
    /// Pad on the right (text).
    case left
    /// Pad on the left (numbers).
    case right
  }

  /// Optional title, printed above the text table, as a `**bold**` line in Markdown, and as
  /// `"title"` in JSON. Not part of CSV.
  public var title: String?
  /// Column headers; their count sets the number of columns (longer rows add columns).
  public var headers: [String]
  /// Per-column alignment; columns beyond `alignments.count` are left-aligned.
  public var alignments: [Alignment]
  /// Rows of cells; short rows are padded with empty cells.
  public var rows: [[String]]
  /// Notes printed below the text and Markdown tables. Not part of CSV.
  public var footnotes: [String]

  public init(title: String? = nil, headers: [String], alignments: [Alignment] = [], rows: [[String]] = [],
              footnotes: [String] = []) {
    self.title = title
    self.headers = headers
    self.alignments = alignments
    self.rows = rows
    self.footnotes = footnotes
  }

  /// Appends a row.
  public mutating func append(_ row: [String]) { rows.append(row) }

  /// Renders in `format` (`.json` gives `jsonValue().serialized()`); the result ends with a newline.
  public func render(_ format: OutputFormat) -> String {
    switch format {
    case .table: return renderText()
    case .csv: return renderCSV()
    case .markdown: return renderMarkdown()
    case .json: return jsonValue().serialized() + "\n"
    }
  }

  private var columnCount: Int { max(headers.count, rows.map(\.count).max() ?? 0) }

  private func cell(_ row: [String], _ j: Int) -> String { j < row.count ? row[j] : "" }

  private func alignment(_ j: Int) -> Alignment { j < alignments.count ? alignments[j] : .left }

  /// The widest cell of the aligned text rendering, in characters: a longer cell (or header) is cut to
  /// this width, ending in `…`, and the table says so in a last footnote (``shortenedNote``). CSV,
  /// JSON and Markdown keep every cell whole.
  public static let cellWidthLimit = 60

  /// The footnote of an aligned text table with a shortened cell.
  public static let shortenedNote =
    "Cells longer than \(cellWidthLimit) characters are shortened (…); --format csv or json shows them whole."

  /// Columns separated by two spaces, a dashed rule under the header, no trailing spaces.
  /// Control characters in cells (a newline in a quoted CSV field, a tab) are shown escaped as
  /// `\n`, `\r`, `\t` or `\xHH`, so every row stays on one line and the columns stay aligned.
  /// A cell or header longer than ``cellWidthLimit`` characters is cut to that width (its last
  /// character `…`), and ``shortenedNote`` is added below the footnotes; a table with a huge cell
  /// stays small. O(cells × ``cellWidthLimit``) plus the escaping of the cells kept.
  public func renderText() -> String {
    let n = columnCount
    var shortened = false
    func shown(_ text: String) -> String {
      let (cell, cut) = Self.shortenedCell(text)
      if cut { shortened = true }
      return cell
    }
    let all = ([headers] + rows).map { $0.map(shown) }
    var widths = [Int](repeating: 0, count: n)
    for row in all {
      for j in 0..<n { widths[j] = max(widths[j], Self.displayWidth(cell(row, j))) }
    }
    func format(_ row: [String]) -> String {
      var parts: [String] = []
      for j in 0..<n {
        let c = cell(row, j)
        let pad = String(repeating: " ", count: widths[j] - Self.displayWidth(c))
        parts.append(alignment(j) == .right ? pad + c : c + pad)
      }
      var line = parts.joined(separator: "  ")
      while line.last == " " { line.removeLast() }
      return line + "\n"
    }
    var out = ""
    if let title { out += title + "\n\n" }
    out += format(all[0])
    out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
    for row in all.dropFirst() { out += format(row) }
    let notes = footnotes + (shortened ? [Self.shortenedNote] : [])
    if !notes.isEmpty {
      out += "\n"
      for note in notes { out += note + "\n" }
    }
    return out
  }

  /// The number of terminal columns `text` takes, as `wcwidth(3)` counts them in a UTF-8 locale: per
  /// character (grapheme cluster), 2 when it starts with an East Asian Wide or Fullwidth code point
  /// (Unicode UAX #11: CJK ideographs, kana, Hangul syllables, fullwidth forms, emoji with emoji
  /// presentation) or is an emoji made to show as one by U+FE0F; 0 when it is only a combining mark,
  /// a format character such as a zero-width space, or a C0/C1 control; 1 otherwise. Combining marks
  /// that follow a base character belong to its cluster and add nothing. O(length).
  public static func displayWidth(_ text: String) -> Int {
    // Fast path: printable ASCII only.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
    var width = 0
    for character in text {
      let scalars = character.unicodeScalars
      guard let first = scalars.first else { continue }
      if isWide(first) || (first.properties.isEmoji && scalars.contains("\u{FE0F}")) {
        width += 2
        continue
      }
      switch first.properties.generalCategory {
      case .nonspacingMark, .enclosingMark, .control: continue
      case .format where first.value != 0xAD: continue
      default: width += 1
      }
    }
    return width
  }

  /// East Asian Width W or F (Unicode 14, assigned code points; planes 2 and 3 whole), sorted.
  static let wideRanges: [ClosedRange<UInt32>] = [
    0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
    0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
    0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
    0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
    0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
    0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55, 0x2E80...0x303E,
    0x3041...0x3247, 0x3250...0x4DBF, 0x4E00...0xA4C6, 0xA960...0xA97C, 0xAC00...0xD7A3, 0xF900...0xFAD9,
    0xFE10...0xFE19, 0xFE30...0xFE6B, 0xFF01...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x1B2FB, 0x1F004...0x1F004,
    0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C,
    0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4, 0x1F3F8...0x1F43E,
    0x1F440...0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A...0x1F57A,
    0x1F595...0x1F596, 0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2,
    0x1F6D5...0x1F6DF, 0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7F0, 0x1F90C...0x1F93A, 0x1F93C...0x1F945,
    0x1F947...0x1F9FF, 0x1FA70...0x1FAF6, 0x20000...0x3FFFD,
  ]

  /// Whether `u` is East Asian Wide or Fullwidth (binary search of ``wideRanges``). O(log ranges).
  static func isWide(_ u: Unicode.Scalar) -> Bool {
    let v = u.value
    if v < 0x1100 { return false }
    var lo = 0
    var hi = wideRanges.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if wideRanges[mid].upperBound < v { lo = mid + 1 } else { hi = mid }
    }
    return lo < wideRanges.count && wideRanges[lo].contains(v)
  }

  /// A cell as the aligned text shows it: control characters escaped (``visibleControls(_:keepingLinesAndTabs:)``),
  /// then cut to ``cellWidthLimit`` characters with `…` as the last one; and whether it was cut. Only the
  /// first few hundred scalars of a long cell are looked at.
  static func shortenedCell(_ text: String) -> (String, Bool) {
    let limit = cellWidthLimit
    // Escaping at most doubles a scalar's width (`\n`) or makes it 4 wide (`\xHH`); a character is at
    // least one scalar: limit × 8 scalars always cover the shown part of the cell.
    var head = text
    var cut = false  // by the scalar cap
    let cap = limit * 8
    if let end = text.unicodeScalars.index(text.unicodeScalars.startIndex, offsetBy: cap, limitedBy: text.unicodeScalars.endIndex),
       end != text.unicodeScalars.endIndex {
      head = String(text.unicodeScalars[..<end])
      cut = true
    }
    let shown = visibleControls(head)
    guard cut || shown.count > limit else { return (shown, false) }
    return (String(shown.prefix(limit - 1)) + "…", true)
  }

  /// `text` with its control characters made visible: a line break (LF, CRLF) as `\n`, a lone CR
  /// as `\r`, a tab as `\t`, other C0 controls and DEL as `\xHH`; everything else unchanged.
  /// With `keepingLinesAndTabs`, LF and tab are left as they are (a multi-line message) and CR is
  /// shown as `\x0D`. O(length); the text itself when it holds no control character.
  public static func visibleControls(_ text: String, keepingLinesAndTabs: Bool = false) -> String {
    func kept(_ u: Unicode.Scalar) -> Bool { keepingLinesAndTabs && (u == "\n" || u == "\t") }
    guard text.unicodeScalars.contains(where: { ($0.value < 0x20 || $0.value == 0x7F) && !kept($0) }) else { return text }
    var out = String.UnicodeScalarView()
    let scalars = Array(text.unicodeScalars)
    for (i, u) in scalars.enumerated() {
      if kept(u) {
        out.append(u)
        continue
      }
      switch (u, keepingLinesAndTabs) {
      case ("\n", false): if i == 0 || scalars[i - 1] != "\r" { out.append(contentsOf: "\\n".unicodeScalars) }
      case ("\r", false): out.append(contentsOf: (i + 1 < scalars.count && scalars[i + 1] == "\n" ? "\\n" : "\\r").unicodeScalars)
      case ("\t", false): out.append(contentsOf: "\\t".unicodeScalars)
      default:
        if u.value < 0x20 || u.value == 0x7F {
          let hex = String(u.value, radix: 16, uppercase: true)
          out.append(contentsOf: ("\\x" + (hex.count < 2 ? "0" : "") + hex).unicodeScalars)
        } else {
          out.append(u)
        }
      }
    }
    return String(out)
  }

  /// `text` escaped for a GitHub-flavoured Markdown table cell: `|`, `\\`, `*`, `` ` `` and `~`
  /// always; `_` unless it sits between two letters or digits (where it cannot start emphasis, so
  /// `age_band` stays readable); `<` before a letter, `/`, `!` or `?` (raw HTML, autolinks); `[`
  /// when the cell holds `](` (an inline link); `&` when it starts an entity or character reference
  /// (`&amp;`, `&#60;`, `&#x3C;`, which Markdown would show as `&`, `<`). Other text (`55<=`,
  /// `[0.40, 0.60]`, `R&D`) is unchanged.
  public static func markdownEscaped(_ text: String) -> String {
    // Most cells (numbers, plain names) hold none of the characters that need a look: return them as they are.
    guard text.utf8.contains(where: { b in
      b == UInt8(ascii: "|") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "*") || b == UInt8(ascii: "`")
        || b == UInt8(ascii: "~") || b == UInt8(ascii: "_") || b == UInt8(ascii: "<") || b == UInt8(ascii: "[")
        || b == UInt8(ascii: "&")
    }) else { return text }
    let scalars = Array(text.unicodeScalars)
    let linkLike = text.contains("](")
    func isWordy(_ i: Int) -> Bool {
      i >= 0 && i < scalars.count && (scalars[i].properties.isAlphabetic || scalars[i].properties.numericType != nil)
    }
    var out = String.UnicodeScalarView()
    for (i, u) in scalars.enumerated() {
      var escape = false
      switch u {
      case "|", "\\", "*", "`", "~": escape = true
      case "_": escape = !(isWordy(i - 1) && isWordy(i + 1))
      case "<":
        if i + 1 < scalars.count {
          let next = scalars[i + 1]
          escape = next.properties.isAlphabetic || next == "/" || next == "!" || next == "?"
        }
      case "[": escape = linkLike
      case "&": escape = startsReference(scalars, at: i)
      default: break
      }
      if escape { out.append("\\") }
      out.append(u)
    }
    return String(out)
  }

  /// Whether the `&` at `i` starts what CommonMark reads as an entity or numeric character reference:
  /// `&name;` (an ASCII letter, then up to 31 letters or digits), `&#` 1–7 digits `;`, or `&#x` 1–6 hex
  /// digits `;`.
  static func startsReference(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
    func isDigit(_ u: Unicode.Scalar) -> Bool { u >= "0" && u <= "9" }
    func isLetter(_ u: Unicode.Scalar) -> Bool { (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") }
    func isHex(_ u: Unicode.Scalar) -> Bool { isDigit(u) || (u >= "a" && u <= "f") || (u >= "A" && u <= "F") }
    var k = i + 1
    func run(_ accept: (Unicode.Scalar) -> Bool, max: Int) -> Int {
      var n = 0
      while k < scalars.count && n < max && accept(scalars[k]) { k += 1; n += 1 }
      return n
    }
    guard k < scalars.count else { return false }
    if scalars[k] == "#" {
      k += 1
      if k < scalars.count && (scalars[k] == "x" || scalars[k] == "X") {
        k += 1
        guard run(isHex, max: 6) > 0 else { return false }
      } else {
        guard run(isDigit, max: 7) > 0 else { return false }
      }
    } else {
      guard isLetter(scalars[k]) else { return false }
      k += 1
      _ = run({ isLetter($0) || isDigit($0) }, max: 31)
    }
    return k < scalars.count && scalars[k] == ";"
  }

  /// RFC 4180 CSV of the header and rows (see `CSVWriter`).
  public func renderCSV() -> String {
    let n = columnCount
    return CSVWriter.render(header: (0..<n).map { cell(headers, $0) },
                            rows: rows.map { r in (0..<n).map { cell(r, $0) } })
  }

  /// A pipe table; `|` in cells is escaped as `\|`, newlines become `<br>`, and the inline syntax
  /// a cell's text could trigger is backslash-escaped (see ``markdownEscaped(_:)``), so a group
  /// named `*B*_x_` or `<b>` shows as written.
  public func renderMarkdown() -> String {
    let n = columnCount
    func escape(_ s: String) -> String {
      let e = Self.markdownEscaped(s)
      guard e.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return e }
      return e.replacingAll("\r\n", with: "<br>").replacingAll("\n", with: "<br>").replacingAll("\r", with: "<br>")
    }
    func format(_ row: [String]) -> String {
      "| " + (0..<n).map { escape(cell(row, $0)) }.joined(separator: " | ") + " |\n"
    }
    var out = ""
    if let title { out += "**\(escape(title))**\n\n" }
    out += format(headers)
    out += "|" + (0..<n).map { alignment($0) == .right ? " ---: |" : " --- |" }.joined() + "\n"
    for row in rows { out += format(row) }
    if !footnotes.isEmpty {
      out += "\n"
      for note in footnotes { out += note + "\n" }
    }
    return out
  }

  /// `{"title": …, "columns": [...], "rows": [{header: cell, …}, …], "footnotes": [...]}`
  /// (`title`/`footnotes` only when present; cells stay strings).
  public func jsonValue() -> JSONValue {
    let n = columnCount
    let names = (0..<n).map { j in j < headers.count ? headers[j] : "column\(j + 1)" }
    var object: [(String, JSONValue)] = []
    if let title { object.append(("title", .string(title))) }
    object.append(("columns", .array(names.map { .string($0) })))
    object.append(("rows", .array(rows.map { r in .object((0..<n).map { (names[$0], .string(cell(r, $0))) }) })))
    if !footnotes.isEmpty { object.append(("footnotes", .array(footnotes.map { .string($0) }))) }
    return .object(object)
  }
}

extension String {
  /// Every occurrence of `target` replaced (Foundation-free).
  func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty, contains(target) else { return self }
    return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
