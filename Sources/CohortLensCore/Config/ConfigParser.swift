/// Reads configuration files: JSON, or the block-style subset of YAML 1.2 that configuration files use.
///
/// Supported YAML: block mappings (`key: value`), block sequences (`- item`, also `- key: value`
/// items and a sequence directly under its key at the same indentation), flow collections
/// (`[a, b]`, `{k: v}`, also across lines), plain (also multi-line: continued on lines indented more than
/// its key or `-`, folded — a line break read as a space, n blank lines as n line breaks), single-quoted
/// (`''` escapes a quote) and double-quoted scalars (`\" \\ \/ \n \t \r \0 \uXXXX` escapes), literal `|` and folded `>` block
/// scalars, `#` comments, a leading `---`. Not supported, and reported at their position rather than
/// misread: anchors (`&`), aliases (`*`), tags (`!`), plain scalars starting with a reserved indicator (`@`,
/// `` ` ``, `%`, `,`, `]`, `}`, and inside brackets also `|`, `>`, `#`, `?`, `:` and a `-` alone: quote them),
/// several documents, tabs in indentation (elsewhere a
/// tab is white space like a space: after `key:` and `- `, and before a `#` comment).
/// Duplicate keys are an error naming both lines; lists and mappings nest at most ``maxDepth`` (100) levels.
/// A document whose first character is `{` or `[`
/// is read as JSON (which this flow syntax covers).
///
/// Why not a full YAML library: the command-line tool links no Foundation (start-up time), and a
/// configuration needs no more than this subset; every error carries `file:line:column`.
///
/// Complexity: O(length of the text).
public enum ConfigParser {
  /// Deepest nesting of lists and mappings read (block and flow together; a configuration needs about 5):
  /// deeper documents are an error at the collection that goes too deep, not a stack overflow of this
  /// recursive reader (or of the nested document's release).
  public static let maxDepth = 100

  /// Parses `text` (named `file` in errors). An empty document is a `null` node.
  public static func parse(_ text: String, file: String) throws -> ConfigNode {
    var p = Parser(text: text, file: file)
    return try p.document()
  }

  /// Reads and parses the file at `path`.
  public static func parse(path: String) throws -> ConfigNode { try read(path: path).node }

  /// Reads the file at `path` once and parses it: the document and the bytes it was parsed from (for a
  /// digest of exactly what was read — a second read of a pipe such as `--config <(…)` gives nothing, and a
  /// file edited meanwhile gives other bytes). `expecting` names the file for the hint when `path` is a
  /// folder (`pass the path of <expecting>`).
  public static func read(
    path: String, expecting: String = "a configuration file (YAML or JSON)"
  ) throws -> (node: ConfigNode, bytes: [UInt8]) {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.readAll(path: path, expecting: expecting)
    } catch let e as InputError {
      throw ConfigError(file: path, mark: nil, message: e.message, hint: e.hint)
    }
    return (try parse(bytes: bytes, file: path), bytes)
  }

  /// Parses the bytes of a configuration file named `file` (a UTF-8 BOM is skipped; bytes that are not
  /// UTF-8 are an error at their line and column).
  static func parse(bytes: [UInt8], file path: String) throws -> ConfigNode {
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    guard let text = String(validating: body, as: UTF8.self) else {
      // Point at the first byte that is not UTF-8 (line and column in characters, 1-based).
      var line = 1, column = 1
      var bytes = body.makeIterator()
      var decoder = UTF8()
      scan: while true {
        switch decoder.decode(&bytes) {
        case .scalarValue(let u):
          if u == "\n" { line += 1; column = 1 } else { column += 1 }
        case .emptyInput: break scan
        case .error: break scan
        }
      }
      throw ConfigError(
        file: path, mark: ConfigMark(line: line, column: column), message: "the file is not valid UTF-8",
        hint: "save it as UTF-8")
    }
    return try parse(text, file: path)
  }
}

private struct Parser {
  let s: [Unicode.Scalar]
  let file: String
  /// Offsets of line starts.
  var lineStarts: [Int] = [0]
  /// Current line index for the block parser.
  var line = 0
  /// When a block sequence item holds an inline mapping (`- key: v`), the column (0-based offset in
  /// the line) where the virtual line starts, for the current line only.
  var virtualStart: Int? = nil
  /// Nesting level of the block collection being read (1 for the document's own).
  var depth = 0
  /// The document is one flow collection (`{…}` or `[…]`), read as JSON: a plain scalar ends at its line's end
  /// (a missing comma, `[1` / `2]`, stays an error instead of the YAML scalar `1 2`).
  var jsonDocument = false

