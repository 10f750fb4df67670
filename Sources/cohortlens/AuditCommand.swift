import ArgumentParser
import CohortLensCore
import Report

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What one audit step hands back: everything the report needs, nothing written yet.
struct AuditStepResult {
  /// The step's JSON (the single command's `--format json` body, without the provenance header).
  var json: [(String, JSONValue)]
  /// Tables written as `tables/<stem>-<name>.csv` (the stem is the step's name made file-safe and
  /// unique, ``AuditReport/tableStems(steps:)``).
  var tables: [(name: AuditTable, csv: String)] = []
  /// Lines for the console summary.
  var summary: [String] = []
  /// Verdicts for the report's summary block (status, what was checked, detail, section anchor).
  var verdicts: [Verdict] = []
  var warnings: [String] = []
  /// The step's sections of the HTML report.
  var sections: [Section] = []
  /// Inputs read (role, path) and their digests, for the audit's provenance.
  var inputs: [(role: String, path: String)] = []
  var digests: [String: String] = [:]
  /// Cluster label per learner id, when the step clustered learners (used by later steps).
  var clusters: [ExactText: Int]? = nil
}

/// The tables an audit step can write (`tables/<stem>-<table>.csv`). A closed set, so that a previous
/// report's tables are recognised by name (``AuditOutputFolder``).
enum AuditTable: String, CaseIterable {
  /// cluster
  case sweep, labels, profiles
  /// fairness (`roc` and `calibration` only when the step has a score)
  case fairness, roc, calibration
  /// explain (`features`: how often each feature is chosen, the report's "features chosen" table)
  case explanations, summary, features, disparity
  case disparityClusters = "disparity-clusters"
}

/// Shared state while an audit runs.
struct AuditContext {
  var progress: Progress
  /// Results of the steps that already ran, by step name.
  var results: [String: AuditStepResult] = [:]
  /// The step being run (its name, title and audit-only settings).
  var step: AuditConfiguration.Step
  /// The configuration's folder: relative paths in audit-only settings start there.
  var baseDirectory: String
  /// The HTML id of the step's section, unique in the report (`step-<slug of the name>`, `-2`, `-3`…
  /// when two step names give one slug, e.g. `pm<` and `pm>`), so verdict links point at their own step.
  var sectionID = "step"
}

/// A command that can run as an audit step.
protocol AuditStep {
  /// Checks the step's audit-only settings against the command's own options, before any work.
  func checkAuditSettings(_ step: AuditConfiguration.Step) throws
  func auditRun(_ context: AuditContext) throws -> AuditStepResult
}

extension AuditStep {
  func checkAuditSettings(_ step: AuditConfiguration.Step) throws {}
}

/// How each step kind is parsed from its arguments (the command's own parser and validation).
struct AuditStepKind {
  var parse: ([String]) throws -> any AuditStep
  var message: (Error) -> String
  /// The command's `--help` text on lines of unlimited width.
  var help: () -> String

