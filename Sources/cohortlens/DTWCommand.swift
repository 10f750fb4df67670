import ArgumentParser
import CohortLensCore
import Dispatch
import LinearAlgebra
import TimeSeries

/// `cohortlens dtw`: the DTW distance matrix of learner time series, or each learner's k nearest learners.
struct DTWCommand: CohortLensCommand {
  static let configuration = CommandConfiguration(
    commandName: "dtw",
    abstract: "Dynamic-time-warping distances between learner time series (matrix or k nearest neighbours).",
    discussion: """
      DTW as tslearn 0.10 cdist_dtw, to the last bit: local cost = squared difference summed over \
      the value columns, three-neighbour minimum, square root of the total. --radius r is the \
      Sakoe-Chiba radius (tslearn sakoe_chiba_radius=r; dtaidistance window=r+1; dtw-python \
      window_size=r): equal lengths |i-j| <= r, unequal lengths n >= m: -r <= i-j <= (n-m)+r. \
      'full' is unconstrained. Series are normalised first (--normalize l2: x/||x||, the lecture's).

      Output: with --output D.csv the n x n matrix (header 'id,<ids>', round-trip numbers; any \
      extension other than .npy, .json and .md gives the same CSV); with --output D.npy a float64 \
      C-order NumPy array (numpy.load) and the ids in D.ids.txt; without --output a summary in \
      --format. A matrix cannot go to .json or .md (a usage error naming .csv and .npy). With \
      --knn K the K nearest learners of each learner (id,rank,neighbour,distance), exact, \
      computed without the n x n matrix, in --format; without --format the extension of \
      --output chooses (.csv, .json, .md; otherwise the aligned table). .npy holds the matrix \
      only: --knn with a .npy output is a usage error.

      Examples (from the CohortLens folder):
        cohortlens dtw --id student_id --time biweek_of_year --value hours \\
          --series Fixtures/flipped-classroom/hours_biweek_students.csv \\
          --radius 6 --output D.csv
        cohortlens dtw --id user --time week --value sessions,clicks_weekday \\
          --series Fixtures/flipped-classroom/time_series_fc.csv \\
          --normalize zscore --radius 2 --knn 5 --output neighbours.csv
      """
  )

  @Option(help: ArgumentHelp("Series table (CSV with a header).", valueName: "file"))
  var series: String

  @Option(help: ArgumentHelp("Column holding the learner id.", valueName: "column"))
  var id: String

  @Option(help: ArgumentHelp("Long format: the time column (numbers or ISO dates; steps are ordered by it).", valueName: "column"))
  var time: String?

  @Option(help: ArgumentHelp("Long format: value column(s), comma-separated (several = multivariate series).", valueName: "a,b"))
  var value: String?

  @Flag(help: "Wide format: one row per learner, the step columns in header order.")
  var wide = false

  @Option(help: ArgumentHelp("With --wide: the step columns (default: every numeric column except --id, in header order, and every empty column between two of them: a step without data, a gap).", valueName: "a,b,c"))
  var columns: String?

  @Option(help: "Missing steps inside a series: error (default), zero, or previous (repeat the last value).")
  var fill: SeriesFill = .error

  @Option(help: "Per-series normalisation: l2 (x/||x||, default), zscore (per feature, population std) or none.")
  var normalize: SeriesNormalization = .l2

  @Option(name: .customLong("zero-series"), help: "All-zero series under l2: error (default, lists them) or keep (as zeros).")
  var zeroSeries: ZeroSeriesPolicy = .error

  @Option(parsing: .unconditional, help: ArgumentHelp("Sakoe-Chiba radius r >= 0, or 'full' (unconstrained).", valueName: "r|full"))
  var radius: String

  @Option(parsing: .unconditional, help: ArgumentHelp("Worker threads (default: all online processors). The result does not depend on it.", valueName: "n"))
  var threads: Int?

  @Option(parsing: .unconditional, help: ArgumentHelp("Report each learner's K nearest learners instead of the matrix.", valueName: "K"))
  var knn: Int?

