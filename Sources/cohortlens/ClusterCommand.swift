import ArgumentParser
import Clustering
import CohortLensCore
import LinearAlgebra
import TimeSeries
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `cohortlens cluster`: spectral clustering of a learner feature table (or a precomputed
/// similarity matrix) for one or several k, with silhouette and eigengap to choose k.
struct ClusterCommand: CohortLensCommand {
  static let configuration = CommandConfiguration(
    commandName: "cluster",
    abstract: "Spectral clustering of learners, with silhouette and eigengap to choose k.",
    discussion: """
      Semantics of scikit-learn 1.9: the normalised Laplacian of the affinity graph (self-loops \
      ignored, as scipy's csgraph.laplacian), the k smallest eigenvectors divided by sqrt(degree) \
      and sign-fixed (spectral_embedding, drop_first=False), k-means++ with --n-init restarts. \
      With the same --seed the labels equal SpectralClustering(affinity='precomputed', \
      random_state=seed). Silhouette, Davies-Bouldin and Calinski-Harabasz are computed on the \
      spectral embedding (the EPFL lecture 10 convention). The eigengap suggestion is the k \
      after the largest gap among the first kmax+1 eigenvalues, undefined (with the reason) when \
      every such gap is rounding noise (more connected components than kmax); it is fragile on \
      noisy or overlapping data (docs/clustering.md).

      Examples (from the CohortLens folder; W.csv stands for a similarity matrix of your own):
        cohortlens cluster --id user --k 2...8 --scale standard \\
          --features Fixtures/flipped-classroom/effort_features.csv \\
          --columns effort_time,effort_clicks
        cohortlens cluster --affinity precomputed --matrix W.csv --k 3 --format json
        cohortlens cluster --id student_id --k 2...9 \\
          --series Fixtures/flipped-classroom/hours_biweek_students.csv \\
          --time biweek_of_year --value hours --metric dtw --radius 6

      Learner time series (--series, long format with --time/--value or --wide): \
      --metric dtw takes DTW distances D of the normalised series (tslearn cdist_dtw, \
      Sakoe-Chiba --radius, default full) and the affinity exp(-gamma*D^2) (the lecture's \
      get_affinity_matrix, default gamma 1); euclidean the same with Euclidean distances of the \
      normalised series (equal lengths); mean the rbf kernel of each learner's mean value per \
      feature. --graph full (default) uses the affinity, epsilon:E thresholds it, knn:K links \
      each learner to its K nearest by the distance itself (DTW, or Euclidean on the normalised \
      series or on the means; gamma unused), as kneighbors_graph(D, metric='precomputed'). Then \
      the same sweep. The report adds cluster profiles: per cluster its size and the mean raw \
      series per step.
      """
  )

  /// The defaults of the options that have one (shared by the declarations and ``direct(_:)``).
  enum Defaults {
    static let affinity = AffinityKind.rbf
    static let graph = "full"
    static let laplacian = LaplacianKind.normalized
    static let k = KSpecification(argument: "2...10")!
    static let seed: UInt32 = 0
    static let nInit = 10
    static let eigensolver = SpectralEigenSolver.auto
  }

  @Option(help: ArgumentHelp("Feature table (CSV with a header, one learner per row).", valueName: "file"))
  var features: String?

  @Option(help: ArgumentHelp("Column holding the learner id (read as text).", valueName: "column"))
  var id: String?

  @Option(help: ArgumentHelp("Feature columns to use, comma-separated (default: every numeric column except --id and --truth).", valueName: "a,b,c"))
  var columns: String?

  @Option(name: .customLong("scale"), help: "With --features: feature scaling before the affinity: standard (z-score, population std; the default), minmax, l2 (per row) or none.")
  var scaleOption: FeatureScaling?
  /// `--scale`, default `standard` (given only with `--features`, `--affinity rbf`).
  var scale: FeatureScaling { scaleOption ?? .standard }

  @Option(help: "Affinity: rbf (exp(-gamma*|xi-xj|^2) on the features) or precomputed (--matrix).")
  var affinity: AffinityKind = Defaults.affinity

  @Option(parsing: .unconditional, help: ArgumentHelp("RBF gamma (default 1/number of features, as sklearn's rbf_kernel).", valueName: "g"))
  var gamma: Double?

  @Option(help: ArgumentHelp("Square similarity matrix for --affinity precomputed: CSV, header 'id,<ids…>', ids in the first column.", valueName: "file"))
  var matrix: String?

  @Option(help: ArgumentHelp("Graph from the affinity: full, epsilon:E (1 where similarity > E) or knn:K (K nearest by distance — features, or DTW/series distance with --series — incl. self, symmetrised 0.5(A+A')).", valueName: "kind"))
  var graph: String = Defaults.graph

  @Option(help: "Graph Laplacian: normalized (I - D^-1/2 W D^-1/2) or unnormalized (D - W).")
  var laplacian: LaplacianKind = Defaults.laplacian

  @Option(parsing: .unconditional, help: ArgumentHelp("Numbers of clusters: one (5), a range (2...10) or a list (2,4,6).", valueName: "k"))
  var k: KSpecification = Defaults.k

  @Option(parsing: .unconditional, help: "Seed of the random stream (NumPy RandomState semantics; same seed, same output bytes).")
  var seed: UInt32 = Defaults.seed

  @Option(name: .customLong("n-init"), parsing: .unconditional, help: "k-means restarts per k (the best inertia is kept; --progress reports long runs every 10 %).")
  var nInit: Int = Defaults.nInit

  @Option(help: ArgumentHelp("Column with reference labels; reports the adjusted Rand index per k.", valueName: "column"))
  var truth: String?

  @Option(help: ArgumentHelp("Eigensolver: auto (dense LAPACK dsyevr below max(500, 50·(m + max(4, ⌈m/5⌉))) learners for m = max(2·kmax, kmax+1) eigenpairs, block Lanczos from there on), dense or iterative.", valueName: "solver"))
  var eigensolver: SpectralEigenSolver = Defaults.eigensolver

  @Flag(help: "Drop learners with missing values in the chosen columns (default: stop and list them).")
  var dropMissing = false

  @Option(help: ArgumentHelp("Also write the labels for every k to FILE (CSV: id,k2,k3,…).", valueName: "file"))
  var labelsOut: String?

  @Option(help: ArgumentHelp("Learner time series (CSV): long format with --time and --value, or --wide. Replaces --features.", valueName: "file"))
  var series: String?

  @Option(help: ArgumentHelp("With --series (long format): the time column (numbers or ISO dates).", valueName: "column"))
  var time: String?

  @Option(help: ArgumentHelp("With --series (long format): value column(s), comma-separated (several = multivariate).", valueName: "a,b"))
  var value: String?

  @Flag(help: "With --series: wide format (one row per learner, step columns from --columns or every numeric column except --id and --truth, in header order, and every empty column between two of them: a step without data, a gap).")
  var wide = false

  @Option(name: .customLong("fill"), help: "With --series: missing steps inside a series: error (default), zero or previous.")
  var fillOption: SeriesFill?
  var fill: SeriesFill { fillOption ?? .error }

  @Option(name: .customLong("normalize"), help: "With --series: per-series normalisation l2 (default), zscore or none.")
  var normalizeOption: SeriesNormalization?
  var normalize: SeriesNormalization { normalizeOption ?? .l2 }

  @Option(name: .customLong("zero-series"), help: "With --series and l2: all-zero series are an error (default) or kept as zeros (keep).")
  var zeroSeriesOption: ZeroSeriesPolicy?
  var zeroSeries: ZeroSeriesPolicy { zeroSeriesOption ?? .error }

  @Option(name: .customLong("metric"), help: "With --series: dtw (DTW distances, affinity exp(-gamma*D^2); the default), euclidean (normalised series) or mean (per-learner mean).")
  var metricOption: SeriesMetric?
  var metric: SeriesMetric { metricOption ?? .dtw }

  @Option(parsing: .unconditional, help: ArgumentHelp("With --metric dtw: Sakoe-Chiba radius r >= 0 or 'full' (default).", valueName: "r|full"))
  var radius: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("With --series: DTW worker threads (default: all online processors).", valueName: "n"))
  var threads: Int?

  @Option(name: .customLong("max-memory"), help: ArgumentHelp("Memory limit for the N×N matrices: a size (512M, 8G) or a share of physical memory (default 75%).", valueName: "size"))
  var maxMemory: String?

  @OptionGroup var output: OutputOptions

  /// The options as plain values: everything `cluster` does works on these (``ClusterSettings``).
  var settings: ClusterSettings {
    ClusterSettings(
      features: features, id: id, columns: columns, scaleOption: scaleOption, affinity: affinity, gamma: gamma, matrix: matrix, graph: graph, laplacian: laplacian, k: k, seed: seed, nInit: nInit, truth: truth, eigensolver: eigensolver, dropMissing: dropMissing, labelsOut: labelsOut, series: series, time: time, value: value, wide: wide, fillOption: fillOption, normalizeOption: normalizeOption, zeroSeriesOption: zeroSeriesOption, metricOption: metricOption, radius: radius, threads: threads, maxMemory: maxMemory, output: output.settings)
  }

  func validate() throws { try settings.validate() }

  func execute() throws { try settings.execute() }
}

