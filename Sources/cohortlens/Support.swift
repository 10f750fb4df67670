import ArgumentParser
import CohortLensCore
import Dispatch
import LinearAlgebra
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Output flags shared by every command.
struct OutputOptions: ParsableArguments {
  /// The default format (shared by the declaration and ``ClusterCommand/direct(_:)``).
  enum Defaults {
    static let format = OutputFormat.table
  }

  @Option(help: "Output format: table (aligned, for terminals), csv, json or markdown.")
  var format: OutputFormat = Defaults.format

  @Option(help: ArgumentHelp("Write the result to FILE (atomically: temp file + rename) instead of stdout.", valueName: "file"))
  var output: String?

  @Flag(help: "Report progress on stderr even when stderr is not a terminal.")
  var progress = false

  @Flag(inversion: .prefixedNo, help: ArgumentHelp(
    "fsync the written files and their folder before returning (default). With --no-fsync they are still written to temporary files and renamed into place (never partial), but after an OS crash or power loss they may be missing or empty."))
  var fsync = true

  mutating func validate() throws { try settings.validate() }

  /// The flags as plain values.
  var settings: OutputSettings { OutputSettings(format: format, output: output, progress: progress, fsync: fsync) }
}

/// ``OutputOptions`` as plain values (no property wrappers), for commands read without swift-argument-parser.
struct OutputSettings {
  var format = OutputOptions.Defaults.format
  var output: String? = nil
  var progress = false
  var fsync = true

  /// The checks of ``OutputOptions/validate()``.
  func validate() throws {
    if let output { try validateOutputPath(output, flag: "--output") }
  }
}

/// Usage checks of an output-file flag before any work: a name is given, and it is not an existing directory.
/// (A folder that does not exist, `new/`, is an output error of the command's output check, exit 73, as for
/// `new/file`.)
func validateOutputPath(_ path: String, flag: String) throws {
  if path.isEmpty { throw ValidationError("\(flag) needs a file name (got an empty string)") }
  var st = stat()
  if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
    throw ValidationError("\(flag) '\(path)' is a directory; name a file, e.g. \(flag) \(path.hasSuffix("/") ? path : path + "/")result")
  }
}

/// Keywords of enum-valued flags are read ignoring the case of ASCII letters — `--format JSON`, `--scale Standard`,
/// `--laplacian UNNORMALIZED`, `--radius Full`, `--threshold Prevalence` — in every command and in the steps of
/// an `audit` configuration; outputs echo the canonical lower-case spelling. Values that are data (column names,
/// group names such as those of `--compare`, `--positive` classes) stay exact.
/// Returns the keyword of `keywords` that `text` spells, or nil. O(total length).
func keyword(_ text: String, among keywords: [String]) -> String? {
  let t = MessageText.asciiLowercased(text)
  return keywords.first { MessageText.asciiLowercased($0) == t }
}

/// An enum-valued flag whose raw values are its keywords, read case-insensitively (``keyword(_:among:)``).
protocol KeywordArgument: ExpressibleByArgument, RawRepresentable, CaseIterable where RawValue == String {}

extension KeywordArgument {
  init?(keywordArgument argument: String) {
    guard let k = keyword(argument, among: Self.allCases.map(\.rawValue)) else { return nil }
    self.init(rawValue: k)
  }
  init?(argument: String) { self.init(keywordArgument: argument) }
}

extension OutputFormat: KeywordArgument {
  /// Case-insensitive; `md` is also read as `markdown` (as ``OutputFormat/parse(_:)``).
  public init?(argument: String) {
    guard let k = keyword(argument, among: Self.allCases.map(\.rawValue) + ["md"]) else { return nil }
    self = k == "md" ? .markdown : OutputFormat(rawValue: k)!
  }
}

/// Progress messages on stderr, shown only when stderr is a terminal or `--progress` is given.
/// Each message is prefixed with the seconds elapsed since the command started.
struct Progress {
  let enabled: Bool
  let start = DispatchTime.now()
  init(forced: Bool) { enabled = forced || isatty(STDERR_FILENO) != 0 }
  func report(_ message: @autoclosure () -> String) {
    guard enabled else { return }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    writeAll("cohortlens [\(NumberFormatting.fixed(seconds, decimals: 3)) s]: \(message())\n", to: STDERR_FILENO)
  }
}

/// Writes a line to stderr. Control characters other than line breaks and tabs (a NUL or an escape
/// byte inside a quoted cell value) are shown as `\xHH`, so the message reads as it was written.
func printError(_ message: String) {
  let text = TextTable.visibleControls(message, keepingLinesAndTabs: true)
  writeAll(text.hasSuffix("\n") ? text : text + "\n", to: STDERR_FILENO)
}