  @Option(name: .customLong("max-memory"), help: ArgumentHelp("Memory limit for the n×n matrix and its output buffer: a size (512M, 8G) or a share of physical memory (default 75%). Not used with --knn.", valueName: "size"))
  var maxMemory: String?
  @Flag(inversion: .prefixedNo, help: ArgumentHelp(
    "fsync the output file before renaming it into place (default). With --no-fsync the output is still written to a temporary file and renamed (never partial), but after an OS crash or power loss it may be missing or empty."))
  var fsync = true

  @OptionGroup var output: DTWOutputOptions

  func validate() throws {
    _ = try parseRadius(radius)
    if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
    if let k = knn, k < 1 { throw ValidationError("--knn must be at least 1, got \(k)") }
    _ = try product()
  }

  /// What `dtw` writes, decided from `--knn`, `--output` and `--format` (one rule, checked before any work):
  ///
  /// | | `.npy` | `.csv` | `.json` | `.md`, `.markdown` | other extension or none | no `--output` |
  /// | --- | --- | --- | --- | --- | --- | --- |
  /// | matrix | NumPy + `.ids.txt` | CSV | usage error | usage error | CSV | summary in `--format` |
  /// | `--knn` | usage error | CSV | JSON | Markdown | aligned table | table on stdout |
  ///
  /// An explicit `--format` decides the format of the `--knn` table and of the summary; for a matrix file it
  /// can only be `csv` (CSV destinations) and is not accepted with `.npy`.
  enum Product: Equatable {
    case npyMatrix(String)
    case csvMatrix(String)
    case summary(OutputFormat)
    case neighbours(OutputFormat, String?)
  }

  func product() throws -> Product {
    let ext = output.output.map(outputExtension) ?? ""
    let named: OutputFormat? = switch ext {
    case "csv": .csv
    case "json": .json
    case "md", "markdown": .markdown
    default: nil
    }
    if knn != nil {
      if ext == "npy" {
        throw ValidationError("--output \(output.output!): a .npy file holds the n×n matrix only; --knn writes a table of neighbours (id,rank,neighbour,distance): name a .csv, .json or .md file, or leave out --knn for the matrix")
      }
      return .neighbours(output.format ?? named ?? .table, output.output)
    }
    guard let path = output.output else { return .summary(output.format ?? .table) }
    if ext == "npy" {
      if let f = output.format {
        throw ValidationError("--format \(f.rawValue) does not apply to --output \(path): a .npy file is the NumPy matrix; leave out --format")
      }
      return .npyMatrix(path)
    }
    if let f = named, f != .csv {
      throw ValidationError("--output \(path): the matrix is written as CSV (.csv, or a name without .json/.md) or as NumPy (.npy), not as \(f == .json ? "JSON" : "Markdown"); for the summary in \(f.rawValue) leave out --output (--format \(f.rawValue)), for neighbours use --knn K")
    }
    if let f = output.format, f != .csv {
      throw ValidationError("--format \(f.rawValue) applies to the summary printed without --output and to --knn; the matrix file --output \(path) is CSV (or NumPy with .npy)")
    }
    return .csvMatrix(path)
  }

