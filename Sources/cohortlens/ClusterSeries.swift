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

/// How `cluster --series` turns learner time series into an affinity.
enum SeriesMetric: String, KeywordArgument {
  /// DTW distances D of the normalised series, affinity exp(−γ·D²) (lecture 11 `get_affinity_matrix`).
  case dtw
  /// Euclidean distances of the normalised series (equal lengths), affinity exp(−γ·‖x − y‖²).
  case euclidean
  /// Each learner's mean value per feature (of the normalised series), affinity exp(−γ·‖μx − μy‖²). Not with
  /// `--normalize zscore` (a usage error: every z-scored mean is 0).
  case mean
}

/// Per cluster: its size and the mean raw series per step (profiles of `cluster --series`).
struct ClusterProfile {
  /// Number of learners in the cluster.
  var size: Int
  /// `mean[t][f]`: mean of feature f at step t over the cluster's learners whose series has step t (raw values,
  /// before normalisation); nil when no learner of the cluster reaches step t.
  var mean: [[Double]?]
  /// Learners of the cluster whose series has step t.
  var count: [Int]
}

/// Cluster profiles of every k of a sweep, with the step labels and feature names.
struct SeriesProfiles {
  var steps: [String]
  var features: [String]
  /// One list per sweep entry, indexed by cluster label.
  var entries: [[ClusterProfile]]
  /// True when every series has every step (then `count` equals `size` everywhere).
  var equalLengths: Bool

  static func compute(raw: SeriesSet, result: SweepResult) -> SeriesProfiles {
    let d = raw.dimensions
    let steps = raw.steps.count
    var all: [[ClusterProfile]] = []
    for e in result.entries {
      var sums = [[Double]](repeating: [Double](repeating: 0, count: steps * d), count: e.k)
      var counts = [[Int]](repeating: [Int](repeating: 0, count: steps), count: e.k)
      for (i, s) in raw.series.enumerated() {
        let c = e.labels[i]
        for t in 0..<(s.count / d) {
          counts[c][t] += 1
          for f in 0..<d { sums[c][t * d + f] += s[t * d + f] }
        }
      }
      var profiles: [ClusterProfile] = []
      for c in 0..<e.k {
        var mean: [[Double]?] = []
        for t in 0..<steps {
          let count = counts[c][t]
          if count == 0 {
            mean.append(nil)
            continue
          }
          var m = [Double](repeating: 0, count: d)
          for f in 0..<d {
            m[f] = sums[c][t * d + f] / Double(count)
            if !m[f].isFinite {
              // The sum overflowed (raw values near ±1.8e308): the mean of the same values without overflow.
              var values: [Double] = []
              for (i, s) in raw.series.enumerated() where e.labels[i] == c && t * d + f < s.count {
                values.append(s[t * d + f])
              }
              m[f] = StableMoments.mean(values) ?? m[f]
            }
          }
          mean.append(m)
        }
        profiles.append(ClusterProfile(size: e.clusterSizes[c], mean: mean, count: counts[c]))
      }
      all.append(profiles)
    }
    let equal = raw.series.allSatisfy { $0.count == steps * d }
    return SeriesProfiles(steps: raw.steps, features: raw.features, entries: all, equalLengths: equal)
  }

  func json(entry index: Int) -> JSONValue {
    .array(entries[index].enumerated().map { c, p in
      var fields: [(String, JSONValue)] = [("cluster", .int(c)), ("size", .int(p.size))]
      fields.append(("mean", .array(p.mean.map { m in
        guard let m else { return .null }
        return features.count == 1 ? .double(m[0]) : .array(m.map { .double($0) })
      })))
      if !equalLengths { fields.append(("learners_per_step", .array(p.count.map { .int($0) }))) }
      return .object(fields)
    })
  }

  /// One row per cluster (and feature): size, then the mean per step (4 significant digits).
  func table(entry index: Int, readable: Bool) -> TextTable {
    let multi = features.count > 1
    var headers = ["cluster", "size"]
    if multi { headers.append("feature") }
    headers += steps
    var table = TextTable(headers: headers, alignments: headers.indices.map { $0 == 2 && multi ? .left : .right })
    for (c, p) in entries[index].enumerated() {
      for (f, name) in features.enumerated() {
        var row = [String(c), String(p.size)]
        if multi { row.append(name) }
        row += p.mean.map { m in
          guard let m else { return "" }
          return readable ? NumberFormatting.significant(m[f], digits: 4) : NumberFormatting.roundTrip(m[f])
        }
        table.append(row)
      }
    }
    return table
  }
}

