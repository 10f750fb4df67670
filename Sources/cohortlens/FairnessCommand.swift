import ArgumentParser
import CohortLensCore
import Fairness
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `cohortlens fairness`: group-fairness audit of another engine's predictions.
struct FairnessCommand: CohortLensCommand {
  static let configuration = CommandConfiguration(
    commandName: "fairness",
    abstract: "Fairness audit of model predictions by demographic group, with intervals and verdicts.",
    discussion: """
      Per group: n, TP, FP, TN, FN and every rate (selection rate, TPR, FPR, FNR, TNR, PPV, NPV, \
      accuracy, base rate) with numerator/denominator and a Wilson interval; a zero denominator is \
      reported as undefined with its reason, never as 0. With --score also AUC, Brier, ECE, ROC \
      points, reliability tables and ABROCA against the reference group (permutation p-value, Holm). \
      Criteria: demographic parity, equalized odds (worst and mean), equal opportunity, predictive \
      value parity, accuracy parity, each with difference, ratio, a bootstrap interval (multinomial \
      resampling of the count table, seeded) and a verdict PASS/FAIL/INCONCLUSIVE/UNDEFINED against \
      the tolerance band. Groups with n < --min-group-size are suppressed everywhere.

      Column names may be prefixed with the file stem (demographics.grade) when both files have \
      them; an unnamed column is addressed as #N (1-based position).

      Examples (from the CohortLens folder):
        cohortlens fairness --join row --by gender \\
          --predictions Fixtures/flipped-classroom/model_predictions.csv \\
          --groups Fixtures/flipped-classroom/demographics.csv \\
          --label demographics.grade --positive '>=4' \\
          --prediction model_predictions.grade --predicted-positive '<0.5'
        cohortlens fairness --join row --label at_risk --positive 1 \\
          --predictions Fixtures/oulad/early_warning_predictions.csv \\
          --groups Fixtures/oulad/studentInfo.csv --score score \\
          --threshold 0.5 --by gender,age_band --intersect --fail-on fail
      """
  )

  @Option(help: ArgumentHelp("CSV with the engine's predictions (one row per learner).", valueName: "file"))
  var predictions: String

  @Option(help: ArgumentHelp("CSV with learner demographics, joined with --id or --join row.", valueName: "file"))
  var groups: String?

  @Option(help: ArgumentHelp("Id column present in both files (joined on it; duplicates are an error).", valueName: "column"))
  var id: String?

  @Option(help: ArgumentHelp("'row' aligns --groups with --predictions row by row (equal row counts required).", valueName: "row"), transform: { keyword($0, among: ["row"]) ?? $0 })
  var join: String?

  @Option(help: ArgumentHelp("Column with the true outcome.", valueName: "column"))
  var label: String

  @Option(parsing: .unconditional, help: ArgumentHelp("Positive class: a value (pass, Withdrawn, 1) or a comparison on a numeric column ('>=4', '<0.5').", valueName: "value"))
  var positive: String

  @Option(parsing: .unconditional, help: ArgumentHelp("Declared negative values of a value --positive, comma-separated; any other non-positive value is an error (default: the one other value). Not with a comparison --positive.", valueName: "a,b"))
  var negative: String?

  @Option(help: ArgumentHelp("Column with the predicted class.", valueName: "column"))
  var prediction: String?

  @Option(name: .customLong("predicted-positive"), parsing: .unconditional, help: ArgumentHelp("Positive class of --prediction (value or comparison; default: as --positive). Only with --prediction.", valueName: "value"))
  var predictedPositive: String?

