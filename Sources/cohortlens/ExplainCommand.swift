import ArgumentParser
import Dispatch
import CohortLensCore
import Explanation
import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `cohortlens explain`: LIME explanations (lime 0.2.0.1 semantics) of one student, several, or a
/// whole cohort, for a built-in linear model or a model served by another engine.
struct ExplainCommand: CohortLensCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Why is this student flagged? LIME explanation tables, faithful to lime 0.2.0.1.",
    discussion: """
      LimeTabularExplainer(discretize_continuous=True).explain_instance semantics: quartile bins \
      of the training table (--features), 5000 samples per student drawn bin by bin with a \
      truncated normal inside the bin, kernel exp(-d²/2w²) with w = 0.75·sqrt(features), \
      feature selection (auto: forward selection up to 6 features, else highest weights) and a \
      weighted Ridge (alpha 1) whose coefficients are the weights. The default random stream \
      is per student (seed and id), so results do not depend on who else is explained; \
      --lime-compat reproduces numpy's RandomState in lime's call order (same seed, lime's \
      exact samples). See docs/explain.md and docs/model-bridge.md.

      Examples (from the CohortLens folder; model.pkl stands for a pickled model of your own):
        cohortlens explain --id user --student 7 \\
          --features Fixtures/flipped-classroom/aggregated_fc.csv \\
          --model Fixtures/models/flipped_pass.json
        cohortlens explain --id user --all --format json --output all.json \\
          --features Fixtures/flipped-classroom/aggregated_fc.csv \\
          --columns sessions,time_in_problem,submissions \\
          --model-command "python3 Examples/engines/sklearn_worker.py model.pkl"
      """
  )

  @Option(help: ArgumentHelp("Training table (CSV, one student per row): statistics, bins and the students to explain.", valueName: "file"))
  var features: String

  @Option(help: ArgumentHelp("Column holding the student id.", valueName: "column"))
  var id: String

  @Option(help: ArgumentHelp("Feature columns, comma-separated, in the model's order (default: the model file's features, else every numeric column except --id).", valueName: "a,b,c"))
  var columns: String?

  @Option(help: ArgumentHelp("Columns to leave out of the default feature list, comma-separated.", valueName: "a,b"))
  var exclude: String?

  @Option(help: ArgumentHelp("Built-in model (JSON: logistic or linear, optional scaler; docs/model-bridge.md).", valueName: "file.json"))
  var model: String?

  @Option(name: .customLong("model-command"), help: ArgumentHelp("Worker serving the model over binary frames on stdin/stdout, started once (argv split, no shell).", valueName: "command"))
  var modelCommand: String?

  @Option(help: ArgumentHelp("Student id(s) to explain, comma-separated.", valueName: "id[,id…]"))
  var student: String?

  @Flag(help: "Explain every student of --features.")
  var all = false

  @Option(name: .customLong("class"), help: ArgumentHelp("Class to explain: index or name (default: class 1, as lime's labels=(1,)).", valueName: "c"))
  var classChoice: String?

  @Option(name: .customLong("class-names"), help: ArgumentHelp("Names of the model's classes in output order, comma-separated.", valueName: "a,b"))
  var classNames: String?

  @Option(name: .customLong("num-features"), parsing: .unconditional, help: ArgumentHelp(
    "Features per explanation (default 10; with fewer feature columns, all of them, as lime does).", valueName: "n"))
  var requestedFeatures: Int?

  @Option(name: .customLong("num-samples"), parsing: .unconditional, help: "Neighbourhood size per student (including the student).")
  var numSamples: Int = 5000

  @Option(help: "Discretizer: quartile, decile or none (Gaussian sampling, no bins).")
  var discretizer: DiscretizerKind = .quartile

  @Option(name: .customLong("feature-selection"), help: "auto (forward if --num-features ≤ 6, else highest-weights), forward, highest-weights or none.")
  var featureSelection: FeatureSelection = .auto

  @Option(name: .customLong("kernel-width"), parsing: .unconditional, help: ArgumentHelp("Kernel width (default 0.75·sqrt(number of features)).", valueName: "w"))
  var kernelWidth: Double?

  @Option(parsing: .unconditional, help: "Seed of the random streams.")
  var seed: UInt32 = 0

  @Flag(name: .customLong("lime-compat"), help: "Reproduce lime's numpy RandomState draws (one stream over the students in order; lime's zero-feeding of tied bins).")
  var limeCompat = false

  @Option(parsing: .unconditional, help: ArgumentHelp("Repeat with R seeds (seed, seed+1, …) and report VSI, CSI, selection frequency and sign agreement.", valueName: "R"))
  var stability: Int?

  @Option(name: .customLong("group-weeks"), help: ArgumentHelp("Regex splitting feature names into (feature, week); group 1 = week, e.g. '_InWeek(\\d+)$'.", valueName: "regex"))
  var groupWeeks: String?

  @Option(help: ArgumentHelp("Table with a group attribute per student (joined on --id) for explanation disparity.", valueName: "file"))
  var groups: String?

  @Option(help: ArgumentHelp("Group column of --groups (e.g. gender).", valueName: "attribute"))
  var by: String?

  @Option(parsing: .unconditional, help: "Students per model request.")
  var batch: Int = 4

  @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to wait for each answer of --model-command.", valueName: "s"))
  var timeout: Double = 60

  @Option(parsing: .unconditional, help: "Threads for sampling and fitting (results do not depend on it).")
  var threads: Int = 2

  @Flag(help: "Report CohortLens's own time and the model's time on stderr.")
  var timing = false

  @OptionGroup var out: OutputOptions

  func validate() throws {
    if (model == nil) == (modelCommand == nil) {
      throw ValidationError("give exactly one of --model FILE.json and --model-command CMD")
    }
    if (student == nil) == !all { throw ValidationError("give exactly one of --student ID[,ID…] and --all") }
    if let n = requestedFeatures, n < 1 { throw ValidationError("--num-features must be at least 1") }
    if numSamples < 2 { throw ValidationError("--num-samples must be at least 2") }
    if let w = kernelWidth, let problem = LimeExplainer.kernelWidthProblem(w) {
      throw ValidationError(problem + "; use a width of at least 2.3e-162 (default 0.75·√(number of features))")
    }
    if let r = stability, r < 1 { throw ValidationError("--stability must be at least 1") }
    if batch < 1 { throw ValidationError("--batch must be at least 1") }
    if threads < 1 { throw ValidationError("--threads must be at least 1") }
    if !(timeout > 0 && timeout.isFinite) { throw ValidationError("--timeout must be a positive number of seconds") }
    if (groups == nil) != (by == nil) { throw ValidationError("--groups FILE and --by ATTRIBUTE go together") }
  }

  /// Everything one explain run produces, before anything is written.
  struct Run {
    var report: ExplainReport
    var warnings: [String]
    var inputs: [(role: String, path: String)]
    var digests: [String: String]
    /// The `--timing` figures, when asked for.
    var timing: ExplainTiming?
  }

  func execute() throws {
    let progress = Progress(forced: out.progress)
    let run = try compute(progress: progress, wantsJSON: out.format == .json)
    for w in run.warnings + csvOmissions { printError("cohortlens explain: warning: \(w)") }
    try emit(run.report.render(out.format), options: out)
    // After the output is written: the line counts everything this process did.
    if let t = run.timing { printError(t.line(processCPU: processCPUSeconds())) }
    progress.report("done")
  }

  /// Reads the inputs, runs the model and the explainer; writes nothing. `workerDirectory` is the
  /// working directory of the `--model-command` worker (the audit's configuration folder); without
  /// it the worker starts in this process's working directory.
  func compute(progress: Progress, wantsJSON: Bool, workerDirectory: String? = nil) throws -> Run {
    var warnings: [String] = []
    var digests: [String: String] = [:]
    var inputs: [(role: String, path: String)] = [(role: "features", path: features)]

    // Model file first: its feature list is the default column list.
    var linear: LinearModel?
    if let path = model {
      inputs.append((role: "model", path: path))
      // Read as the CSV inputs are (a folder or a read error is an error, never an empty model).
      let text = String(decoding: try FileIO.readAll(path: path, expecting: "the model's JSON file (docs/model-bridge.md)"), as: UTF8.self)
      do { linear = try LinearModel(json: text) } catch let e as ModelError {
        throw InputError(file: path, line: e.line, column: e.line == nil ? nil : e.column, message: e.message,
                         hint: e.hint ?? "see docs/model-bridge.md for the format")
      }
    }

    if let m = linear, let path = model {
      for k in m.unknownKeys {
        warnings.append("\(path):\(k.line):\(k.column): unknown key \(MessageText.quoted(k.key)) ignored (a model file has \(LinearModel.jsonKeys.joined(separator: ", ")); scaler: mean, scale)")
      }
    }
    progress.report("reading \(features)")
    let table = try Table.read(path: features, digest: wantsJSON)
    if let h = table.sha256 { digests[features] = h }
    if table.rowCount < 2 {
      throw InputError(file: features, line: table.headerLine,
        message: "the table has \(table.rowCount) data row\(table.rowCount == 1 ? "" : "s"); LIME needs at least 2 for its statistics",
        hint: "use the whole cohort as --features")
    }
    let ids = try table.ids(id)
    if let w = IdSpelling.lookalikeWarning(ids, column: id) { warnings.append(w) }
    var names: [String]
    // The model file's feature names must be headers (no #N); as the table names them.
    let modelFeatures: [String]? = try linear.map { m in
      try m.features.map { c in
        do { return table.displayName(ofColumn: try table.columnIndex(c, byPosition: false)) } catch let e as InputError {
          throw InputError(file: e.file, line: e.line, message: "the model's feature \(MessageText.quoted(c)) is not a column of \(features)",
                           hint: e.hint)
        }
      }
    }
    if let list = columns {
      names = try resolvedColumns(try splitColumnList(list, option: "--columns"), in: table, option: "--columns")
      if names.isEmpty { throw UsageError("--columns names no column") }
    } else if let modelFeatures {
      names = modelFeatures
    } else {
      let chosen = try defaultFeatureColumns(table, excluding: Set([id]))
      names = chosen.columns
      warnings.append(contentsOf: leftOutColumnWarnings(skipped: chosen.skipped, unnamed: chosen.unnamed))
    }
    if let ex = exclude {
      // By the column each name selects (`#2`, ` grade`), not by the text.
      let drop = Set(try splitList(ex).map { try table.columnIndex($0) })
      names.removeAll { drop.contains(table.findColumn($0) ?? -1) }
    }
    if names.isEmpty { throw UsageError("no feature columns left", hint: "name them with --columns") }
    if let m = linear, let modelFeatures, modelFeatures != names {
      throw UsageError("the model's features (\(m.features.joined(separator: ","))) differ from the chosen columns (\(names.joined(separator: ",")))",
                       hint: "give --columns in the model's order, or drop --columns/--exclude")
    }
    if let n = requestedFeatures, n > names.count {
      throw UsageError("--num-features \(n) is more than the \(names.count) feature columns",
                       hint: "choose --num-features 1...\(names.count)")
    }
    // The default, 10, is capped at the number of columns. lime does the same with
    // num_features=10 (its `auto` selection then chooses highest weights, since 10 > 6), so
    // `auto` is resolved against the requested 10, not the capped count.
    let numFeatures = min(requestedFeatures ?? 10, names.count)
    var featureSelection = featureSelection
    if requestedFeatures == nil, featureSelection == .auto, numFeatures < 10 {
      featureSelection = .highestWeights
    }
    let matrix = try table.numericMatrix(
      columns: names, missing: .error,
      missingHint: "fill the cells, or leave the columns out with --columns or --exclude (LIME's statistics and its model need every feature of every learner)")
    let p = names.count
    // Students.
    var index: [ExactText: Int] = [:]
    index.reserveCapacity(ids.count)
    for (i, s) in ids.enumerated() { index[ExactText(s)] = i }
    var chosen: [Int] = []
    if all {
      chosen = Array(ids.indices)
    } else {
      var listed: Set<Int> = []
      for s in splitList(student ?? "") {
        // The id as written; else the one id written with blanks around it (`--student` values are trimmed, so
        // an id exported as ' 5' could not be named otherwise), as column names are matched.
        var found = index[ExactText(s)]
        if found == nil {
          let blanked = ids.indices.filter { Table.trimmedBlanks(ids[$0]) == s }
          if blanked.count == 1 { found = blanked[0] }
        }
        guard let i = found else {
          // An id written differently ('005' for '5', '5.0') is named rather than left among the closest ids.
          let key = IdSpelling.key(s)
          let written = ids.filter { IdSpelling.key($0) == key }.prefix(3)
          throw InputError(file: features, message: "no student \(MessageText.quoted(s)) in column \(MessageText.quoted(id))",
                           hint: written.isEmpty
                             ? "closest ids: \(closestIds(s, ids).map { MessageText.quoted($0) }.joined(separator: ", "))"
                             : "the table writes it \(written.map { MessageText.quoted($0) }.joined(separator: " or ")) (ids are compared exactly as written); give --student \(MessageText.quoted(written.first!))",
                           subject: s)
        }
        // Twice the same id would give two explanations under one name (different ones with --lime-compat, whose
        // stream runs on): refused rather than reported ambiguously.
        guard listed.insert(i).inserted else {
          throw UsageError("--student lists \(MessageText.quoted(s)) twice",
                           hint: "name each student once (--stability R repeats the explanations with R seeds)")
        }
        chosen.append(i)
      }
      if chosen.isEmpty { throw UsageError("--student names no id") }
    }
    try checkNeighbourhoodSize(features: p, students: chosen.count)

    // Classes.
    var classLabels: [String]? = classNames.map(splitList) ?? linear?.classes
    if let m = linear, let given = classNames.map(splitList), given.count != m.outputCount! {
      throw UsageError("--class-names lists \(given.count) names but the model has \(m.outputCount!) outputs")
    }
    let outputs: Int? = linear?.outputCount ?? classNames.map { splitList($0).count }
    if linear?.kind == .linear { classLabels = classLabels ?? ["value"] }
    var label = (outputs ?? 2) >= 2 ? 1 : 0
    if let c = classChoice {
      if let k = Int(c) {
        label = k
      } else if let k = classLabels?.firstIndex(of: c) {
        label = k
      } else {
        throw UsageError("--class \(MessageText.quoted(c)) is neither an index nor a class name",
                         hint: classLabels.map { "class names: \($0.joined(separator: ", "))" } ?? "give --class-names")
      }
    }
    if let o = outputs, !(0..<o).contains(label) {
      throw UsageError(
        "--class \(label) does not exist: the model has \(o) output\(o == 1 ? "" : "s")\(linear?.kind == .linear ? " (a linear model's one prediction)" : "")",
        hint: o == 1 ? "leave out --class" : "choose 0...\(o - 1)")
    }

    var options = LimeOptions()
    options.numFeatures = numFeatures
    options.numSamples = numSamples
    options.discretizer = discretizer
    options.kernelWidth = kernelWidth
    options.featureSelection = featureSelection
    options.seed = seed
    options.randomMode = limeCompat ? .limeCompat : .perStudent
    let explainer: LimeExplainer
    do {
      explainer = try LimeExplainer(training: matrix.values, rows: matrix.rowCount, featureNames: names, options: options)
    } catch let e as ExplanationError {
      let at = e.feature.flatMap { table.findColumn(names[$0]) }.map { table.headerLocation(column: $0) }
      throw InputError(file: features, line: at?.line ?? table.headerLine, column: at?.column, message: e.message, hint: e.hint)
    }
    if !explainer.constantFeatures.isEmpty {
      let list = explainer.constantFeatures.map { MessageText.quoted($0) }.joined(separator: ", ")
      warnings.append(
        discretizer == .none
          ? "\(list) \(explainer.constantFeatures.count == 1 ? "has" : "have") one value in every row: as lime (scikit-learn's StandardScaler gives a constant column scale 1), samples vary \(explainer.constantFeatures.count == 1 ? "it" : "them") by N(0, 1) around that value"
          : "\(list) \(explainer.constantFeatures.count == 1 ? "has" : "have") one value in every row: every sample keeps the student's bin, so \(explainer.constantFeatures.count == 1 ? "its" : "their") weight is 0")
    }
    let weekGrouping: WeekGrouping?
    do { weekGrouping = try groupWeeks.map { try WeekGrouping(pattern: $0) } } catch let e as ExplanationError {
      throw UsageError(e.message, hint: e.hint)
    }
    if let g = weekGrouping, !names.contains(where: { g.split($0) != nil }) {
      throw UsageError("--group-weeks '\(g.pattern)' matches none of the feature names (e.g. '\(names[0])')",
                       hint: "the first capture group must be the week number, e.g. '_InWeek(\\d+)$'")
    }
    var groupOf: [String?]?
    if let gPath = groups, let attribute = by {
      inputs.append((role: "groups", path: gPath))
      let gt = try Table.read(path: gPath, digest: wantsJSON)
      if let h = gt.sha256 { digests[gPath] = h }
      let gids = try gt.ids(id)
      let values = try gt.strings(attribute)
      var row: [ExactText: Int] = [:]
      for (i, s) in gids.enumerated() { row[ExactText(s)] = i }
      groupOf = chosen.map { c in row[ExactText(ids[c])].flatMap { values[$0] } }
      // The join reported both ways, naming ids as fairness does: explained students without a row in the groups
      // file, or with a row but no value, and rows of the groups file that match no student of the table.
      func examples(_ list: [String]) -> String { list.prefix(5).map { MessageText.excerpt($0) }.joined(separator: ", ") }
      let noRow = chosen.filter { row[ExactText(ids[$0])] == nil }.map { ids[$0] }
      let noValue = chosen.filter { c in row[ExactText(ids[c])].map { values[$0] == nil } ?? false }.map { ids[$0] }
      if !noRow.isEmpty {
        // Ids that would have matched once written alike ('007' and '7') are named.
        let known = Set(ids.map(ExactText.init))
        let respelled = IdSpelling.note(unmatched: noRow, others: gids.filter { !known.contains(ExactText($0)) }, otherFile: gPath)
        warnings.append("\(noRow.count) of \(chosen.count) explained student(s) have no \(MessageText.quoted(id)) in \(gPath) (e.g. \(examples(noRow))); left out of the disparity table"
          + (respelled.map { " — " + $0 } ?? ""))
      }
      if !noValue.isEmpty {
        warnings.append("\(noValue.count) of \(chosen.count) explained student(s) have no \(MessageText.quoted(attribute)) value in \(gPath) (e.g. \(examples(noValue))); left out of the disparity table")
      }
      let known = Set(ids.map(ExactText.init))
      let strangers = gids.filter { !known.contains(ExactText($0)) }
      if !strangers.isEmpty {
        warnings.append("\(strangers.count) of \(gids.count) row(s) of \(gPath) have no student in \(features) (e.g. \(examples(strangers)))")
      }
    }

    let model: any ProbabilityModel
    var worker: WorkerModel?
    if let m = linear {
      model = m
    } else {
      let w = try WorkerModel(command: modelCommand!, timeout: timeout, expectedOutputs: outputs, directory: workerDirectory)
      worker = w
      model = w
    }
    defer { worker?.shutdown() }

    BLASThreads.set(1)
    let students = chosen.map { i in (id: ids[i], row: Array(matrix.values[(i * p)..<((i + 1) * p)])) }
    let runsCount = stability ?? 1
    var runs: [ExplanationRun] = []
    for r in 0..<runsCount {
      let total = students.count
      let runLabel = runsCount > 1 ? " (run \(r + 1)/\(runsCount))" : ""
      progress.report("explaining \(total) student\(total == 1 ? "" : "s")\(runLabel)")
      var callback: (@Sendable (Int, Int) -> Void)?
      if progress.enabled && total > batch {
        let start = progress.start.uptimeNanoseconds
        callback = { done, all in
          let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
          let width = 30, filled = all > 0 ? done * width / all : width
          let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
          writeAll("cohortlens [\(NumberFormatting.fixed(seconds, decimals: 3)) s]: [\(bar)] \(done)/\(all) students\(runLabel)\n", to: STDERR_FILENO)
        }
      }
      do {
        let run = try explainer.explain(
          students: students, model: model, label: label, batchSize: batch, threads: threads,
          seed: seed &+ UInt32(r), progress: callback)
        runs.append(run)
      } catch let e as ModelError {
        worker?.shutdown()
        throw ModelFailure(source: modelCommand ?? modelPath, message: e.message, hint: e.hint)
      } catch let e as ExplanationError {
        throw UsageError(e.message, hint: e.hint)
      }
    }
    // A worker that wrote anything after its last answer is refused like one that does so between requests.
    do {
      try worker?.finish()
    } catch let e as ModelError {
      throw ModelFailure(source: modelCommand ?? modelPath, message: e.message, hint: e.hint)
    }
    let main = runs[0]
    // lime warns when `np.allclose(sums, 1)` fails: |sum − 1| > 1e-8 + 1e-5·1.
    if main.maxProbabilitySumDeviation > 1e-8 + 1e-5 {
      warnings.append("the model's probabilities do not sum to 1 (largest deviation \(NumberFormatting.significant(main.maxProbabilitySumDeviation, digits: 3)))")
    }
    let zeroFed = main.explanations.reduce(0) { $0 + $1.zeroFedValues }
    if zeroFed > 0 {
      warnings.append("--lime-compat: as lime, \(zeroFed) sampled value(s) in bins whose min equals max were fed to the model as 0 instead of the tied value (docs/explain.md)")
    }
    let timingFigures = timing ? ExplainTiming(runs: runs, batch: batch, threads: threads, worker: modelCommand != nil) : nil

    var parameters: [(String, JSONValue)] = [
      ("features", .string(features)), ("id", .string(id)), ("columns", .array(names.map { .string($0) })),
    ]
    parameters.append(("model", modelPath.isEmpty ? .null : .string(modelPath)))
    parameters.append(("model_command", modelCommand.map { .string($0) } ?? .null))
    if let dir = workerDirectory, modelCommand != nil { parameters.append(("model_command_directory", .string(dir))) }
    parameters.append(("students", all ? .string("all") : .array(students.map { .string($0.id) })))
    parameters.append(("class", .int(label)))
    parameters.append(("class_names", classLabels.map { .array($0.map { .string($0) }) } ?? .null))
    parameters.append(("num_features", .int(numFeatures)))
    parameters.append(("num_samples", .int(numSamples)))
    parameters.append(("discretizer", .string(discretizer.rawValue)))
    parameters.append(("feature_selection", .string(featureSelection.rawValue)))
    parameters.append(("kernel_width", .double(explainer.kernelWidth)))
    parameters.append(("random_mode", .string(options.randomMode.rawValue)))
    parameters.append(("stability", stability.map { .int($0) } ?? .null))
    parameters.append(("group_weeks", groupWeeks.map { .string($0) } ?? .null))
    parameters.append(("groups", groups.map { .string($0) } ?? .null))
    parameters.append(("by", by.map { .string($0) } ?? .null))

    let report = ExplainReport(
      explanations: main.explanations, className: classLabels.map { $0.indices.contains(label) ? $0[label] : String(label) } ?? String(label),
      discretized: discretizer != .none, numFeatures: numFeatures,
      stability: stability.map { _ in
        (0..<students.count).map { k in StabilityReport(student: students[k].id, runs: runs.map { $0.explanations[k] }, numFeatures: numFeatures) }
      },
      weeks: weekGrouping, disparity: groupOf.map { GroupDisparity(explanations: main.explanations, groups: $0) },
      groupAttribute: by, warnings: warnings,
      header: wantsJSON ? try provenance(command: "explain", parameters: parameters, seed: seed, inputs: inputs, digests: digests) : [],
      sampleCount: numSamples, outputIsProbability: linear?.kind != .linear)
    return Run(report: report, warnings: warnings, inputs: inputs, digests: digests, timing: timingFigures)
  }

  private var modelPath: String { model ?? "" }

  /// The CSV is the one long explanation table: the stability, week and disparity tables asked for are not in
  /// it, which the user is told (with where to find them) rather than left to notice.
  var csvOmissions: [String] {
    guard out.format == .csv else { return [] }
    let asked = [(stability != nil, "--stability"), (groupWeeks != nil, "--group-weeks"), (groups != nil, "--groups")]
      .filter(\.0).map(\.1)
    guard !asked.isEmpty else { return [] }
    return ["--format csv holds the explanation table only; the \(asked.joined(separator: ", ")) result\(asked.count == 1 ? " is" : "s are") in --format json (also table and markdown)"]
  }
}

