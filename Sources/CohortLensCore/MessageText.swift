/// Values and names as error messages and warnings quote them: bounded in length and with every
/// invisible character made visible, so that a message stays short and on one line, and shows what
/// the file really holds.
///
/// Rules (``excerpt(_:)``):
/// - at most ``limit`` (40) characters (grapheme clusters) and 320 Unicode scalars (an endless chain
///   of combining marks is cut too); a longer text is cut and ends with `…`;
/// - a line break (LF, CRLF) shows as `\n`, a lone CR as `\r`, a tab as `\t`, other C0 controls
///   and DEL as `\xHH` (as ``TextTable/visibleControls(_:keepingLinesAndTabs:)``);
/// - a C1 control (U+0080–U+009F), a format character (Unicode category Cf: byte order mark
///   U+FEFF, zero-width space and joiners U+200B–U+200D, bidi controls U+200E–U+200F,
///   U+202A–U+202E, U+2066–U+2069, soft hyphen …), a line or paragraph separator (U+2028, U+2029)
///   and any space other than U+0020 (no-break space U+00A0 …) show as `\u{XXXX}` (hex, at least
///   4 digits).
///
/// Every name, id, label, group value or cell text that a message quotes goes through
/// ``quoted(_:)``. O(``limit``) whatever the length of the text.
public enum MessageText {
  /// `parts` joined by `separator`, as `parts.joined(separator: separator)` gives, in code specialised here.
  ///
  /// Why: the standard library's `joined(separator:)` on `[String]` is not inlinable, and its first call in a
  /// process looks up a protocol conformance (`Array: Collection`) at run time, a scan of all ≈ 3,900 conformance
  /// records of the statically linked binary (≈ 50 µs; measured with a breakpoint on the runtime's conformance
  /// cache and perf on the 2-core Zen 4 guest). The `cluster` path builds its messages with this instead.
  /// O(total length).
  public static func joined(_ parts: [String], separator: String) -> String {
    var text = ""
    for (i, part) in parts.enumerated() {
      if i > 0 { text += separator }
      text += part
    }
    return text
  }

  /// The longest excerpt, in characters (the `…` not counted).
  public static let limit = 40

  /// `text` as one word of a POSIX shell command: as written when it holds only safe characters
  /// (ASCII letters, digits and `._-/+:@%,=`), else in single quotes (a quote inside as `'\''`). For the
  /// commands that hints and reports suggest (`iconv … FILE`, the folder a worker starts in).
  public static func shellWord(_ text: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+:@%,=")
    if !text.isEmpty && text.allSatisfy({ safe.contains($0) }) { return text }
    return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
  }

  /// `text` with its ASCII capital letters in lower case and every other character as written (a Kelvin sign
  /// stays a Kelvin sign, unlike `lowercased()`): how keywords of flags and formats are compared.
  public static func asciiLowercased(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
  }

  /// `'text'`: ``excerpt(_:)`` between single quotes.
  public static func quoted<S: StringProtocol>(_ text: S) -> String {
    "'" + excerpt(text) + "'"
  }

  /// `text` cut to ``limit`` characters (then `…`) with its invisible characters escaped (see the type).
  public static func excerpt<S: StringProtocol>(_ text: S) -> String {
    // At most limit × 8 + 1 scalars are looked at: the cut never walks a 10 MB text.
    let scalarCap = limit * 8
    var scalars = String.UnicodeScalarView()
    var scalarCut = false
    var n = 0
    for u in text.unicodeScalars {
      if n == scalarCap {
        scalarCut = true
        break
      }
      scalars.append(u)
      n += 1
    }
    var head = String(scalars)
    var cut = scalarCut
    if let end = head.index(head.startIndex, offsetBy: limit, limitedBy: head.endIndex), end != head.endIndex {
      head = String(head[..<end])
      cut = true
    }
    return visible(head) + (cut ? "…" : "")
  }

  /// `text` with its invisible characters escaped as described for the type, without cutting it.
  /// The text itself when it holds none. O(length).
  public static func visible<S: StringProtocol>(_ text: S) -> String {
    let controls = TextTable.visibleControls(String(text))
    guard controls.unicodeScalars.contains(where: isInvisible) else { return controls }
    var out = String.UnicodeScalarView()
    for u in controls.unicodeScalars {
      if isInvisible(u) {
        var hex = String(u.value, radix: 16, uppercase: true)
        while hex.count < 4 { hex = "0" + hex }
        out.append(contentsOf: "\\u{\(hex)}".unicodeScalars)
      } else {
        out.append(u)
      }
    }
    return String(out)
  }

  /// A scalar shown escaped by ``visible(_:)`` besides the C0 controls: C1 controls, format
  /// characters, line and paragraph separators, spaces other than U+0020.
  static func isInvisible(_ u: Unicode.Scalar) -> Bool {
    if u.value < 0x80 { return false }
    if u.value <= 0x9F { return true }
    switch u.properties.generalCategory {
    case .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .control: return true
    default: return false
    }
  }
}