  func execute() throws {
    let progress = Progress(forced: output.progress)
    let r = try parseRadius(radius)
    let budget = try MemoryBudget(parsing: maxMemory)
    let product = try product()
    let wantsJSON: Bool
    switch product {
    case .summary(let f), .neighbours(let f, _): wantsJSON = f == .json
    case .npyMatrix, .csvMatrix: wantsJSON = false
    }
    progress.report("reading \(series)")
    let read = try readSeries(path: series, id: id, time: time, value: value, wide: wide, columns: columns,
      fill: fill, digest: wantsJSON)
    if case .npyMatrix(let path) = product {
      try checkIdsFitOnePerLine(read.set.ids, table: read.table, path: series, id: id, output: path)
    }
    let set = try normalizedSeries(read.set, method: normalize, zero: zeroSeries, path: series, table: read.table, id: id)
    if let w = IdSpelling.lookalikeWarning(read.set.ids, column: id) { printError("cohortlens dtw: warning: \(w)") }
    if let w = tslearnDifferenceWarning(read.set, method: normalize) { printError("cohortlens dtw: warning: \(w)") }
    // Only data near the Double range can give non-finite distances; only then is the result scanned.
    let mayOverflow = seriesDistancesMayOverflow(set)
    let n = set.ids.count
    let d = set.dimensions
    let lengths = set.series.map { $0.count / d }
    progress.report("read \(n) learners, \(lengths.min()!)–\(lengths.max()!) steps, \(d) feature(s); normalised (\(normalize.name))")

    var parameters: [(String, JSONValue)] = [
      ("series", .string(series)), ("id", .string(id)),
      ("format", .string(wide ? "wide" : "long")),
    ]
    if let t = time { parameters.append(("time", .string(t))) }
    parameters.append(("value_columns", .array(set.features.map { .string($0) })))
    // The step columns read in the wide format (given by --columns or chosen by default), as cluster records them.
    if wide { parameters.append(("columns", .array(set.steps.map { .string($0) }))) }
    parameters.append(("fill", .string(fill.rawValue)))
    parameters.append(("normalize", .string(normalize.name)))
    parameters.append(("zero_series", .string(zeroSeries.rawValue)))
    parameters.append(("radius", radiusJSON(r)))
    if let k = knn { parameters.append(("knn", .int(k))) }
    let inputs = [(role: "series", path: series)]
    var digests: [String: String] = [:]
    if let h = read.table.sha256 { digests[series] = h }

    if let k = knn {
      guard k < n else {
        throw UsageError("--knn \(k) asks for \(k) neighbours but there are only \(n) learners (each has \(n - 1) other\(n - 1 == 1 ? "" : "s")); choose K in 1...\(n - 1)")
      }
      progress.report("\(k) nearest neighbours of \(n) learners (radius \(radiusText(r)))")
      let shared = progress
      let report: (@Sendable (Int, Int) -> Void)? = shared.enabled
        ? { @Sendable (done: Int, total: Int) -> Void in shared.report("\(done)/\(total) query rows") } : nil
      let result = DTW.nearestNeighbors(set.series, dimensions: d, radius: r, k: k, threads: threads, progress: report)
      if mayOverflow, result.distances.contains(where: { $0.contains { !$0.isFinite } }) {
        throw seriesOverflowError(read.table, path: series, id: id, set: read.set, wide: wide, normalize: normalize)
      }
      progress.report("pruned \(result.prunedByKim) by LB_Kim, \(result.prunedByKeogh) by LB_Keogh, \(result.abandoned) abandoned; \(result.computed) DTW computed")
      var table = TextTable(headers: ["id", "rank", "neighbour", "distance"], alignments: [.left, .right, .left, .right])
      for i in 0..<n {
        for rank in 0..<k {
          table.append([set.ids[i], String(rank + 1), set.ids[result.indices[i][rank]],
            NumberFormatting.roundTrip(result.distances[i][rank])])
        }
      }
      guard case .neighbours(let format, _) = product else { preconditionFailure("dtw: --knn without a neighbour product") }
      let text: String
      if format == .json {
        var fields = try provenance(command: "dtw", parameters: parameters, seed: nil, inputs: inputs, digests: digests)
        fields.append(("n", .int(n)))
        fields.append(("neighbours", .array((0..<n).map { i in
          .object([
            ("id", .string(set.ids[i])),
            ("neighbours", .array((0..<k).map { rank in
              .object([("id", .string(set.ids[result.indices[i][rank]])), ("distance", .double(result.distances[i][rank]))])
            })),
          ])
        })))
        text = JSONValue.object(fields).serialized(pretty: true) + "\n"
      } else {
        text = table.render(format)
      }
      try write(text)
      progress.report("done")
      return
    }

    let memoryProduct: DTWMemory.Product
    switch product {
    case .npyMatrix: memoryProduct = .npy
    case .csvMatrix: memoryProduct = .csv
    default: memoryProduct = .summary
    }
    try DTWMemory.check(budget, learners: n, seriesValues: set.series.reduce(0) { $0 + $1.count },
      product: memoryProduct)
    let cells = Self.totalBandCells(lengths: lengths, radius: r)
    progress.report("DTW matrix of \(n) learners: \(n * (n - 1) / 2) pairs, \(cells) band cells (radius \(radiusText(r)))")
    let shared = progress
    let report: (@Sendable (Int, Int) -> Void)? = shared.enabled && n >= 500
      ? { @Sendable (done: Int, total: Int) -> Void in shared.report("\(done * 100 / max(1, total))% of pairs") } : nil
    if case .npyMatrix(let path) = product {
      // Computed straight into the data part of the .npy file (a shared mapping of its temporary file: no
      // n × n buffer, no copy), then renamed into place together with the ids.
      let header = NPYWriter.header(rows: n, columns: n)
      let idsPath = Self.idsPath(forNPY: path)
      try AtomicFile.write(
        mapped: path, size: header.count + n * n * 8,
        companions: [(idsPath, Array(set.ids.map { $0 + "\n" }.joined().utf8))], sync: fsync
      ) { raw in
        raw.copyBytes(from: header)
        let values = UnsafeMutableBufferPointer(
          start: (raw.baseAddress! + header.count).bindMemory(to: Double.self, capacity: n * n), count: n * n)
        DTW.pairwise(set.series, dimensions: d, radius: r, threads: threads, into: values, progress: report)
        if mayOverflow, values.contains(where: { !$0.isFinite }) {
          throw seriesOverflowError(read.table, path: series, id: id, set: read.set, wide: wide, normalize: normalize)
        }
        #if !_endian(little)
          for k in 0..<values.count { values[k] = Double(bitPattern: values[k].bitPattern.littleEndian) }
        #endif
        progress.report("matrix computed")
      }
      progress.report("wrote \(path)")
      return
    }
    let matrix = DTW.pairwise(set.series, dimensions: d, radius: r, threads: threads, progress: report)
    if mayOverflow, matrix.storage.contains(where: { !$0.isFinite }) {
      throw seriesOverflowError(read.table, path: series, id: id, set: read.set, wide: wide, normalize: normalize)
    }
    progress.report("matrix computed")

    if case .csvMatrix(let path) = product {
      try AtomicFile.write(Self.matrixCSV(ids: set.ids, matrix: matrix), to: path, sync: fsync)
      progress.report("wrote \(path)")
      return
    }
    guard case .summary(let format) = product else { preconditionFailure("dtw: no summary product") }
    let summary = DTWSummary(ids: set.ids, matrix: matrix, lengths: lengths, dimensions: d, radius: r,
      normalize: normalize.name, bandCells: cells)
    let header = wantsJSON
      ? try provenance(command: "dtw", parameters: parameters, seed: nil, inputs: inputs, digests: digests) : []
    try write(summary.render(format, header: header))
  }