  @Option(help: ArgumentHelp("Column with model scores (AUC, Brier, ECE, ROC, ABROCA; with --threshold also the predicted class).", valueName: "column"))
  var score: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("Score threshold: a finite number (score >= T is positive; score < T with --lower-is-positive) or 'prevalence' (the positive base rate).", valueName: "T"), transform: { keyword($0, among: ["prevalence"]) ?? $0 })
  var threshold: String?

  @Flag(name: .customLong("lower-is-positive"), help: "Lower scores mean the positive class.")
  var lowerIsPositive = false

  @Option(help: ArgumentHelp("Sensitive attribute column(s), comma-separated; each is audited.", valueName: "a,b"))
  var by: String

  @Flag(help: "Also audit the intersection of all --by attributes.")
  var intersect = false

  @Option(help: ArgumentHelp("Run the audit within each value of this column too (e.g. course_week), plus pooled.", valueName: "column"))
  var stratify: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("between-groups (max-min, min/max, as fairlearn), largest (each group vs the largest) or a GROUP name as reference (a name starting with '-', such as -1, is taken as written).", valueName: "mode"))
  var compare: String = "between-groups"

  @Option(parsing: .unconditional, help: ArgumentHelp("Ratio tolerance: PASS needs the ratio interval inside [t, 1/t] (default 0.8; t > 1 gives [1/t, t]).", valueName: "t"))
  var tolerance: Double?

  @Option(name: .customLong("max-difference"), parsing: .unconditional, help: ArgumentHelp("Judge the difference instead: PASS needs |difference| <= E over the interval.", valueName: "E"))
  var maxDifference: Double?

  @Option(name: .customLong("min-group-size"), parsing: .unconditional, help: "Groups with fewer rows are suppressed in every output and left out of criteria.")
  var minGroupSize: Int = 10

  @Option(parsing: .unconditional, help: "Level of Wilson and bootstrap intervals.")
  var confidence: Double = 0.95

  @Option(parsing: .unconditional, help: "Bootstrap replicates (multinomial over the count table; 0 = verdict from the point estimate).")
  var bootstrap: Int = 1000

  @Option(parsing: .unconditional, help: "Permutations for the ABROCA p-values (0 = none).")
  var permutations: Int = 1000

  @Option(parsing: .unconditional, help: "Seed (NumPy RandomState semantics; same input and seed give identical output).")
  var seed: UInt32 = 0

  @Option(help: "Rows with a missing sensitive value: group (an explicit '(missing)' group), drop or fail.")
  var missing: MissingChoice = .group

  @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 3 when a verdict is FAIL (fail) or FAIL or INCONCLUSIVE (inconclusive); with --compare largest|GROUP every group's own verdict counts too.", valueName: "level"))
  var failOn: FailOn?

  @OptionGroup var output: OutputOptions

  enum MissingChoice: String, KeywordArgument { case group, drop, fail }
  enum FailOn: String, KeywordArgument { case fail, inconclusive }

  func validate() throws {
    if let j = join, j != "row" { throw ValidationError("--join accepts only 'row'") }
    if groups != nil && id == nil && join == nil { throw ValidationError("with --groups give --id COLUMN or --join row") }
    if id != nil && join != nil { throw ValidationError("give either --id or --join row, not both") }
    if join != nil && groups == nil { throw ValidationError("--join row needs --groups FILE") }
    if prediction == nil && score == nil { throw ValidationError("give --prediction COLUMN or --score COLUMN --threshold T") }
    if prediction == nil && threshold == nil { throw ValidationError("--score without --prediction needs --threshold T or --threshold prevalence") }
    if prediction != nil && threshold != nil {
      throw ValidationError("--threshold makes the predicted class from --score; with --prediction COLUMN leave it out")
    }
    if let t = threshold, t != "prevalence", !(Double(t)?.isFinite ?? false) {
      throw ValidationError("--threshold must be a finite number or 'prevalence' (got \(MessageText.quoted(t))), e.g. --threshold 0.5")
    }
    if tolerance != nil && maxDifference != nil { throw ValidationError("give either --tolerance or --max-difference, not both") }
    if let t = tolerance, !(t > 0 && t.isFinite) { throw ValidationError("--tolerance must be a finite positive number, e.g. --tolerance 0.8") }
    if let e = maxDifference, !(e >= 0 && e.isFinite) { throw ValidationError("--max-difference must be a finite number >= 0, e.g. --max-difference 0.1") }
    if minGroupSize < 0 { throw ValidationError("--min-group-size must be >= 0") }
    if !(confidence > 0 && confidence < 1) { throw ValidationError("--confidence must lie strictly between 0 and 1, e.g. --confidence 0.95") }
    if bootstrap < 0 || permutations < 0 { throw ValidationError("--bootstrap and --permutations must be >= 0") }
    if splitList(by).isEmpty { throw ValidationError("--by names no attribute (the group set is empty)") }
    if let twice = firstDuplicate(splitList(by)) { throw ValidationError("--by names \(MessageText.quoted(twice)) twice; give each attribute once") }
    if lowerIsPositive && score == nil { throw ValidationError("--lower-is-positive needs --score") }
    // Options that would be accepted but decide nothing.
    if prediction == nil, let p = predictedPositive {
      throw ValidationError(
        "--predicted-positive \(MessageText.quoted(p)) does nothing without --prediction COLUMN: with --score the predicted class is score \(lowerIsPositive ? "<" : ">=") --threshold; leave --predicted-positive out, or give --prediction COLUMN")
    }
    if let n = negative, let spec = try? ClassSpec(parsing: positive, flag: "--positive"), case .comparison = spec.kind {
      throw ValidationError(
        "--negative \(MessageText.quoted(n)) does nothing with the comparison --positive \(MessageText.quoted(positive)): every value that does not satisfy it is negative; leave --negative out, or give --positive a value")
    }
  }

  /// Everything one fairness run produces, before anything is written.
  struct Run {
    var result: FairnessResult
    var report: FairnessReport
    var warnings: [String]
    var inputs: [(role: String, path: String)]
    var digests: [String: String]
    /// The learner id of each audited row (the --id column), nil with --join row and no --id.
    var ids: [String]?
  }

  func execute() throws {
    let progress = Progress(forced: output.progress)
    let run = try compute(progress: progress, wantsJSON: output.format == .json)
    for w in run.warnings { printError("cohortlens fairness: warning: \(w)") }
    try emit(run.report.render(output.format), options: output)
    progress.report("done")
    if let level = failOn {
      // Criterion verdicts and, with a reference group, every group's own verdict.
      let verdicts = run.result.audits.flatMap { $0.criteria.flatMap { [$0.verdict] + $0.comparisons.map(\.verdict) } }
      if verdicts.contains(.fail) || (level == .inconclusive && verdicts.contains(.inconclusive)) {
        throw ExitCode(3)
      }
    }
  }

  /// Reads the inputs and runs the audit. `extraAttributes` receives the audited rows' ids (nil when
  /// rows have no id) and returns further sensitive attributes aligned with those rows (the audit's
  /// cluster slices).
  func compute(
    progress: Progress, wantsJSON: Bool, extraAttributes: (([String]?) throws -> [SensitiveAttribute])? = nil
  ) throws -> Run {
    var warnings: [String] = []
    var digests: [String: String] = [:]
    progress.report("reading \(predictions)")
    let predTable = try Table.read(path: predictions, digest: wantsJSON)
    if let h = predTable.sha256 { digests[predictions] = h }
    var inputs: [(role: String, path: String)] = [(role: "predictions", path: predictions)]
    var groupTable: Table?
    if let g = groups {
      progress.report("reading \(g)")
      let t = try Table.read(path: g, digest: wantsJSON)
      if let h = t.sha256 { digests[g] = h }
      groupTable = t
      inputs.append((role: "groups", path: g))
    }
    let data = try FairnessColumns(predictions: predTable, groups: groupTable, id: id, byRow: join == "row",
                                   failOnUnmatched: missing == .fail, stratify: stratify)
    warnings.append(contentsOf: data.warnings)
    if data.rowCount == 0 {
      throw InputError(file: predictions, line: predTable.headerLine, message: "no rows to audit", hint: "the files have no (matching) data rows")
    }

    progress.report("read \(predTable.rowCount) rows; resolving columns")
    // Truth and prediction.
    let negatives = negative.map(splitList) ?? []
    let positiveSpec = try ClassSpec(parsing: positive, flag: "--positive")
    let labelRef = try data.resolve(label)
    let truth = try data.classify(labelRef, spec: positiveSpec, negatives: negatives, role: "label")
    var scores: [Double]?
    if let s = score {
      let ref = try data.resolve(s)
      scores = try data.numbers(ref, role: "score")
    }
    var predicted: [Bool]
    var thresholdUsed: Double?
    if let p = prediction {
      let spec = try predictedPositive.map { try ClassSpec(parsing: $0, flag: "--predicted-positive") } ?? positiveSpec
      // Declared negatives describe the label; they apply to predictions only when both share one positive value.
      predicted = try data.classify(try data.resolve(p), spec: spec, negatives: predictedPositive == nil ? negatives : [],
                                    role: "prediction")
    } else {
      let s = scores!
      let t: Double
      if threshold == "prevalence" {
        t = Double(truth.filter { $0 }.count) / Double(truth.count)
      } else {
        t = Double(threshold!)!
      }
      thresholdUsed = t
      if let lo = s.min(), let hi = s.max(), t < lo || t > hi {
        warnings.append("threshold \(NumberFormatting.roundTrip(t)) lies outside the score range [\(NumberFormatting.roundTrip(lo)), \(NumberFormatting.roundTrip(hi))]: every learner gets the same predicted class")
      }
      predicted = s.map { lowerIsPositive ? $0 < t : $0 >= t }
    }

    if !predicted.contains(true) { warnings.append("the model predicts no learner positive: selection rates are 0 and PPV is undefined") }
    if !predicted.contains(false) { warnings.append("the model predicts every learner positive: NPV is undefined") }
    progress.report("labels and predictions classified")
    // Sensitive attributes.
    let attributeNames = try splitColumnList(by, option: "--by")
    var attributes: [SensitiveAttribute] = []
    for name in attributeNames {
      let ref = try data.resolve(name)
      let values = try data.strings(ref)
      if missing == .fail, let r = values.firstIndex(where: { $0 == nil }) {
        throw data.error(ref, row: r, message: "missing value in sensitive attribute \(MessageText.quoted(name)) (\(values.filter { $0 == nil }.count) row(s))",
                         hint: "fill the cells, or use --missing group (an explicit '(missing)' group) or --missing drop")
      }
      // Under --missing group the name of the synthetic group is reserved: a cell written that way would
      // be a second group of the same name (the synthetic one is the empty cells).
      let reserved = ExactText(missingGroupName)
      if missing == .group, let r = values.firstIndex(where: { $0.map(ExactText.init) == reserved }) {
        let count = values.filter { $0.map(ExactText.init) == reserved }.count
        throw data.error(ref, row: r, message: "sensitive attribute \(MessageText.quoted(name)) has the value \(MessageText.quoted(missingGroupName)) (\(count) row(s)), the name of the group of rows with a missing value under --missing group",
                         hint: "rename the value in the file, or use --missing drop or --missing fail (no \(MessageText.quoted(missingGroupName)) group is made then)")
      }
      attributes.append(SensitiveAttribute(name: name, values: values))
    }
    var strata: [String]?
    if let s = stratify {
      let ref = try data.resolve(s)
      let values = try data.strings(ref)
      if let r = values.firstIndex(where: { $0 == nil }) {
        throw data.error(ref, row: r, message: "missing value in the --stratify column \(MessageText.quoted(s))", hint: "fill the cell or remove the row")
      }
      strata = values.map { $0! }
    }
    // Values are compared as written, so '1' and '1.0' are two groups (or strata); pandas, reading such a
    // column as numbers, makes them one. Never silently: each such column gets a warning naming a pair.
    for a in attributes {
      if let w = Self.sameNumberWarning(a.values, what: "sensitive attribute \(MessageText.quoted(a.name))", unit: "groups") {
        warnings.append(w)
      }
      if let w = Self.sameTextWarning(a.values, what: "sensitive attribute \(MessageText.quoted(a.name))", unit: "groups") {
        warnings.append(w)
      }
    }
    if let s = stratify, let values = strata {
      if let w = Self.sameNumberWarning(values, what: "the --stratify column \(MessageText.quoted(s))", unit: "strata") {
        warnings.append(w)
      }
      if let w = Self.sameTextWarning(values, what: "the --stratify column \(MessageText.quoted(s))", unit: "strata") {
        warnings.append(w)
      }
    }

    var rowIds: [String]?
    if let idName = id {
      // The id column is in both files when joining on it; the predictions' copy names the rows.
      let ref = try (try? data.resolve(idName)) ?? data.resolve("\(predTable.name).\(idName)")
      rowIds = try data.strings(ref).map { $0 ?? "" }
    }
    if let extra = extraAttributes {
      attributes.append(contentsOf: try extra(rowIds))
    }
    var config = FairnessConfiguration()
    var specs = attributes.indices.map { [$0] }
    if intersect {
      if attributes.count >= 2 { specs.append(Array(attributes.indices)) }
      else { warnings.append("--intersect needs at least two --by attributes; only \(MessageText.quoted(attributeNames[0])) is audited") }
    }
    config.audits = specs
    switch compare {
    case "between-groups": config.comparison = .betweenGroups
    case "largest": config.comparison = .largest
    default: config.comparison = .group(compare)
    }
    if let e = maxDifference { config.tolerance = .difference(e) } else { config.tolerance = .ratio(tolerance ?? 0.8) }
    config.minGroupSize = minGroupSize
    config.confidence = confidence
    config.bootstrapReplicates = bootstrap
    config.permutations = permutations
    config.seed = seed
    config.missing = missing == .drop ? .drop : .group
    if case .group(let name) = config.comparison {
      // A value of one attribute, or with --intersect an intersection group `a & b` (one value per attribute).
      // Compared exactly as written (no Unicode normalisation), as the audit forms its groups.
      func isValue(_ v: String, of a: SensitiveAttribute) -> Bool {
        let wanted = ExactText(v)
        return wanted == ExactText(missingGroupName) || a.values.contains { $0.map(ExactText.init) == wanted }
      }
      let parts = IntersectionName.parts(of: name) ?? []
      let known = attributes.contains { isValue(name, of: $0) }
        || (intersect && attributes.count >= 2 && parts.count == attributes.count
            && zip(parts, attributes).allSatisfy { isValue($0, of: $1) })
      if !known {
        throw UsageError("--compare \(MessageText.quoted(name)) is neither between-groups, largest nor a value of \(attributeNames.map { MessageText.excerpt($0) }.joined(separator: ", "))"
          + (intersect ? " (nor an intersection group such as 'a & b'; a value containing '&' is quoted: '\"a & b\" & c')" : ""))
      }
    }

    progress.report("auditing \(data.rowCount) rows")
    let input = FairnessInput(truth: truth, predicted: predicted, scores: scores, lowerIsPositive: lowerIsPositive,
                              attributes: attributes, strata: strata)
    let result = FairnessAudit.run(input, configuration: config, progress: { progress.report($0) })
    warnings.append(contentsOf: result.warnings)

    var parameters: [(String, JSONValue)] = [
      ("predictions", .string(predictions)), ("groups", groups.map { .string($0) } ?? .null),
      ("id", id.map { .string($0) } ?? .null), ("join", join.map { .string($0) } ?? .null),
      ("label", .string(label)), ("positive", .string(positive)),
      ("negative", .array(negatives.map { .string($0) })),
      ("prediction", prediction.map { .string($0) } ?? .null),
      ("predicted_positive", .string(predictedPositive ?? positive)),
      ("score", score.map { .string($0) } ?? .null), ("threshold", threshold.map { .string($0) } ?? .null),
      ("threshold_value", .number(thresholdUsed)), ("lower_is_positive", .bool(lowerIsPositive)),
      ("by", .array(attributeNames.map { .string($0) })), ("intersect", .bool(intersect)),
      ("stratify", stratify.map { .string($0) } ?? .null), ("compare", .string(compare)),
      ("tolerance", maxDifference == nil ? .double(tolerance ?? 0.8) : .null),
      ("max_difference", .number(maxDifference)), ("min_group_size", .int(minGroupSize)),
      ("low_support_denominator", .int(config.lowSupportDenominator)),
      ("confidence", .double(confidence)), ("bootstrap", .int(bootstrap)), ("permutations", .int(permutations)),
      ("missing", .string(missing.rawValue)), ("calibration_bins", .int(config.calibrationBins)),
    ]
    if join == "row" && id == nil { parameters.append(("id_note", .string("row number is the id"))) }
    let report = FairnessReport(
      result: result, warnings: warnings, tolerance: config.tolerance,
      header: wantsJSON ? try provenance(command: "fairness", parameters: parameters, seed: seed, inputs: inputs, digests: digests) : [],
      colour: output.format == .table && output.output == nil && isatty(STDOUT_FILENO) != 0,
      description: "\(data.rowCount) rows; truth \(label) \(positiveSpec.text); "
        + (prediction.map { "prediction \($0) \(predictedPositive ?? positive)" }
          ?? "score \(score!) \(lowerIsPositive ? "<" : ">=") \(NumberFormatting.roundTrip(thresholdUsed ?? .nan))"))
    return Run(result: result, report: report, warnings: warnings, inputs: inputs, digests: digests, ids: rowIds)
  }
}

