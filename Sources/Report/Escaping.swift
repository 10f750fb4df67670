/// The one escaping function of the `Report` module.
///
/// Every string that reaches HTML or SVG output — element text, attribute values, `<title>` of SVG
/// shapes, table cells, ids — goes through `HTMLEscaping.escape(_:)`. Builders take plain `String`s
/// and escape them while rendering; there is no "raw HTML" entry point.
public enum HTMLEscaping {
  /// `s` with `&` `<` `>` `"` `'` replaced by `&amp;` `&lt;` `&gt;` `&quot;` `&#39;`, safe in element
  /// text and in single- or double-quoted attribute values of both HTML5 and XML (XHTML, SVG).
  ///
  /// Characters that must not reach the page are replaced by U+FFFD (so they are visible as �, never
  /// hidden): the C0 controls other than tab, newline and carriage return, DEL (U+007F) and the C1
  /// controls (U+0080–U+009F), which XML forbids or HTML parsers report as invalid code points; the
  /// bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which would
  /// otherwise reorder the report's own text around a value (a group named U+202E + "A" would turn the
  /// legend "A (AUC 0.824)" into "(428.0 CUA) A"); and the Unicode non-characters (U+FDD0–U+FDEF and
  /// the last two code points of every plane, U+xFFFE and U+xFFFF). The private-use character U+E000,
  /// which the module reserves for its figure-id placeholder, is replaced by U+FFFD too, so data can
  /// never forge that placeholder. O(n) in the UTF-8 length.
  public static func escape(_ s: String) -> String {
    var needs = false
    for b in s.utf8 {
      switch b {
      case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"):
        needs = true
      // Controls and DEL; lead bytes of C1 controls (0xC2), of the bidi controls (0xE2), of U+E000
      // (0xEE), of U+FDD0–U+FDEF and U+FFFE/U+FFFF (0xEF) and of the planes above the BMP (0xF0–0xF4).
      case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F, 0x7F, 0xC2, 0xE2, 0xEE, 0xEF, 0xF0...0xF4:
        needs = true
      default:
        break
      }
      if needs { break }
    }
    if !needs { return s }
    var out = String()
    out.reserveCapacity(s.utf8.count + 16)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
      default:
        if isReplaced(scalar.value) {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  /// Whether `escape` replaces the code point `v` by U+FFFD (other than tab, newline and carriage
  /// return, which are kept): C0 and C1 controls, DEL, bidi embedding/override/isolate controls,
  /// non-characters and the placeholder U+E000.
  static func isReplaced(_ v: UInt32) -> Bool {
    switch v {
    case 0x00..<0x20, 0x7F...0x9F: return true
    case 0x202A...0x202E, 0x2066...0x2069: return true
    case 0xFDD0...0xFDEF: return true
    case 0xE000: return true
    default: return v & 0xFFFE == 0xFFFE
    }
  }

  /// A string usable as an HTML `id` and URL fragment: lower-case ASCII letters, digits and `-`,
  /// starting with a letter (`"Fairness by cluster"` → `"fairness-by-cluster"`). Other characters
  /// collapse into single hyphens; an empty result becomes `fallback`. O(n).
  public static func slug(_ s: String, fallback: String = "section") -> String {
    var out = ""
    var pendingHyphen = false
    for scalar in s.unicodeScalars {
      let v = scalar.value
      let isLower = v >= 0x61 && v <= 0x7A
      let isUpper = v >= 0x41 && v <= 0x5A
      let isDigit = v >= 0x30 && v <= 0x39
      if isLower || isUpper || isDigit {
        if pendingHyphen && !out.isEmpty { out += "-" }
        pendingHyphen = false
        out.unicodeScalars.append(isUpper ? Unicode.Scalar(v + 32)! : scalar)
      } else {
        pendingHyphen = true
      }
    }
    if out.isEmpty { return fallback }
    if let first = out.unicodeScalars.first, first.value < 0x61 { out = fallback + "-" + out }
    return out
  }
}

/// Allocates unique slugs (`intro`, `intro-2`, …) for the anchors of one document.
struct SlugAllocator {
  private var used: [String: Int] = [:]

  mutating func unique(_ text: String, fallback: String = "section") -> String {
    let base = HTMLEscaping.slug(text, fallback: fallback)
    if let n = used[base] {
      var k = n + 1
      while used["\(base)-\(k)"] != nil { k += 1 }
      used[base] = k
      let id = "\(base)-\(k)"
      used[id] = 1
      return id
    }
    used[base] = 1
    return base
  }
}
