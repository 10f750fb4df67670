/// What a cell that the reader refuses probably is, for the error message: text in a legacy 8-bit
/// encoding instead of UTF-8, or a number written with a thousands separator or a decimal comma.
/// Pure functions of the cell's bytes; O(cell length).
enum CellDiagnosis {
  /// Windows-1252's characters for the bytes 0x80–0x9F (`nil`: undefined there). Bytes 0xA0–0xFF are
  /// Latin-1's, U+00A0–U+00FF.
  static let windows1252High: [Unicode.Scalar?] = [
    "\u{20AC}", nil, "\u{201A}", "\u{0192}", "\u{201E}", "\u{2026}", "\u{2020}", "\u{2021}",
    "\u{02C6}", "\u{2030}", "\u{0160}", "\u{2039}", "\u{0152}", nil, "\u{017D}", nil,
    nil, "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{2022}", "\u{2013}", "\u{2014}",
    "\u{02DC}", "\u{2122}", "\u{0161}", "\u{203A}", "\u{0153}", nil, "\u{017E}", "\u{0178}",
  ]

  /// The first byte of `bytes` that is not valid UTF-8 there and the character it is in Windows-1252, when
  /// the bytes read as Windows-1252 (Latin-1 with 0x80–0x9F as Windows uses them) text: every byte at or
  /// above 0x80 is a character there, and the first one that breaks UTF-8 is a letter, a symbol or
  /// punctuation (`é` is 0xE9, which UTF-8 writes as 0xC3 0xA9). `nil` otherwise (valid UTF-8, or bytes
  /// such as a UTF-16 or binary file that no 8-bit encoding explains).
  static func windows1252(_ bytes: some Collection<UInt8>) -> (byte: UInt8, character: Character)? {
    let b = Array(bytes)
    guard String(validating: b, as: UTF8.self) == nil else { return nil }
    // Control bytes other than tab are not text in any encoding.
    guard !b.contains(where: { $0 < 0x20 && $0 != 0x09 }) else { return nil }
    func scalar(_ x: UInt8) -> Unicode.Scalar? {
      x < 0x80 ? Unicode.Scalar(x) : x < 0xA0 ? windows1252High[Int(x - 0x80)] : Unicode.Scalar(UInt32(x))
    }
    guard b.allSatisfy({ scalar($0) != nil }) else { return nil }
    // The first byte where UTF-8 decoding fails.
    var i = 0
    while i < b.count {
      let x = b[i]
      let length = x < 0x80 ? 1 : x >= 0xC2 && x <= 0xDF ? 2 : x >= 0xE0 && x <= 0xEF ? 3 : x >= 0xF0 && x <= 0xF4 ? 4 : 0
      if length == 0 || i + length > b.count { break }
      if let _ = String(validating: b[i ..< i + length], as: UTF8.self) {
        i += length
      } else {
        break
      }
    }
    guard i < b.count, let s = scalar(b[i]), s.properties.generalCategory != .control else { return nil }
    return (b[i], Character(s))
  }

  /// Message and hint for a cell (or column name) of `path` that is not valid UTF-8: names Windows-1252
  /// (Latin-1) with the `iconv` command that converts the file when the bytes look like it.
  static func notUTF8(_ bytes: some Collection<UInt8>, what: String, path: String) -> (message: String, hint: String) {
    guard let (byte, character) = windows1252(bytes) else {
      return ("\(what) is not valid UTF-8", "re-save the file as UTF-8")
    }
    let hex = String(byte, radix: 16, uppercase: true)
    let converted = path.hasSuffix(".csv") ? String(path.dropLast(4)) + ".utf8.csv" : path + ".utf8"
    return (
      "\(what) is not valid UTF-8: byte 0x\(hex) is \(MessageText.quoted(String(character))) in Windows-1252 (Latin-1), so the file is probably in that encoding",
      "re-save the file as UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)'), or convert it: iconv -f WINDOWS-1252 -t UTF-8 \(MessageText.shellWord(path)) > \(MessageText.shellWord(converted))"
    )
  }


