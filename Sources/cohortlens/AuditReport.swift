import CohortLensCore
import Report

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A NUL-terminated C string as a Swift string (invalid UTF-8 repaired).
func cString(_ p: UnsafePointer<CChar>) -> String {
  String(decoding: UnsafeBufferPointer(start: p, count: strlen(p)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Where the bundled default audit and its data live.
enum BundledAudit {
  /// The bundled configuration, relative to the CohortLens folder (the repository).
  static let relativeConfig = "Examples/audit/default.yaml"

  static func configPath(home: String) -> String { AuditConfiguration.resolve(relativeConfig, against: home) }

  /// The CohortLens folder: `$COHORTLENS_HOME`, else the first folder holding
  /// `Examples/audit/default.yaml` going up from the working directory, else from the executable
  /// (`.build/<config>/cohortlens` sits three levels below it).
  static func home() throws -> String {
    func holdsConfig(_ dir: String) -> Bool { access(configPath(home: dir), R_OK) == 0 }
    if let raw = getenv("COHORTLENS_HOME"), case let env = cString(raw), !env.isEmpty {
      if holdsConfig(env) { return env }
      throw UsageError(
        "COHORTLENS_HOME='\(env)' holds no \(relativeConfig)", hint: "point it at the CohortLens folder or pass --config FILE")
    }
    var candidates: [String] = []
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    if getcwd(&buffer, buffer.count) != nil {
      var dir = cString(buffer)
      while true {
        candidates.append(dir)
        guard let slash = dir.lastIndex(of: "/"), dir != "/" else { break }
        dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
      }
    }
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if n > 0 {
      var dir = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
      for _ in 0..<4 {
        guard let slash = dir.lastIndex(of: "/") else { break }
        dir = String(dir[..<slash])
        candidates.append(dir)
      }
    }
    for c in candidates where holdsConfig(c) { return c }
    throw UsageError(
      "the bundled audit (\(relativeConfig)) was not found from the working directory or the executable",
      hint: "run from the CohortLens folder, set COHORTLENS_HOME, or pass --config FILE")
  }
}

/// The assembled audit: the report folder's files and the console summary.
struct AuditReport {
  var title: String
  var configFile: String
  var seed: UInt32
  var steps: [(step: AuditConfiguration.Step, result: AuditStepResult)]
  var configDigest: String
  /// Every input of every step once, with its role and SHA-256 (``inputValues(of:)``), computed once for
  /// report.json and the console JSON.
  var inputs: [JSONValue]

  static let schema = "cohortlens.audit/1"

  /// `configDigest`: the SHA-256 of the configuration's bytes as they were read and parsed.
  init(
    title: String, configFile: String, configDigest: String, seed: UInt32,
    steps: [(step: AuditConfiguration.Step, result: AuditStepResult)]
  ) throws {
    self.title = title
    self.configFile = configFile
    self.seed = seed
    self.steps = steps
    self.configDigest = configDigest
    self.inputs = try Self.inputValues(of: steps)
  }

  /// Every verdict of every step, in step order.
  var verdicts: [(step: String, label: String, verdict: String)] {
    steps.flatMap { s in s.result.verdicts.map { (s.step.name, $0.subject, $0.status.rawValue.uppercased()) } }
  }

  /// Every input of every step once (first use), with its role and SHA-256 (hashing the files whose digest the
  /// step did not compute while reading them).
  static func inputValues(of steps: [(step: AuditConfiguration.Step, result: AuditStepResult)]) throws -> [JSONValue] {
    var inputs: [JSONValue] = []
    var seen = Set<String>()
    for (_, result) in steps {
      for input in result.inputs where seen.insert(input.path).inserted {
        inputs.append(.object([
          ("role", .string(input.role)), ("path", .string(input.path)),
          ("sha256", .string(try result.digests[input.path] ?? SHA256.hex(ofFile: input.path))),
        ]))
      }
    }
    return inputs
  }

  /// The provenance header shared by report.json and the console JSON: tool, title, config, seed, inputs.
  func provenance() -> [(String, JSONValue)] {
    [
      ("tool", .object([("name", .string("cohortlens")), ("version", .string(CohortLensVersion.string))])),
      ("title", .string(title)),
      ("config", .object([("path", .string(configFile)), ("sha256", .string(configDigest))])),
      ("seed", .int(Int(seed))),
      ("inputs", .array(inputs)),
    ]
  }

  func json() throws -> JSONValue {
    var stepValues: [JSONValue] = []
    let stems = tableStems
    for (i, (step, result)) in steps.enumerated() {
      stepValues.append(.object([
        ("name", .string(step.name)), ("command", .string(step.command)),
        ("title", step.title.map { .string($0) } ?? .null),
        ("arguments", .array(step.arguments.map { .string($0) })),
        ("tables", .object(result.tables.map { ($0.name.rawValue, .string(Self.tablePath(stem: stems[i], table: $0.name))) })),
        ("warnings", .array(result.warnings.map { .string($0) })),
        ("result", .object(result.json)),
      ]))
    }
    return .object([("schema", .string(Self.schema))] + provenance() + [
      ("verdicts", .array(verdicts.map {
        .object([("step", .string($0.step)), ("check", .string($0.label)), ("verdict", .string($0.verdict))])
      })),
      ("steps", .array(stepValues)),
    ])
  }

  /// The report folder: tables/<stem>-<table>.csv, report.json and report.html, in the order they
  /// are moved into a folder that also holds other files (the page that links the rest comes last).
  func files() throws -> [(path: String, bytes: [UInt8])] {
    var files: [(path: String, bytes: [UInt8])] = []
    let stems = tableStems
    for (i, (_, result)) in steps.enumerated() {
      for table in result.tables {
        files.append((Self.tablePath(stem: stems[i], table: table.name), Array(table.csv.utf8)))
      }
    }
    files.append(("report.json", Array(try json().serialized(pretty: true).utf8) + [10]))
    files.append(("report.html", Array(AuditHTML.render(self).utf8)))
    return files
  }

  /// The file-name stem of each step's tables, in step order (``tableStems(steps:)``).
  var tableStems: [String] { Self.tableStems(steps: steps.map(\.step.name)) }

  /// Where a table goes in the report folder, given its step's stem (``tableStems(steps:)``).
  static func tablePath(stem: String, table: AuditTable) -> String {
    "tables/\(stem)-\(table.rawValue).csv"
  }

  /// Every path a table of one of `steps` (step names in order) may take, whichever tables the steps write.
  static func tablePaths(steps: [String]) -> Set<String> {
    Set(tableStems(steps: steps).flatMap { stem in AuditTable.allCases.map { tablePath(stem: stem, table: $0) } })
  }

  /// The file-name stem of each step's tables, for the step names in order: the name made file-safe
  /// (``fileSafe(_:)``), and when an earlier step already has that stem, the first free of `-2`, `-3`, …
  /// appended. Stems are compared ignoring case, so they stay distinct on case-insensitive file
  /// systems. A function of the names alone: a previous report's tables are found from the step names
  /// in its `report.json`. No table name (``AuditTable``) ends with `-` and another table name, so
  /// distinct stems give distinct paths.
  static func tableStems(steps: [String]) -> [String] {
    var taken = Set<String>()
    var stems: [String] = []
    for name in steps {
      let base = fileSafe(name)
      var stem = base
      var n = 2
      while taken.contains(stem.lowercased()) {
        stem = "\(base)-\(n)"
        n += 1
      }
      taken.insert(stem.lowercased())
      stems.append(stem)
    }
    return stems
  }

  /// Longest stem kept from a step name, in UTF-8 bytes (a file name may have 255; the table's
  /// suffix and a `-N` take the rest).
  static let maxStemBytes = 200

  /// A name usable as a file name: letters and digits of any script (with their combining marks),
  /// `-`, `_` and `.`; anything else becomes `_`. A leading `.` is prefixed with `_` (no hidden files),
  /// an empty name becomes `_`, and a name longer than ``maxStemBytes`` is cut at a character boundary.
  static func fileSafe(_ name: String) -> String {
    var out = String.UnicodeScalarView()
    var bytes = 0
    for u in name.unicodeScalars {
      let kept: Unicode.Scalar
      switch u.properties.generalCategory {
      case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        .decimalNumber, .nonspacingMark, .spacingMark:
        kept = u
      default:
        kept = u == "-" || u == "_" || u == "." ? u : "_"
      }
      bytes += UTF8.width(kept)
      if bytes > maxStemBytes { break }
      out.append(kept)
    }
    let s = String(out)
    return s.isEmpty || s.hasPrefix(".") ? "_" + s : s
  }

  func consoleSummary(out: String) -> String {
    var lines: [String] = ["\(title)", ""]
    for (step, result) in steps {
      lines.append("\(step.name) (\(step.command))")
      for l in result.summary { lines.append("  " + l) }
    }
    let v = verdicts
    if !v.isEmpty {
      lines.append("")
      let counts = Dictionary(grouping: v, by: \.verdict).mapValues(\.count)
      lines.append(
        "Verdicts: " + ["FAIL", "INCONCLUSIVE", "UNDEFINED", "PASS"].compactMap { k in counts[k].map { "\($0) \(k)" } }
          .joined(separator: ", "))
    }
    lines.append("")
    lines.append("Report: \(out.hasSuffix("/") ? out : out + "/")report.html")
    return lines.joined(separator: "\n") + "\n"
  }

  func consoleJSON(out: String) -> String {
    let value: JSONValue = .object([("schema", .string("cohortlens.audit-summary/1"))] + provenance() + [
      ("report", .string((out.hasSuffix("/") ? out : out + "/") + "report.html")),
      ("steps", .array(steps.map { s in
        .object([("name", .string(s.step.name)), ("command", .string(s.step.command)),
                 ("summary", .array(s.result.summary.map { .string($0) }))])
      })),
      ("verdicts", .array(verdicts.map {
        .object([("step", .string($0.step)), ("check", .string($0.label)), ("verdict", .string($0.verdict))])
      })),
    ])
    return value.serialized(pretty: true) + "\n"
  }
}

/// The report's HTML: verdicts on top, one section per step, provenance in the footer.
enum AuditHTML {
  static func render(_ report: AuditReport) -> String {
    var doc = HTMLDocument(
      title: report.title,
      subtitle: "CohortLens \(CohortLensVersion.string) audit of \(report.steps.count) step(s)"
        + ", seed \(report.seed)")
    for (_, result) in report.steps {
      for v in result.verdicts { doc.add(v) }
      for s in result.sections { doc.add(s) }
    }
    doc.footer = [
      "Configuration \(report.configFile) (sha256 \(report.configDigest)).",
      // Facts (a mean, a count) are in report.json only; tables/ holds the tables report.json names.
      "Every number in this report is in report.json (schema \(AuditReport.schema)); its tables are also in the tables/*.csv that report.json lists under each step's \"tables\".",
    ]
    return doc.render()
  }
}

/// The step kinds the audit knows; each parses its arguments with the command's own parser.
func auditStepKinds() -> [String: AuditStepKind] {
  [
    "cluster": AuditStepKind(
      parse: { try ClusterCommand.parse($0).settings }, message: { ClusterCommand.message(for: $0) },
      help: { ClusterCommand.helpMessage(columns: 10_000) }),
    "fairness": AuditStepKind(
      parse: { try FairnessCommand.parse($0) }, message: { FairnessCommand.message(for: $0) },
      help: { FairnessCommand.helpMessage(columns: 10_000) }),
    "explain": AuditStepKind(
      parse: { try ExplainCommand.parse($0) }, message: { ExplainCommand.message(for: $0) },
      help: { ExplainCommand.helpMessage(columns: 10_000) }),
  ]
}