/// A positive-class specification: a literal value or a numeric comparison.
struct ClassSpec {
  enum Kind { case value(String), comparison(String, Double) }
  var kind: Kind
  var text: String

  init(parsing raw: String, flag: String) throws {
    let s = Table.trimmedBlanks(raw)
    text = s
    for op in [">=", "<=", "==", "!=", ">", "<"] where s.hasPrefix(op) {
      let rest = Table.trimmedBlanks(s.dropFirst(op.count))
      guard let v = Double(rest), v.isFinite else {
        throw UsageError("\(flag) \(MessageText.quoted(raw)): \(MessageText.quoted(rest)) after \(MessageText.quoted(op)) is not a number", hint: "write e.g. '>=4' or '<0.5'")
      }
      kind = .comparison(op, v)
      text = op + rest
      return
    }
    guard !s.isEmpty else { throw UsageError("\(flag) is empty") }
    kind = .value(s)
    text = "= " + s
  }

  /// Whether the cell text `value` (of `column`, data row `row` of `table`) is in the positive class;
  /// a comparison needs a number there.
  func matches(_ value: String, column: String, table: Table, row: Int) throws -> Bool {
    switch kind {
    case .value(let v):
      // Text compared exactly as written (code points, as pandas); numbers by value ('1.0' = '1'),
      // parsed over the whole cell (a stray byte such as a NUL is not a number).
      if ExactText(value) == ExactText(v) { return true }
      guard let a = DecimalParser.parse(value), let b = DecimalParser.parse(v) else { return false }
      return a == b
    case .comparison:
      guard let x = DecimalParser.parse(value) else {
        throw InputError(
          table: table, row: row, column: try table.columnIndex(column),
          message: "\(MessageText.quoted(value)) in column \(MessageText.quoted(column)) is not a number, so \(MessageText.quoted(text)) cannot be decided", hint: "fix the cell")
      }
      return holds(x)
    }
  }

