import ArgumentParser

/// The `--k` flag: one k (`5`), a closed range (`2...10`) or a list (`2,4,6`); items may be
/// mixed (`2...4,8`). Values are kept in ascending order without duplicates.
struct KSpecification: ExpressibleByArgument, Sendable, CustomStringConvertible {
  let values: [Int]
  let text: String

  init?(argument: String) {
    guard let parsed = try? Self.parse(argument) else { return nil }
    values = parsed
    text = argument
  }

  static func parse(_ argument: String) throws -> [Int] {
    var result = Set<Int>()
    for item in argument.split(separator: ",", omittingEmptySubsequences: false) {
      let part = trimmingWhitespaces(item)
      if let r = part.firstRange(of: "...") {
        guard let lo = Int(part[..<r.lowerBound]), let hi = Int(part[r.upperBound...]), lo <= hi else {
          throw ValidationError("'\(part)' is not a range like 2...10")
        }
        result.formUnion(lo...hi)
      } else if let v = Int(part) {
        result.insert(v)
      } else {
        throw ValidationError("'\(part)' is not a number of clusters")
      }
    }
    return result.sorted()
  }

  static var defaultValueDescription: String { "2...10" }
  var description: String { text }
}