/// Writes all of `text` (UTF-8) to the file descriptor `fd` with `write(2)`, unbuffered,
/// continuing after short writes and `EINTR`; returns `false` on any other error (the caller decides:
/// results on stdout become an `OutputError`, messages on stderr are best effort).
@discardableResult
func writeAll(_ text: String, to fd: Int32) -> Bool {
  var text = text
  return text.withUTF8 { bytes -> Bool in
    guard var p = bytes.baseAddress else { return true }
    var left = bytes.count
    while left > 0 {
      let n = write(fd, p, left)
      if n < 0 {
        if errno == EINTR { continue }
        return false
      }
      p += n
      left -= n
    }
    return true
  }
}

/// A command whose body may throw CohortLens errors; maps them to messages and exit codes.
protocol CohortLensCommand: ParsableCommand {
  func execute() throws
  /// The files the command reads, by flag (nil when the flag is not given).
  var inputFiles: [(flag: String, path: String?)] { get }
  /// The files the command writes, by flag (nil when the flag is not given).
  var outputFiles: [(flag: String, path: String?)] { get }
}

extension CohortLensCommand {
  var inputFiles: [(flag: String, path: String?)] { [] }
  var outputFiles: [(flag: String, path: String?)] { [] }

  func run() throws {
    try runCommand(name: Self.configuration.commandName ?? "", inputs: inputFiles, outputs: outputFiles) {
      try execute()
    }
  }
}

/// The body of every command's `run()`: checks that no output is an input and that every output's folder is
/// writable, runs `execute`, and maps CohortLens errors to their message on stderr and an ``ExitCode``
/// (`name`: the subcommand, for usage errors; evaluated only then).
func runCommand(
  name: @autoclosure () -> String, inputs inputFiles: [(flag: String, path: String?)],
  outputs outputFiles: [(flag: String, path: String?)], execute: () throws -> Void
) throws {
  do {
    try checkOutputsAreNotInputs(inputs: inputFiles, outputs: outputFiles)
    // Every output's folder (or device) is checked before the work: a mistyped folder fails at once, and
    // never after a first output was written.
    for o in outputFiles { if let path = o.path { try AtomicFile.checkWritable(path) } }
    try execute()
  } catch let error as UsageError {
    printError("cohortlens \(name()): error: \(error.description)")
    throw ExitCode(error.exitCode)
  } catch let error as CohortLensError {
    printError("\(error.description)")
    throw ExitCode(error.exitCode)
  } catch let error as ExitCode {
    throw error
  } catch let error as CleanExit {
    throw error
  } catch {
    printError("cohortlens: error: \(error)")
    throw ExitCode(65)
  }
}

/// Emits a rendered result: to `--output` atomically, else to stdout.
///
/// `alongside`: further files the command writes with the result (e.g. `cluster --labels-out`). They and the
/// result are written together (`AtomicFile.write(files:sync:beforeRenaming:)`): every file is checked and
/// staged first, the result goes to stdout (when there is no `--output`) before any file is renamed into
/// place, so a failure anywhere leaves none of them written.
func emit(_ text: String, options: OutputOptions, alongside: [(path: String, bytes: [UInt8])] = []) throws {
  try emit(text, options: options.settings, alongside: alongside)
}

/// ``emit(_:options:alongside:)`` with the output flags as plain values.
func emit(_ text: String, options: OutputSettings, alongside: [(path: String, bytes: [UInt8])] = []) throws {
  if alongside.isEmpty, let path = options.output {
    try AtomicFile.write(Array(text.utf8), to: path, sync: options.fsync)
    return
  }
  var files = alongside
  if let path = options.output { files.append((path, Array(text.utf8))) }
  try AtomicFile.write(files: files, sync: options.fsync) {
    if options.output == nil { try writeStandardOutput(text) }
  }
}

/// Writes a result to stdout; an `OutputError` (exit 73) when that fails (a closed pipe, a full disk):
/// `standard output: cannot write <what> (<reason>)`, then `; <hint>` when there is one.
func writeStandardOutput(_ text: String, what: String = "the result", hint: String? = "use --output FILE") throws {
  if !writeAll(text, to: STDOUT_FILENO) {
    let reason = String(cString: strerror(errno))
    throw OutputError(path: "standard output", message: "cannot write \(what) (\(reason))" + (hint.map { "; " + $0 } ?? ""))
  }
}