/// The options of `cluster` as plain values (no property wrappers), and the command's work.
///
/// ``ClusterCommand`` (swift-argument-parser) converts its options into this; the common `cluster --name value …`
/// line is read into it directly (``direct(_:)``), so a run never instantiates swift-argument-parser's property
/// wrappers (their generic metadata, name sets and protocol-conformance lookups, each a scan of every conformance
/// record of the binary). Measured on the shared 2-core x86-64 machine, release binaries old and new interleaved,
/// 100 rounds: the benchmark run on `Benchmarks/data/blobs8_n1000.csv` (n = 1000, --k 5, JSON to --output)
/// 21.22 → 20.45 ms wall min, 22.78 → 22.40 ms median; a `cluster` line whose feature file does not exist
/// 3.69 → 3.24 ms min, 4.12 → 3.56 ms median.
/// One property per option of ``ClusterCommand``, with the same name and default (checked by the tests).
struct ClusterSettings {
  typealias Defaults = ClusterCommand.Defaults

  var features: String? = nil
  var id: String? = nil
  var columns: String? = nil
  var scaleOption: FeatureScaling? = nil
  var affinity: AffinityKind = Defaults.affinity
  var gamma: Double? = nil
  var matrix: String? = nil
  var graph: String = Defaults.graph
  var laplacian: LaplacianKind = Defaults.laplacian
  var k: KSpecification = Defaults.k
  var seed: UInt32 = Defaults.seed
  var nInit: Int = Defaults.nInit
  var truth: String? = nil
  var eigensolver: SpectralEigenSolver = Defaults.eigensolver
  var dropMissing: Bool = false
  var labelsOut: String? = nil
  var series: String? = nil
  var time: String? = nil
  var value: String? = nil
  var wide: Bool = false
  var fillOption: SeriesFill? = nil
  var normalizeOption: SeriesNormalization? = nil
  var zeroSeriesOption: ZeroSeriesPolicy? = nil
  var metricOption: SeriesMetric? = nil
  var radius: String? = nil
  var threads: Int? = nil
  var maxMemory: String? = nil
  var output = OutputSettings()