  /// Writes a text result to `--output` (atomically, fsynced unless `--no-fsync`) or to stdout.
  func write(_ text: String) throws {
    if let path = output.output {
      try AtomicFile.write(Array(text.utf8), to: path, sync: fsync)
    } else {
      try writeStandardOutput(text)
    }
  }

  /// `D.ids.txt` for `D.npy` (the extension replaced, whatever its case).
  static func idsPath(forNPY path: String) -> String { String(path.dropLast(4)) + ".ids.txt" }

  /// Σ over pairs i < j of the band cells of the pair.
  static func totalBandCells(lengths: [Int], radius: DTW.Radius) -> Int {
    var byLength: [Int: Int] = [:]
    for l in lengths { byLength[l, default: 0] += 1 }
    let keys = byLength.keys.sorted()
    var total = 0
    for (a, la) in keys.enumerated() {
      let ca = byLength[la]!
      total += ca * (ca - 1) / 2 * DTW.bandCells(la, la, radius: radius)
      for lb in keys[(a + 1)...] { total += ca * byLength[lb]! * DTW.bandCells(la, lb, radius: radius) }
    }
    return total
  }

  /// `id,<ids…>` then one row per learner, round-trip numbers.
  static func matrixCSV(ids: [String], matrix: Matrix) -> [UInt8] {
    let n = ids.count
    var out: [UInt8] = []
    out.reserveCapacity(n * n * 20 + 64)
    out.append(contentsOf: "id".utf8)
    let quoted = ids.map { CSVWriter.field($0) }
    for q in quoted {
      out.append(44)
      out.append(contentsOf: q.utf8)
    }
    out.append(10)
    for i in 0..<n {
      out.append(contentsOf: quoted[i].utf8)
      for j in 0..<n {
        out.append(44)
        out.append(contentsOf: NumberFormatting.roundTrip(matrix.storage[i * n + j]).utf8)
      }
      out.append(10)
    }
    return out
  }
}