/// The common JSON header: schema, tool version, parameters, seed and each input's sha256.
///
/// `digests` maps an input path to its known lower-case hex SHA-256 (e.g. `Table.sha256` of a table
/// read with `digest: true`, hashed from the bytes actually parsed); inputs not in it are hashed
/// by reading the file.
func provenance(
  command: String, parameters: [(String, JSONValue)], seed: UInt32?, inputs: [(role: String, path: String)],
  digests: [String: String] = [:]
) throws -> [(String, JSONValue)] {
  var fields: [(String, JSONValue)] = [
    ("schema", .string("cohortlens.\(command)/1")),
    ("tool", .object([("name", .string("cohortlens")), ("version", .string(CohortLensVersion.string))])),
    ("parameters", .object(parameters)),
  ]
  fields.append(("seed", seed.map { .int(Int($0)) } ?? .null))
  var files: [JSONValue] = []
  for input in inputs {
    files.append(.object([
      ("role", .string(input.role)), ("path", .string(input.path)),
      ("sha256", .string(try digests[input.path] ?? SHA256.hex(ofFile: input.path))),
    ]))
  }
  fields.append(("inputs", .array(files)))
  return fields
}

/// Splits a comma-separated flag value, trimming blanks and dropping empty items.
func splitList(_ value: String) -> [String] {
  value.split(separator: ",").map { Table.trimmedBlanks($0) }.filter { !$0.isEmpty }
}

/// ``splitList(_:)`` for a list of column names given to `option`: a name given twice is a usage
/// error (a duplicated feature column would count twice in distances, or be explained as two
/// independent features).
func splitColumnList(_ value: String, option: String) throws -> [String] {
  let names = splitList(value)
  if let twice = firstDuplicate(names) { throw UsageError("\(option) names \(MessageText.quoted(twice)) twice", hint: "give each column once") }
  return names
}

/// The columns `names` (from `option`) select in `table`, each as the table names it (its header, or `#N` for a
/// column without a name: ``Table/displayName(ofColumn:)``), so results and later lookups use one name per
/// column. An unknown name is a located error listing the columns; two names selecting one column (`x0` and
/// `#2`, or ` x0` and `x0`) are a usage error.
func resolvedColumns(_ names: [String], in table: Table, option: String) throws -> [String] {
  var first: [Int: String] = [:]
  var out: [String] = []
  out.reserveCapacity(names.count)
  for name in names {
    let j = try table.columnIndex(name)
    if let earlier = first[j] {
      throw UsageError("\(option) selects column \(MessageText.quoted(table.displayName(ofColumn: j))) twice (\(MessageText.quoted(earlier)) and \(MessageText.quoted(name)))",
                       hint: "give each column once")
    }
    first[j] = name
    out.append(table.displayName(ofColumn: j))
  }
  return out
}

/// The first element of `names` that already occurred before it, if any. O(n).
func firstDuplicate(_ names: [String]) -> String? {
  var seen = Set<String>()
  return names.first { !seen.insert($0).inserted }
}


/// The feature columns used when `--columns` is not given: every column except `excluded` that has a name
/// of its own and whose present cells are all numbers, each as the table names it.
///
/// - Wholly non-numeric columns (text such as gender) and empty ones are skipped and reported (`skipped`).
/// - A column without a name (empty or blank header: pandas' index column, an Excel export's trailing empty
///   columns) is never selected by default, whatever it holds: it is reported in `unnamed` (as `#N`) and can be
///   chosen with `--columns '#N'`.
/// - A numeric column whose header another column has too (`id,a,b,a`) cannot be named in the results: a
///   located error at the header naming every column of that name, suggesting `--columns` with `#N`.
/// - A column that mixes numbers with a non-number is treated as a numeric column with a bad cell, and reported
///   at that cell (`file:line:column`) as `--columns` reports it (not a number, not a finite number, not valid
///   UTF-8), never dropped silently.
func defaultFeatureColumns(_ table: Table, excluding: Set<String>) throws
  -> (columns: [String], skipped: [String], unnamed: [String], empty: [String])
{
  var columns: [String] = []
  var skipped: [String] = []
  var empty: [String] = []
  var unnamed: [String] = []
  // Excluded by the column they name (the same lookup as everywhere: `--id id` names a header ` id`).
  let excludedIndices = Set(excluding.compactMap { table.findColumn($0) })
  var candidates: [Int] = []
  for j in table.columnNames.indices where !excludedIndices.contains(j) {
    if Table.trimmedBlanks(table.columnNames[j]).isEmpty {
      unnamed.append(table.displayName(ofColumn: j))
    } else {
      candidates.append(j)
    }
  }
  // One concurrent pass over the rows for all candidate columns (same typing as `profile(at:)`).
  let summaries = table.summaries(columns: candidates)
  let hints = Table.NumberHints(
    notANumber: "fix the cell, or choose the feature columns with --columns",
    notFinite: "replace it with a finite value or mark it missing (empty or NA), or choose the feature columns with --columns")
  for (index, s) in zip(candidates, summaries) {
    let p = s.profile
    switch p.type {
    case .numeric:
      if table.hasDuplicatedName(column: index) {
        do {
          _ = try table.columnIndex(table.columnNames[index])  // throws, naming every column of that name
        } catch var e as InputError {
          e.hint = "choose the feature columns with --columns, selecting one by its position (\(positions(of: table.columnNames[index], in: table))), or rename the columns in the header"
          throw e
        }
      }
      columns.append(table.displayName(ofColumn: index))
    case .empty:
      skipped.append(table.displayName(ofColumn: index))
      empty.append(table.displayName(ofColumn: index))
    case .text:
      if p.numericCount > 0, let row = p.firstNonNumericRow {
        // The located error of an explicit --columns selection (it throws at the first bad cell).
        _ = try table.numbers(at: index, hints: hints)
        throw InputError(
          table: table, row: row, column: index,
          message: "column \(MessageText.quoted(table.displayName(ofColumn: index))) holds numbers but '\(p.firstNonNumeric ?? "")' is not a number",
          hint: hints.notANumber)
      }
      if p.numericCount == 0, let first = p.firstNonNumeric, Table.isNumberWithSeparators(first) {
        // Numbers written with digit grouping or a decimal comma in every cell: not a text column to leave out
        // silently, but numbers to re-save; the located error says how (the same as with --columns).
        _ = try table.numbers(at: index, hints: hints)
      }
      skipped.append(table.displayName(ofColumn: index))
    }
  }
  return (columns, skipped, unnamed, empty)
}