  /// `--scale`, default `standard` (given only with `--features`, `--affinity rbf`).
  var scale: FeatureScaling { scaleOption ?? .standard }
  var fill: SeriesFill { fillOption ?? .error }
  var normalize: SeriesNormalization { normalizeOption ?? .l2 }
  var zeroSeries: ZeroSeriesPolicy { zeroSeriesOption ?? .error }
  var metric: SeriesMetric { metricOption ?? .dtw }

  func validate() throws {
    try k.validated()
    if let path = labelsOut { try validateOutputPath(path, flag: "--labels-out") }
    if series != nil {
      if features != nil || matrix != nil || affinity == .precomputed {
        throw ValidationError("--series replaces --features / --affinity precomputed; give one input")
      }
      // Options of the feature table have no effect on series: an error, never silently ignored.
      if scaleOption != nil {
        throw ValidationError("--scale scales the columns of --features; learner series are normalised with --normalize l2|zscore|none")
      }
      if dropMissing {
        throw ValidationError("--drop-missing leaves out learners with missing feature values in --features; with --series a missing step inside a series is filled with --fill zero|previous (missing steps at the end shorten the series)")
      }
      if id == nil { throw ValidationError("give --id COLUMN naming the learner id column of --series") }
      if let r = radius { _ = try parseRadius(r) }
      if radius != nil && metric != .dtw { throw ValidationError("--radius applies to --metric dtw only") }
      if metric == .mean && normalize == .zscore {
        // Every z-scored feature has mean 0 (up to rounding): the learners' means would differ only by
        // rounding noise, and the clusters with them.
        throw ValidationError("--metric mean with --normalize zscore compares means that are 0 for every learner (z-scores have mean 0 by construction), so the clusters would only split rounding noise; use --normalize none (the raw means) or l2, or --metric dtw|euclidean for z-scored series")
      }
      if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
      if let g = gamma, !(g > 0 && g.isFinite) { throw ValidationError("--gamma must be a positive number") }
      if nInit < 1 { throw ValidationError("--n-init must be at least 1") }
      if k.values.contains(where: { $0 < 2 }) { throw ValidationError("every k must be at least 2 (got \(k.text))") }
      do { _ = try GraphConstruction(parsing: graph) } catch { throw ValidationError("--graph: \(error)") }
      return
    }
    let seriesOnly = [("--time", time != nil), ("--value", value != nil), ("--wide", wide), ("--radius", radius != nil),
      ("--fill", fillOption != nil), ("--normalize", normalizeOption != nil), ("--zero-series", zeroSeriesOption != nil),
      ("--metric", metricOption != nil), ("--threads", threads != nil)].filter(\.1).map(\.0)
    if !seriesOnly.isEmpty {
      throw ValidationError("\(seriesOnly.joined(separator: ", ")) describe\(seriesOnly.count == 1 ? "s" : "") learner time series; give --series FILE (or leave \(seriesOnly.count == 1 ? "it" : "them") out)")
    }
    if affinity == .precomputed && matrix == nil {
      throw ValidationError("--affinity precomputed needs --matrix FILE")
    }
    if affinity == .rbf && features == nil {
      throw ValidationError("give --features FILE (or --affinity precomputed --matrix FILE)")
    }
    if affinity == .rbf && id == nil {
      throw ValidationError("give --id COLUMN naming the learner id column of --features")
    }
    if matrix != nil && affinity != .precomputed {
      throw ValidationError("--matrix is only read with --affinity precomputed")
    }
    if affinity == .precomputed {
      // The matrix is used as given; --features only supplies the --truth labels.
      let tableOnly = [("--scale", scaleOption != nil), ("--gamma", gamma != nil), ("--columns", columns != nil),
        ("--drop-missing", dropMissing)].filter(\.1).map(\.0)
      if !tableOnly.isEmpty {
        throw ValidationError("\(tableOnly.joined(separator: ", ")) appl\(tableOnly.count == 1 ? "ies" : "y") to the rbf affinity of --features; --affinity precomputed uses the matrix as given (--features only supplies the --truth labels)")
      }
      // --features and --id only supply the --truth labels here: all three or none, never silently unread.
      if truth != nil && (features == nil || id == nil) {
        throw ValidationError("--truth with --affinity precomputed needs --features FILE and --id COLUMN to read the labels")
      }
      let truthOnly = [("--features", features != nil), ("--id", id != nil)].filter(\.1).map(\.0)
      if truth == nil && !truthOnly.isEmpty {
        throw ValidationError("\(truthOnly.joined(separator: ", ")) only suppl\(truthOnly.count == 1 ? "ies" : "y") the --truth labels with --affinity precomputed (the matrix is clustered as given); add --truth COLUMN or leave \(truthOnly.count == 1 ? "it" : "them") out")
      }
    }
    if let g = gamma, !(g > 0 && g.isFinite) { throw ValidationError("--gamma must be a positive number") }
    if nInit < 1 { throw ValidationError("--n-init must be at least 1") }
    if k.values.contains(where: { $0 < 2 }) {
      throw ValidationError("every k must be at least 2 (got \(k.text))")
    }
    do { _ = try GraphConstruction(parsing: graph) } catch { throw ValidationError("--graph: \(error)") }
  }