  init(text: String, file: String) {
    var scalars = Array(text.unicodeScalars)
    // Normalise CRLF / CR to LF.
    if scalars.contains("\r") {
      var out: [Unicode.Scalar] = []
      out.reserveCapacity(scalars.count)
      var i = 0
      while i < scalars.count {
        if scalars[i] == "\r" {
          out.append("\n")
          if i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
        } else {
          out.append(scalars[i])
        }
        i += 1
      }
      scalars = out
    }
    self.s = scalars
    self.file = file
    for (i, c) in scalars.enumerated() where c == "\n" { lineStarts.append(i + 1) }
  }

  // MARK: Positions

  func mark(_ offset: Int) -> ConfigMark {
    var lo = 0, hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    return ConfigMark(line: lo + 1, column: offset - lineStarts[lo] + 1)
  }

  func fail(_ offset: Int, _ message: String, hint: String? = nil) -> ConfigError {
    ConfigError(file: file, mark: mark(offset), message: message, hint: hint)
  }

  func lineEnd(_ l: Int) -> Int { l + 1 < lineStarts.count ? lineStarts[l + 1] - 1 : s.count }

  /// Offset of the first non-space character of line `l` at or after its start (or virtual start),
  /// or nil when the line is blank or a comment. Throws on a tab in the indentation.
  func contentStart(_ l: Int, from: Int? = nil) throws -> Int? {
    var i = from ?? lineStarts[l]
    let end = lineEnd(l)
    while i < end, s[i] == " " { i += 1 }
    if i < end, s[i] == "\t" {
      throw fail(i, "a tab in the indentation", hint: "indent with spaces only")
    }
    if i >= end || s[i] == "#" { return nil }
    return i
  }

  /// Skips blank and comment lines; returns false at the end of the document.
  mutating func skipBlankLines() throws -> Bool {
    while line < lineStarts.count {
      if try contentStart(line, from: virtualStart.map { lineStarts[line] + $0 }) != nil { return true }
      line += 1
      virtualStart = nil
    }
    return false
  }

  /// Current line's content start offset and indentation (column of first character, 0-based).
  func current() throws -> (start: Int, indent: Int)? {
    guard line < lineStarts.count,
      let c = try contentStart(line, from: virtualStart.map { lineStarts[line] + $0 })
    else { return nil }
    return (c, c - lineStarts[line])
  }

  // MARK: Document

  mutating func document() throws -> ConfigNode {
    // Leading directives / document marker.
    guard try skipBlankLines(), let first = try current() else {
      return ConfigNode(value: .null, mark: ConfigMark(line: 1, column: 1), file: file)
    }
    if s[first.start] == "{" || s[first.start] == "[" {
      jsonDocument = true
      var i = first.start
      let node = try flow(&i, depth: 0)
      skipFlowSpace(&i)
      if i < s.count {
        throw fail(i, "unexpected \(MessageText.quoted(String(s[i]))) after the end of the document", hint: "remove it, or wrap both in one list")
      }
      return node
    }
    if startsWith(first.start, "---") && isLineBreakOrSpace(first.start + 3) {
      line += 1
      guard try skipBlankLines(), try current() != nil else {
        return ConfigNode(value: .null, mark: mark(first.start), file: file)
      }
    }
    if startsWith(first.start, "%") { throw fail(first.start, "YAML directives are not supported") }
    let start = try current()!
    let node = try block(indent: start.indent)
    if try skipBlankLines(), let rest = try current() {
      if startsWith(rest.start, "---") || startsWith(rest.start, "...") {
        line += 1
        virtualStart = nil
        if try skipBlankLines(), let more = try current() {
          throw fail(more.start, "a second YAML document is not supported", hint: "keep one document per file (after '---')")
        }
        return node
      }
      throw fail(rest.start, "unexpected content at indentation \(rest.indent)", hint: "check the indentation of this line")
    }
    return node
  }

  func startsWith(_ i: Int, _ text: String) -> Bool {
    var j = i
    for c in text.unicodeScalars {
      guard j < s.count, s[j] == c else { return false }
      j += 1
    }
    return true
  }