/// Whether distances between the (normalised) series of `set` can leave the `Double` range, so that the
/// O(n²) scan of the result for non-finite entries is needed. A DTW cost (or a Euclidean distance) adds
/// at most `2·L_max` steps of `d` squared differences, each at most `(2·max|x|)²`; when
/// `8·L_max·d·max|x|²` stays below `Double.greatestFiniteMagnitude` (every value below ≈1e150 for
/// ordinary lengths) no distance can overflow and the scan is skipped. O(total values).
func seriesDistancesMayOverflow(_ set: SeriesSet) -> Bool {
  var largest = 0.0, longest = 0
  for s in set.series {
    longest = max(longest, s.count / max(1, set.dimensions))
    for v in s { largest = max(largest, abs(v)) }
  }
  let terms = 8 * Double(max(1, longest)) * Double(max(1, set.dimensions))
  return !(largest * largest <= Double.greatestFiniteMagnitude / terms)
}

/// The error for learner series whose squared differences overflow `Double` (with `--normalize none`, raw
/// values beyond ≈1e154): DTW, and Euclidean distances between series or their means, add up squares of
/// differences, so some distances would be +∞. Located at the cell of largest magnitude among the value
/// columns of `raw` (the step columns in the wide format), naming the learner and the value.
func seriesOverflowError(
  _ table: Table, path: String, id: String, set raw: SeriesSet, wide: Bool, normalize: SeriesNormalization
) -> Error {
  let columns = wide ? raw.steps : raw.features
  var best: (row: Int, column: Int, value: Double)? = nil
  for name in columns {
    guard let c = try? table.columnIndex(name), let values = try? table.numbers(at: c) else { continue }
    for (r, v) in values.enumerated() {
      if let v, abs(v) > abs(best?.value ?? 0) { best = (r, c, v) }
    }
  }
  let fix = normalize == .none
    ? "normalise the series with --normalize l2 or --normalize zscore, or rescale the column"
    : "rescale the column"
  let what = "the squared differences between learners' series exceed the largest double (≈1.8e308), so distances would be infinite"
  guard let best else {
    return InputError(file: path, message: "\(what) (normalisation \(normalize.name))", hint: fix)
  }
  let learner = (try? table.strings(id))?[best.row].map { " (learner \(MessageText.quoted($0)))" } ?? ""
  return InputError(table: table, row: best.row, column: best.column,
    message: "column \(MessageText.quoted(table.displayName(ofColumn: best.column))) holds \(NumberFormatting.roundTrip(best.value))\(learner); with --normalize \(normalize.name) \(what)",
    hint: fix)
}

/// NumPy `.npy` format version 1.0 (`numpy.lib.format`): magic, little-endian header length, a Python dict
/// literal padded with spaces to a multiple of 64 bytes and ending in a newline, then the raw data.
enum NPYWriter {
  /// The magic, version, header length and padded header of a `rows × columns` float64 C-order array; its
  /// size is a multiple of 64 bytes, so the data that follows is aligned.
  static func header(rows: Int, columns: Int) -> [UInt8] {
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    let preamble = 10
    let total = ((preamble + header.utf8.count + 1 + 63) / 64) * 64
    header += String(repeating: " ", count: total - preamble - header.utf8.count - 1) + "\n"
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    let h = UInt16(header.utf8.count)
    out.append(UInt8(h & 0xff))
    out.append(UInt8(h >> 8))
    out.append(contentsOf: header.utf8)
    return out
  }
}

/// The summary `cohortlens dtw` prints when no matrix file is asked for.
struct DTWSummary {
  let ids: [String]
  let matrix: Matrix
  let lengths: [Int]
  let dimensions: Int
  let radius: DTW.Radius
  let normalize: String
  let bandCells: Int