  /// Everything one clustering run produces, before anything is written.
  struct Run {
    var report: ClusterReport
    var warnings: [String]
    var inputs: [(role: String, path: String)]
    var digests: [String: String]
    /// Raw learner series (`--series` only), in the order of `report.ids`.
    var rawSeries: SeriesSet? = nil
    /// DTW distances (`--series --metric dtw`, when asked to keep them).
    var distances: Matrix? = nil
  }

  func execute() throws {
    let progress = Progress(forced: output.progress)
    let wantsJSON = output.format == .json
    let run = try series != nil
      ? computeSeries(progress: progress, wantsJSON: wantsJSON, keepDistances: false)
      : compute(progress: progress, wantsJSON: wantsJSON)
    for w in run.warnings { printError("cohortlens cluster: warning: \(w)") }
    // The report and the labels are written together: both or neither.
    let labels = labelsOut.map { [(path: $0, bytes: Array(run.report.labelsCSV().utf8))] } ?? []
    try emit(run.report.render(output.format), options: output, alongside: labels)
    progress.report("done")
  }

  /// Clusters a feature table or a precomputed similarity matrix.
  func compute(progress: Progress, wantsJSON: Bool) throws -> Run {
    let graphKind = try GraphConstruction(parsing: graph)
    let budget = try MemoryBudget(parsing: maxMemory)
    var warnings: [String] = []
    var inputs: [(role: String, path: String)] = []
    // JSON carries each input's sha256: hash the feature table while it is read, not afterwards.
    var digests: [String: String] = [:]
    let ids: [String]
    var adjacency: Matrix
    var usedColumns: [String] = []
    var gammaUsed: Double?
    var dropped: [String] = []
    var inputOrder: [(id: String, clustered: Int?)] = []
    var truthValues: [String]?

    if affinity == .precomputed, let matrixPath = matrix {
      progress.report("reading \(matrixPath)")
      inputs.append((role: "matrix", path: matrixPath))
      let square = try SquareMatrixReader.read(path: matrixPath)
      try SpectralMemory.check(budget, learners: square.ids.count, features: 0, kMax: k.values.max() ?? 2, graph: graphKind, solver: eigensolver)
      ids = square.ids
      let checked = try Affinity.precomputed(square.matrix)
      warnings.append(contentsOf: checked.warnings.map(\.description))
      try checkGraph(graphKind, learners: checked.matrix.rows)
      adjacency = try graphKind.adjacency(similarity: checked.matrix, features: nil)
      if let truthColumn = truth {
        guard let featuresPath = features, let idColumn = id else {
          throw UsageError("--truth with --affinity precomputed needs --features FILE and --id COLUMN to read the labels")
        }
        inputs.append((role: "features", path: featuresPath))
        let table = try Table.read(path: featuresPath, digest: wantsJSON)
        if let h = table.sha256 { digests[featuresPath] = h }
        let tableIds = try table.ids(idColumn)
        let truthIndex = try table.columnIndex(truthColumn)
        let labels = try table.strings(at: truthIndex)
        var rowOfId: [ExactText: Int] = [:]
        for (i, s) in tableIds.enumerated() { rowOfId[ExactText(s)] = i }
        // A matrix learner absent from the table: no cell to point at, so the ids are listed.
        let absent = ids.filter { rowOfId[ExactText($0)] == nil }
        if !absent.isEmpty {
          throw InputError(file: featuresPath, line: nil, column: nil,
            message: "\(absent.count) matrix id(s) are not in the \(MessageText.quoted(idColumn)) column, e.g. \(absent.prefix(5).map { MessageText.excerpt($0) }.joined(separator: ", "))",
            hint: "add those learners to the feature table or drop --truth")
        }
        // A learner whose --truth cell is missing: an error at that cell, as with a feature table.
        var values: [String] = []
        for id in ids {
          let r = rowOfId[ExactText(id)]!
          guard let v = labels[r] else {
            throw Self.missingTruth(table: table, row: r, column: truthIndex, id: id, truthColumn: truthColumn,
              hint: "fill the cell, remove the learner from the matrix, or leave out --truth")
          }
          values.append(v)
        }
        truthValues = values
      }
    } else {
      guard let featuresPath = features, let idColumn = id else { throw UsageError("give --features FILE and --id COLUMN") }
      progress.report("reading \(featuresPath)")
      inputs.append((role: "features", path: featuresPath))
      let table = try Table.read(path: featuresPath, digest: wantsJSON)
      if let h = table.sha256 { digests[featuresPath] = h }
      try table.requireDataRows()
      let allIds = try table.ids(idColumn)
      if let w = IdSpelling.lookalikeWarning(allIds, column: idColumn) { warnings.append(w) }
      if let list = columns {
        usedColumns = try resolvedColumns(try splitColumnList(list, option: "--columns"), in: table, option: "--columns")
        if usedColumns.isEmpty { throw UsageError("--columns names no column") }
        // The id (and the --truth labels) describe learners, they are not features: a numeric id would
        // otherwise silently become a coordinate (and the truth labels would leak into the clustering).
        let selected = Set(try usedColumns.map { try table.columnIndex($0) })
        for (role, name) in [("--id", idColumn)] + (truth.map { [("--truth", $0)] } ?? [])
        where selected.contains(try table.columnIndex(name)) {
          let why = role == "--id" ? "ids name learners, they are not features" : "the reference labels are not features (they would leak into the clusters they are compared with)"
          throw UsageError("--columns selects \(MessageText.quoted(name)), the \(role) column: \(why)",
                           hint: "leave it out of --columns", option: "columns", subject: name)
        }
      } else {
        let chosen = try defaultFeatureColumns(table, excluding: Set([idColumn] + (truth.map { [$0] } ?? [])))
        usedColumns = chosen.columns
        warnings.append(contentsOf: leftOutColumnWarnings(skipped: chosen.skipped, unnamed: chosen.unnamed))
        if usedColumns.isEmpty {
          // Name what was left out (text, empty or unnamed columns): the reason there is nothing to cluster.
          let leftOut = chosen.skipped + chosen.unnamed
          let which = leftOut.isEmpty ? "" : " (left out: \(leftOut.prefix(10).map { MessageText.excerpt($0) }.joined(separator: ", "))\(leftOut.count > 10 ? ", …" : "") — not numeric or without a name)"
          throw UsageError("\(featuresPath) has no numeric column besides \(MessageText.quoted(idColumn))\(which); name the features with --columns")
        }
      }
      let numeric = try table.numericMatrix(columns: usedColumns, missing: dropMissing ? .drop : .error)
      let kept = numeric.keptRows
      if kept.count < allIds.count {
        let keptSet = Set(kept)
        dropped = allIds.indices.filter { !keptSet.contains($0) }.map { allIds[$0] }
        var position: [Int: Int] = [:]
        for (i, r) in kept.enumerated() { position[r] = i }
        inputOrder = allIds.indices.map { (id: allIds[$0], clustered: position[$0]) }
        warnings.append("dropped \(dropped.count) learner(s) with missing values (--drop-missing)")
      }
      ids = kept.map { allIds[$0] }
      var x = Matrix(rows: kept.count, columns: usedColumns.count, storage: numeric.values)
      if let truthColumn = truth {
        let labels = try table.strings(truthColumn)
        var values: [String] = []
        for r in kept {
          guard let v = labels[r] else {
            throw Self.missingTruth(table: table, row: r, column: try table.columnIndex(truthColumn), id: allIds[r],
              truthColumn: truthColumn,
              hint: "fill the cell, remove the learner's row, or leave out --truth (--drop-missing only leaves out learners with missing feature values)")
          }
          values.append(v)
        }
        truthValues = values
      }
      progress.report("read \(kept.count) learners × \(usedColumns.count) features")
      warnings.append(contentsOf: featureWarnings(x, columns: usedColumns, ks: k.values))
      x = scale.apply(x)
      try Self.checkSquaredDistances(x, table: table, rows: kept, columns: usedColumns)
      let g = gamma ?? 1.0 / Double(max(1, x.columns))
      gammaUsed = g
      progress.report("rbf affinity of \(x.rows) learners (gamma \(g))")
      try SpectralMemory.check(budget, learners: x.rows, features: x.columns, kMax: k.values.max() ?? 2, graph: graphKind, solver: eigensolver)
      let s = Affinity.rbf(x, gamma: g)
      try checkGraph(graphKind, learners: x.rows)
      adjacency = try graphKind.adjacency(similarity: s, features: x)
    }

    let n = ids.count
    let ks = k.values
    let result = try sweep(adjacency: consume adjacency, n: n, truth: truthValues, progress: progress)
    progress.report("clustered; writing the report")
    warnings.append(contentsOf: result.warnings)

    var parameters: [(String, JSONValue)] = []
    if let f = features { parameters.append(("features", .string(f))) }
    if let i = id { parameters.append(("id", .string(i))) }
    if !usedColumns.isEmpty { parameters.append(("columns", .array(usedColumns.map { .string($0) }))) }
    parameters.append(("scale", .string(affinity == .precomputed ? "none" : scale.rawValue)))
    parameters.append(("affinity", .string(affinity.rawValue)))
    if let m = matrix { parameters.append(("matrix", .string(m))) }
    parameters.append(("gamma", gammaUsed.map { .double($0) } ?? .null))
    parameters.append(("graph", .string((try? GraphConstruction(parsing: graph))?.description ?? graph)))
    parameters.append(("laplacian", .string(laplacian.rawValue)))
    parameters.append(("k", .array(ks.map { .int($0) })))
    parameters.append(("n_init", .int(nInit)))
    parameters.append(("eigensolver", .string(eigensolver.rawValue)))
    parameters.append(("drop_missing", .bool(dropMissing)))
    parameters.append(("truth", truth.map { .string($0) } ?? .null))

    var report = ClusterReport(
      ids: ids, dropped: dropped, result: result, warnings: warnings,
      header: wantsJSON
        ? try provenance(command: "cluster", parameters: parameters, seed: seed, inputs: inputs, digests: digests) : [],
      description: describe(n: n, columns: usedColumns, gamma: gammaUsed, graph: graph))
    report.inputOrder = inputOrder
    return Run(report: report, warnings: warnings, inputs: inputs, digests: digests)
  }

