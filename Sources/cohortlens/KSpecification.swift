import ArgumentParser
import CohortLensCore

/// The `--k` flag: one k (`5`), a closed range (`2...10`) or a list (`2,4,6`); items may be
/// mixed (`2...4,8`). Values are kept in ascending order without duplicates.
///
/// Every k must be at most ``maximumK`` (checked before a range is expanded, so `2...99999999999`
/// is a usage error at once, not a long expansion); whether k is below the number of learners is
/// checked once the input is read.
struct KSpecification: ExpressibleByArgument, Sendable, CustomStringConvertible {
  let values: [Int]
  let text: String
  /// Why `text` is not a valid k specification (`nil` when it is). Kept instead of failing the
  /// parse so that the usage error says what is wrong; thrown by ``validated()``.
  let problem: String?

  init?(argument: String) {
    text = argument
    do {
      values = try Self.parse(argument)
      problem = nil
    } catch {
      values = []
      problem = (error as? ValidationError)?.message ?? "\(error)"
    }
  }

  /// Throws the usage error for an invalid specification (call from the command's `validate()`).
  func validated() throws {
    if let problem { throw ValidationError("--k \(text): \(problem)") }
  }

  /// The largest k accepted: far above any clustering the dense n × n affinity allows (100,000
  /// learners already need 80 GB for one matrix).
  static let maximumK = 100_000

  static func parse(_ argument: String) throws -> [Int] {
    var result = Set<Int>()
    func checked(_ v: Int) throws -> Int {
      guard v <= maximumK else {
        throw ValidationError("k = \(v) is too large: k must be smaller than the number of learners (and at most \(maximumK))")
      }
      return v
    }
    for item in argument.split(separator: ",", omittingEmptySubsequences: false) {
      let part = Table.trimmedBlanks(item)
      if let r = part.firstRange(of: "...") {
        guard let lo = Int(part[..<r.lowerBound]), let hi = Int(part[r.upperBound...]), lo <= hi else {
          throw ValidationError("'\(part)' is not a range like 2...10")
        }
        guard lo >= 2 else { throw ValidationError("every k must be at least 2 (got '\(part)')") }
        result.formUnion(lo...(try checked(hi)))
      } else if let v = Int(part) {
        result.insert(try checked(v))
      } else {
        throw ValidationError("'\(part)' is not a number of clusters")
      }
    }
    return result.sorted()
  }

  static var defaultValueDescription: String { "2...10" }
  var description: String { text }
}