/// What `--timing` prints: CohortLens's own CPU split into a fixed part and a per-explanation part,
/// and the model's time separately.
struct ExplainTiming {
  var runs: [ExplanationRun]
  var batch: Int
  var threads: Int
  /// A `--model-command` worker (its first request includes its start-up).
  var worker: Bool

  /// The line, given the process CPU seconds since start-up (taken after the output is written).
  ///
  /// own CPU = all process CPU (every thread, from start-up to now) minus the CPU spent inside the
  /// model's `predict` calls; per explanation = the CPU of sampling and fitting (the batches) / count;
  /// fixed = own − per-explanation work (start-up, argument parsing, reading and parsing the CSV,
  /// training statistics, rendering and writing the output).
  func line(processCPU: Double) -> String {
    let count = runs.reduce(0) { $0 + $1.explanations.count }
    let modelCPU = runs.reduce(0) { $0 + $1.modelCPUSeconds }
    let work = runs.reduce(0) { $0 + $1.ownCPUSeconds }
    let sampling = runs.reduce(0) { $0 + $1.samplingCPUSeconds }
    let own = processCPU - modelCPU
    let fixed = Swift.max(0, own - work)
    let wall = runs.reduce(0) { $0 + $1.ownSeconds }, modelWall = runs.reduce(0) { $0 + $1.modelSeconds }
    func ms(_ s: Double) -> String { NumberFormatting.fixed(s * 1000, decimals: 1) }
    let each = Double(Swift.max(count, 1))
    return "cohortlens explain: timing: \(count) explanation(s); own CPU \(ms(own)) ms = fixed \(ms(fixed)) ms "
      + "(start-up, CSV, statistics, output) + \(ms(work / each)) ms per explanation "
      + "(sampling \(ms(sampling / each)), fitting \(ms((work - sampling) / each))), \(ms(own / each)) ms each in all; "
      + "sampling and fitting wall \(NumberFormatting.fixed(wall, decimals: 3)) s on \(threads) thread(s); "
      + "model \(NumberFormatting.fixed(modelWall, decimals: 3)) s wall (\(ms(modelCPU)) ms CPU in this process) in "
      + "\(runs.reduce(0) { $0 + $1.requests }) request(s)\(worker ? firstRequestNote(runs, batch: batch) : "")"
  }
}

