/// The header's names hashed three ways, so that finding a column by name is O(name length) however
/// many columns a table has (a 100,000-column header is read and searched in linear time).
///
/// Built once per list of names (O(columns × name length)) and shared by the tables derived without
/// changing their columns (`selecting(rows:)`).
final class ColumnLookup: Sendable {
  /// Columns by their name exactly as written (Unicode scalars).
  let exact: [ExactText: [Int]]
  /// Columns by their name compared as `String` (canonical equivalence).
  let canonical: [String: [Int]]
  /// Columns by their name without the blanks around it (``Table/trimmedBlanks(_:)``).
  let trimmed: [String: [Int]]
  /// For each column: its name (non-blank) is written exactly so by another column too.
  let duplicated: [Bool]

  init(_ names: [String]) {
    var exact: [ExactText: [Int]] = [:]
    var canonical: [String: [Int]] = [:]
    var trimmed: [String: [Int]] = [:]
    exact.reserveCapacity(names.count)
    canonical.reserveCapacity(names.count)
    trimmed.reserveCapacity(names.count)
    for (j, name) in names.enumerated() {
      exact[ExactText(name), default: []].append(j)
      canonical[name, default: []].append(j)
      trimmed[Table.trimmedBlanks(name), default: []].append(j)
    }
    var duplicated = [Bool](repeating: false, count: names.count)
    for (key, columns) in exact where columns.count > 1 && !Table.trimmedBlanks(key.string).isEmpty {
      for j in columns { duplicated[j] = true }
    }
    self.exact = exact
    self.canonical = canonical
    self.trimmed = trimmed
    self.duplicated = duplicated
  }
}
