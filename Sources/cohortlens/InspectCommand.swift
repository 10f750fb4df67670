import ArgumentParser
import CohortLensCore
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `cohortlens inspect`: what a CSV holds — rows, columns, types, missing cells, ranges.
struct InspectCommand: CohortLensCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Profile a CSV: row count, column types, missing cells, numeric ranges, distinct values.",
    discussion: """
      Reads the whole file with the same reader every command uses and types each column: \
      numeric (every present cell parses as a finite number), text, or empty. Missing cells \
      (empty, NA, NaN, …) are counted, never read as 0.

      Example:
        cohortlens inspect Fixtures/flipped-classroom/aggregated_fc.csv
      """
  )

  @Argument(help: ArgumentHelp("The CSV file.", valueName: "file"))
  var file: String

  @OptionGroup var output: OutputOptions

  func execute() throws {
    let progress = Progress(forced: output.progress)
    progress.report("reading \(file)")
    // JSON reports carry the file's SHA-256: hash the bytes on another core while they are parsed.
    let table = try Table.read(path: file, digest: output.format == .json)
    struct ColumnProfile {
      /// How the column is selected in flags and named in results: its header, or `#N` when it has no
      /// name of its own (blank, or written so by another column too); `header` is the header as written.
      var name: String, header: String, listed: String, type: String, missing: Int, present: Int
      var min: Double?, max: Double?, mean: Double?, distinct: Int?, examples: [String]
    }
    progress.report("typing \(table.columnCount) columns of \(table.rowCount) rows")
    // One pass over all cells (concurrent over blocks of rows): type, counts, min, max, mean.
    let summaries = table.summaries()
    var profiles: [ColumnProfile] = []
    var warnings: [String] = []
    for (index, s) in summaries.enumerated() {
      let name = table.displayName(ofColumn: index)
      // In the readable formats a column without a name of its own shows its position and header: `#3 'a'`.
      let listed = table.isUnnamed(column: index) ? table.listedName(ofColumn: index) : name
      switch s.type {
      case .numeric:
        var mean = s.mean
        if let m = mean, !m.isFinite {
          // The one-pass sum overflowed (finite values near ±1.8e308): recompute this column's mean
          // without overflow (every cell of a numeric column is finite).
          mean = StableMoments.mean(try table.numbers(at: index).compactMap { $0 })
        }
        profiles.append(ColumnProfile(
          name: name, header: s.name, listed: listed, type: "numeric", missing: s.missingCount, present: s.presentCount,
          min: s.min, max: s.max, mean: mean, distinct: nil, examples: []))
      default:
        let values = try table.strings(at: index)
        var seen = Set<ExactText>()  // values as written (code points), as pandas' nunique
        var examples: [String] = []
        var missing = 0
        for v in values {
          guard let v else { missing += 1; continue }
          if seen.insert(ExactText(v)).inserted && examples.count < 5 { examples.append(v) }
        }
        // A NUL byte is no part of a text but of a damaged export; the commands refuse it in an id.
        if let r = values.firstIndex(where: { $0?.utf8.contains(0) == true }) {
          let count = values.filter { $0?.utf8.contains(0) == true }.count
          warnings.append("column \(MessageText.quoted(name)) row \(table.sourceRecord(row: r)) (line \(table.location(row: r, column: index).line)): \(MessageText.quoted(values[r]!)) holds a NUL byte\(count > 1 ? " (\(count) cells do)" : ""): the file is probably damaged; commands refuse such a cell as an id")
        }
        profiles.append(ColumnProfile(
          name: name, header: s.name, listed: listed, type: s.type == .empty ? "empty" : "text", missing: missing, present: values.count - missing,
          min: nil, max: nil, mean: nil, distinct: seen.count, examples: examples))
      }
    }
    for w in warnings { printError("cohortlens inspect: warning: \(w)") }
    let size = fileSize(atPath: file)
    switch output.format {
    case .json:
      var digests: [String: String] = [:]
      if let sha256 = table.sha256 { digests[file] = sha256 }
      var fields = try provenance(command: "inspect", parameters: [("file", .string(file))], seed: nil,
                                  inputs: [(role: "table", path: file)], digests: digests)
      fields.append(("bytes", size.map { .int($0) } ?? .null))
      fields.append(("rows", .int(table.rowCount)))
      fields.append(("columns", .array(profiles.map { p in
        var o: [(String, JSONValue)] = [("name", .string(p.name)), ("header", .string(p.header)), ("type", .string(p.type)), ("present", .int(p.present)), ("missing", .int(p.missing))]
        if p.type == "numeric" {
          o.append(("min", p.min.map { .double($0) } ?? .null))
          o.append(("max", p.max.map { .double($0) } ?? .null))
          o.append(("mean", p.mean.map { .double($0) } ?? .null))
        } else {
          o.append(("distinct", .int(p.distinct ?? 0)))
          o.append(("examples", .array(p.examples.map { .string($0) })))
        }
        return .object(o)
      })))
      if !warnings.isEmpty { fields.append(("warnings", .array(warnings.map { .string($0) }))) }
      try emit(JSONValue.object(fields).serialized(pretty: true) + "\n", options: output)
    default:
      let csv = output.format == .csv
      // CSV names each column by its selector (`#3` for one without a name of its own) and, as JSON does, gives
      // the header as written in a column of its own; the readable formats show both in one cell (`#3 'a'`).
      var t = TextTable(
        headers: ["column"] + (csv ? ["header"] : []) + ["type", "present", "missing", "min", "max", "mean", "distinct / examples"],
        alignments: [.left] + (csv ? [.left] : []) + [.left, .right, .right, .right, .right, .right, .left])
      func f(_ x: Double?) -> String { x.map { csv ? NumberFormatting.roundTrip($0) : NumberFormatting.significant($0, digits: 6) } ?? "" }
      for p in profiles {
        // Examples holding a comma, a quote, a line break or edge blanks quoted as CSV writes them, so that the
        // list `a, b, c` reads one way (`"Smith, J", x` is two values, not three).
        let extra = p.distinct.map { "\($0): " + p.examples.map(CSVWriter.field).joined(separator: ", ") } ?? ""
        t.append((csv ? [p.name, p.header] : [p.listed]) + [p.type, String(p.present), String(p.missing), f(p.min), f(p.max), f(p.mean), extra])
      }
      let title = "\(file): \(table.rowCount) rows × \(table.columnNames.count) columns\n\n"
      switch output.format {
      case .csv: try emit(t.render(.csv), options: output)
      // The heading shows the file name as written (`__init__.csv`, `*.csv` would otherwise render as emphasis).
      case .markdown:
        let heading = "\(TextTable.markdownEscaped(MessageText.visible(file))): \(table.rowCount) rows × \(table.columnNames.count) columns\n\n"
        try emit("## " + heading + t.render(.markdown), options: output)
      default: try emit(title + t.render(.table), options: output)
      }
    }
  }
}

/// The size in bytes of the file at `path`, symbolic links followed (`stat(2)`): the size of the
/// bytes that were read and hashed, not of a link's own target path; nil if it cannot be stat'ed.
private func fileSize(atPath path: String) -> Int? {
  var info = stat()
  guard stat(path, &info) == 0 else { return nil }
  return Int(info.st_size)
}

extension InspectCommand {
  var inputFiles: [(flag: String, path: String?)] { [("<file>", file)] }
  var outputFiles: [(flag: String, path: String?)] { [("--output", output.output)] }
}