  func isLineBreakOrSpace(_ i: Int) -> Bool { i >= s.count || s[i] == " " || s[i] == "\n" || s[i] == "\t" }

  /// A space or a tab: YAML's white space, which separates a value from its `: `/`- ` indicator and
  /// from a following `#` comment (`threshold: 0.5\t# cut` is `0.5`). Only indentation is spaces only.
  func isBlank(_ i: Int) -> Bool { s[i] == " " || s[i] == "\t" }

  /// After a value: only spaces and an optional comment may follow up to the end of its line; the
  /// block parser moves to the next line.
  mutating func expectOnlyTrailing(from i: Int, what: String) throws {
    var j = i
    let l = mark(min(i, max(s.count - 1, 0))).line - 1
    let end = lineEnd(l)
    while j < end, s[j] == " " || s[j] == "\t" { j += 1 }
    if j < end, s[j] != "#" {
      throw fail(j, "unexpected \(MessageText.quoted(String(s[j]))) after \(what)", hint: "put one value per line, or quote it")
    }
    line = l + 1
    virtualStart = nil
  }

  // MARK: Block structure

  mutating func block(indent: Int) throws -> ConfigNode {
    guard let cur = try current() else { throw fail(s.count, "a value is missing") }
    depth += 1
    defer { depth -= 1 }
    if depth > ConfigParser.maxDepth { throw tooDeep(cur.start) }
    if isSequenceItem(cur.start) { return try sequence(indent: cur.indent) }
    if try findKeyColon(cur.start) != nil { return try mapping(indent: cur.indent) }
    // A lone scalar (or flow collection) as the block: a plain scalar continues on lines indented at least as
    // far as its first line (`key:` / `  long text` / `  continued`).
    var i = cur.start
    let node = try inlineValue(&i, indent: indent, continuation: indent - 1)
    return node
  }

  func isDocumentMarker(_ cur: (start: Int, indent: Int)) -> Bool {
    cur.indent == 0 && (startsWith(cur.start, "---") || startsWith(cur.start, "...")) && isLineBreakOrSpace(cur.start + 3)
  }

  func isSequenceItem(_ i: Int) -> Bool { s[i] == "-" && isLineBreakOrSpace(i + 1) }

  /// The offset of the `:` that ends a mapping key on the line starting at `i`, or nil.
  func findKeyColon(_ i: Int) throws -> Int? {
    let end = lineEnd(mark(i).line - 1)
    var j = i
    if j < end, s[j] == "\"" || s[j] == "'" {
      let q = s[j]
      j += 1
      while j < end {
        if s[j] == "\\" && q == "\"" { j += 2; continue }
        if s[j] == q {
          if q == "'" && j + 1 < end && s[j + 1] == "'" { j += 2; continue }
          break
        }
        j += 1
      }
      j += 1
      while j < end, s[j] == " " { j += 1 }
      return j < end && s[j] == ":" && isLineBreakOrSpace(j + 1) ? j : nil
    }
    if j < end, s[j] == "[" || s[j] == "{" { return nil }
    while j < end {
      if s[j] == "#" && j > i && isBlank(j - 1) { return nil }
      if s[j] == ":" && isLineBreakOrSpace(j + 1) { return j }
      j += 1
    }
    return nil
  }

  mutating func mapping(indent: Int) throws -> ConfigNode {
    var entries: [ConfigNode.Entry] = []
    var seen: [String: ConfigMark] = [:]
    var firstMark: ConfigMark?
    while try skipBlankLines(), let cur = try current() {
      if cur.indent < indent || isDocumentMarker(cur) { break }
      if cur.indent > indent {
        if isSequenceItem(cur.start) {
          // `k: value` followed by a deeper `- item`: YAML reads the item as more text of the value.
          throw fail(
            cur.start, "a list item under a key that already has a value on its line",
            hint: "leave nothing after the key's ':' to give it a list, or quote the value if '- …' continues it")
        }
        throw fail(cur.start, "this line is indented more than the keys above it", hint: "align it with its sibling keys")
      }
      if isSequenceItem(cur.start) {
        throw fail(cur.start, "a list item where a 'key: value' line was expected", hint: "indent the list under its key")
      }
      guard let colon = try findKeyColon(cur.start) else {
        throw fail(cur.start, "expected 'key: value'", hint: "add the missing ':' or fix the indentation")
      }
      let keyMark = mark(cur.start)
      if firstMark == nil { firstMark = keyMark }
      let key = try keyText(from: cur.start, to: colon)
      if let previous = seen[key] {
        throw fail(cur.start, "duplicate key \(MessageText.quoted(key)) (first at line \(previous.line))", hint: "keep one of the two")
      }
      seen[key] = keyMark
      var i = colon + 1
      let end = lineEnd(line)
      while i < end, isBlank(i) { i += 1 }
      let value: ConfigNode
      if i >= end || s[i] == "#" {
        // Value on the following lines (nested block), a sequence at the same indentation, or null.
        line += 1
        virtualStart = nil
        if try skipBlankLines(), let next = try current(),
          next.indent > indent || (next.indent == indent && isSequenceItem(next.start))
        {
          value = try block(indent: next.indent)
        } else {
          value = ConfigNode(value: .null, mark: mark(colon), file: file)
        }
      } else {
        value = try inlineValue(&i, indent: indent)
      }
      entries.append(.init(key: key, keyMark: keyMark, value: value))
    }
    return ConfigNode(value: .mapping(entries), mark: firstMark ?? ConfigMark(line: line + 1, column: indent + 1), file: file)
  }

