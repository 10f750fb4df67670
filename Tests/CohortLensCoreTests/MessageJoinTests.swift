import Testing
@testable import CohortLensCore

/// ``MessageText/joined(_:separator:)`` gives what the standard library's `joined(separator:)` gives.
@Suite struct MessageJoinTests {
  static let lists: [[String]] = [
    [], [""], ["", ""], ["a"], ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"], ["2", "3", "10", "11"],
    ["é", "e\u{301}", "🇨🇭", "中文", "a,b"], Array(repeating: "", count: 5),
    (0..<1000).map { "column \($0)" },
  ]

  @Test(arguments: [",", ", ", "; ", "", " → "])
  func equalsTheStandardLibrary(_ separator: String) {
    for list in Self.lists {
      #expect(MessageText.joined(list, separator: separator) == list.joined(separator: separator))
    }
  }
}