  func holds(_ x: Double) -> Bool {
    guard case let .comparison(op, v) = kind else { return false }
    switch op {
    case ">=": return x >= v
    case "<=": return x <= v
    case ">": return x > v
    case "<": return x < v
    case "==": return x == v
    default: return x != v
    }
  }
}

/// The predictions table, optionally aligned with a groups table, and column lookup across both.
struct FairnessColumns {
  struct Ref { var table: Int; var column: Int; var name: String }
  let tables: [Table]
  /// Row of each table for audit row i.
  let rows: [[Int]]
  var warnings: [String] = []
  var rowCount: Int { rows[0].count }

  /// `stratify`: with a stratum column in the predictions (e.g. `week`), a learner may have one
  /// prediction per stratum; ids must then be unique per (id, stratum) instead of per row.
  init(predictions: Table, groups: Table?, id: String?, byRow: Bool, failOnUnmatched: Bool, stratify: String? = nil) throws {
    // The stratum column is resolved as every other column (`col`, `stem.col`, `#N`, `stem.#N`); only a
    // stratum of the predictions file lets one learner have one prediction per stratum.
    let predictionStratum = try stratify.flatMap { name -> Int? in
      let ref = try Self.resolve(name, in: groups.map { [predictions, $0] } ?? [predictions])
      return ref.table == 0 ? ref.column : nil
    }
    guard let groups else {
      // Without a groups file the id still names one learner: a repeated id (per stratum with
      // --stratify) would count that learner twice, so it is an error here too.
      if let idName = id {
        let pi = try Self.idColumn(idName, in: predictions)
        if let si = predictionStratum {
          _ = try Self.idsPerStratum(predictions, idColumn: pi, stratumColumn: si)
        } else {
          _ = try predictions.ids(at: pi)
        }
      }
      tables = [predictions]
      rows = [Array(0..<predictions.rowCount)]
      return
    }
    tables = [predictions, groups]
    if byRow {
      if predictions.rowCount != groups.rowCount {
        throw InputError(file: groups.path, line: nil, column: nil,
          message: "--join row needs equal row counts, but \(predictions.path) has \(predictions.rowCount) data rows and \(groups.path) has \(groups.rowCount)",
          hint: "join on an id column with --id COLUMN instead")
      }
      rows = [Array(0..<predictions.rowCount), Array(0..<groups.rowCount)]
      return
    }
    let idName = id!
    let pi = try Self.idColumn(idName, in: predictions)
    let gi = try Self.idColumn(idName, in: groups)
    let pIds: [String]
    if let si = predictionStratum {
      pIds = try Self.idsPerStratum(predictions, idColumn: pi, stratumColumn: si)
    } else {
      pIds = try predictions.ids(at: pi)
    }
    let gIds = try groups.ids(at: gi)
    var gRow: [ExactText: Int] = [:]  // ids as written (code points), as Table.ids and pandas
    gRow.reserveCapacity(gIds.count)
    for (r, v) in gIds.enumerated() { gRow[ExactText(v)] = r }
    var a: [Int] = [], b: [Int] = []
    var unmatched: [String] = []
    var firstUnmatchedRow: Int?
    var matched = [Bool](repeating: false, count: gIds.count)
    for (r, v) in pIds.enumerated() {
      if let g = gRow[ExactText(v)] { a.append(r); b.append(g); matched[g] = true } else {
        unmatched.append(v)
        if firstUnmatchedRow == nil { firstUnmatchedRow = r }
      }
    }
    let unmatchedGroups = gIds.indices.filter { !matched[$0] }.map { gIds[$0] }
    // Ids that would have matched once written alike ('007' and '7', ' 7' and '7'): said with the counts.
    let respelled = IdSpelling.note(unmatched: unmatched, others: unmatchedGroups, otherFile: groups.path)
    if !unmatched.isEmpty, a.isEmpty, !gIds.isEmpty, let r = firstUnmatchedRow {
      // Not one learner in common: an error (it said "no rows to audit; the files have no (matching) data rows").
      throw InputError(
        table: predictions, row: r, column: pi,
        message: "none of the \(pIds.count) prediction id(s) in column \(MessageText.quoted(idName)) is an id of \(groups.path) (here e.g. \(unmatched.prefix(3).map { MessageText.quoted($0) }.joined(separator: ", ")); there e.g. \(gIds.prefix(3).map { MessageText.quoted($0) }.joined(separator: ", ")))",
        hint: respelled ?? "join on a column that holds the same ids in both files (--id), or align the files row by row with --join row")
    }
    if !unmatched.isEmpty {
      let msg = "\(unmatched.count) of \(pIds.count) prediction row(s) have no \(MessageText.quoted(idName)) in \(groups.path) (e.g. \(unmatched.prefix(5).map { MessageText.excerpt($0) }.joined(separator: ", ")))"
      if failOnUnmatched, let r = firstUnmatchedRow {
        // Located at the first prediction whose id the groups file lacks.
        throw InputError(
          table: predictions, row: r, column: pi,
          message: "id \(MessageText.quoted(unmatched[0])) is not in \(groups.path): \(unmatched.count) of \(pIds.count) prediction row(s) have no \(MessageText.quoted(idName)) there (e.g. \(unmatched.prefix(5).map { MessageText.excerpt($0) }.joined(separator: ", ")))",
          hint: respelled ?? "add the learners to the groups file, or drop --missing fail to leave them out")
      }
      warnings.append(msg + "; left out of the audit" + (respelled.map { " — " + $0 } ?? ""))
    }
    if !unmatchedGroups.isEmpty {
      warnings.append("\(unmatchedGroups.count) of \(gIds.count) row(s) of \(groups.path) have no prediction (e.g. \(unmatchedGroups.prefix(5).map { MessageText.excerpt($0) }.joined(separator: ", ")))")
    }
    rows = [a, b]
  }