  /// The error for learner `id` whose `--truth` cell (`row`, `column` of `table`) is missing, located at that cell.
  static func missingTruth(table: Table, row: Int, column: Int, id: String, truthColumn: String, hint: String) -> InputError {
    InputError(table: table, row: row, column: column,
      message: "learner \(MessageText.quoted(id)) has no value in the --truth column \(MessageText.quoted(truthColumn))",
      hint: hint)
  }

  /// Usage check of `--graph knn:K` once the number of learners is known: K counts the learner
  /// itself, so it must be at most n.
  func checkGraph(_ kind: GraphConstruction, learners n: Int) throws {
    if case .knn(let kNeighbours) = kind, kNeighbours > n {
      throw UsageError("--graph knn:\(kNeighbours) asks for more neighbours than learners (n = \(n)); choose K in 1...\(n) (K counts the learner itself)")
    }
  }

  /// From this many k-means restarts (number of k × `--n-init`) on, `--progress` reports them every 10 %.
  static let restartProgressThreshold = 100

  /// The spectral sweep over `--k` of an `n`-learner graph (k < n checked first).
  func sweep(adjacency: consuming Matrix, n: Int, truth: [String]?, progress: Progress) throws -> SweepResult {
    let ks = k.values
    if let bad = ks.first(where: { $0 >= n }) {
      let hint = n >= 3
        ? "choose k in 2...\(n - 1)"
        : "clustering needs at least 3 learners (k = 2 needs n ≥ 3); check the input" + (dropMissing ? " and the rows --drop-missing removed" : "")
      throw UsageError("k = \(bad) needs more learners than clusters, but there are n = \(n); \(hint)", option: "k")
    }
    progress.report("spectral embedding of \(n) learners, k = \(MessageText.joined(ks.map(String.init), separator: ","))")
    // Long --n-init runs report the k-means restarts done, every 10 % (as `dtw` reports its pairs).
    let total = ks.count * nInit
    let shared = progress
    let restarts: (@Sendable (Int, Int) -> Void)? = shared.enabled && total >= Self.restartProgressThreshold
      ? { @Sendable done, all in
          if done == all || (done * 10 / all) != ((done - 1) * 10 / all) {
            shared.report("k-means: \(done * 100 / all)% of \(all) restarts (\(ks.count) k × --n-init \(nInit))")
          }
        } : nil
    return try SpectralSweep.run(
      adjacency: consume adjacency,
      configuration: SweepConfiguration(ks: ks, laplacian: laplacian, seed: seed, initCount: nInit, solver: eigensolver),
      truth: truth, progress: { progress.report($0) }, restartProgress: restarts)
  }