extension ClusterSettings {
  /// `cluster --series`: learner time series → distances → affinity → the spectral sweep, with profiles.
  /// Clusters learner time series (`--series`); `keepDistances` keeps the DTW matrix in the run.
  func computeSeries(progress: Progress, wantsJSON: Bool, keepDistances: Bool) throws -> Run {
    guard let path = series, let idColumn = id else { throw UsageError("give --series FILE and --id COLUMN") }
    let graphKind = try GraphConstruction(parsing: graph)
    progress.report("reading \(path)")
    let read = try readSeries(path: path, id: idColumn, time: time, value: value, wide: wide, columns: columns,
      fill: fill, digest: wantsJSON, exclude: truth.map { [$0] } ?? [])
    let raw = read.set
    let set = try normalizedSeries(raw, method: normalize, zero: zeroSeries, path: path, table: read.table, id: idColumn)
    let n = set.ids.count
    let d = set.dimensions
    let lengths = set.series.map { $0.count / d }
    try SpectralMemory.check(MemoryBudget(parsing: maxMemory), learners: n, features: 0, kMax: k.values.max() ?? 2, graph: graphKind, solver: eigensolver)
    progress.report("read \(n) learners, \(lengths.min()!)–\(lengths.max()!) steps, \(d) feature(s); normalised (\(normalize.name))")
    var warnings: [String] = []
    if let w = IdSpelling.lookalikeWarning(raw.ids, column: idColumn) { warnings.append(w) }
    if raw.filledCells > 0 { warnings.append("\(raw.filledCells) missing value(s) inside series filled (--fill \(fill.rawValue))") }
    if let w = tslearnDifferenceWarning(raw, method: normalize) { warnings.append(w) }
    if let w = Self.identicalSeriesWarning(set.series, ks: k.values, normalize: normalize.name) { warnings.append(w) }

    var truthValues: [String]?
    if let truthColumn = truth {
      truthValues = try Self.learnerLabels(read.table, idColumn: idColumn, column: truthColumn, ids: set.ids)
    }
    let g = gamma ?? 1.0
    let r = try radius.map(parseRadius) ?? .full
    // The kNN graph ranks neighbours by distance: the Euclidean distance of `features` (euclidean, mean), or
    // the DTW distances `rankBy` (dtw), never by the affinity exp(−γ·D²), whose far values underflow to 0 and
    // near ones round to 1 (ties where the distances differ).
    var features: Matrix?
    var rankBy: Matrix?
    var similarity: Matrix?
    var distances: Matrix?
    switch metric {
    case .dtw:
      progress.report("DTW distances of \(n) learners (radius \(radiusText(r)))")
      let shared = progress
      let report: (@Sendable (Int, Int) -> Void)? = shared.enabled && n >= 500
        ? { @Sendable (done: Int, total: Int) -> Void in shared.report("\(done * 100 / max(1, total))% of pairs") } : nil
      var dtw = DTW.pairwise(set.series, dimensions: d, radius: r, threads: threads, progress: report)
      if seriesDistancesMayOverflow(set), dtw.storage.contains(where: { !$0.isFinite }) {
        throw seriesOverflowError(read.table, path: path, id: idColumn, set: raw, wide: wide, normalize: normalize)
      }
      if keepDistances { distances = dtw }
      if case .knn = graphKind {
        rankBy = dtw
        break
      }
      // Affinity exp(−γ·D²), the lecture's get_affinity_matrix (diagonal exp(0) = 1).
      let negGamma = -g
      dtw.storage.withUnsafeMutableBufferPointer { p in
        for i in p.indices {
          let v = p[i]
          p[i] = exp(negGamma * (v * v))
        }
      }
      similarity = dtw
    case .euclidean:
      guard let l = lengths.first, lengths.allSatisfy({ $0 == l }) else {
        throw UsageError("--metric euclidean needs series of equal length (here \(lengths.min()!)–\(lengths.max()!) steps); use --metric dtw (unequal lengths are fine), or give every learner every step (--fill fills gaps inside a series, not missing last steps)")
      }
      let x = Matrix(rows: n, columns: l * d, storage: set.series.flatMap { $0 })
      if FeatureScaling.squaredDistanceOverflow(x) != nil {
        throw seriesOverflowError(read.table, path: path, id: idColumn, set: raw, wide: wide, normalize: normalize)
      }
      features = x
      if case .knn = graphKind { break }
      progress.report("rbf affinity of \(n) normalised series (gamma \(g))")
      similarity = Affinity.rbf(x, gamma: g)
    case .mean:
      var storage = [Double](repeating: 0, count: n * d)
      for (i, s) in set.series.enumerated() {
        let l = s.count / d
        s.withUnsafeBufferPointer { p in
          for f in 0..<d { storage[i * d + f] = StableMoments.mean(p.baseAddress! + f, count: l, stride: d)! }
        }
      }
      let x = Matrix(rows: n, columns: d, storage: storage)
      if FeatureScaling.squaredDistanceOverflow(x) != nil {
        throw seriesOverflowError(read.table, path: path, id: idColumn, set: raw, wide: wide, normalize: normalize)
      }
      features = x
      if case .knn = graphKind { break }
      progress.report("rbf affinity of \(n) per-learner means (gamma \(g))")
      similarity = Affinity.rbf(x, gamma: g)
    }
    try checkGraph(graphKind, learners: n)
    let adjacency = try graphKind.adjacency(similarity: similarity, features: features, distances: rankBy)

    let ks = k.values
    let result = try sweep(adjacency: consume adjacency, n: n, truth: truthValues, progress: progress)
    warnings.append(contentsOf: result.warnings)
    let profiles = SeriesProfiles.compute(raw: raw, result: result)

    var parameters: [(String, JSONValue)] = [("series", .string(path)), ("id", .string(idColumn))]
    parameters.append(("series_format", .string(wide ? "wide" : "long")))
    if let t = time { parameters.append(("time", .string(t))) }
    parameters.append(("value_columns", .array(raw.features.map { .string($0) })))
    if wide { parameters.append(("columns", .array(raw.steps.map { .string($0) }))) }
    parameters.append(("fill", .string(fill.rawValue)))
    parameters.append(("normalize", .string(normalize.name)))
    parameters.append(("zero_series", .string(zeroSeries.rawValue)))
    parameters.append(("metric", .string(metric.rawValue)))
    parameters.append(("radius", metric == .dtw ? radiusJSON(r) : .null))
    parameters.append(("affinity", .string(metric == .dtw ? "exp(-gamma*D^2)" : "rbf")))
    parameters.append(("gamma", .double(g)))
    parameters.append(("graph", .string(graph)))
    if case .knn = graphKind { parameters.append(("knn_ranked_by", .string(Self.knnRanking(metric)))) }
    parameters.append(("laplacian", .string(laplacian.rawValue)))
    parameters.append(("k", .array(ks.map { .int($0) })))
    parameters.append(("n_init", .int(nInit)))
    parameters.append(("eigensolver", .string(eigensolver.rawValue)))
    parameters.append(("truth", truth.map { .string($0) } ?? .null))
    var digests: [String: String] = [:]
    if let h = read.table.sha256 { digests[path] = h }

    var parts = ["\(n) learners", "series \(raw.features.joined(separator: ", ")) (\(lengths.min()!)–\(lengths.max()!) steps)",
      "normalize \(normalize.name)"]
    if case .knn = graphKind {
      // The kNN graph uses the distances only; gamma plays no part.
      switch metric {
      case .dtw: parts.append("DTW radius \(radiusText(r))")
      case .euclidean: parts.append("Euclidean distances")
      case .mean: parts.append("per-learner mean")
      }
      parts.append("graph \(graph), neighbours by \(Self.knnRanking(metric).split(separator: "_").joined(separator: " "))")
    } else {
      switch metric {
      case .dtw: parts.append("DTW radius \(radiusText(r)), affinity exp(-gamma·D²) gamma \(NumberFormatting.roundTrip(g))")
      case .euclidean: parts.append("Euclidean distances, rbf gamma \(NumberFormatting.roundTrip(g))")
      case .mean: parts.append("per-learner mean, rbf gamma \(NumberFormatting.roundTrip(g))")
      }
      parts.append("graph \(graph)")
    }
    parts.append("\(laplacian.rawValue) Laplacian")
    parts.append("seed \(seed)")

    let report = ClusterReport(
      ids: set.ids, dropped: [], result: result, warnings: warnings,
      header: wantsJSON
        ? try provenance(command: "cluster", parameters: parameters, seed: seed, inputs: [(role: "series", path: path)], digests: digests)
        : [],
      description: parts.joined(separator: "; "), profiles: profiles)
    return Run(
      report: report, warnings: warnings, inputs: [(role: "series", path: path)], digests: digests, rawSeries: raw,
      distances: distances)
  }