  /// The column `name` (or `#N`, 1-based) of `t`.
  static func idColumn(_ name: String, in t: Table) throws -> Int {
    try t.columnIndex(name)
  }

  /// The id of every row, each (id, stratum) pair at most once.
  static func idsPerStratum(_ t: Table, idColumn: Int, stratumColumn: Int) throws -> [String] {
    let ids = try t.strings(at: idColumn)
    let strata = try t.strings(at: stratumColumn)
    var seen: [ExactText: [ExactText: Int]] = [:]  // ids and strata as written (code points)
    var out: [String] = []
    out.reserveCapacity(ids.count)
    for (r, v) in ids.enumerated() {
      guard let v else {
        throw InputError(table: t, row: r, column: idColumn, message: "missing id", hint: "every row needs an id; fill the cell or remove the row")
      }
      let s = strata[r] ?? ""
      if let previous = seen[ExactText(v), default: [:]].updateValue(r, forKey: ExactText(s)) {
        let l1 = t.location(row: previous, column: idColumn).line
        throw InputError(
          table: t, row: r, column: idColumn,
          message: "duplicate id \(MessageText.quoted(v)) in stratum \(MessageText.quoted(s)) of column \(MessageText.quoted(t.columnNames[stratumColumn])) (lines \(l1) and \(t.location(row: r, column: idColumn).line))",
          hint: "one prediction per learner and stratum; remove or rename one of the rows")
      }
      out.append(v)
    }
    return out
  }