  func keyText(from a: Int, to colon: Int) throws -> String {
    if s[a] == "\"" || s[a] == "'" {
      var i = a
      let (text, _) = try quoted(&i)
      return text
    }
    var e = colon
    while e > a, isBlank(e - 1) { e -= 1 }
    let key = String(String.UnicodeScalarView(s[a..<e]))
    if key.hasPrefix("&") || key.hasPrefix("*") || key.hasPrefix("!") {
      throw fail(a, "anchors (&), aliases (*) and tags (!) are not supported", hint: "quote the key: \(singleQuoted(key)):")
    }
    // `?` followed by a blank starts a complex key; `?k` is the key text `?k`, as in YAML 1.2 and PyYAML.
    if key == "?" || (key.hasPrefix("?") && isBlank(a + 1)) {
      throw fail(a, "complex keys ('? key') are not supported", hint: "write 'key: value'")
    }
    if let c = key.unicodeScalars.first, c == "@" || c == "`" || c == "%" || c == "|" || c == ">" || c == "," || c == "]" || c == "}" {
      throw fail(a, "a plain key cannot start with \(MessageText.quoted(String(c))), which YAML reserves",
                 hint: "quote the key: \(singleQuoted(key)):")
    }
    return key
  }

  mutating func sequence(indent: Int) throws -> ConfigNode {
    var items: [ConfigNode] = []
    var firstMark: ConfigMark?
    while try skipBlankLines(), let cur = try current() {
      if cur.indent < indent || isDocumentMarker(cur) { break }
      if cur.indent > indent {
        throw fail(cur.start, "this line is indented more than the list items above it", hint: "align it with the '-' of its siblings")
      }
      guard isSequenceItem(cur.start) else { break }
      if firstMark == nil { firstMark = mark(cur.start) }
      var i = cur.start + 1
      let end = lineEnd(line)
      while i < end, isBlank(i) { i += 1 }
      if i >= end || s[i] == "#" {
        line += 1
        virtualStart = nil
        if try skipBlankLines(), let next = try current(), next.indent > indent {
          items.append(try block(indent: next.indent))
        } else {
          items.append(ConfigNode(value: .null, mark: mark(cur.start), file: file))
        }
        continue
      }
      // Inline content: a nested item or a mapping continues as a virtual line at this column.
      if try isSequenceItem(i) || findKeyColon(i) != nil {
        virtualStart = i - lineStarts[line]
        items.append(try block(indent: i - lineStarts[line]))
        continue
      }
      items.append(try inlineValue(&i, indent: indent))
    }
    return ConfigNode(value: .sequence(items), mark: firstMark ?? ConfigMark(line: line + 1, column: indent + 1), file: file)
  }