  /// Warnings about the chosen features: constant columns (they carry no information) and fewer
  /// distinct learners than clusters (identical learners would then be split by rounding noise).
  private func featureWarnings(_ x: Matrix, columns: [String], ks: [Int]) -> [String] {
    var out: [String] = []
    var constant: [String] = []
    for j in 0..<x.columns where x.rows > 0 {
      let first = x[0, j]
      if (1..<x.rows).allSatisfy({ x[$0, j] == first }) { constant.append(columns[j]) }
    }
    if !constant.isEmpty {
      out.append("constant column(s) carry no information: \(constant.joined(separator: ", "))")
    }
    if let kMax = ks.max(), let distinct = Self.distinctCount((0..<x.rows).lazy.map { x.row($0) }, below: kMax) {
      out.append("only \(distinct) distinct learner(s) in the chosen features, fewer than k = \(kMax); clusters beyond that split identical learners by rounding noise")
    }
    return out
  }

  /// The number of distinct learners (rows compared value by value) when it is below `kMax`, else nil:
  /// clusters beyond that number only split identical learners by rounding noise. Stops at `kMax`
  /// distinct rows. O(n × row length).
  ///
  /// The first ``distinctListLimit`` distinct rows are kept in a list and compared one by one (as `Set` compares
  /// them, with `==`: `-0.0` equals `0.0`, a row holding NaN equals no row); a `Set<[Double]>` takes over from
  /// there. Usual data (distinct learners, k ≤ 16) thus never builds the set, whose first use costs a scan of the
  /// binary's protocol conformances (`Array: Hashable`, `Double: Hashable`), ≈ 0.09 ms of a fresh process.
  static func distinctCount(_ rows: some Sequence<[Double]>, below kMax: Int) -> Int? {
    var list: [[Double]] = []
    var set: Set<[Double]>? = nil
    for r in rows {
      if set != nil {
        set!.insert(r)
      } else if !list.contains(where: { $0 == r }) {
        list.append(r)
        if list.count > distinctListLimit { set = Set(list) }
      }
      if (set?.count ?? list.count) >= kMax { return nil }
    }
    return set?.count ?? list.count
  }