  private static func available(_ tables: [Table]) -> String {
    var parts: [String] = []
    for t in tables {
      parts.append("\(t.path): " + t.listedColumns())
    }
    return "available columns — " + parts.joined(separator: "; ")
  }

  /// Finds `name` (`col`, `stem.col`, `#N` or `stem.#N`) in the tables.
  func resolve(_ name: String) throws -> Ref { try Self.resolve(name, in: tables) }

  /// Finds `name` (`col`, `stem.col`, `#N` or `stem.#N`) in `tables` (predictions first): a bare name in
  /// both is a usage error naming both qualified names; an unknown one lists every column.
  static func resolve(_ name: String, in tables: [Table]) throws -> Ref {
    // A name that several columns of one file have is an error naming them (not "no column").
    func find(_ col: String, in t: Int) throws -> Int? { try tables[t].columnIndexIfPresent(col) }
    var hits: [Ref] = []
    for t in tables.indices {
      if let j = try find(name, in: t) { hits.append(Ref(table: t, column: j, name: name)) }
    }
    if hits.isEmpty {
      for t in tables.indices {
        let stem = tables[t].name + "."
        if name.hasPrefix(stem), let j = try find(String(name.dropFirst(stem.count)), in: t) {
          return Ref(table: t, column: j, name: name)
        }
      }
      var hint = available(tables)
      let all = tables.flatMap(\.columnNames)
      if let close = Table.closest(to: name, in: all) { hint = "did you mean \(MessageText.quoted(close))? " + hint }
      throw InputError(file: tables[0].path, line: tables[0].headerLine, message: "no column named \(MessageText.quoted(name))", hint: hint,
                       subject: name)
    }
    if hits.count > 1 {
      let options = hits.map { "'\(tables[$0.table].name).\(name)'" }.joined(separator: " or ")
      throw UsageError("column \(MessageText.quoted(name)) is in both files; write \(options)", subject: name)
    }
    return hits[0]
  }

