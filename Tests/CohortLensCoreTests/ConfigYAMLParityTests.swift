import Testing

@testable import CohortLensCore

/// The configuration reader against PyYAML 6 (`yaml.safe_load`): documents it reads give PyYAML's values; documents
/// PyYAML reads otherwise (or refuses) are refused at the character that decides, saying how to write them.
@Suite struct ConfigYAMLParityTests: ConfigParsing {

  func text(_ yaml: String, _ key: String = "a") throws -> String? { try parse(yaml)[key]?.string(key) }

  /// `>` folds as YAML 1.2 §8.1.3: an empty line between two lines is one line break (was two), lines indented
  /// more keep their breaks (were joined with spaces); blanks beyond the indentation are text; the file's last
  /// line without a line break ends the text without one.
  @Test func blockTextFoldsAndChompsAsPyYAML() throws {
    #expect(try text("a: >\n  one\n\n  two\n") == "one\ntwo\n")
    #expect(try text("a: >-\n  one\n\n\n  two\nb: 1\n") == "one\n\ntwo")
    #expect(try text("a: >\n  one\n    more\n  two\n") == "one\n  more\ntwo\n")
    #expect(try text("a: >\n\n  one\n  two\n\n   x\n  y\n\n\n  z\nb: 1") == "\none two\n\n x\ny\n\nz\n")
    #expect(try text("a: |\n  one\n   \n") == "one\n \n")
    #expect(try text("a: |+\n  one\n\n") == "one\n\n")
    #expect(try text("a: |\n  one\n  two") == "one\ntwo")
    #expect(try text("a: |\n  one\n\n  two") == "one\n\ntwo")
    #expect(try text("a: |-\n  one\n\n  two\nb: 1\n") == "one\n\ntwo")
  }

  /// Inside brackets a value cannot start with `|` or `>` (block text), `#` (PyYAML reads `[#x, b]` as `[b]`), `?`
  /// (PyYAML reads `[?x]` as `[{x: null}]`) or `:`, nor be a `-` alone: each was read as text, and is now an error
  /// at that character that shows the value quoted (a key of `{…}` alike).
  @Test func flowValuesStartingWithAnIndicatorAreRefused() throws {
    #expect(error("by: [a, |x]\n")?.description == "audit.yaml:1:9: a plain value cannot start with '|', which starts block text in YAML; quote the value: '|x'")
    #expect(error("by: {k: >x}\n")?.mark == ConfigMark(line: 1, column: 9))
    #expect(error("by: [#x, b]\n")?.description == "audit.yaml:1:6: a plain value cannot start with '#', which starts a comment in YAML; quote the value: '#x'")
    #expect(error("by: [a, ?x]\n")?.description == "audit.yaml:1:9: a plain value cannot start with '?', which marks a key in YAML; quote the value: '?x'")
    #expect(error("by: [:x]\n")?.mark == ConfigMark(line: 1, column: 6))
    #expect(error("by: {?k: 1, j: 2}\n")?.description == "audit.yaml:1:6: a plain key cannot start with '?', which marks a key in YAML; quote the key: '?k':")
    #expect(error("by: {&k: 1}\n")?.mark == ConfigMark(line: 1, column: 6))
    #expect(error("by: [a, - ]\n")?.mark == ConfigMark(line: 1, column: 9))
    #expect(error("by: [- a]\n")?.mark == ConfigMark(line: 1, column: 6))
    // Inside a value, after its first character, and quoted, they are text; `-x` is text as in PyYAML.
    #expect(try parse("by: [a|b, x#y, 'a, b', -x, \"?x\"]\n")["by"]?.stringList("by") == ["a|b", "x#y", "a, b", "-x", "?x"])
  }

  /// `by: - gender` is no list in YAML (PyYAML refuses it), and was read as the text `- gender`.
  @Test func listItemOnItsKeysLineIsRefused() throws {
    #expect(error("by: - gender\n")?.description == "audit.yaml:1:5: a list item cannot start on the line of its key; put each '- item' on a line of its own below the key, or write the list as [a, b]; quote a value that starts with '- '")
    #expect(error("a:\n  b: -\n")?.mark == ConfigMark(line: 2, column: 6))
    #expect(try parse("by: -x\n")["by"]?.string("by") == "-x")
    #expect(try parse("by:\n  - - a\n")["by"]?.sequence("by").count == 1)
    // A deeper `- item` below a key with a value (PyYAML reads it as more text of the value): named as such.
    #expect(error("k: Weekly\n - dash\n")?.description == "audit.yaml:2:2: a list item under a key that already has a value on its line; leave nothing after the key's ':' to give it a list, or quote the value if '- …' continues it")
  }

  /// `?k: 1` is the key `?k` (YAML 1.2, PyYAML; was refused as a complex key); a key starting with `|` or `>` (which
  /// PyYAML refuses) is an error that shows it quoted, as `@` is; `? k` (a complex key) stays unsupported.
  @Test func plainKeysAsPyYAMLReadsThem() throws {
    #expect(try parse("?k: 1\n")["?k"]?.string("?k") == "1")
    #expect(error("|x: 1\n")?.description == "audit.yaml:1:1: a plain key cannot start with '|', which YAML reserves; quote the key: '|x':")
    #expect(error("? k: 1\n")?.mark == ConfigMark(line: 1, column: 1))
    #expect(error("&k: 1\n")?.description == "audit.yaml:1:1: anchors (&), aliases (*) and tags (!) are not supported; quote the key: '&k':")
  }

  /// `010` is 8 for PyYAML (YAML 1.1 octal) and 10 for YAML 1.2: a whole number (`seed:`, `show:`) with a leading
  /// zero is refused rather than read as either.
  @Test func wholeNumberWithALeadingZeroIsRefused() throws {
    let doc = try parse("a: 010\nb: 08\nc: +5\nd: 0\ne: -0\n")
    #expect(throws: ConfigError.self) { try doc["a"]?.int("seed") }
    #expect((try? doc["b"]?.int("seed")) == nil)
    #expect(try doc["c"]?.int("c") == 5)
    #expect(try doc["d"]?.int("d") == 0)
    #expect(try doc["e"]?.int("e") == 0)
    do {
      _ = try doc["a"]?.int("seed")
    } catch let e as ConfigError {
      #expect(e.description == "audit.yaml:1:4: seed must be a whole number without leading zeros, got '010'; write 10; YAML 1.1 readers take a leading 0 for an octal number (010 is 8 there)")
    }
  }
}