  /// The warning when fewer learners have distinct series (after normalisation, compared value by value)
  /// than the largest k: clusters beyond that split identical learners by rounding noise, as
  /// `cluster --features` warns for identical feature rows. Nil otherwise. O(n × length), stops at
  /// k_max + 1 distinct series.
  static func identicalSeriesWarning(_ series: [[Double]], ks: [Int], normalize: String) -> String? {
    guard let kMax = ks.max(), let distinct = distinctCount(series, below: kMax) else { return nil }
    return "only \(distinct) distinct learner series after normalisation (\(normalize)), fewer than k = \(kMax); clusters beyond that split identical learners by rounding noise"
  }

  /// What the kNN graph of `cluster --series` ranks neighbours by, for each metric (JSON `knn_ranked_by`).
  static func knnRanking(_ metric: SeriesMetric) -> String {
    switch metric {
    case .dtw: return "dtw_distance"
    case .euclidean: return "euclidean_distance_of_normalised_series"
    case .mean: return "euclidean_distance_of_learner_means"
    }
  }

  /// Stops `cluster --features` with a located error when squared distances between the rows of the
  /// prepared features `x` exceed the `Double` range even after centring (``FeatureScaling/squaredDistanceOverflow(_:)``:
  /// entries beyond ≈1e154, e.g. a column of ±1e300 with `--scale none`), where the rbf affinity (or a
  /// kNN graph) would hold NaN. The error names the column and its largest |value| in the file, at that
  /// cell (`rows[i]`: the table row of x's row i; `columns`: x's column names), and suggests
  /// `--scale standard`. Does nothing for representable data (O(n·d)).
  static func checkSquaredDistances(_ x: Matrix, table: Table, rows: [Int], columns: [String]) throws {
    guard let entry = FeatureScaling.squaredDistanceOverflow(x) else { return }
    let name = columns[entry.column]
    let c = try table.columnIndex(name)
    let values = try table.numbers(at: c)
    var row = rows[entry.row]
    for r in rows { if let v = values[r], let w = values[row], abs(v) > abs(w) { row = r } }
    let largest = values[row].map(NumberFormatting.roundTrip) ?? "?"
    throw InputError(table: table, row: row, column: c,
      message: "column \(MessageText.quoted(name)) holds \(largest) (its largest |value|); squared distances between learners exceed the largest double (≈1.8e308) even after centring, so affinities between learners cannot be computed",
      hint: "use --scale standard (or minmax), or rescale the column")
  }