  func error(_ ref: Ref, row: Int, message: String, hint: String) -> InputError {
    InputError(table: tables[ref.table], row: rows[ref.table][row], column: ref.column, message: message, hint: hint)
  }

  func strings(_ ref: Ref) throws -> [String?] {
    let all = try tables[ref.table].strings(at: ref.column)
    return rows[ref.table].map { all[$0] }
  }

  func numbers(_ ref: Ref, role: String) throws -> [Double] {
    let all: [Double?]
    do {
      all = try tables[ref.table].numbers(at: ref.column)
    } catch var e as InputError {
      e.hint = role == "score"
        ? "the --score column must hold numbers; fix the cell"
        : "a comparison such as '>=4' needs a numeric \(role) column; fix the cell or give the positive value itself (e.g. --positive pass)"
      throw e
    }
    var out = [Double](repeating: 0, count: rowCount)
    for (i, r) in rows[ref.table].enumerated() {
      guard let v = all[r] else {
        throw error(ref, row: i, message: "missing \(role) in column \(MessageText.quoted(ref.name))", hint: "fill the cell or remove the row")
      }
      out[i] = v
    }
    return out
  }

  /// `true` for the positive class. Comparisons need numbers; values must be the positive one or a
  /// declared negative (or the single other value when none are declared).
  func classify(_ ref: Ref, spec: ClassSpec, negatives: [String], role: String) throws -> [Bool] {
    switch spec.kind {
    case .comparison:
      return try numbers(ref, role: role).map { spec.holds($0) }
    case .value(let pos):
      let posNumber = DecimalParser.parse(pos)
      let declaredNumbers = negatives.compactMap { DecimalParser.parse(Table.trimmedBlanks($0)) }
      let declaredTexts = Set(negatives.map { ExactText(Table.trimmedBlanks($0)) })
      var out = [Bool](repeating: false, count: rowCount)
      // The first audit row of each distinct value (the positive one included), in order of first
      // occurrence, and whether each non-positive one is a declared negative.
      var firstRows: [Int] = []
      var declared: [Int: Bool] = [:]
      var positiveSeen = false
      var texts: [String?]?
      if let p = posNumber, let all = try? tables[ref.table].numbers(at: ref.column) {
        // Fast path: a numeric positive value on a numeric column compares numbers (1 = 1.0), no strings.
        var seen = Set<Double>()
        for (i, r) in rows[ref.table].enumerated() {
          guard let x = all[r] else {
            throw error(ref, row: i, message: "missing \(role) in column \(MessageText.quoted(ref.name))", hint: "fill the cell or remove the row")
          }
          if x == p {
            out[i] = true
            if !positiveSeen { positiveSeen = true; firstRows.append(i) }
          } else if seen.insert(x).inserted {
            firstRows.append(i)
            declared[i] = declaredNumbers.contains(x)
          }
        }
      } else {
        let values = try strings(ref)
        texts = values
        var seen = Set<ExactText>()
        for (i, v) in values.enumerated() {
          guard let v else {
            throw error(ref, row: i, message: "missing \(role) in column \(MessageText.quoted(ref.name))", hint: "fill the cell or remove the row")
          }
          let t = Table.trimmedBlanks(v)
          let x = DecimalParser.parse(t)
          let positive = ExactText(t) == ExactText(pos) || (posNumber != nil && x == posNumber)
          if positive { out[i] = true; positiveSeen = true }
          if seen.insert(ExactText(v)).inserted {
            firstRows.append(i)
            if !positive { declared[i] = declaredTexts.contains(ExactText(t)) || (x.map { declaredNumbers.contains($0) } ?? false) }
          }
        }
      }
      let others = firstRows.filter { !out[$0] }
      let missingPositive = !positiveSeen && role == "label" && rowCount > 0
      let nonBinary = negatives.isEmpty && others.count > 1
      let undeclared = negatives.isEmpty ? nil : others.first { declared[$0] == false }
      guard missingPositive || nonBinary || undeclared != nil else { return out }
      // Error paths only: the cells as written in the file.
      let written = try texts ?? strings(ref)
      func text(_ i: Int) -> String { written[i] ?? "" }
      func line(_ i: Int) -> Int { tables[ref.table].location(row: rows[ref.table][i], column: ref.column).line }
      let list = firstRows.prefix(20).map { MessageText.quoted(text($0)) }.joined(separator: ", ") + (firstRows.count > 20 ? ", …" : "")
      if missingPositive {
        throw error(ref, row: 0, message: "the positive value \(MessageText.quoted(pos)) does not occur in the \(role) column \(MessageText.quoted(ref.name)); values found: \(list)",
                    hint: "give one of these to --positive, or a comparison such as '>=4'")
      }
      // A value that is the positive one in another letter case ('True' for 'TRUE', as Excel and R write booleans)
      // is no negative: the hint says to write it alike instead of suggesting to declare it negative.
      let positiveKey = Table.trimmedBlanks(pos).lowercased()
      func casedLikePositive(_ i: Int) -> Bool { Table.trimmedBlanks(text(i)).lowercased() == positiveKey }
      func caseHint(_ i: Int) -> String {
        "\(MessageText.quoted(text(i))) is the positive \(MessageText.quoted(pos)) in another letter case: values are compared as written; write every \(role) alike (e.g. all \(MessageText.quoted(pos)))"
      }
      if nonBinary {
        // The column is binary up to the first occurrence of a second non-positive value: that cell is reported.
        let first = others[0], second = others[1]
        let cased = [first, second].first(where: casedLikePositive)
        throw error(ref, row: second, message: "\(role) value \(MessageText.quoted(text(second))) makes column \(MessageText.quoted(ref.name)) non-binary: it is neither the positive \(MessageText.quoted(pos)) nor \(MessageText.quoted(text(first))) (the other value, first at line \(line(first))); values found: \(list)",
                    hint: cased.map(caseHint) ?? "if both are negative, declare every negative value with --negative (here --negative \(MessageText.excerpt(text(first))),\(MessageText.excerpt(text(second)))); otherwise fix the cell")
      }
      let bad = undeclared!
      throw error(ref, row: bad, message: "\(role) value \(MessageText.quoted(text(bad))) is neither the positive \(MessageText.quoted(pos)) nor a declared negative (\(negatives.map { MessageText.excerpt($0) }.joined(separator: ", "))); values found: \(list)",
                  hint: casedLikePositive(bad) ? caseHint(bad) : "add it to --negative, or fix the cell")
    }
  }
}