  /// A value that starts on the current line at `i`: flow collection, quoted or plain scalar, or a
  /// block scalar (`|`, `>`). Moves the line pointer past it. A plain scalar continues on the following lines
  /// indented more than `continuation` (default `indent`, the indentation of the key or `-` it belongs to).
  mutating func inlineValue(_ i: inout Int, indent: Int, continuation: Int? = nil) throws -> ConfigNode {
    let c = s[i]
    switch c {
    case "[", "{":
      let node = try flow(&i, depth: depth)
      try expectOnlyTrailing(from: i, what: "the closing bracket")
      return node
    case "\"", "'":
      let m = mark(i)
      let (text, _) = try quoted(&i)
      try expectOnlyTrailing(from: i, what: "the closing quote")
      return ConfigNode(value: .scalar(text, quoted: true), mark: m, file: file)
    case "&", "*", "!":
      throw fail(i, "anchors (&), aliases (*) and tags (!) are not supported", hint: "write the value out, or quote it")
    case "|", ">":
      return try blockScalar(&i, indent: indent)
    default:
      if isSequenceItem(i) {
        // `key: - a` is no list in YAML (PyYAML: "sequence entries are not allowed here"), nor the text `- a`.
        throw fail(i, "a list item cannot start on the line of its key",
                   hint: "put each '- item' on a line of its own below the key, or write the list as [a, b]; quote a value that starts with '- '")
      }
      try refuseReservedIndicator(at: i)
      let m = mark(i)
      var (text, comment) = try plainLine(from: i, end: lineEnd(line))
      line += 1
      virtualStart = nil
      // A multi-line plain scalar (YAML 1.2 §7.3.3): following lines indented more than the key (or `-`) that
      // holds it continue it, folded — one line break becomes a space, n blank lines become n line breaks.
      // A line that reads as `key: value` or `- item`, or a comment line, ends it.
      let limit = continuation ?? indent
      var breaks = 0
      var l = line
      while l < lineStarts.count {
        let start = lineStarts[l], end = lineEnd(l)
        var k = start
        while k < end, s[k] == " " { k += 1 }
        let ind = k - start
        while k < end, isBlank(k) { k += 1 }
        if k == end {  // a blank line
          breaks += 1
          l += 1
          continue
        }
        if ind <= limit || s[k] == "#" { break }
        if comment {
          throw fail(k, "a plain value cannot continue after a comment",
                     hint: "move the comment below the value's last line, or quote the whole value")
        }
        if try isSequenceItem(k) || findKeyColon(k) != nil { break }
        try refuseReservedIndicator(at: k)
        let (more, endsInComment) = try plainLine(from: k, end: end)
        text += breaks == 0 ? " " : String(repeating: "\n", count: breaks)
        text += more
        comment = endsInComment
        breaks = 0
        l += 1
        line = l
      }
      return ConfigNode(value: plainValue(text), mark: m, file: file)
    }
  }

  /// One line of a plain scalar from `i` to the line's `end`: its text without trailing blanks, and whether a
  /// `#` comment ended it. Throws on `: ` inside it.
  func plainLine(from i: Int, end: Int) throws -> (text: String, comment: Bool) {
    var j = i
    while j < end {
      if s[j] == "#" && j > i && isBlank(j - 1) { break }
      if s[j] == ":" && isLineBreakOrSpace(j + 1) {
        throw fail(j, "unexpected ':' in a value", hint: "quote the value, or put a nested mapping on its own lines")
      }
      j += 1
    }
    var e = j
    while e > i, s[e - 1] == " " || s[e - 1] == "\t" { e -= 1 }
    return (String(String.UnicodeScalarView(s[i..<e])), j < end)
  }

  /// YAML's reserved indicators `@` and `` ` ``, the directive indicator `%` and the flow indicators `,` `]` `}`
  /// cannot start a plain scalar (YAML 1.2 §7.3.3; PyYAML refuses them too): an error at that character that says
  /// how to write the value instead, rather than reading it as text.
  ///
  /// Inside brackets (`flow`) also `|` and `>` (block text), `#` (a comment: PyYAML skips `[#x, b]`'s `#x,` as one),
  /// and `?` and `:` (PyYAML reads `[?x]` as the mapping `{x: null}` and refuses `[:x]`, where YAML 1.2 has the
  /// text `?x` and `:x`): values that YAML readers do not agree on are refused rather than read one way.
  /// A `key` (of a flow mapping) ends at its `:`; the message and hint then speak of a key.
  func refuseReservedIndicator(at i: Int, flow: Bool = false, key: Bool = false) throws {
    let c = s[i]
    let reserved = c == "@" || c == "`" || c == "%" || c == "," || c == "]" || c == "}"
    let flowOnly = flow && (c == "|" || c == ">" || c == "#" || c == "?" || c == ":")
    guard reserved || flowOnly else { return }
    let end = lineEnd(mark(i).line - 1)
    var e = i
    while e < end, !(s[e] == "#" && e > i && isBlank(e - 1)) {
      if flow && e > i && (s[e] == "," || s[e] == "]" || s[e] == "}") { break }
      if key && e > i && s[e] == ":" { break }
      e += 1
    }
    while e > i, isBlank(e - 1) { e -= 1 }
    let value = String(String.UnicodeScalarView(s[i..<e]))
    let what: String
    switch c {
    case "@", "`": what = "is reserved in YAML"
    case "%": what = "starts a YAML directive"
    case "|", ">": what = "starts block text in YAML"
    case "#": what = "starts a comment in YAML"
    case "?": what = "marks a key in YAML"
    case ":": what = "separates a key from its value in YAML"
    default: what = "ends a flow collection in YAML"
    }
    throw fail(i, "a plain \(key ? "key" : "value") cannot start with \(MessageText.quoted(String(c))), which \(what)",
               hint: key ? "quote the key: \(singleQuoted(value)):" : "quote the value: \(singleQuoted(value))")
  }