/// "; first request X s (includes the worker's start-up), later requests Y ms per explanation".
func firstRequestNote(_ runs: [ExplanationRun], batch: Int) -> String {
  let times = runs.flatMap(\.requestSeconds)
  guard let first = times.first, times.count > 1, let run = runs.first else { return "" }
  let later = runs.reduce(0) { $0 + $1.explanations.count } - min(batch, run.explanations.count)
  let rest = times.dropFirst().reduce(0, +)
  var note = "; first request \(NumberFormatting.fixed(first, decimals: 3)) s (includes a worker's start-up)"
  if later > 0 { note += ", later requests \(NumberFormatting.fixed(rest / Double(later) * 1000, decimals: 1)) ms per explanation" }
  return note
}

extension DiscretizerKind: KeywordArgument {
  public init?(argument: String) { self.init(keywordArgument: argument) }
}
extension FeatureSelection: KeywordArgument {
  public init?(argument: String) { self.init(keywordArgument: argument) }
}

/// The model answered something unusable (exit 65).
struct ModelFailure: CohortLensError {
  var source: String
  var message: String
  var hint: String?
  var exitCode: Int32 { 65 }
  var description: String {
    let text = message.contains(source) ? message : "model '\(source)': \(message)"
    return hint.map { "\(text); \($0)" } ?? text
  }
}

