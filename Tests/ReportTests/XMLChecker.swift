/// A minimal XML well-formedness checker and tree builder for the report's polyglot output.
///
/// Accepts one leading `<!DOCTYPE …>`, comments, elements with double-quoted attributes, text.
/// Rejects: unclosed or mismatched tags, unquoted or duplicate attributes, raw `<` in text or
/// attribute values, `&` that does not start `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` or a numeric
/// character reference, and text outside the root element.
struct XMLElement {
  var name: String
  var attributes: [String: String]
  var children: [XMLElement] = []
  var text: String = ""

  /// All elements in document order (this one first).
  func all() -> [XMLElement] { [self] + children.flatMap { $0.all() } }

  /// Elements named `name` whose class list contains `className` (if given).
  func elements(_ name: String? = nil, class className: String? = nil) -> [XMLElement] {
    all().filter { e in
      (name == nil || e.name == name) &&
        (className == nil || (e.attributes["class"] ?? "").split(separator: " ").contains(Substring(className!)))
    }
  }

  /// Concatenated text of this element and its descendants (entities decoded).
  var allText: String { text + children.map(\.allText).joined() }
}

struct XMLError: Error, CustomStringConvertible {
  var offset: Int
  var message: String
  var description: String { "offset \(offset): \(message)" }
}

enum XMLChecker {
  static func parse(_ s: String) throws -> XMLElement {
    let b = Array(s.utf8)
    var i = 0
    func fail(_ m: String) -> XMLError { XMLError(offset: i, message: m) }
    func starts(_ p: String) -> Bool {
      let u = Array(p.utf8)
      return i + u.count <= b.count && Array(b[i..<i + u.count]) == u
    }
    func skipSpace() { while i < b.count, [0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 } }
    func isNameByte(_ c: UInt8) -> Bool {
      (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
        || c == 0x3A || c == 0x2E
    }
    func name() throws -> String {
      let start = i
      while i < b.count, isNameByte(b[i]) { i += 1 }
      guard i > start else { throw fail("expected a name") }
      return String(decoding: b[start..<i], as: UTF8.self)
    }
    /// Decodes text up to `end` byte (exclusive), validating entities and rejecting `<`.
    func decode(_ bytes: ArraySlice<UInt8>) throws -> String {
      var out: [UInt8] = []
      var k = bytes.startIndex
      while k < bytes.endIndex {
        let c = bytes[k]
        if c == UInt8(ascii: "<") { throw XMLError(offset: k, message: "raw < in text or attribute") }
        if c == UInt8(ascii: "&") {
          guard let semi = bytes[k...].firstIndex(of: UInt8(ascii: ";")), semi - k <= 10 else {
            throw XMLError(offset: k, message: "& without entity")
          }
          let entity = String(decoding: bytes[(k + 1)..<semi], as: UTF8.self)
          switch entity {
          case "amp": out.append(UInt8(ascii: "&"))
          case "lt": out.append(UInt8(ascii: "<"))
          case "gt": out.append(UInt8(ascii: ">"))
          case "quot": out.append(UInt8(ascii: "\""))
          case "apos": out.append(UInt8(ascii: "'"))
          default:
            var value: UInt32?
            if entity.hasPrefix("#x") { value = UInt32(entity.dropFirst(2), radix: 16) } else if entity.hasPrefix("#") {
              value = UInt32(entity.dropFirst())
            }
            guard let v = value, let scalar = Unicode.Scalar(v) else {
              throw XMLError(offset: k, message: "unknown entity &\(entity);")
            }
            out += Array(String(Character(scalar)).utf8)
          }
          k = semi + 1
          continue
        }
        out.append(c)
        k += 1
      }
      return String(decoding: out, as: UTF8.self)
    }

    skipSpace()
    if starts("<!DOCTYPE") {
      guard let end = b[i...].firstIndex(of: UInt8(ascii: ">")) else { throw fail("unterminated doctype") }
      i = end + 1
    }
    var stack: [XMLElement] = []
    var root: XMLElement?
    while i < b.count {
      if starts("<!--") {
        var j = i + 4
        while j + 2 < b.count, !(b[j] == 0x2D && b[j + 1] == 0x2D && b[j + 2] == 0x3E) { j += 1 }
        guard j + 2 < b.count else { throw fail("unterminated comment") }
        i = j + 3
        continue
      }
      if b[i] == UInt8(ascii: "<") {
        if i + 1 < b.count, b[i + 1] == UInt8(ascii: "/") {
          i += 2
          let n = try name()
          skipSpace()
          guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("bad end tag") }
          i += 1
          guard let top = stack.popLast() else { throw fail("end tag </\(n)> without start") }
          guard top.name == n else { throw fail("</\(n)> closes <\(top.name)>") }
          if stack.isEmpty {
            guard root == nil else { throw fail("second root element") }
            root = top
          } else {
            stack[stack.count - 1].children.append(top)
          }
          continue
        }
        i += 1
        let n = try name()
        var attributes: [String: String] = [:]
        while true {
          skipSpace()
          guard i < b.count else { throw fail("unterminated tag") }
          if b[i] == UInt8(ascii: ">") || b[i] == UInt8(ascii: "/") { break }
          let a = try name()
          skipSpace()
          guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("attribute \(a) without value") }
          i += 1
          skipSpace()
          guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else {
            throw fail("unquoted attribute \(a)")
          }
          let quote = b[i]
          i += 1
          guard let end = b[i...].firstIndex(of: quote) else { throw fail("unterminated attribute") }
          guard attributes[a] == nil else { throw fail("duplicate attribute \(a)") }
          attributes[a] = try decode(b[i..<end])
          i = end + 1
        }
        let element = XMLElement(name: n, attributes: attributes)
        if b[i] == UInt8(ascii: "/") {
          guard i + 1 < b.count, b[i + 1] == UInt8(ascii: ">") else { throw fail("bad empty-element tag") }
          i += 2
          if stack.isEmpty {
            guard root == nil else { throw fail("second root element") }
            root = element
          } else {
            stack[stack.count - 1].children.append(element)
          }
        } else {
          i += 1
          guard root == nil else { throw fail("content after the root element") }
          stack.append(element)
        }
        continue
      }
      let start = i
      while i < b.count, b[i] != UInt8(ascii: "<") { i += 1 }
      let text = try decode(b[start..<i])
      if stack.isEmpty {
        guard text.utf8.allSatisfy({ [0x20, 0x0A, 0x0D, 0x09].contains($0) }) else { throw fail("text outside root") }
      } else {
        stack[stack.count - 1].text += text
      }
    }
    guard stack.isEmpty else { throw fail("unclosed <\(stack.last!.name)>") }
    guard let root else { throw fail("no root element") }
    return root
  }
}