  /// `text` in YAML single quotes (inner `'` doubled).
  func singleQuoted(_ text: String) -> String {
    var out = "'"
    for c in text.unicodeScalars { out.unicodeScalars.append(c); if c == "'" { out += "'" } }
    return out + "'"
  }

  func plainValue(_ text: String) -> ConfigNode.Value {
    switch text {
    case "", "~", "null", "Null", "NULL": return .null
    default: return .scalar(text, quoted: false)
    }
  }

  mutating func blockScalar(_ i: inout Int, indent: Int) throws -> ConfigNode {
    let m = mark(i)
    let folded = s[i] == ">"
    var j = i + 1
    var chomp: Character = " "
    if j < s.count, s[j] == "-" || s[j] == "+" {
      chomp = Character(s[j])
      j += 1
    }
    try expectOnlyTrailing(from: j, what: "the block scalar indicator")
    // The block's lines after the indentation: nil for an empty line (blanks up to the indentation), and whether
    // a line break ends the line (the file's last line may have none).
    var lines: [(text: String?, broken: Bool)] = []
    var blockIndent: Int?
    while line < lineStarts.count {
      let start = lineStarts[line], end = lineEnd(line)
      let broken = line + 1 < lineStarts.count
      var k = start
      while k < end, s[k] == " " { k += 1 }
      let ind = k - start
      if k == end {
        // A line of spaces only is empty up to the block's indentation; spaces beyond it are content (YAML 1.2
        // §8.1.1.2: `l-empty` holds at most the indentation).
        if let b = blockIndent, ind > b {
          lines.append((String(String.UnicodeScalarView(s[(start + b)..<end])), broken))
        } else if broken || !lines.isEmpty {
          lines.append((nil, broken))
        }
        line += 1
        continue
      }
      if blockIndent == nil {
        guard ind > indent else { break }
        blockIndent = ind
      }
      guard ind >= blockIndent! else { break }
      lines.append((String(String.UnicodeScalarView(s[(start + blockIndent!)..<end])), broken))
      line += 1
    }
    virtualStart = nil
    // Trailing empty lines are chomped: kept with `+`, dropped otherwise.
    var trailing = 0
    while let last = lines.last, last.text == nil {
      lines.removeLast()
      if last.broken { trailing += 1 }
    }
    // Folding (YAML 1.2 §8.1.3, as PyYAML does it): in a `>` block, the line break between two lines that do not
    // start with a blank ("text" lines) is a space, or dropped when empty lines follow it (each of which is a line
    // break); every line break next to a more-indented line, and every one of a `|` block, is kept.
    var text = ""
    var empties = 0
    var previous: String?
    for l in lines {
      guard let t = l.text else {
        empties += 1
        continue
      }
      if let p = previous {
        let spaced = { (x: String) in x.unicodeScalars.first == " " || x.unicodeScalars.first == "\t" }
        if folded && !spaced(p) && !t.isEmpty && !spaced(t) {
          text += empties == 0 ? " " : String(repeating: "\n", count: empties)
        } else {
          text += String(repeating: "\n", count: empties + 1)
        }
      } else {
        text += String(repeating: "\n", count: empties)
      }
      text += t
      empties = 0
      previous = t
    }
    // The last content line's break: kept unless chomped with `-` (and absent when the file ends on that line).
    let lastBroken = lines.last?.broken ?? false
    switch chomp {
    case "-": break
    case "+": text += String(repeating: "\n", count: (lastBroken ? 1 : 0) + trailing)
    default: if lastBroken { text += "\n" }
    }
    return ConfigNode(value: .scalar(text, quoted: true), mark: m, file: file)
  }

