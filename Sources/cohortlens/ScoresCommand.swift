import ArgumentParser
import Clustering
import CohortLensCore
import LinearAlgebra

/// `cohortlens scores`: quality scores of an existing clustering (labels in a column).
struct ScoresCommand: CohortLensCommand {
  static let configuration = CommandConfiguration(
    commandName: "scores",
    abstract: "Score an existing clustering: silhouette, Davies–Bouldin, Calinski–Harabasz, ARI.",
    discussion: """
      Scores the labels in --labels against the (optionally scaled) features, with \
      scikit-learn 1.9 semantics: Euclidean silhouette (a singleton cluster scores 0), \
      Davies-Bouldin, Calinski-Harabasz, and the adjusted Rand index against --truth.

      Example:
        cohortlens scores --features Fixtures/synthetic/blobs_separated.csv --id id \\
          --columns x0,x1 --labels truth --scale none
      """
  )

  @Option(help: ArgumentHelp("Feature table (CSV with a header).", valueName: "file"))
  var features: String

  @Option(help: ArgumentHelp("Column holding the learner id.", valueName: "column"))
  var id: String

  @Option(help: ArgumentHelp("Feature columns, comma-separated (default: every numeric column except id, labels and truth).", valueName: "a,b,c"))
  var columns: String?

  @Option(help: ArgumentHelp("Column holding the cluster labels (any text).", valueName: "column"))
  var labels: String

  @Option(help: ArgumentHelp("Column with reference labels for the adjusted Rand index.", valueName: "column"))
  var truth: String?

  @Option(help: "Feature scaling before scoring: standard, minmax, l2 or none.")
  var scale: FeatureScaling = .none

  @Flag(help: "Drop learners with missing values in the chosen columns (default: stop and list them).")
  var dropMissing = false

  @OptionGroup var output: OutputOptions

