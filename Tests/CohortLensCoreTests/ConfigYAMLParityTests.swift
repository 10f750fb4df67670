import Testing

@testable import CohortLensCore

/// The configuration reader against PyYAML 6 (`yaml.safe_load`): documents it reads give PyYAML's values; documents
/// PyYAML reads otherwise (or refuses) are refused at the character that decides, saying how to write them.
@Suite struct ConfigYAMLParityTests {
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
}