  /// The `column` value of each learner in `ids` (the same on every row of the learner, else an error).
  static func learnerLabels(_ table: Table, idColumn: String, column: String, ids: [String]) throws -> [String] {
    let rowIds = try table.strings(idColumn)
    let values = try table.strings(column)
    let columnIndex = try table.columnIndex(column)
    var label: [ExactText: (String, Int)] = [:]  // learners and labels as written (code points)
    for r in 0..<table.rowCount {
      guard let lid = rowIds[r] else { continue }
      guard let v = values[r] else {
        throw InputError(table: table, row: r, column: columnIndex,
          message: "learner \(MessageText.quoted(lid)) has no value in the --truth column \(MessageText.quoted(column))",
          hint: "fill the cell, remove the learner's rows, or leave out --truth")
      }
      if let (seen, line) = label[ExactText(lid)], ExactText(seen) != ExactText(v) {
        throw InputError(table: table, row: r, column: columnIndex,
          message: "learner \(MessageText.quoted(lid)) has two values in the --truth column \(MessageText.quoted(column)): \(MessageText.quoted(seen)) (line \(line)) and \(MessageText.quoted(v))",
          hint: "the reference label must be the same on every row of a learner")
      }
      if label[ExactText(lid)] == nil { label[ExactText(lid)] = (v, table.location(row: r, column: columnIndex).line) }
    }
    return ids.map { label[ExactText($0)]!.0 }
  }
}
