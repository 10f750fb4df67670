import CohortLensCore

/// A heat map of a square matrix (e.g. pairwise DTW distances) with rows and columns ordered by
/// cluster, cluster boundaries drawn and a colour legend (viridis, low = dark).
///
/// Order: items sorted by cluster label, ties by original index (stable). For N items above
/// `maxCells`, the ordered matrix is drawn as ⌈N / b⌉ × ⌈N / b⌉ cells with block size
/// b = ⌈N / maxCells⌉, each cell the mean of the finite values in its b × b block (block averaging,
/// like an image downscale), so the output stays O(maxCells²) whatever N. Cells with no finite value
/// are hatched. Colours are quantised to 64 levels and each level is one `<path>` of merged
/// horizontal runs, which keeps the markup small. The numbers table gives, per pair of clusters,
/// the mean of the off-diagonal finite values of the full (not downsampled) matrix.
/// Cost: O(N²) to aggregate, O(maxCells²) output.
public struct HeatMap: Sendable {
  public var title: String
  public var caption: String
  /// Name of the values (legend title), e.g. "DTW distance".
  public var valueLabel: String
  /// Number of items (rows = columns).
  public let n: Int
  /// Row-major n × n values.
  public let values: [Double]
  /// Cluster label of each item (any integers; sorted ascending for the order).
  public let clusters: [Int]
  /// Display names per cluster label; default "cluster <label>".
  public var clusterNames: [Int: String]
  /// Upper bound on cells per side (default 200).
  public var maxCells: Int

  /// `matrix` must be square with one cluster label per row.
  public init(title: String, caption: String, valueLabel: String, matrix: [[Double]], clusters: [Int],
              clusterNames: [Int: String] = [:], maxCells: Int = 200) {
    precondition(matrix.allSatisfy { $0.count == matrix.count }, "matrix must be square")
    precondition(clusters.count == matrix.count, "one cluster label per row")
    self.init(title: title, caption: caption, valueLabel: valueLabel, n: matrix.count,
              values: matrix.flatMap { $0 }, clusters: clusters, clusterNames: clusterNames, maxCells: maxCells)
  }

  /// `values` is the row-major n × n matrix.
  public init(title: String, caption: String, valueLabel: String, n: Int, values: [Double], clusters: [Int],
              clusterNames: [Int: String] = [:], maxCells: Int = 200) {
    precondition(values.count == n * n, "values must hold n × n entries")
    precondition(clusters.count == n, "one cluster label per row")
    precondition(maxCells >= 1, "maxCells must be positive")
    self.title = title
    self.caption = caption
    self.valueLabel = valueLabel
    self.n = n
    self.values = values
    self.clusters = clusters
    self.clusterNames = clusterNames
    self.maxCells = maxCells
  }

  func name(_ c: Int) -> String { clusterNames[c] ?? "cluster \(c)" }

