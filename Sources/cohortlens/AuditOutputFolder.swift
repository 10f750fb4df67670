import CohortLensCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An existing `--out` folder, entry by entry: what a previous audit wrote, and everything else.
///
/// A previous audit wrote (nothing else counts, and symbolic links never do):
/// - `report.json`: a regular file naming the schema `cohortlens.audit/1` in its first 4 KiB;
/// - `report.html`: a regular file with CohortLens's generator tag in its first 4 KiB and the audit's
///   footer (`(schema cohortlens.audit/1)`) in its last 4 KiB;
/// - `tables`: a real folder, and in it each regular file that report.json lists in a step's `tables`
///   (accepted only in the form `<stem>-<table>.csv`, the step's stem from the step names in order,
///   ``AuditReport/tableStems(steps:)``, and a table name of ``AuditTable``). A report without `tables`
///   (written before they were listed) is taken to hold `<stem>-<table>.csv` for the tables its step's
///   command wrote then (cluster: sweep, labels, profiles; fairness: fairness; explain: explanations,
///   summary, disparity, disparity-clusters). A user's file named like a table the step did not write
///   (e.g. `<cluster step>-roc.csv`) is therefore not the audit's, and is never replaced silently.
struct AuditOutputFolder {
  /// Entries a previous audit wrote (relative paths), which a new report may replace or remove.
  var own: Set<String> = []
  /// Every other entry (relative paths, in name order; `tables/…` for the contents of a real
  /// `tables` folder).
  var foreign: [String] = []

  /// Largest `report.json` read to recognise a previous report.
  static let maxReportBytes = 512 << 20

  init(folder: String) {
    var steps: [PreviousStep] = []
    if let bytes = Self.previousReportJSON(folder + "/report.json") {
      own.insert("report.json")
      steps = Self.steps(inReport: bytes)
    }
    let tables = Self.tablesWritten(by: steps)
    for name in AtomicDirectory.entries(of: folder) {
      switch name {
      case "report.json":
        if !own.contains(name) { foreign.append(name) }
      case "report.html":
        if Self.isAuditHTML(folder + "/" + name) { own.insert(name) } else { foreign.append(name) }
      case "tables" where AtomicDirectory.kind(of: folder + "/tables") == .folder:
        own.insert(name)
        for table in AtomicDirectory.entries(of: folder + "/tables") {
          let path = "tables/" + table
          if tables.contains(path) && AtomicDirectory.kind(of: folder + "/" + path) == .file {
            own.insert(path)
          } else {
            foreign.append(path)
          }
        }
      default:
        foreign.append(name)
      }
    }
  }

  /// The bytes of `path` when it is a regular file naming the audit schema near its start.
  static func previousReportJSON(_ path: String) -> [UInt8]? {
    guard AtomicDirectory.kind(of: path) == .file, let size = fileSize(path), size <= maxReportBytes,
      let bytes = try? FileIO.readAll(path: path)
    else { return nil }
    let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
    let schema = AuditReport.schema
    return head.contains("\"schema\": \"\(schema)\"") || head.contains("\"schema\":\"\(schema)\"") ? bytes : nil
  }

  /// Whether `path` is a regular file rendered by CohortLens as an audit report.
  static func isAuditHTML(_ path: String) -> Bool {
    guard AtomicDirectory.kind(of: path) == .file, let ends = headAndTail(path, count: 4096) else { return false }
    let head = String(decoding: ends.head, as: UTF8.self)
    let tail = String(decoding: ends.tail, as: UTF8.self)
    return head.contains("<meta name=\"generator\" content=\"CohortLens ") && tail.contains("(schema \(AuditReport.schema))")
  }

