import Testing

@testable import CohortLensCore

@Suite struct ConfigParserTests: ConfigParsing {

  @Test func blockMappingsSequencesAndScalars() throws {
    let doc = try parse(
      """
      # an audit
      out: report   # trailing comment
      seed: 7
      inputs:
        predictions: data/p.csv
        groups: "data/g #1.csv"
      steps:
        - fairness:
            by: [gender, age_band]
            tolerance: 0.8
        - cluster:
            k: 2...8
            columns:
            - a
            - 'it''s'
      empty:
      nothing: ~
      """)
    #expect(try doc["out"]?.string("out") == "report")
    #expect(try doc["seed"]?.int("seed") == 7)
    #expect(try doc["inputs"]?["groups"]?.string("groups") == "data/g #1.csv")
    let steps = try #require(try doc["steps"]?.sequence("steps"))
    #expect(steps.count == 2)
    #expect(try steps[0]["fairness"]?["by"]?.stringList("by") == ["gender", "age_band"])
    #expect(try steps[0]["fairness"]?["tolerance"]?.double("tolerance") == 0.8)
    #expect(try steps[1]["cluster"]?["columns"]?.stringList("columns") == ["a", "it's"])
    #expect(try steps[1]["cluster"]?["k"]?.string("k") == "2...8")
    #expect(doc["empty"]?.value == .null)
    #expect(doc["nothing"]?.value == .null)
    // Positions: 1-based line and column of the key and of the value.
    let entries = try doc.mapping("root")
    #expect(entries[1].key == "seed" && entries[1].keyMark == ConfigMark(line: 3, column: 1))
    #expect(steps[1]["cluster"]?["k"]?.mark == ConfigMark(line: 12, column: 10))
  }