  // MARK: Scalars and flow collections

  /// A quoted scalar starting at `i` (on `"` or `'`); `i` ends after the closing quote.
  func quoted(_ i: inout Int) throws -> (String, ConfigMark) {
    let m = mark(i)
    let q = s[i]
    let open = i
    i += 1
    var out = String.UnicodeScalarView()
    while true {
      guard i < s.count else { throw fail(open, "this quote is never closed", hint: "add the closing \(q)") }
      let c = s[i]
      if c == q {
        if q == "'" && i + 1 < s.count && s[i + 1] == "'" {
          out.append("'")
          i += 2
          continue
        }
        i += 1
        return (String(out), m)
      }
      if c == "\n" {
        // Line folding inside quotes: a newline becomes a space, leading spaces of the next line dropped.
        while let last = out.last, last == " " { out.removeLast() }
        out.append(" ")
        i += 1
        while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 }
        continue
      }
      if c == "\\" && q == "\"" {
        guard i + 1 < s.count else { throw fail(i, "an unfinished escape") }
        let e = s[i + 1]
        i += 2
        switch e {
        case "\"": out.append("\"")
        case "\\": out.append("\\")
        case "/": out.append("/")
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        case "0": out.append("\0")
        case "b": out.append("\u{08}")
        case "f": out.append("\u{0C}")
        case "u":
          guard i + 4 <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + 4)])), radix: 16) else {
            throw fail(i - 2, "\\u must be followed by four hex digits")
          }
          i += 4
          var scalar = Unicode.Scalar(v)
          if (0xD800...0xDBFF).contains(v), i + 6 <= s.count, s[i] == "\\", s[i + 1] == "u",
            let lo = UInt32(String(String.UnicodeScalarView(s[(i + 2)..<(i + 6)])), radix: 16), (0xDC00...0xDFFF).contains(lo)
          {
            scalar = Unicode.Scalar(0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00))
            i += 6
          }
          guard let sc = scalar else { throw fail(i - 6, "\\u escape is not a valid character") }
          out.append(sc)
        default:
          throw fail(i - 2, "unknown escape '\\\(e)'", hint: "write a backslash as \\\\")
        }
        continue
      }
      out.append(c)
      i += 1
    }
  }

  func skipFlowSpace(_ i: inout Int) {
    while i < s.count {
      if s[i] == " " || s[i] == "\t" || s[i] == "\n" {
        i += 1
      } else if s[i] == "#" && (i == 0 || s[i - 1] == " " || s[i - 1] == "\n" || s[i - 1] == "\t") {
        while i < s.count, s[i] != "\n" { i += 1 }
      } else {
        break
      }
    }
  }

  /// A flow collection or scalar at `i` (JSON-compatible); `i` ends after it.
  /// `depth`: the nesting level of the collection around it (block or flow).
  func flow(_ i: inout Int, depth: Int) throws -> ConfigNode {
    skipFlowSpace(&i)
    guard i < s.count else { throw fail(s.count, "a value is missing at the end of the file") }
    let m = mark(i)
    if (s[i] == "[" || s[i] == "{") && depth >= ConfigParser.maxDepth { throw tooDeep(i) }
    switch s[i] {
    case "[":
      let open = i
      i += 1
      var items: [ConfigNode] = []
      while true {
        skipFlowSpace(&i)
        guard i < s.count else { throw fail(open, "this '[' is never closed", hint: "add the closing ']'") }
        if s[i] == "]" {
          i += 1
          break
        }
        items.append(try flow(&i, depth: depth + 1))
        skipFlowSpace(&i)
        guard i < s.count else { throw fail(open, "this '[' is never closed", hint: "add the closing ']'") }
        if s[i] == "," {
          i += 1
        } else if s[i] != "]" {
          throw fail(i, "expected ',' or ']' in a list")
        }
      }
      return ConfigNode(value: .sequence(items), mark: m, file: file)
    case "{":
      let open = i
      i += 1
      var entries: [ConfigNode.Entry] = []
      var seen: [String: ConfigMark] = [:]
      while true {
        skipFlowSpace(&i)
        guard i < s.count else { throw fail(open, "this '{' is never closed", hint: "add the closing '}'") }
        if s[i] == "}" {
          i += 1
          break
        }
        let km = mark(i)
        let key: String
        if s[i] == "\"" || s[i] == "'" {
          key = try quoted(&i).0
        } else {
          let a = i
          if s[a] == "&" || s[a] == "*" || s[a] == "!" {
            throw fail(a, "anchors (&), aliases (*) and tags (!) are not supported", hint: "write the key out, or quote it")
          }
          try refuseReservedIndicator(at: a, flow: true, key: true)
          while i < s.count, s[i] != ":", s[i] != ",", s[i] != "}", s[i] != "\n" { i += 1 }
          var e = i
          while e > a, s[e - 1] == " " { e -= 1 }
          key = String(String.UnicodeScalarView(s[a..<e]))
          if key.isEmpty { throw fail(a, "a key is missing") }
        }
        skipFlowSpace(&i)
        guard i < s.count, s[i] == ":" else { throw fail(i < s.count ? i : open, "expected ':' after the key \(MessageText.quoted(key))") }
        i += 1
        if let previous = seen[key] {
          throw fail(km.line == 0 ? open : offset(of: km), "duplicate key \(MessageText.quoted(key)) (first at line \(previous.line))", hint: "keep one of the two")
        }
        seen[key] = km
        let value = try flow(&i, depth: depth + 1)
        entries.append(.init(key: key, keyMark: km, value: value))
        skipFlowSpace(&i)
        guard i < s.count else { throw fail(open, "this '{' is never closed", hint: "add the closing '}'") }
        if s[i] == "," {
          i += 1
        } else if s[i] != "}" {
          throw fail(i, "expected ',' or '}' in a mapping")
        }
      }
      return ConfigNode(value: .mapping(entries), mark: m, file: file)
    case "\"", "'":
      let (text, _) = try quoted(&i)
      return ConfigNode(value: .scalar(text, quoted: true), mark: m, file: file)
    case "&", "*", "!":
      throw fail(i, "anchors (&), aliases (*) and tags (!) are not supported")
    case "]", "}", ",":
      throw fail(i, "a value is missing before \(MessageText.quoted(String(s[i])))")
    default:
      if s[i] == "-" && (i + 1 >= s.count || [" ", "\t", "\n", ",", "]", "}"].contains(s[i + 1])) {
        throw fail(i, "a '-' alone cannot be a value inside brackets",
                   hint: "separate the items with commas, without '-', or quote the value: '-'")
      }
      try refuseReservedIndicator(at: i, flow: true)
      var text = ""
      while true {
        let a = i
        while i < s.count, s[i] != ",", s[i] != "]", s[i] != "}", s[i] != "\n",
          !(s[i] == ":" && isLineBreakOrSpace(i + 1)), !(s[i] == "#" && isBlank(i - 1))
        {
          i += 1
        }
        var e = i
        while e > a, s[e - 1] == " " || s[e - 1] == "\t" { e -= 1 }
        text += String(String.UnicodeScalarView(s[a..<e]))
        // A plain scalar continues on the next line (`[a long`, `  name]` is `a long name`), folded as in block
        // context; a comment, an indicator or the end of the text ends it.
        guard !jsonDocument, i < s.count, s[i] == "\n" else { break }
        var k = i, breaks = 0
        while k < s.count, s[k] == " " || s[k] == "\t" || s[k] == "\n" {
          if s[k] == "\n" { breaks += 1 }
          k += 1
        }
        guard k < s.count, s[k] != ",", s[k] != "]", s[k] != "}", s[k] != "#",
          !(s[k] == ":" && isLineBreakOrSpace(k + 1))
        else { break }
        try refuseReservedIndicator(at: k)
        text += breaks == 1 ? " " : String(repeating: "\n", count: breaks - 1)
        i = k
      }
      return ConfigNode(value: plainValue(text), mark: m, file: file)
    }
  }

  func offset(of m: ConfigMark) -> Int { lineStarts[m.line - 1] + m.column - 1 }

  /// The error for a collection nested deeper than ``ConfigParser/maxDepth`` levels, at its start.
  func tooDeep(_ i: Int) -> ConfigError {
    fail(i, "lists and mappings are nested more than \(ConfigParser.maxDepth) levels deep here",
         hint: "a configuration needs a few levels; look for unclosed brackets or runaway indentation")
  }
}