extension FairnessCommand {
  /// The first two distinct values (as written) of `values` that `key` makes equal, and how many such later
  /// values there are; `nil` when none are. Values with a `nil` key are not compared. Each distinct value is
  /// keyed once: O(n) hashing plus O(distinct) keying.
  static func firstLookalikes<K: Hashable>(_ values: [String?], key: (String) -> K?) -> (String, String, pairs: Int)? {
    var distinct = Set<ExactText>()
    var byKey: [K: String] = [:]
    var pairs = 0
    var first: (String, String)?
    for case let v? in values where distinct.insert(ExactText(v)).inserted {
      guard let k = key(v) else { continue }
      if let other = byKey[k] {
        pairs += 1
        if first == nil { first = (other, v) }
      } else {
        byKey[k] = v
      }
    }
    return first.map { ($0.0, $0.1, pairs) }
  }

  /// A warning when distinct values of a column (as written) are the same number, e.g. `1` and `1.0` (blanks
  /// around a number do not change it, as in pandas' number parsing: ` 1.0` is `1`): they are distinct groups
  /// here, one group in pandas when it reads the column as numbers. `nil` when none are.
  static func sameNumberWarning(_ values: [String?], what: String, unit: String) -> String? {
    let found = firstLookalikes(values) { v -> Double? in
      guard let x = DecimalParser.parse(Table.trimmedBlanks(v)), x.isFinite else { return nil }
      return x
    }
    guard let (a, b, pairs) = found else { return nil }
    return "\(what): \(MessageText.quoted(a)) and \(MessageText.quoted(b)) are the same number but two \(unit)"
      + (pairs > 1 ? " (and \(pairs - 1) more value(s) like them)" : "")
      + " — values are compared as written; pandas, reading the column as numbers, would make them one. Write them alike in the file to merge them"
  }

  /// A warning when distinct values of a column (as written) differ only by blanks around them (spaces, tabs,
  /// no-break spaces), e.g. `M` and ` M`: they are distinct groups here, as in pandas, which keeps them apart
  /// too, but rarely meant so. `nil` when none are.
  static func sameTextWarning(_ values: [String?], what: String, unit: String) -> String? {
    guard let (a, b, pairs) = firstLookalikes(values, key: { ExactText(Table.trimmedBlanks($0)) }) else { return nil }
    return "\(what): \(MessageText.quoted(a)) and \(MessageText.quoted(b)) differ only by blanks around them but are two \(unit)"
      + (pairs > 1 ? " (and \(pairs - 1) more value(s) like them)" : "")
      + " — values are compared as written, as pandas does. Trim the blanks in the file to merge them"
  }
}

extension FairnessCommand {
  var inputFiles: [(flag: String, path: String?)] { [("--predictions", predictions), ("--groups", groups)] }
  var outputFiles: [(flag: String, path: String?)] { [("--output", output.output)] }
}