  static func fileSize(_ path: String) -> Int? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return Int(st.st_size)
  }

  /// The first and the last `count` bytes of the file `path` (overlapping when it is short).
  static func headAndTail(_ path: String, count: Int) -> (head: [UInt8], tail: [UInt8])? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    let size = Int(st.st_size)
    func read(at offset: Int, _ n: Int) -> [UInt8]? {
      var buffer = [UInt8](repeating: 0, count: n)
      var done = 0
      while done < n {
        let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, n - done, off_t(offset + done)) }
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else { break }
        done += got
      }
      return done == n ? buffer : nil
    }
    let n = min(count, size)
    guard let head = read(at: 0, n), let tail = read(at: size - n, n) else { return nil }
    return (head, tail)
  }

  /// What a previous report says of one step: its name, command, and the table paths it lists (`nil` for a
  /// report written before steps listed their tables).
  struct PreviousStep: Equatable {
    var name: String
    var command: String? = nil
    var tables: [String]? = nil
  }

  /// The tables each command's step wrote before report.json listed them.
  static let legacyTables: [String: [AuditTable]] = [
    "cluster": [.sweep, .labels, .profiles], "fairness": [.fairness],
    "explain": [.explanations, .summary, .disparity, .disparityClusters],
  ]

  /// The table paths (`tables/…`) that the steps of a previous report wrote (see the type's documentation).
  static func tablesWritten(by steps: [PreviousStep]) -> Set<String> {
    let stems = AuditReport.tableStems(steps: steps.map(\.name))
    var paths = Set<String>()
    for (step, stem) in zip(steps, stems) {
      let possible = AuditTable.allCases.map { AuditReport.tablePath(stem: stem, table: $0) }
      if let listed = step.tables {
        paths.formUnion(listed.filter(possible.contains))
      } else {
        let tables = step.command.flatMap { legacyTables[$0] } ?? []
        paths.formUnion(tables.map { AuditReport.tablePath(stem: stem, table: $0) })
      }
    }
    return paths
  }

  /// The `name`, `command` and `tables` (its string values) of every element of the top-level `steps`
  /// array of a report's JSON, in order; what cannot be read is skipped (a truncated file gives the steps
  /// before the cut). Reads the text once, decoding only keys and the wanted strings (`report.json` of a
  /// large course is several MB).
  static func steps(inReport bytes: [UInt8]) -> [PreviousStep] {
    enum Frame {
      case object(key: [UInt8]?, expectsKey: Bool)
      case array
    }
    let stepsKey = Array("steps".utf8), nameKey = Array("name".utf8), commandKey = Array("command".utf8)
    let tablesKey = Array("tables".utf8)
    var stack: [Frame] = []
    var names: [PreviousStep] = []
    var i = 0
    let n = bytes.count
    while i < n {
      switch bytes[i] {
      case UInt8(ascii: "{"):
        // A step's `tables` object: the step lists its tables (possibly none).
        if stack.count == 3, case .object(stepsKey?, _) = stack[0], case .array = stack[1],
          case .object(tablesKey?, _) = stack[2], !names.isEmpty
        {
          names[names.count - 1].tables = names[names.count - 1].tables ?? []
        }
        stack.append(.object(key: nil, expectsKey: true))
        i += 1
      case UInt8(ascii: "["):
        stack.append(.array)
        i += 1
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        if stack.popLast() == nil { return names }
        i += 1
      case UInt8(ascii: ","), UInt8(ascii: ":"):
        if case .object(let key, _)? = stack.last {
          stack[stack.count - 1] = .object(key: key, expectsKey: bytes[i] == UInt8(ascii: ","))
        }
        i += 1
      case UInt8(ascii: "\""):
        var end = i + 1
        var escaped = false
        while end < n && bytes[end] != UInt8(ascii: "\"") {
          if bytes[end] == UInt8(ascii: "\\") { escaped = true; end += 1 }
          end += 1
        }
        guard end < n else { return names }
        let raw = bytes[(i + 1)..<end]
        i = end + 1
        if case .object(_, true)? = stack.last {
          // A key: kept raw (the keys wanted here have no escapes).
          stack[stack.count - 1] = .object(key: Array(raw), expectsKey: false)
        } else if stack.count == 3, case .object(stepsKey?, _) = stack[0], case .array = stack[1],
          case .object(let key?, _) = stack[2]
        {
          let text = escaped ? unescape(raw) : String(decoding: raw, as: UTF8.self)
          if key == nameKey, let text { names.append(PreviousStep(name: text)) }
          else if key == commandKey, let text, !names.isEmpty { names[names.count - 1].command = text }
        } else if stack.count == 4, case .object(stepsKey?, _) = stack[0], case .array = stack[1],
          case .object(tablesKey?, _) = stack[2], case .object(_?, false) = stack[3], !names.isEmpty,
          let path = escaped ? unescape(raw) : String(decoding: raw, as: UTF8.self)
        {
          names[names.count - 1].tables = (names[names.count - 1].tables ?? []) + [path]
        }
      default:
        i += 1
      }
    }
    return names
  }

  /// The text of a JSON string's body (between the quotes); `nil` when an escape is malformed.
  static func unescape(_ raw: ArraySlice<UInt8>) -> String? {
    var scalars = String.UnicodeScalarView()
    var bytes: [UInt8] = []
    func flush() {
      scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
      bytes.removeAll()
    }
    func hex4(_ at: Int) -> UInt32? {
      guard at + 4 <= raw.endIndex, let v = UInt32(String(decoding: raw[at..<(at + 4)], as: UTF8.self), radix: 16)
      else { return nil }
      return v
    }
    var i = raw.startIndex
    while i < raw.endIndex {
      let b = raw[i]
      guard b == UInt8(ascii: "\\") else {
        bytes.append(b)
        i += 1
        continue
      }
      guard i + 1 < raw.endIndex else { return nil }
      flush()
      let e = raw[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(Unicode.Scalar(e))
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"):
        guard var v = hex4(i) else { return nil }
        i += 4
        if (0xD800..<0xDC00).contains(v), i + 6 <= raw.endIndex, raw[i] == UInt8(ascii: "\\"),
          raw[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00..<0xE000).contains(low)
        {
          v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
          i += 6
        }
        scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
      default: return nil
      }
    }
    flush()
    return String(scalars)
  }
}
