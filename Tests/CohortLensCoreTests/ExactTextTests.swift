import CohortLensCore
import Testing

/// `ExactText`: equality, hashing and order by Unicode scalars (UTF-8 bytes), as Python compares `str`.
struct ExactTextTests {
  static let composed = "Am\u{E9}lie"  // é as one scalar (NFC)
  static let decomposed = "Ame\u{301}lie"  // e + combining acute (NFD)

  @Test func canonicallyEquivalentTextIsTwoValues() {
    #expect(Self.composed == Self.decomposed)  // String: canonical equivalence
    #expect(ExactText(Self.composed) != ExactText(Self.decomposed))
    #expect(ExactText(Self.composed) == ExactText("Am\u{E9}lie"))
    let set: Set<ExactText> = [ExactText(Self.composed), ExactText(Self.decomposed), ExactText("Am\u{E9}lie")]
    #expect(set.count == 2)
    let dictionary = [ExactText(Self.composed): 1, ExactText(Self.decomposed): 2]
    #expect(dictionary[ExactText("Am\u{E9}lie")] == 1)
    #expect(dictionary[ExactText("Ame\u{301}lie")] == 2)
  }

  @Test func orderIsCodePointOrderAsPythonSorted() {
    // Python: sorted(['Amélie' (NFC), 'Amélie' (NFD), 'B', 'a', 'A']) → ['A', 'Ame\u0301lie', 'Am\xe9lie', 'B', 'a'].
    let sorted = [Self.composed, Self.decomposed, "B", "a", "A"].map(ExactText.init).sorted().map(\.string)
    #expect(sorted.map { Array($0.unicodeScalars.map(\.value)) }
      == ["A", Self.decomposed, Self.composed, "B", "a"].map { Array($0.unicodeScalars.map(\.value)) })
    // ASCII: the same order as String.
    let ascii = ["b", "A", "a10", "a2", "", "Z", "(missing)", "a"]
    #expect(ascii.map(ExactText.init).sorted().map(\.string) == ascii.sorted())
    // A proper prefix sorts first; equal text is not less.
    #expect(ExactText("ab") < ExactText("abc"))
    #expect(!(ExactText("abc") < ExactText("abc")))
    #expect(ExactText("x").description == "x")
  }
}