  /// The command's options, from the option lines of its help (`  --name <value>  …` or `  --name  …`):
  /// name → whether it takes a value (`false`: a flag). `--help` and `--version` are not options of a step.
  func options() -> [String: Bool] {
    var options: [String: Bool] = [:]
    for line in help().split(separator: "\n") {
      guard let match = line.prefixMatch(of: #/  --([a-z][a-z0-9-]*)( <)?/#) else { continue }
      options[String(match.1)] = match.2 != nil
    }
    options["version"] = nil
    return options
  }
}

/// `cohortlens audit`: one run that audits a course and writes a report folder.
struct AuditCommand: CohortLensCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Audit a course in one run: fairness, kinds of learners, explanations; writes an HTML + JSON report.",
    discussion: """
      Without --config the bundled audit runs on the data shipped in Fixtures/ (the EPFL flipped \
      classroom course, the lecture 12 BiLSTM predictions and the OULAD early-warning engine); \
      Examples/audit/ holds that configuration and a template for your own course. Every step is \
      validated before any work starts, and the report folder appears only when every step has \
      succeeded: --out DIR/report.html, DIR/report.json (schema cohortlens.audit/1) and \
      DIR/tables/<step>-<table>.csv.

      An existing DIR is replaced as a whole only when everything in it was written by a previous \
      audit (report.html, report.json, tables/ holding only that report's tables); otherwise the \
      audit refuses (exit 64) and names the first other entry. With --force the report is written \
      into DIR beside those entries: its own files are replaced one by one, nothing else is deleted \
      or overwritten (an entry the audit did not write at report.html, report.json, tables or one of \
      the tables' names is refused even then). A symbolic link DIR is followed and kept; a file is \
      never replaced.
      """
  )

  @Option(help: ArgumentHelp("Audit configuration (YAML subset or JSON; see Examples/audit/).", valueName: "file"))
  var config: String?

  @Option(help: ArgumentHelp(
    "Report folder to write; an existing folder is replaced only when everything in it is from a previous audit.",
    valueName: "dir"))
  var out: String

  @Option(parsing: .unconditional, help: "Seed for every step that does not set its own (overrides the config's seed; default 0).")
  var seed: UInt32?

  @Option(help: "Console summary format: table or json.")
  var format: AuditConsoleFormat = .table

  @Flag(help: "Write into an --out folder that also holds other files: replace the report's files, keep the others.")
  var force = false

  @Flag(help: "Report progress on stderr even when stderr is not a terminal.")
  var progress = false

  @Flag(help: "Only validate the configuration, the inputs and --out; run no step and write nothing.")
  var check = false

  /// The step kinds an audit knows.
  static var kinds: [String: AuditStepKind] { auditStepKinds() }

  func execute() throws {
    let progress = Progress(forced: self.progress)
    let kinds = Self.kinds
    // 1. Configuration: the user's, or the bundled default.
    let configFile: String
    if let path = config {
      configFile = path
    } else {
      configFile = BundledAudit.configPath(home: try BundledAudit.home())
    }
    // Read once: report.json's digest is of the bytes that were parsed.
    let (node, configBytes) = try ConfigParser.read(
      path: configFile, expecting: "the audit configuration file (YAML or JSON; see Examples/audit/)")
    let base = AuditConfiguration.baseDirectory(ofConfiguration: configFile)
    let options = kinds.mapValues { $0.options() }
    let audit = try AuditConfiguration.load(
      node: node, file: configFile, baseDirectory: base, knownCommands: Set(kinds.keys),
      flags: options.mapValues { Set($0.filter { !$0.value }.keys) })
    // The seed every seeded step runs with unless it sets its own: --seed, else the config's, else 0 (each
    // command's own default), so report.json always states the seed that was used.
    let auditSeed: UInt32 = seed ?? audit.seed ?? 0

    // 2. Validate the output folder and every step before any work.
    let target = try checkOutputFolder(steps: audit.steps.map(\.name))
    var prepared: [(step: AuditConfiguration.Step, command: any AuditStep)] = []
    for step in audit.steps {
      var arguments = step.arguments
      if !arguments.contains("--seed"), stepTakesSeed(step.command) {
        arguments += ["--seed", String(auditSeed)]
      }
      try checkInputs(step, pathsStart: base == AuditConfiguration.directory(of: configFile)
        ? "the configuration's folder" : "the current directory (the configuration was read through a file descriptor)")
      try checkOptionNames(step, known: options[step.command] ?? [:])
      let command: any AuditStep
      do {
        command = try kinds[step.command]!.parse(arguments)
      } catch {
        let message = kinds[step.command]!.message(error)
        throw located(step, message)
      }
      try command.checkAuditSettings(step)
      prepared.append((step, command))
    }
    progress.report("configuration \(configFile): \(prepared.count) step(s) validated")
    if check && format == .json {
      // The same listing as JSON: what would run, with the configuration's provenance.
      let value: JSONValue = .object([
        ("schema", .string("cohortlens.audit-check/1")),
        ("tool", .object([("name", .string("cohortlens")), ("version", .string(CohortLensVersion.string))])),
        ("title", .string(audit.title)),
        ("config", .object([("path", .string(configFile)), ("sha256", .string(SHA256.hex(bytes: configBytes)))])),
        ("seed", .int(Int(auditSeed))),
        ("valid", .bool(true)),
        ("steps", .array(prepared.map { step, _ in
          var fields: [(String, JSONValue)] = [
            ("name", .string(step.name)), ("command", .string(step.command)),
            ("arguments", .array(step.arguments.map { .string($0) })),
          ]
          if step.arguments.contains(where: { $0 == "--model-command" || $0.hasPrefix("--model-command=") }) {
            fields.append(("model_command_directory", .string(base)))
          }
          return .object(fields)
        })),
      ])
      try writeStandardOutput(value.serialized(pretty: true) + "\n", what: "the check", hint: nil)
      return
    }
    if check {
      var lines = ["\(configFile): \(audit.title)"]
      for (step, _) in prepared {
        lines.append("  \(step.name): cohortlens \(step.command) \(step.arguments.map(MessageText.shellWord).joined(separator: " "))")
        if step.arguments.contains(where: { $0 == "--model-command" || $0.hasPrefix("--model-command=") }) {
          lines.append("    (the model worker starts in the configuration's folder \(MessageText.shellWord(base)))")
        }
      }
      lines.append("valid: \(prepared.count) step(s); nothing was run or written")
      try writeStandardOutput(lines.joined(separator: "\n") + "\n", what: "the check", hint: nil)
      return
    }

    // 3. Run the steps in order; the first failure stops the audit before anything is written.
    var context = AuditContext(progress: progress, step: audit.steps[0], baseDirectory: base)
    var results: [(step: AuditConfiguration.Step, result: AuditStepResult)] = []
    var sectionIDs = Set<String>()
    for (step, command) in prepared {
      progress.report("step '\(step.name)' (\(step.command))")
      context.step = step
      let slug = HTMLEscaping.slug("step-" + step.name)
      var id = slug, k = 2
      while !sectionIDs.insert(id).inserted {
        id = "\(slug)-\(k)"
        k += 1
      }
      context.sectionID = id
      do {
        let result = try command.auditRun(context)
        context.results[step.name] = result
        results.append((step, result))
      } catch let error as CohortLensError {
        let mark = Self.configMark(of: error, in: step)
        throw AuditStepError(
          step: step.name, command: step.command, underlying: error,
          location: mark.map { (step.node?.file ?? configFile, $0) })
      }
    }

    // 4. Assemble and write the report folder atomically.
    let report = try AuditReport(
      title: audit.title, configFile: configFile, configDigest: SHA256.hex(bytes: configBytes), seed: auditSeed,
      steps: results)
    // The folder is read again: entries that appeared while the steps ran are kept, never replaced.
    let own = AtomicDirectory.state(of: target) == .nonEmptyDirectory ? AuditOutputFolder(folder: target).own : []
    let aside = try AtomicDirectory.write(report.files(), to: target, replacing: own)
    progress.report("wrote \(out)")
    if let aside {
      printError("cohortlens audit: warning: entries that appeared in '\(out)' while the report was written were kept in '\(aside)'; move them back")
    }
    for (step, result) in results {
      for w in result.warnings { printError("cohortlens audit: \(step.name): warning: \(w)") }
    }
    let text: String
    switch format {
    case .table: text = report.consoleSummary(out: out)
    case .json: text = report.consoleJSON(out: out)
    }
    // The report folder is written: say so, as every number is there.
    try writeStandardOutput(text, what: "the summary", hint: "the report was written to '\(out)'")
  }

  private func stepTakesSeed(_ command: String) -> Bool {
    ["cluster", "fairness", "explain"].contains(command)
  }

  /// An error of the command's own parser or validation, located at the key of the option it is about:
  /// the first option of the step (in file order) that the message names (`--class`, not within
  /// `--class-names`), or whose value it calls unexpected; else at the step's command key.
  private func located(_ step: AuditConfiguration.Step, _ message: String) -> ConfigError {
    var mark = step.mark ?? step.node?.mark
    // In file order, so the location does not depend on dictionary order.
    let ordered = step.optionMarks.sorted { ($0.value.line, $0.value.column) < ($1.value.line, $1.value.column) }
    if let named = ordered.first(where: { Self.mentions(message, option: $0.key) }) {
      mark = named.value
    } else if let value = message.firstMatch(of: #/Unexpected argument '([^']*)'/#).map({ String($0.1) }),
      let key = Self.option(givenValue: value, in: step.arguments), let m = step.optionMarks[key]
    {
      mark = m
    }
    let text = message.replacingOccurrences(of: "Error: ", with: "")
    return ConfigError(
      file: step.node?.file ?? "audit", mark: mark, message: "step '\(step.name)' (\(step.command)): \(text)",
      hint: "options are those of 'cohortlens \(step.command) --help', written without the leading dashes")
  }

  /// Where in the configuration the cause of a step's runtime error was set, when that can be told:
  /// - the option a ``UsageError`` is about (``UsageError/option``, e.g. `k` for a k above the number of
  ///   learners);
  /// - else the first option of the step (in file order) that the message names as `--option`;
  /// - else, for a name the data does not answer (the error's `subject`: a column that is not there or that
  ///   several columns have, a column in both files, a student that is not there), the entry that gave
  ///   that name: the list item
  ///   of `by: [g, x]` (or the option's key for a single value), or the `profile:` setting's `id`,
  ///   `outcome` or `by` entry — the profile's first when the error is about the profile's table.
  /// Nil when the error is about the data alone.
  static func configMark(of error: CohortLensError, in step: AuditConfiguration.Step) -> ConfigMark? {
    if let usage = error as? UsageError, let option = usage.option, let mark = step.optionMarks[option] { return mark }
    let text = error.description
    let ordered = step.optionMarks.sorted { ($0.value.line, $0.value.column) < ($1.value.line, $1.value.column) }
    if let named = ordered.first(where: { mentions(text, option: $0.key) }) { return named.value }
    guard let name = (error as? InputError)?.subject ?? (error as? UsageError)?.subject else { return nil }
    let options = ordered.flatMap { step.optionValueMarks[$0.key] ?? [] }
    let profile = step.settings.profile?.columnMarks ?? []
    let aboutProfile = (error as? InputError).map { $0.file == step.settings.profile?.table } ?? false
    let candidates = aboutProfile ? profile + options : options + profile
    return candidates.first { $0.value == name }?.mark
  }

  /// Whether `text` names the option `--option` (followed by neither a letter, a digit nor `-`).
  static func mentions(_ text: String, option: String) -> Bool {
    let needle = "--" + option
    var rest = Substring(text)
    while let r = rest.firstRange(of: needle) {
      let next = r.upperBound < rest.endIndex ? rest[r.upperBound] : " "
      if !(next.isLetter || next.isNumber || next == "-") { return true }
      rest = rest[r.upperBound...]
    }
    return false
  }

  /// The option whose value in `arguments` is `value` (`--key value` or `--key=value`).
  static func option(givenValue value: String, in arguments: [String]) -> String? {
    for (i, argument) in arguments.enumerated() where argument.hasPrefix("--") {
      if let eq = argument.firstIndex(of: "="), argument[argument.index(after: eq)...] == value {
        return String(argument[argument.index(argument.startIndex, offsetBy: 2)..<eq])
      }
      if i + 1 < arguments.count, arguments[i + 1] == value { return String(argument.dropFirst(2)) }
    }
    return nil
  }

  /// Every option a step sets must be one of its command's options (checked before the command's own
  /// parser, whose validation would otherwise report a consequence of the misspelling first), e.g.
  /// `threshhold: 0.5` → `unknown option 'threshhold' …; did you mean 'threshold'?` at the key.
  private func checkOptionNames(_ step: AuditConfiguration.Step, known: [String: Bool]) throws {
    for (key, mark) in step.optionMarks.sorted(by: { ($0.value.line, $0.value.column) < ($1.value.line, $1.value.column) })
    where known[key] == nil {
      let suggestion = Table.closest(to: key, in: known.keys.sorted()).map { "did you mean '\($0)'? " } ?? ""
      throw ConfigError(
        file: step.node?.file ?? "audit", mark: mark,
        message: "step '\(step.name)' (\(step.command)): unknown option '\(key)' (--\(key))",
        hint: "\(suggestion)options are those of 'cohortlens \(step.command) --help', written without the leading dashes")
    }
  }

  /// Every input path a step names must exist before any work starts.
  /// `pathsStart` names where relative paths start, for the hint.
  private func checkInputs(_ step: AuditConfiguration.Step, pathsStart: String) throws {
    var i = 0
    while i < step.arguments.count {
      let flag = step.arguments[i]
      // `--name path`, or `--name=path` for a path starting with '-'.
      var name = String(flag.dropFirst(2))
      var inline: String?
      if let eq = name.firstIndex(of: "=") {
        inline = String(name[name.index(after: eq)...])
        name = String(name[..<eq])
      }
      if flag.hasPrefix("--"), AuditConfiguration.pathOptions.contains(name), inline != nil || i + 1 < step.arguments.count {
        let path = inline ?? step.arguments[i + 1]
        if let problem = Self.inputProblem(path) {
          throw ConfigError(
            file: step.node?.file ?? "audit", mark: step.optionMarks[name] ?? step.node?.mark,
            message: "step '\(step.name)' (\(step.command)): \(name) '\(path)' \(problem)",
            hint: "name a readable file; paths are relative to \(pathsStart)")
        }
        i += inline == nil ? 2 : 1
      } else {
        i += 1
      }
    }
    // Inputs named by audit-only settings.
    if let profile = step.settings.profile, let problem = Self.inputProblem(profile.table) {
      throw ConfigError(
        file: step.node?.file ?? "audit", mark: profile.tableMark,
        message: "step '\(step.name)' (\(step.command)): profile.table '\(profile.table)' \(problem)",
        hint: "name a readable file; paths are relative to \(pathsStart)")
    }
  }

  /// Why `path` cannot be an input of the audit, or nil: it must be a regular file (a symbolic link is
  /// followed) that this process can read. A folder, a device, a named pipe or a socket is refused —
  /// the audit reads each input and hashes it for report.json, which a pipe could not give twice.
  static func inputProblem(_ path: String) -> String? {
    var st = stat()
    guard stat(path, &st) == 0 else { return "cannot be read (\(String(cString: strerror(errno))))" }
    switch st.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: return "is a folder, not a file"
    default: return "is not a regular file (a device, named pipe or socket)"
    }
    guard access(path, R_OK) == 0 else { return "cannot be read (\(String(cString: strerror(errno))))" }
    return nil
  }

  /// Checks `--out` before any work and returns the folder the report goes to (`--out`, or the
  /// folder a symbolic link `--out` points to). It must be new, an empty folder, or a folder whose
  /// every entry a previous audit wrote (``AuditOutputFolder``); with `--force` it may hold other
  /// entries too, as long as none sits where the report writes (`report.json`, `report.html`,
  /// `tables`, or a table of one of `steps`): those would be overwritten, which even `--force` does not do.
  private func checkOutputFolder(steps: [String]) throws -> String {
    guard let target = AtomicDirectory.followingLink(out) else {
      throw UsageError(
        "--out '\(out)' is a symbolic link to nothing",
        hint: "create the folder it points to, remove the link, or choose another folder")
    }
    let base = target.split(separator: "/").last.map(String.init) ?? ""
    guard !base.isEmpty, base != ".", base != ".." else {
      throw UsageError("--out '\(out)' names no folder the report can be written as", hint: "name a folder such as report/")
    }
    let parent = AuditConfiguration.directory(of: target)
    switch AtomicDirectory.state(of: target) {
    case .missing, .emptyDirectory:
      try checkStaging(in: parent, inside: false)
      // A name longer than the file system allows would only fail when the finished report is moved into place.
      let limit = AtomicFile.nameLimit(ofFolder: parent)
      if base.utf8.count > limit {
        throw OutputError(
          path: out,
          message: "cannot create the report folder: its name is \(base.utf8.count) bytes long, more than the \(limit) bytes a file name may have in '\(parent)'; choose a shorter name")
      }
      return target
    case .notADirectory:
      throw UsageError(
        "--out '\(out)' is a file, not a folder",
        hint: "choose a folder for the report; the file is left as it is, also with --force")
    case .nonEmptyDirectory:
      let folder = AuditOutputFolder(folder: target)
      guard let first = folder.foreign.first else {
        try checkStaging(in: parent, inside: false)
        return target
      }
      let places = AuditReport.tablePaths(steps: steps).union(["report.html", "report.json", "tables"])
      if let taken = folder.foreign.first(where: places.contains) {
        throw UsageError(
          "--out '\(out)' holds '\(taken)', which the audit did not write and whose name the report uses",
          hint: "move '\(taken)' away, or choose another folder; even --force never overwrites files the audit did not write")
      }
      guard force else {
        let more = folder.foreign.count > 1 ? " (and \(folder.foreign.count - 1) more)" : ""
        throw UsageError(
          "--out '\(out)' holds '\(first)'\(more), which the audit did not write; replacing the folder would delete it",
          hint: "choose another folder, remove '\(first)', or pass --force to write the report into the folder and keep it")
      }
      try checkStaging(in: target, inside: true)
      return target
    }
  }

  /// The report is written into a temporary folder in `folder` — beside `--out` (its parent, which
  /// the audit does not create), or inside it when `--force` writes into a folder holding other
  /// entries — so `folder` must be a folder this process can write; checked before any work, so that
  /// the audit does not fail (exit 73) only after every step ran.
  private func checkStaging(in folder: String, inside: Bool) throws {
    let problem: String, hint: String
    switch AtomicDirectory.state(of: folder) {
    case .missing:
      (problem, hint) = ("'\(folder)' does not exist", "create it first (the audit creates the report folder, not its parents) or choose another folder")
    case .notADirectory:
      (problem, hint) = ("'\(folder)' is not a folder", "choose another folder")
    case .emptyDirectory, .nonEmptyDirectory:
      guard access(folder, W_OK | X_OK) != 0 else { return }
      (problem, hint) = ("'\(folder)' cannot be written (\(String(cString: strerror(errno))))", "choose another folder")
    }
    throw OutputError(
      path: out,
      message: (inside ? "cannot write the report into the folder: " : "cannot create the report folder: ") + problem + "; " + hint)
  }
}

enum AuditConsoleFormat: String, KeywordArgument {
  case table, json
}

/// A step failed while the audit ran: names the step and keeps the cause's exit code; when the cause was
/// set in the configuration (a column name, k), starts with that entry's `file:line:column`.
struct AuditStepError: CohortLensError {
  var step: String
  var command: String
  var underlying: CohortLensError
  var location: (file: String, mark: ConfigMark)? = nil
  var exitCode: Int32 { underlying.exitCode }
  var description: String {
    (location.map { "\($0.file):\($0.mark): " } ?? "")
      + "audit step '\(step)' (\(command)) failed, nothing was written: \(underlying.description)"
  }
}

extension String {
  func replacingOccurrences(of target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var out = ""
    var rest = Substring(self)
    while let r = rest.firstRange(of: target) {
      out += rest[..<r.lowerBound]
      out += replacement
      rest = rest[r.upperBound...]
    }
    return out + rest
  }
}
