#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An upper bound on the memory one computation may plan to use, checked *before* a large
/// allocation (an N×N affinity, distance or DTW matrix) rather than discovered by the kernel's
/// out-of-memory killer half-way through a run.
///
/// The limit is either an absolute size or a fraction of the machine's physical memory
/// (`sysconf(_SC_PHYS_PAGES) × sysconf(_SC_PAGESIZE)`); the default is 75 % of physical memory,
/// leaving room for the operating system and the input tables. Command-line spelling
/// (`--max-memory`): a number with an optional binary unit — `1073741824`, `512K`, `512M`, `8G`,
/// `1.5T` (`KiB`/`KB`/`K` all mean 1024, case-insensitive) — or a percentage of physical memory,
/// `75%`.
///
/// Exceeding the budget is a ``UsageError`` (exit status 64, `EX_USAGE`): the data are fine, the
/// chosen options (full N×N graph, all learners) do not fit, and the way out is a different option
/// (`--graph knn:K`, sampling, a larger `--max-memory`). The message states the estimate, the limit
/// and where the limit came from.
///
/// Estimates are of the planned working set, not a measurement; callers document their formula.
public struct MemoryBudget: Sendable, Equatable, CustomStringConvertible {
  /// The limit in bytes.
  public var limit: Int
  /// Where the limit came from, for messages, e.g. `the default 75% of 23.4 GiB physical memory` or
  /// `--max-memory 8G`.
  public var origin: String {
    get { defaultShareOf.map(MemoryBudget.defaultOrigin) ?? explicitOrigin }
    set {
      explicitOrigin = newValue
      defaultShareOf = nil
    }
  }
  /// ``origin`` as given.
  private var explicitOrigin: String
  /// The physical memory of a default budget (``defaultBudget(physicalMemory:)``), whose ``origin`` text is
  /// written only when read: it is needed in messages only, and its first formatting (`vsnprintf` through
  /// `withVaList`: dynamic casts, protocol-conformance scans of the whole binary) costs ≈ 0.1 ms of every run.
  private var defaultShareOf: Int?

  /// Default fraction of physical memory: 0.75.
  public static let defaultFraction = 0.75

  /// A budget of `limit` bytes; `origin` explains it in messages.
  public init(limit: Int, origin: String) {
    self.limit = max(0, limit)
    self.explicitOrigin = origin
  }

  /// Equal limits and equal ``origin`` texts.
  public static func == (a: MemoryBudget, b: MemoryBudget) -> Bool {
    a.limit == b.limit && a.origin == b.origin
  }

  /// The ``origin`` of the default budget on a machine with `physical` bytes of memory.
  static func defaultOrigin(_ physical: Int) -> String {
    "the default 75% of \(formatBytes(physical)) physical memory"
  }