  @Test func jsonDocument() throws {
    let doc = try parse(#"{"a": [1, 2.5, "x\u00e9\n"], "b": {"c": null, "d": true}}"#)
    let a = try #require(try doc["a"]?.sequence("a"))
    #expect(try a[0].int("a") == 1)
    #expect(try a[1].double("a") == 2.5)
    #expect(try a[2].string("a") == "xé\n")
    #expect(doc["b"]?["c"]?.value == .null)
    #expect(try doc["b"]?["d"]?.bool("d") == true)
  }

  @Test func blockScalarsAndCRLF() throws {
    let doc = try parse("note: |\r\n  line one\r\n  line two\r\nfold: >-\r\n  a\r\n  b\r\nz: 1\r\n")
    #expect(try doc["note"]?.string("note") == "line one\nline two\n")
    #expect(try doc["fold"]?.string("fold") == "a b")
    #expect(try doc["z"]?.int("z") == 1)
  }

  @Test func errorsAreLocated() throws {
    #expect(error("a: 1\na: 2\n")?.description == "audit.yaml:2:1: duplicate key 'a' (first at line 1); keep one of the two")
    #expect(error("a:\n\tb: 1\n")?.mark == ConfigMark(line: 2, column: 1))
    #expect(error("a: [1, 2\n")?.message == "this '[' is never closed")
    #expect(error("a: \"open\n")?.mark == ConfigMark(line: 1, column: 4))
    #expect(error("a: &x 1\n")?.message.contains("not supported") == true)
    #expect(error("a: 1\n  b: 2\n")?.mark == ConfigMark(line: 2, column: 3))
    #expect(error("a: 1\n---\nb: 2\n")?.message.contains("second YAML document") == true)
    #expect(error("{\"a\": 1} x")?.mark == ConfigMark(line: 1, column: 10))
    #expect(error("a: b: c\n")?.mark == ConfigMark(line: 1, column: 5))
    #expect(error("a: [\n")?.exitCode == 64)
  }

  /// YAML's multi-line plain scalars: a value continued on more-indented lines is folded (a line break is a
  /// space, a blank line a line break), in mappings, lists, lone values and flow collections. It was refused
  /// with "this line is indented more than the keys above it".
  @Test func plainScalarsContinueOnMoreIndentedLines() throws {
    let doc = try parse("title: A long title\n  that continues here\nseed: 1\n")
    #expect(try doc["title"]?.string("title") == "A long title that continues here")
    #expect(try doc["seed"]?.int("seed") == 1)
    #expect(try parse("a: one\n  two\n\n  three\n\nb: 2\n")["a"]?.string("a") == "one two\nthree")
    #expect(try parse("a:\n  value\n  more\n")["a"]?.string("a") == "value more")
    #expect(try parse("a: x   # note\nb: y\n")["a"]?.string("a") == "x")
    let list = try parse("- first\n  item\n- second\n").stringList("list")
    #expect(list == ["first item", "second"])
    #expect(try parse("a: [long\n  name, b]\n")["a"]?.stringList("a") == ["long name", "b"])
    // A JSON document keeps JSON's rules: a missing comma is an error, not the scalar `1 2`.
    #expect(error("[1\n2]")?.message == "expected ',' or ']' in a list")
    // Mis-indented keys and list items keep their own message.
    #expect(error("a: 1\n  b: 2\n")?.message == "this line is indented more than the keys above it")
    // A comment ends a plain value: a continuation after it is an error at the continued line.
    let e = error("a: x # note\n  y\n")
    #expect(e?.description == "audit.yaml:2:3: a plain value cannot continue after a comment; move the comment below the value's last line, or quote the whole value")
  }

  /// `@` and `` ` `` are reserved indicators in YAML (and `%` starts a directive): a plain value or key starting
  /// with one is an error at that character that shows the value quoted, not text read as written.
  @Test func reservedIndicatorsCannotStartAPlainScalar() throws {
    #expect(error("title: @home\n")?.description == "audit.yaml:1:8: a plain value cannot start with '@', which is reserved in YAML; quote the value: '@home'")
    #expect(error("a: `it's`  # x\n")?.description == "audit.yaml:1:4: a plain value cannot start with '`', which is reserved in YAML; quote the value: '`it''s`'")
    #expect(error("a: %x\n")?.mark == ConfigMark(line: 1, column: 4))
    #expect(error("a: [b, @c]\n")?.mark == ConfigMark(line: 1, column: 8))
    #expect(error("- @x\n")?.mark == ConfigMark(line: 1, column: 3))
    #expect(error("a: b\n  @c\n")?.mark == ConfigMark(line: 2, column: 3))
    #expect(error("@k: 1\n")?.mark == ConfigMark(line: 1, column: 1))
    // Inside a value, and quoted, they are ordinary characters.
    #expect(try parse("a: me@home `x`\n")["a"]?.string("a") == "me@home `x`")
    #expect(try parse("a: '@home'\n")["a"]?.string("a") == "@home")
  }

  @Test func typedAccessErrorsNameTheNode() throws {
    let doc = try parse("k: many\nlist: [a, b]\n")
    #expect(throws: ConfigError.self) { try doc["k"]!.int("k") }
    do {
      _ = try doc["k"]!.int("steps.cluster.k")
    } catch let e as ConfigError {
      #expect(e.description == "audit.yaml:1:4: steps.cluster.k must be a whole number, got 'many'")
    }
    #expect(throws: ConfigError.self) { try doc["list"]!.string("list") }
    #expect(try doc["k"]!.stringList("k") == ["many"])
  }

  /// A tab is YAML white space everywhere but in the indentation: before a comment, after `key:` and
  /// after `- `, and before the `:` of a key. `threshold: 0.5<TAB># cut` is `0.5`, not `0.5\t# cut`.
  @Test func tabsSeparateValuesAndComments() throws {
    let doc = try parse(
      "title: Spring term\t# the report title\nthreshold:\t0.5\t# cut\nby: [gender,\tcategory]\t# columns\n"
        + "cols:\n  -\ta\t# first\n  - b\nkey\t: v\nempty:\t# nothing\n")
    #expect(try doc["title"]?.string("title") == "Spring term")
    #expect(try doc["threshold"]?.string("threshold") == "0.5")
    #expect(try doc["by"]?.stringList("by") == ["gender", "category"])
    #expect(try doc["cols"]?.stringList("cols") == ["a", "b"])
    #expect(try doc["key"]?.string("key") == "v")
    #expect(doc["empty"]?.value == .null)
    // A `#` inside a value (no white space before it) stays part of it; a tab in the indentation is still refused.
    #expect(try parse("g: \"data/g #1.csv\"\nh: a#b\n")["h"]?.string("h") == "a#b")
    #expect(error("a:\n\tb: 1\n")?.message == "a tab in the indentation")
  }

  /// Nesting is bounded (block and flow, together): a hostile document is an error at the collection that goes
  /// too deep, where the recursive reader used to overflow the stack (a crash, signal 11).
  @Test func nestingDeeperThanTheLimitIsAnError() throws {
    let limit = ConfigParser.maxDepth
    let hint = "; a configuration needs a few levels; look for unclosed brackets or runaway indentation"
    // Flow: `limit` levels are read, one more is refused at its bracket.
    let fits = try parse(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
    var node = fits, levels = 0
    while case .sequence(let items) = node.value { levels += 1; guard let first = items.first else { break }; node = first }
    #expect(levels == limit)
    let deeper = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
    #expect(error(deeper)?.description == "audit.yaml:1:\(limit + 1): lists and mappings are nested more than \(limit) levels deep here" + hint)
    #expect(error("a: " + String(repeating: "{b: ", count: 100_000))?.mark == ConfigMark(line: 1, column: 4 + 4 * (limit - 1)))
    // Block: one key per line, each indented one more space.
    let block = (0..<(limit + 1)).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n") + " 1\n"
    #expect(error(block)?.description == "audit.yaml:\(limit + 1):\(limit + 1): lists and mappings are nested more than \(limit) levels deep here" + hint)
    #expect(throws: Never.self) { try parse(block.split(separator: "\n").dropLast().joined(separator: "\n") + " 1\n") }
    // Block and flow together.
    let mixed = (0..<(limit - 1)).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n") + " [[1]]\n"
    #expect(error(mixed)?.mark == ConfigMark(line: limit - 1, column: limit + 3))
  }

  @Test func emptyDocumentIsNull() throws {
    #expect(try parse("").value == .null)
    #expect(try parse("# only a comment\n---\n").value == .null)
  }
}

/// Parsing helpers of the configuration-reader suites: a document named `audit.yaml`, and its error if any.
protocol ConfigParsing {}

extension ConfigParsing {
  func parse(_ text: String) throws -> ConfigNode { try ConfigParser.parse(text, file: "audit.yaml") }

  func error(_ text: String) -> ConfigError? {
    do {
      _ = try parse(text)
      return nil
    } catch let e as ConfigError {
      return e
    } catch {
      return nil
    }
  }
}