  /// How a cell text that is not a number is written when it is one with digit grouping or a decimal
  /// comma (`5,286.20`, `39,9155`, `5.286,20`, `1,234`); `nil` when it is not such a number. The text is
  /// trimmed; an optional sign, then digits with `,` and `.` only.
  /// - Returns: the message's ending (`it is written with …`) and the hint (the number written plainly, and
  ///   the pandas options that read it).
  static func numberWithSeparators(_ text: String) -> (message: String, hint: String)? {
    var body = Substring(text)
    var sign = ""
    if let f = body.first, f == "-" || f == "+" {
      sign = f == "-" ? "-" : ""
      body = body.dropFirst()
    }
    guard body.contains(","), body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "," || $0 == ".") }) else { return nil }
    let commas = body.filter { $0 == "," }.count
    let dots = body.filter { $0 == "." }.count
    /// `groups` (split at `separator`) are digit groups of a grouped integer part: 1–3 digits, then 3 each.
    func grouped(_ part: Substring, by separator: Character) -> Bool {
      let groups = part.split(separator: separator, omittingEmptySubsequences: false)
      guard groups.count >= 2, (1...3).contains(groups[0].count) else { return false }
      return groups.dropFirst().allSatisfy { $0.count == 3 }
    }
    func digits(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy(\.isNumber) }
    let reRead = "re-export the file without digit grouping and with '.' as the decimal point, or read it with pandas"
    if dots <= 1 {
      // ',' groups digits, '.' (if any) is the decimal point: 5,286.20, 1,234,567.
      let parts = body.split(separator: ".", omittingEmptySubsequences: false)
      let integer = parts[0]
      if grouped(integer, by: ","), parts.count == 1 || digits(parts[1]) {
        let plain = sign + integer.filter { $0 != "," } + (parts.count == 2 ? "." + parts[1] : "")
        if commas == 1 && dots == 0 {
          // 1,234: grouping or a decimal comma, the cell alone cannot tell.
          let decimal = sign + String(integer.map { $0 == "," ? "." : $0 })
          return (
            "it is written with a ',' that is a thousands separator (\(plain)) or a decimal comma (\(decimal))",
            "write it plainly, \(plain) or \(decimal): \(reRead) (thousands=',' or decimal=',') and write it with to_csv(index=False)")
        }
        return (
          "it is written with ',' as a thousands separator",
          "write it without separators, \(plain): \(reRead) (thousands=',') and write it with to_csv(index=False)")
      }
    }
    if commas == 1 {
      // ',' is the decimal point, '.' (if any) groups digits: 39,9155, 5.286,20.
      let parts = body.split(separator: ",", omittingEmptySubsequences: false)
      let integer = parts[0]
      guard digits(parts[1]) else { return nil }
      if dots == 0, digits(integer) || integer.isEmpty {
        let plain = sign + (integer.isEmpty ? "0" : integer) + "." + parts[1]
        return (
          "it is written with a decimal comma",
          "write it with a decimal point, \(plain): \(reRead) (decimal=',') and write it with to_csv(index=False)")
      }
      if dots >= 1, grouped(integer, by: ".") {
        let plain = sign + integer.filter { $0 != "." } + "." + parts[1]
        return (
          "it is written with a decimal comma and '.' as a thousands separator",
          "write it with a decimal point and no separators, \(plain): \(reRead) (decimal=',', thousands='.') and write it with to_csv(index=False)")
      }
    }
    return nil
  }
}

extension Table {
  /// Whether a cell text is a number written with digit grouping or a decimal comma (`5,286.20`,
  /// `39,9155`, `5.286,20`), which CohortLens reads as text (see `CellDiagnosis.numberWithSeparators`).
  public static func isNumberWithSeparators(_ text: String) -> Bool {
    CellDiagnosis.numberWithSeparators(Table.trimmedBlanks(text)) != nil
  }
}