  func execute() throws {
    let progress = Progress(forced: output.progress)
    progress.report("reading \(features)")
    let table = try Table.read(path: features, digest: output.format == .json)
    try table.requireDataRows()
    let allIds = try table.ids(id)
    var used: [String] = []
    // Every warning goes to stderr and, with --format json, into `warnings` (as `cluster` reports them).
    var warnings: [String] = []
    if let w = IdSpelling.lookalikeWarning(allIds, column: id) { warnings.append(w) }
    if let list = columns {
      used = try resolvedColumns(try splitColumnList(list, option: "--columns"), in: table, option: "--columns")
    } else {
      let chosen = try defaultFeatureColumns(table, excluding: Set([id, labels] + (truth.map { [$0] } ?? [])))
      used = chosen.columns
      // Columns left out of the default selection are named, never dropped silently (as `cluster` does).
      warnings.append(contentsOf: leftOutColumnWarnings(skipped: chosen.skipped, unnamed: chosen.unnamed))
    }
    if used.isEmpty { throw UsageError("no feature columns; name them with --columns") }
    let numeric = try table.numericMatrix(columns: used, missing: dropMissing ? .drop : .error)
    let rows = numeric.keptRows
    // Learners left out by --drop-missing are reported (stderr, every output format), never dropped silently.
    let keptSet = Set(rows)
    let dropped = allIds.indices.filter { !keptSet.contains($0) }.map { allIds[$0] }
    if !dropped.isEmpty {
      warnings.append("dropped \(dropped.count) learner(s) with missing values (--drop-missing)")
    }
    for w in warnings { printError("cohortlens scores: warning: \(w)") }
    guard !rows.isEmpty else {
      throw InputError(file: features, message: "every learner has a missing value in \(used.map { MessageText.quoted($0) }.joined(separator: ", ")); nothing is left to score",
        hint: "fill the cells, or choose other feature columns with --columns")
    }
    // --drop-missing covers the feature columns only; a missing label or reference value is fixed in the data.
    let notCovered = "--drop-missing only leaves out learners with missing feature values"
    let labelColumn = try table.strings(labels)
    let labelColumnIndex = try table.columnIndex(labels)
    var names: [String] = []
    var codes: [ExactText: Int] = [:]  // labels as written (code points), as scikit-learn
    var y: [Int] = []
    for r in rows {
      guard let s = labelColumn[r] else {
        throw InputError(table: table, row: r, column: labelColumnIndex,
          message: "learner \(MessageText.quoted(allIds[r])) has no label in \(MessageText.quoted(labels))",
          hint: "fill the cell or remove the learner's row (\(notCovered))")
      }
      if let c = codes[ExactText(s)] { y.append(c) } else { codes[ExactText(s)] = names.count; y.append(names.count); names.append(s) }
    }
    let n = rows.count
    guard names.count >= 2 && names.count <= n - 1 else {
      // A data problem, located at the first scored learner's label.
      let message = names.count < 2
        ? "the label column \(MessageText.quoted(labels)) holds one label (\(MessageText.quoted(names[0]))) for all \(n) learner(s); scores compare clusters, so they need 2 to n−1 distinct labels"
        : "every learner has a label of its own in \(MessageText.quoted(labels)) (\(names.count) distinct labels for n = \(n)); scores need 2 to n−1 distinct labels (a cluster with at least two learners)"
      throw InputError(table: table, row: rows[0], column: labelColumnIndex, message: message,
        hint: "check that --labels names the cluster label column" + (dropped.isEmpty ? "" : ", and the learners --drop-missing left out"))
    }
    let x = scale.apply(Matrix(rows: n, columns: used.count, storage: numeric.values))
    progress.report("silhouette of \(n) learners")
    let samples = try ClusterScores.silhouetteSamples(x, labels: y)
    let silhouette = samples.reduce(0, +) / Double(n)
    let db = try ClusterScores.daviesBouldin(x, labels: y)
    let ch = try ClusterScores.calinskiHarabasz(x, labels: y)
    var ari: Double?
    if let t = truth {
      let tv = try table.strings(t)
      let tvals = try rows.map { r -> String in
        guard let v = tv[r] else {
          throw InputError(table: table, row: r, column: try table.columnIndex(t),
            message: "learner \(MessageText.quoted(allIds[r])) has no value in \(MessageText.quoted(t))",
            hint: "fill the cell, remove the learner's row, or leave out --truth (\(notCovered))")
        }
        return v
      }
      ari = ClusterScores.adjustedRandIndex(tvals, y.map { names[$0] })
    }
    // Clusters listed numerically when every label is a number, else by text in code-point order (Python's
    // sorted()); decided once for all labels, so that the order is a total one whatever labels are mixed.
    let numbers = names.map { DecimalParser.parse($0) }
    let allNumbers = numbers.allSatisfy { $0?.isFinite == true }
    let order = names.indices.sorted { a, b in
      if allNumbers, numbers[a]! != numbers[b]! { return numbers[a]! < numbers[b]! }
      return ExactText(names[a]) < ExactText(names[b])  // UTF-8 order is code-point order
    }
    var sizes = [Int](repeating: 0, count: names.count)
    var sums = [Double](repeating: 0, count: names.count)
    for (l, s) in zip(y, samples) { sizes[l] += 1; sums[l] += s }

    switch output.format {
    case .json:
      var params: [(String, JSONValue)] = [
        ("features", .string(features)), ("id", .string(id)), ("columns", .array(used.map { .string($0) })),
        ("labels", .string(labels)), ("scale", .string(scale.rawValue)), ("drop_missing", .bool(dropMissing)),
      ]
      params.append(("truth", truth.map { .string($0) } ?? .null))
      var fields = try provenance(
        command: "scores", parameters: params, seed: nil, inputs: [(role: "features", path: features)],
        digests: table.sha256.map { [features: $0] } ?? [:])
      fields.append(("n", .int(n)))
      fields.append(("dropped_ids", .array(dropped.map { .string($0) })))
      fields.append(("silhouette", .double(silhouette)))
      fields.append(("davies_bouldin", .double(db)))
      fields.append(("calinski_harabasz", .double(ch)))
      fields.append(("ari", ari.map { .double($0) } ?? .null))
      fields.append(("clusters", .array(order.map { c in
        .object([("label", .string(names[c])), ("size", .int(sizes[c])), ("silhouette", .double(sums[c] / Double(sizes[c])))])
      })))
      fields.append(("warnings", .array(warnings.map { .string($0) })))
      try emit(JSONValue.object(fields).serialized(pretty: true) + "\n", options: output)
    default:
      var table = TextTable(headers: ["cluster", "size", "mean silhouette"], alignments: [.left, .right, .right])
      for c in order {
        table.append([names[c], String(sizes[c]), NumberFormatting.fixed(sums[c] / Double(sizes[c]), decimals: 4)])
      }
      var summary = TextTable(headers: ["score", "value"], alignments: [.left, .right])
      // A score beyond the Double range (a ratio with a denominator that underflowed) is undefined, never
      // printed as inf/nan (JSON writes null for it).
      func score(_ v: Double) -> String {
        v.isFinite ? NumberFormatting.roundTrip(v) : "undefined (the ratio exceeds the range of a double)"
      }
      summary.append(["silhouette", score(silhouette)])
      summary.append(["davies_bouldin", score(db)])
      summary.append(["calinski_harabasz", score(ch)])
      if let a = ari { summary.append(["ari", NumberFormatting.roundTrip(a)]) }
      var text: String
      switch output.format {
      case .csv:
        // Long format: the overall scores (cluster empty), then each cluster's size and mean silhouette, all at
        // round-trip precision (the table formats show the per-cluster block too).
        var long = TextTable(headers: ["cluster", "score", "value"])
        for row in summary.rows { long.append([""] + row) }
        for c in order {
          long.append([names[c], "size", String(sizes[c])])
          long.append([names[c], "silhouette", NumberFormatting.roundTrip(sums[c] / Double(sizes[c]))])
        }
        text = long.render(.csv)
      case .markdown:
        text = "## Cluster scores (\(n) learners)\n\n" + summary.render(.markdown) + "\n" + table.render(.markdown)
        if !dropped.isEmpty { text += "\n" + droppedLearnersLine(dropped, markdown: true) + "\n" }
      default:
        text = "Cluster scores of \(n) learners, labels '\(labels)', features \(used.joined(separator: ", ")), scale \(scale.rawValue)\n\n" + summary.render(.table) + "\n" + table.render(.table)
        if !dropped.isEmpty { text += droppedLearnersLine(dropped, markdown: false) + "\n" }
      }
      try emit(text, options: output)
    }
  }
}

extension ScoresCommand {
  var inputFiles: [(flag: String, path: String?)] { [("--features", features)] }
  var outputFiles: [(flag: String, path: String?)] { [("--output", output.output)] }
}