/// Up to 5 ids closest to `s`: prefix matches first, then by edit distance.
func closestIds(_ s: String, _ ids: [String]) -> [String] {
  func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = prev
    for i in 1...a.count {
      cur[0] = i
      for j in 1...b.count {
        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&prev, &cur)
    }
    return prev[b.count]
  }
  let target = Array(s)
  return ids.enumerated().map { (k, id) in (id: id, d: distance(target, Array(id)), k: k) }
    .sorted { $0.d != $1.d ? $0.d < $1.d : $0.k < $1.k }.prefix(5).map(\.id)
}

extension ExplainCommand {
  var inputFiles: [(flag: String, path: String?)] { [("--features", features), ("--model", model), ("--groups", groups)] }
  var outputFiles: [(flag: String, path: String?)] { [("--output", out.output)] }
}

extension ExplainCommand {
  /// Refuses, before any work, a `--num-samples` whose neighbourhoods cannot fit in memory (the allocation used
  /// to abort) or in a worker frame. Up to `min(--batch, students)` students (times `--stability` runs) are
  /// sampled together, each neighbourhood holding `--num-samples` rows of `features` values plus distances,
  /// weights and answers — measured at about `features + 8` doubles per sample, and `2·features + 8` with a
  /// worker (the request frame is a second copy); a worker frame counts its rows in 32 bits.
  func checkNeighbourhoodSize(features p: Int, students: Int) throws {
    let together = Swift.max(1, Swift.min(batch, students)) * Swift.max(1, stability ?? 1)
    let worker = modelCommand != nil
    let (rows, o1) = together.multipliedReportingOverflow(by: numSamples)
    if worker && (o1 || rows > Int(UInt32.max)) {
      throw UsageError(
        "--num-samples \(numSamples) gives requests of \(o1 ? "more than \(Int.max)" : String(rows)) rows (\(together) neighbourhood(s) per request), more than a model worker's frame can hold (\(UInt32.max) rows)",
        hint: "use fewer samples (lime's default is 5000) or a smaller --batch")
    }
    let (perSample, o2) = (worker ? 2 * p + 8 : p + 8).multipliedReportingOverflow(by: 8)
    let (bytes, o3) = rows.multipliedReportingOverflow(by: perSample)
    let budget = MemoryBudget.defaultBudget()
    if o1 || o2 || o3 || !budget.allows(bytes: bytes) {
      let need = o1 || o2 || o3 ? "more than 8 EiB" : "about \(MemoryBudget.formatBytes(bytes))"
      throw UsageError(
        "--num-samples \(numSamples) needs \(need) for the neighbourhoods sampled together (\(together) × \(numSamples) samples × \(worker ? "(2·\(p) + 8)" : "(\(p) + 8)") doubles), more than the memory limit \(MemoryBudget.formatBytes(budget.limit)) (\(budget.origin))",
        hint: "use fewer samples (lime's default is 5000)" + (together > 1 ? " or a smaller --batch" : ""))
    }
  }
}
