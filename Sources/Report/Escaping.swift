/// The one escaping function of the `Report` module.
///
/// Every string that reaches HTML or SVG output — element text, attribute values, `<title>` of SVG
/// shapes, table cells, ids — goes through `HTMLEscaping.escape(_:)`. Builders take plain `String`s
/// and escape them while rendering; there is no "raw HTML" entry point.
public enum HTMLEscaping {
  /// `s` with `&` `<` `>` `"` `'` replaced by `&amp;` `&lt;` `&gt;` `&quot;` `&#39;`, safe in element
  /// text and in single- or double-quoted attribute values of both HTML5 and XML (XHTML, SVG).
  ///
  /// Characters that XML 1.0 forbids (C0 controls other than tab, newline and carriage return;
  /// U+FFFE, U+FFFF) are replaced by U+FFFD so the output stays well-formed. The private-use
  /// character U+E000, which the module reserves for its figure-id placeholder, is replaced by U+FFFD
  /// too, so data can never forge that placeholder. O(n) in the UTF-8 length.
  public static func escape(_ s: String) -> String {
    var needs = false
    for b in s.utf8 {
      switch b {
      case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"):
        needs = true
      case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F, 0xEE, 0xEF:
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
        if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF || scalar.value == 0xE000 {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
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