  /// How many distinct rows ``distinctCount(_:below:)`` compares one by one before it uses a `Set`.
  static let distinctListLimit = 16

  private func describe(n: Int, columns: [String], gamma: Double?, graph: String) -> String {
    var parts = ["\(n) learners"]
    if affinity == .precomputed {
      parts.append("precomputed affinity")
    } else {
      parts.append("features \(MessageText.joined(columns, separator: ", "))")
      parts.append("scale \(scale.rawValue)")
      if let g = gamma { parts.append("rbf gamma \(NumberFormatting.roundTrip(g))") }
    }
    parts.append("graph \(graph)")
    parts.append("\(laplacian.rawValue) Laplacian")
    parts.append("seed \(seed)")
    return MessageText.joined(parts, separator: "; ")
  }
}

/// The affinity source of `cluster`.
enum AffinityKind: String, KeywordArgument {
  case rbf, precomputed
}

extension FeatureScaling: KeywordArgument {
  public init?(argument: String) { self.init(keywordArgument: argument) }
}
extension LaplacianKind: KeywordArgument {
  public init?(argument: String) { self.init(keywordArgument: argument) }
}
extension SpectralEigenSolver: KeywordArgument {
  public init?(argument: String) { self.init(keywordArgument: argument) }
}

extension ClusterCommand {
  var inputFiles: [(flag: String, path: String?)] { settings.inputFiles }
  var outputFiles: [(flag: String, path: String?)] { settings.outputFiles }
}

extension ClusterSettings {
  var inputFiles: [(flag: String, path: String?)] {
    [("--features", features), ("--matrix", matrix), ("--series", series)]
  }
  var outputFiles: [(flag: String, path: String?)] { [("--output", output.output), ("--labels-out", labelsOut)] }

  /// Runs the command as ``ClusterCommand``'s `run()` does (``runCommand(name:inputs:outputs:execute:)``).
  func run() throws {
    try runCommand(name: ClusterCommand.configuration.commandName ?? "", inputs: inputFiles, outputs: outputFiles) {
      try execute()
    }
  }
}