  /// The item order (by cluster, then index), the block size and the cell grid (row-major
  /// `side × side`, NaN where a block has no finite value).
  public func cells() -> (order: [Int], blockSize: Int, side: Int, cells: [Double]) {
    let order = (0..<n).sorted { clusters[$0] != clusters[$1] ? clusters[$0] < clusters[$1] : $0 < $1 }
    guard n > 0 else { return (order, 1, 0, []) }
    let b = (n + maxCells - 1) / maxCells
    let side = (n + b - 1) / b
    var sums = [Double](repeating: 0, count: side * side)
    var counts = [Int](repeating: 0, count: side * side)
    for r in 0..<n {
      let rowBase = order[r] * n
      let cellRow = (r / b) * side
      for c in 0..<n {
        let v = values[rowBase + order[c]]
        if v.isFinite {
          sums[cellRow + c / b] += v
          counts[cellRow + c / b] += 1
        }
      }
    }
    let cells = zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : .nan }
    return (order, b, side, cells)
  }

  /// The colour bar's scale for the finite cell values: nice ticks over [min, max]; when every value
  /// is the same v (e.g. the DTW distances of identical series, all 0), the range from 0 to v — [0, 1]
  /// for v = 0 — rather than an interval padded around v, so a matrix of distances never shows
  /// negative values on its colour bar.
  static func colourScale(_ finite: [Double]) -> LinearScale {
    guard let lo = finite.min(), let hi = finite.max(), lo == hi else {
      return LinearScale.nice(covering: finite, range: (0, 1), tickCount: 5)
    }
    let ends = lo == 0 ? [0.0, 1.0] : [min(0, lo), max(0, lo)]
    return LinearScale.nice(covering: ends, range: (0, 1), tickCount: 5)
  }

  /// The numbers table's values: the cluster labels in ascending order (the drawn order) and, per pair of
  /// them, the mean of the finite off-diagonal values of the full matrix between their members (NaN when
  /// there is none, e.g. the diagonal pair of a one-member cluster). O(N²).
  public func clusterPairMeans() -> (clusters: [Int], means: [[Double]]) {
    let labels = Array(Set(clusters)).sorted()
    let members = Dictionary(grouping: 0..<n, by: { clusters[$0] })
    let means = labels.map { a in
      labels.map { bLabel -> Double in
        var sum = 0.0, count = 0
        for i in members[a] ?? [] {
          for j in members[bLabel] ?? [] where i != j {
            let v = values[i * n + j]
            if v.isFinite { sum += v; count += 1 }
          }
        }
        return count > 0 ? sum / Double(count) : .nan
      }
    }
    return (labels, means)
  }

  /// Renders the heat map, boundaries, legend and the cluster-by-cluster table.
  public func figure() -> Figure {
    let (order, b, side, grid) = cells()
    var svg = SVGBuilder()
    let labelSpace = 78.0
    let plotSize = 400.0
    let left = 24 + labelSpace, top = 34.0
    let unit = side > 0 ? plotSize / Double(side) : plotSize
    let finite = grid.filter(\.isFinite)
    let scale = Self.colourScale(finite)
    let lo = scale.domainLower, hi = scale.domainUpper
    let levels = 64
    func level(_ v: Double) -> Int {
      let t = hi > lo ? (v - lo) / (hi - lo) : 0.5
      return min(levels - 1, max(0, Int(t * Double(levels))))
    }
    // One path per colour level; runs of equal level in a row merge into one rectangle.
    // Subpaths use relative moves from the previous subpath's start (where `z` leaves the pen);
    // a leading `m` counts as absolute, so every path starts from (0, 0).
    var paths = [String](repeating: "", count: levels)
    var starts = [(Int, Int)](repeating: (0, 0), count: levels + 1)
    var missing = ""
    func run(_ slot: Int, _ c: Int, _ r: Int, _ w: Int) -> String {
      let (lc, lr) = starts[slot]
      starts[slot] = (c, r)
      return "m\(c - lc) \(r - lr)h\(w)v1h-\(w)z"
    }
    for r in 0..<side {
      var c = 0
      while c < side {
        let v = grid[r * side + c]
        var e = c + 1
        if v.isFinite {
          let l = level(v)
          while e < side, grid[r * side + e].isFinite, level(grid[r * side + e]) == l { e += 1 }
          paths[l] += run(l, c, r, e - c)
        } else {
          while e < side, !grid[r * side + e].isFinite { e += 1 }
          missing += run(levels, c, r, e - c)
        }
        c = e
      }
    }
    svg.beginGroup(className: "cells", transform: "translate(\(svgNumber(left)) \(svgNumber(top))) scale(\(svgNumber(unit, decimals: 6)))",
                   extra: [("shape-rendering", "crispEdges")])
    var pathCount = 0
    for l in 0..<levels where !paths[l].isEmpty {
      svg.path(paths[l], fill: Palette.sequential((Double(l) + 0.5) / Double(levels)), className: "level")
      pathCount += 1
    }
    if !missing.isEmpty { svg.path(missing, fill: hatchFill, className: "undefined") }
    svg.endGroup()
    svg.rect(x: left, y: top, width: plotSize, height: plotSize, fill: "none", stroke: Palette.ink, strokeWidth: 1)

    // Cluster boundaries and labels, in ordered-index space mapped to cells.
    var boundaries = 0
    let sortedClusters = order.map { clusters[$0] }
    var runs: [(label: Int, start: Int, end: Int)] = []
    for (i, c) in sortedClusters.enumerated() {
      if let last = runs.last, last.label == c { runs[runs.count - 1].end = i + 1 } else { runs.append((c, i, i + 1)) }
    }
    let px = { (i: Int) -> Double in Double(i) / Double(b) * unit }
    for run in runs.dropFirst() {
      let p = px(run.start)
      svg.line(x1: left + p, y1: top, x2: left + p, y2: top + plotSize, stroke: "#ffffff", width: 2, className: "boundary")
      svg.line(x1: left, y1: top + p, x2: left + plotSize, y2: top + p, stroke: "#ffffff", width: 2, className: "boundary")
      boundaries += 1
    }
    for run in runs {
      let a = px(run.start), e = px(run.end)
      let mid = (a + e) / 2
      let label = name(run.label)
      let fits = e - a >= 14
      if fits {
        svg.text(truncated(label, maxCharacters: 11), x: left - 6, y: top + mid + 4, anchor: .end, size: 12,
                 className: "cluster-label", title: "\(label): \(run.end - run.start) items")
        svg.text(truncated(label, maxCharacters: max(2, Int((e - a) / 6.5))), x: left + mid, y: top - 8, anchor: .middle,
                 size: 12, className: "cluster-label", title: "\(label): \(run.end - run.start) items")
      }
    }

    // Colour legend: a vertical gradient bar with ticks.
    let legendX = left + plotSize + 26, legendW = 16.0
    let gradientID = "\(Figure.idToken)--scale"
    var defs = "<linearGradient id=\"\(gradientID)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
    for s in 0...10 {
      let t = Double(s) / 10
      defs += "<stop offset=\"\(svgNumber(t))\" stop-color=\"\(Palette.sequential(t))\"/>"
    }
    defs += "</linearGradient>" + hatchPatternDef()
    svg.rect(x: legendX, y: top, width: legendW, height: plotSize, fill: "url(#\(gradientID))", stroke: Palette.ink,
             strokeWidth: 1, className: "colour-legend")
    let legendScale = LinearScale(domain: (lo, hi), range: (top + plotSize, top), step: scale.step)
    for t in legendScale.ticks() {
      let y = legendScale(t)
      svg.line(x1: legendX + legendW, y1: y, x2: legendX + legendW + 4, y2: y, stroke: Palette.ink, width: 1)
      svg.text(legendScale.tickLabel(t), x: legendX + legendW + 7, y: y + 4, size: 12, fill: Palette.muted)
    }
    svg.text(valueLabel, x: legendX - 4, y: top - 10, size: 13)
    var height = top + plotSize + 20
    if !missing.isEmpty {
      svg.rect(x: left, y: height - 4, width: 16, height: 12, fill: hatchFill, stroke: Palette.muted, strokeWidth: 1)
      svg.text("no finite value", x: left + 22, y: height + 6, size: 12)
      height += 20
    }
    let width = max(legendX + legendW + 60, legendX + estimatedTextWidth(valueLabel, size: 13) + 4)

    // Numbers: mean off-diagonal value per pair of clusters, on the full matrix.
    let (labels, means) = clusterPairMeans()
    let members = Dictionary(grouping: 0..<n, by: { clusters[$0] })
    var rows: [[DataTable.Cell]] = []
    for (a, row) in zip(labels, means) {
      rows.append([.init("\(name(a)) (n = \(members[a]?.count ?? 0))")]
        + row.map { $0.isFinite ? .init(cell($0)) : DataTable.undefined() })
    }
    let table = DataTable(caption: "mean \(valueLabel) between members of two clusters (off-diagonal, full matrix)",
                          headers: ["cluster"] + labels.map(name), cells: rows,
                          numericColumns: [false] + labels.map { _ in true })
    var notes: [String] = []
    if b > 1 {
      notes.append("\(n) items drawn as \(side) × \(side) cells; each cell is the mean of a \(b) × \(b) block of the ordered matrix.")
    }
    notes.append("Colour range \(cell(lo)) (dark) to \(cell(hi)) (light).")
    return Figure(title: title, caption: caption, table: table, notes: notes, width: width, height: height, body: svg,
                  defs: defs, counts: ["cells": side * side, "side": side, "boundary": boundaries, "level": pathCount,
                                       "blockSize": b])
  }
}