  func render(_ format: OutputFormat, header: [(String, JSONValue)]) -> String {
    let n = ids.count
    var values: [Double] = []
    values.reserveCapacity(n * (n - 1) / 2)
    var closest = (0, 1), farthest = (0, 1)
    for i in 0..<n {
      for j in (i + 1)..<n {
        let v = matrix[i, j]
        values.append(v)
        if v < matrix[closest.0, closest.1] { closest = (i, j) }
        if v > matrix[farthest.0, farthest.1] { farthest = (i, j) }
      }
    }
    // NumPy's mean of the upper triangle in row order (pairwise sum, before sorting); without overflow (a
    // plain sum of many distances near 1e307 would overflow).
    let mean = SeriesNormalization.numpyMean(values)!
    values.sort()
    let median = values.count % 2 == 1
      ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
    let rows: [(String, String, JSONValue)] = [
      ("learners", String(n), .int(n)),
      ("features per step", String(dimensions), .int(dimensions)),
      ("steps (min–max)", "\(lengths.min()!)–\(lengths.max()!)", .array([.int(lengths.min()!), .int(lengths.max()!)])),
      ("normalisation", normalize, .string(normalize)),
      ("Sakoe-Chiba radius", radiusText(radius), radiusJSON(radius)),
      ("pairs", String(values.count), .int(values.count)),
      ("band cells", String(bandCells), .int(bandCells)),
      ("min distance", NumberFormatting.roundTrip(values.first!), .double(values.first!)),
      ("median distance", NumberFormatting.roundTrip(median), .double(median)),
      ("mean distance", NumberFormatting.roundTrip(mean), .double(mean)),
      ("max distance", NumberFormatting.roundTrip(values.last!), .double(values.last!)),
      ("closest pair", "\(ids[closest.0]) – \(ids[closest.1])", .array([.string(ids[closest.0]), .string(ids[closest.1])])),
      ("farthest pair", "\(ids[farthest.0]) – \(ids[farthest.1])", .array([.string(ids[farthest.0]), .string(ids[farthest.1])])),
    ]
    switch format {
    case .json:
      let keys = ["n", "dimensions", "length_range", "normalize", "radius", "pairs", "band_cells", "min", "median",
        "mean", "max", "closest_pair", "farthest_pair"]
      var fields = header
      fields.append(("summary", .object(zip(keys, rows).map { ($0, $1.2) })))
      return JSONValue.object(fields).serialized(pretty: true) + "\n"
    default:
      var table = TextTable(headers: ["quantity", "value"], alignments: [.left, .left])
      for row in rows { table.append([row.0, row.1]) }
      let body = table.render(format)
      if format == .table {
        return "DTW distances (write the matrix with --output D.csv or D.npy)\n\n" + body
      }
      return body
    }
  }
}

extension DTWCommand {
  var inputFiles: [(flag: String, path: String?)] { [("--series", series)] }
  var outputFiles: [(flag: String, path: String?)] {
    guard let path = output.output else { return [] }
    // A .npy matrix is written with its ids beside it.
    if knn == nil && outputExtension(path) == "npy" { return [("--output", path), ("--output (ids)", Self.idsPath(forNPY: path))] }
    return [("--output", path)]
  }
}

/// Output flags of `dtw`: as `OutputOptions`, but `--format` is optional so that, when it is not given, the
/// extension of `--output` can choose the format (see `DTWCommand.Product`).
struct DTWOutputOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Output format: table (aligned, the default), csv, json or markdown. Applies to the summary (without --output) and to --knn; with --knn --output FILE and no --format the extension chooses (.csv, .json, .md).", valueName: "format"))
  var format: OutputFormat?

  @Option(help: ArgumentHelp("Write the result to FILE (atomically: temp file + rename) instead of stdout: the matrix (.npy: NumPy; otherwise CSV; not .json or .md), or with --knn the neighbours.", valueName: "file"))
  var output: String?

  @Flag(help: "Report progress on stderr even when stderr is not a terminal.")
  var progress = false

  mutating func validate() throws {
    if let output { try validateOutputPath(output, flag: "--output") }
  }
}

/// The extension of the last component of `path`, lower-cased, without the dot (`""` when there is none).
func outputExtension(_ path: String) -> String {
  let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
  guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
  return name[name.index(after: dot)...].lowercased()
}