  /// Physical memory in bytes (`sysconf(_SC_PHYS_PAGES) × sysconf(_SC_PAGESIZE)`), or `nil` when the
  /// system does not report it.
  public static func physicalMemory() -> Int? {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return nil }
    let (product, overflow) = pages.multipliedReportingOverflow(by: size)
    return overflow ? Int.max : product
  }

  /// The default budget: 75 % of physical memory (unlimited when physical memory is unknown).
  public static func defaultBudget(physicalMemory: Int? = MemoryBudget.physicalMemory()) -> MemoryBudget {
    guard let physical = physicalMemory else { return MemoryBudget(limit: Int.max, origin: "no limit (physical memory unknown)") }
    var budget = MemoryBudget(limit: Int(Double(physical) * defaultFraction), origin: "")
    budget.defaultShareOf = physical  // the origin text is written when read
    return budget
  }

  /// Parses a `--max-memory` value (see the type's documentation); `nil` gives the default budget.
  ///
  /// - Parameters:
  ///   - text: `8G`, `512M`, `1.5GiB`, `75%`, `1048576`, …
  ///   - option: the flag name used in messages (default `--max-memory`).
  ///   - physicalMemory: the machine's physical memory (injectable for tests).
  /// - Throws: ``UsageError`` for an unreadable value, zero, a negative size or a percentage outside
  ///   (0, 100], or a percentage when physical memory is unknown.
  public init(parsing text: String?, option: String = "--max-memory",
              physicalMemory: Int? = MemoryBudget.physicalMemory()) throws {
    guard let text else {
      self = MemoryBudget.defaultBudget(physicalMemory: physicalMemory)
      return
    }
    let hint = "write a size such as 512M, 8G or 1.5G, or a share of physical memory such as 50%"
    let trimmed = text.filter { $0 != " " }
    var number = Substring(trimmed)
    var multiplier = 1.0
    var percent = false
    let lower = trimmed.lowercased()
    if lower.hasSuffix("%") {
      percent = true
      number = number.dropLast()
    } else {
      let units: [(String, Double)] = [
        ("kib", 0x1p10), ("mib", 0x1p20), ("gib", 0x1p30), ("tib", 0x1p40),
        ("kb", 0x1p10), ("mb", 0x1p20), ("gb", 0x1p30), ("tb", 0x1p40),
        ("k", 0x1p10), ("m", 0x1p20), ("g", 0x1p30), ("t", 0x1p40), ("b", 1),
      ]
      for (suffix, factor) in units where lower.hasSuffix(suffix) {
        multiplier = factor
        number = number.dropLast(suffix.count)
        break
      }
    }
    guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
          let value = DecimalParser.parse(String(number)), value.isFinite
    else {
      throw UsageError("\(option) '\(text)' is not a memory size", hint: hint)
    }
    if percent {
      guard value > 0 && value <= 100 else {
        throw UsageError("\(option) '\(text)' must be a percentage above 0 and at most 100%", hint: hint)
      }
      guard let physical = physicalMemory else {
        throw UsageError("\(option) '\(text)': physical memory is unknown on this system", hint: "give an absolute size such as 8G")
      }
      self.init(limit: Int(Double(physical) * value / 100),
                origin: "--max-memory \(text) of \(MemoryBudget.formatBytes(physical)) physical memory")
    } else {
      let bytes = value * multiplier
      guard bytes >= 1 else {
        throw UsageError("\(option) '\(text)' must be at least one byte", hint: hint)
      }
      self.init(limit: bytes >= 0x1p62 ? Int.max : Int(bytes), origin: "\(option) \(text)")
    }
  }

  /// Whether `bytes` fit in the budget.
  public func allows(bytes: Int) -> Bool { bytes <= limit }

  /// Throws unless `bytes` fit in the budget.
  ///
  /// - Parameters:
  ///   - bytes: the estimated peak of the planned computation.
  ///   - what: what needs it, e.g. `the 40000×40000 affinity, Laplacian and eigensolver copies`.
  ///   - hint: the way out, e.g. `use --graph knn:10 or sample the learners`.
  /// - Throws: ``UsageError``: `<what> needs about <estimate>, more than the memory limit
  ///   <limit> (<origin>); <hint>, or raise the limit with --max-memory`.
  public func check(bytes: Int, what: String, hint: String) throws {
    guard !allows(bytes: bytes) else { return }
    throw UsageError(
      "\(what) needs about \(MemoryBudget.formatBytes(bytes)), more than the memory limit \(MemoryBudget.formatBytes(limit)) (\(origin))",
      hint: "\(hint), or raise the limit with --max-memory (e.g. --max-memory 90%)")
  }

  /// `n × n` 8-byte doubles times `copies`, saturating at `Int.max` instead of overflowing.
  public static func squareMatrixBytes(_ n: Int, copies: Int = 1) -> Int {
    let (a, o1) = n.multipliedReportingOverflow(by: n)
    let (b, o2) = a.multipliedReportingOverflow(by: 8)
    let (c, o3) = b.multipliedReportingOverflow(by: max(1, copies))
    return o1 || o2 || o3 ? Int.max : c
  }

  /// Bytes in binary units with three significant digits: `512 B`, `1.50 KiB`, `8.00 GiB`.
  public static func formatBytes(_ bytes: Int) -> String {
    if bytes == Int.max { return "more than 8 EiB" }
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var u = 0
    while value >= 1024 && u < units.count - 1 {
      value /= 1024
      u += 1
    }
    if u == 0 { return "\(bytes) B" }
    return NumberFormatting.significant(value, digits: 3) + " " + units[u]
  }

  public var description: String { "\(MemoryBudget.formatBytes(limit)) (\(origin))" }
}