/// The warnings naming the columns ``defaultFeatureColumns(_:excluding:)`` left out (text columns, columns
/// without a name), so that none is dropped silently; `cluster` and `scores` print them and put them in JSON.
func leftOutColumnWarnings(skipped: [String], unnamed: [String]) -> [String] {
  var warnings: [String] = []
  if !skipped.isEmpty {
    warnings.append("non-numeric column(s) not used as features: \(skipped.map { MessageText.excerpt($0) }.joined(separator: ", ")) (choose columns with --columns)")
  }
  if let first = unnamed.first {
    warnings.append("column(s) without a name not used as features: \(unnamed.joined(separator: ", ")) (choose them with --columns '\(first)')")
  }
  return warnings
}

/// The columns whose header is `name` exactly, as `'#2' or '#4'` (the first five).
private func positions(of name: String, in table: Table) -> String {
  let all = table.columnNames.indices.filter { ExactText(table.columnNames[$0]) == ExactText(name) }
  let shown = all.prefix(5).map { "'#\($0 + 1)'" }
  return shown.count == 2 ? shown.joined(separator: " or ") : shown.joined(separator: ", ") + (all.count > 5 ? ", …" : "")
}

/// Usage check before any work: no output file is one of the input files (the same file by device
/// and inode, so also through a symbolic or hard link; the atomic write would otherwise replace the
/// input with the report), and no two outputs name the same file (the second would replace the
/// first). An output that does not exist yet cannot be an input; a device or named pipe is written
/// in place and is not checked.
func checkOutputsAreNotInputs(
  inputs: [(flag: String, path: String?)], outputs: [(flag: String, path: String?)]
) throws {
  func identity(_ path: String) -> (dev: UInt64, ino: UInt64)? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return (UInt64(st.st_dev), UInt64(st.st_ino))
  }
  /// Devices and named pipes (`/dev/null`, `/dev/stdout`) are written in place, never replaced: two
  /// outputs may share one, and nothing is lost (an unusable path is left to `checkWritable`).
  func isStream(_ path: String) -> Bool {
    if case .stream = try? AtomicFile.destination(of: path) { return true }
    return false
  }
  /// The path with its folder resolved (`realpath`), for outputs that do not exist yet.
  func spelled(_ path: String) -> String {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard let resolved = realpath(folder.isEmpty ? "/" : folder, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved) + "/" + name
  }
  let given = outputs.compactMap { o in o.path.map { (flag: o.flag, path: $0) } }.filter { !isStream($0.path) }
  for (i, out) in given.enumerated() {
    if let o = identity(out.path) {
      for input in inputs {
        guard let path = input.path, let n = identity(path), n == o else { continue }
        throw UsageError(
          "\(out.flag) '\(out.path)' is the same file as \(input.flag) '\(path)'; writing it would replace the input",
          hint: "choose another file name for \(out.flag)")
      }
    }
    for other in given[..<i] where spelled(other.path) == spelled(out.path)
      || (identity(other.path).map { a in identity(out.path).map { $0 == a } ?? false } ?? false) {
      throw UsageError("\(other.flag) and \(out.flag) name the same file '\(out.path)'; the second would replace the first",
                       hint: "give them different file names")
    }
  }
}
