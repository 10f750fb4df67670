/// Text compared exactly as written: equal only when both hold the same Unicode scalars, ordered by
/// their UTF-8 bytes.
///
/// Swift's `String` compares by canonical equivalence, so `"Am\u{E9}lie"` (precomposed é) and
/// `"Ame\u{301}lie"` (e + combining acute accent) are one `String` value and one dictionary key.
/// Python, pandas and NumPy compare code points: there they are two values, two groups of a
/// `groupby`, two ids of a join. Use `ExactText` as the key (or the sort key) wherever values read
/// from a file must be told apart as pandas tells them apart; no Unicode normalisation is applied.
///
/// Order: lexicographic over the UTF-8 bytes, which is Unicode code-point order — Python's `str`
/// order (`sorted()`). For ASCII text, and for any text already in NFC, it is the same order as
/// `String`'s `<`.
///
/// Equality, hashing and ordering are O(length) over the UTF-8 bytes.
public struct ExactText: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The text, unchanged.
  public let string: String

  public init(_ string: String) { self.string = string }

  public static func == (a: ExactText, b: ExactText) -> Bool {
    a.string.utf8.count == b.string.utf8.count && a.string.utf8.elementsEqual(b.string.utf8)
  }

  public static func < (a: ExactText, b: ExactText) -> Bool {
    a.string.utf8.lexicographicallyPrecedes(b.string.utf8)
  }

  public func hash(into hasher: inout Hasher) {
    var text = string  // `withUTF8` makes a (rare) non-contiguous copy contiguous; `string` is untouched
    text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    hasher.combine(text.utf8.count)
  }

  /// The text itself.
  public var description: String { string }
}
