import CohortLensCore

/// ROC curves per group with the area between two of them shaded — the ABROCA of Gardner, Brooks &
/// Baker, "Evaluating the Fairness of Predictive Student Models Through Slicing Analysis" (LAK 2019):
/// ABROCA = ∫₀¹ |ROC_a(t) − ROC_b(t)| dt.
///
/// Curves are given as (FPR, TPR) points in increasing FPR (as `sklearn.metrics.roc_curve` returns
/// them) and drawn through the points (`.linear`) or as a staircase (`.step`: horizontal, then
/// vertical). The shaded region is the polygon along curve a and back along curve b; where the
/// curves cross it covers both lobes. The numbers table lists each curve's TPR at FPR 0, 0.1, …, 1
/// (the highest TPR among points at exactly that FPR, otherwise linear interpolation) and its AUC.
/// Long curves are thinned in pixel space (points closer than 0.5 px to the previous kept point
/// are dropped), so the SVG stays small for any number of thresholds. O(points).
public struct ROCChart: Sendable {
  /// Drawing between points.
  public enum Interpolation: Sendable { case linear, step }

  /// One group's curve.
  public struct Curve: Sendable, Equatable {
    public var name: String
    public var fpr: [Double]
    public var tpr: [Double]
    /// Area under the curve, if computed by the caller.
    public var auc: Double?
    public init(name: String, fpr: [Double], tpr: [Double], auc: Double? = nil) {
      precondition(fpr.count == tpr.count, "fpr and tpr must have equal length")
      self.name = name
      self.fpr = fpr
      self.tpr = tpr
      self.auc = auc
    }

    /// TPR at false-positive rate `t` (see the type's documentation); NaN for an empty curve.
    public func tpr(at t: Double) -> Double {
      var best = -Double.infinity
      for (f, v) in zip(fpr, tpr) where f == t { best = max(best, v) }
      if best > -Double.infinity { return best }
      for i in 1..<max(1, fpr.count) where fpr[i - 1] < t && t < fpr[i] {
        let w = (t - fpr[i - 1]) / (fpr[i] - fpr[i - 1])
        return tpr[i - 1] + w * (tpr[i] - tpr[i - 1])
      }
      return .nan
    }
  }

  /// Which two curves to shade between, and the label (e.g. "ABROCA = 0.031").
  public struct Shading: Sendable, Equatable {
    public var first: Int
    public var second: Int
    public var label: String
    public init(first: Int, second: Int, label: String) {
      self.first = first
      self.second = second
      self.label = label
    }
  }

  public var title: String
  public var caption: String
  public var curves: [Curve]
  public var shading: Shading?
  public var interpolation: Interpolation
  /// The false-positive rates at which the numbers table reads each curve (default 0, 0.1, …, 1). A caller
  /// that thinned its curves should pass the rates the thinning keeps exact (the audit passes
  /// `ScoreMetrics.exactFPRs`), so the table equals the full curve's.
  public var tableFPRs: [Double]

  public init(title: String, caption: String, curves: [Curve], shading: Shading? = nil,
              interpolation: Interpolation = .linear, tableFPRs: [Double] = (0...10).map { Double($0) / 10 }) {
    self.title = title
    self.caption = caption
    self.curves = curves
    self.shading = shading
    self.interpolation = interpolation
    self.tableFPRs = tableFPRs
  }

  func drawnPoints(_ c: Curve) -> [(Double, Double)] {
    var pts: [(Double, Double)] = []
    for (f, t) in zip(c.fpr, c.tpr) where f.isFinite && t.isFinite {
      if interpolation == .step, let last = pts.last { pts.append((f, last.1)) }
      pts.append((f, t))
    }
    return pts
  }

  /// Pixel-space thinning for long curves (a ROC of 100,000 scores has up to 100,000 points):
  /// keeps the first and last point and every point at least 0.5 px (in x or y) from the last
  /// kept one, so the drawn shape moves by under half a pixel and the path stays
  /// O(plot perimeter in pixels). O(points).
  func thinned(_ pts: [(Double, Double)]) -> [(Double, Double)] {
    guard pts.count > 2 else { return pts }
    var out = [pts[0]]
    for p in pts.dropFirst().dropLast() {
      let last = out[out.count - 1]
      if abs(p.0 - last.0) >= 0.5 || abs(p.1 - last.1) >= 0.5 { out.append(p) }
    }
    out.append(pts[pts.count - 1])
    return out
  }

  /// Renders the chart and its numbers table.
  public func figure() -> Figure {
    var svg = SVGBuilder()
    var items = curves.enumerated().map { i, c in
      LegendItem(label: c.name, mark: .line(color: Palette.color(i), dash: Palette.dash(i)),
                 suffix: c.auc.map { " (AUC \(cell($0, digits: 3)))" } ?? "")
    }
    if let shading { items.append(LegendItem(label: shading.label, mark: .swatch(color: "#7A7A7A", opacity: 0.35))) }
    items.append(LegendItem(label: "chance", mark: .dashedLine(color: "#999999")))
    let legendHeight = Legend.layout(items, maxWidth: chartWidth - 80).height
    let top = 14 + legendHeight + 8
    let side = 360.0
    let left = 64 + (chartWidth - 84 - side) / 2
    let frame = PlotFrame(left: left, top: top, right: left + side, bottom: top + side, xValues: [0, 1], yValues: [0, 1])
    frame.drawAxes(into: &svg, xLabel: "false-positive rate", yLabel: "true-positive rate", xGrid: true)
    Legend.draw(items, x0: 64, y0: 10, maxWidth: chartWidth - 80, into: &svg, hatchFill: hatchFill)
    svg.line(x1: frame.x(0), y1: frame.y(0), x2: frame.x(1), y2: frame.y(1), stroke: "#999999", width: 1, dash: "4 3",
             className: "chance")
    var shaded = 0
    if let shading, shading.first < curves.count, shading.second < curves.count, shading.first != shading.second {
      let a = thinned(drawnPoints(curves[shading.first]).map { (frame.x($0.0), frame.y($0.1)) })
      let b = thinned(drawnPoints(curves[shading.second]).map { (frame.x($0.0), frame.y($0.1)) })
      if !a.isEmpty, !b.isEmpty {
        svg.polygon(a + b.reversed(), fill: "#7A7A7A", opacity: 0.35, className: "abroca", title: shading.label)
        shaded = 1
      }
    }
    var lines = 0
    for (i, c) in curves.enumerated() {
      let pts = thinned(drawnPoints(c).map { (frame.x($0.0), frame.y($0.1)) })
      guard !pts.isEmpty else { continue }
      svg.polyline(pts, stroke: Palette.color(i), width: 2.5, dash: Palette.dash(i), className: "curve",
                   title: c.name + (c.auc.map { ", AUC \(cell($0))" } ?? ""))
      lines += 1
    }
    let grid = tableFPRs
    var rows = grid.map { t -> [DataTable.Cell] in [.init(cell(t))] + curves.map { valueCell($0.tpr(at: t)) } }
    rows.append(["AUC"] + curves.map { valueCell($0.auc) })
    let table = DataTable(caption: "true-positive rate at fixed false-positive rates" + (shading.map { "; \($0.label)" } ?? ""),
                          headers: ["FPR"] + curves.map { "TPR \($0.name)" }, cells: rows,
                          numericColumns: Array(repeating: true, count: curves.count + 1))
    let height = top + side + 52
    return Figure(title: title, caption: caption, table: table, notes: Palette.repeatNote(curves.count, of: "curves").map { [$0] } ?? [],
                  width: chartWidth, height: height, body: svg, counts: ["curve": lines, "abroca": shaded])
  }
}

/// A reliability diagram (calibration curve): per probability bin, the mean predicted probability
/// against the observed positive rate, per group, with the diagonal of perfect calibration
/// (as `sklearn.calibration.calibration_curve`). Point area is proportional to the bin's count n
/// (radius ∝ √n), so sparse bins look light. Bins with n = 0 or a non-finite value are undefined:
/// not drawn, `undefined` in the table. The numbers table numbers the bins from 0 (as report.json and
/// the calibration CSV do) and, when the bins carry their score ranges, lists them. O(bins).
public struct ReliabilityDiagram: Sendable {
  /// One bin. Bins are numbered from 0 in the given order (bin 0 holds the lowest scores), as in the
  /// `bin` of the fairness JSON and calibration CSV.
  public struct Bin: Sendable, Equatable {
    public var meanPredicted: Double
    public var observed: Double
    public var count: Int
    /// The scores the bin holds, if known (shown in the numbers table as `[lower, upper)`, or with
    /// `closedAbove` as `[lower, upper]`).
    public var range: ClosedRange<Double>?
    /// Whether `range` includes its upper end (the last bin of `[0, 1]`).
    public var closedAbove: Bool
    public init(meanPredicted: Double, observed: Double, count: Int, range: ClosedRange<Double>? = nil,
                closedAbove: Bool = false) {
      self.meanPredicted = meanPredicted
      self.observed = observed
      self.count = count
      self.range = range
      self.closedAbove = closedAbove
    }
    var isDefined: Bool { count > 0 && meanPredicted.isFinite && observed.isFinite }
  }

  /// One group's bins.
  public struct Series: Sendable, Equatable {
    public var name: String
    public var bins: [Bin]
    public init(name: String, bins: [Bin]) {
      self.name = name
      self.bins = bins
    }
  }

  public var title: String
  public var caption: String
  public var series: [Series]

  public init(title: String, caption: String, series: [Series]) {
    self.title = title
    self.caption = caption
    self.series = series
  }

  /// Renders the chart and its numbers table.
  public func figure() -> Figure {
    var svg = SVGBuilder()
    var items = series.enumerated().map { i, s in
      LegendItem(label: s.name, mark: .line(color: Palette.color(i), dash: Palette.dash(i)))
    }
    items.append(LegendItem(label: "perfect calibration", mark: .dashedLine(color: "#999999")))
    let legendHeight = Legend.layout(items, maxWidth: chartWidth - 80).height
    let top = 14 + legendHeight + 8
    let side = 360.0
    let left = 64 + (chartWidth - 84 - side) / 2
    let frame = PlotFrame(left: left, top: top, right: left + side, bottom: top + side, xValues: [0, 1], yValues: [0, 1])
    frame.drawAxes(into: &svg, xLabel: "mean predicted probability", yLabel: "observed positive rate", xGrid: true)
    Legend.draw(items, x0: 64, y0: 10, maxWidth: chartWidth - 80, into: &svg, hatchFill: hatchFill)
    svg.line(x1: frame.x(0), y1: frame.y(0), x2: frame.x(1), y2: frame.y(1), stroke: "#999999", width: 1, dash: "4 3",
             className: "diagonal")
    let maxCount = series.flatMap { $0.bins.filter(\.isDefined).map(\.count) }.max() ?? 1
    var points = 0, undefined = 0
    for (i, s) in series.enumerated() {
      svg.beginGroup(className: "series")
      let defined = s.bins.filter(\.isDefined)
      undefined += s.bins.count - defined.count
      let pts = defined.map { (frame.x($0.meanPredicted), frame.y($0.observed)) }
      if pts.count > 1 { svg.polyline(pts, stroke: Palette.color(i), width: 2, dash: Palette.dash(i), className: "line") }
      for bin in defined {
        let r = 2.5 + 7.5 * (Double(bin.count) / Double(max(1, maxCount))).squareRoot()
        svg.circle(cx: frame.x(bin.meanPredicted), cy: frame.y(bin.observed), r: r, fill: Palette.color(i), stroke: "#ffffff",
                   strokeWidth: 1, opacity: 0.85, className: "point",
                   title: "\(s.name): predicted \(cell(bin.meanPredicted)), observed \(cell(bin.observed)), n = \(bin.count)")
        points += 1
      }
      svg.endGroup()
    }
    var rows: [[DataTable.Cell]] = []
    let ranges = series.contains { $0.bins.contains { $0.range != nil } }
    for s in series {
      for (bi, bin) in s.bins.enumerated() {
        let range: [DataTable.Cell] = ranges ? [.init(bin.range.map { "[\(cell($0.lowerBound)), \(cell($0.upperBound))\(bin.closedAbove ? "]" : ")")" } ?? "")] : []
        rows.append([.init(s.name), .init("\(bi)")] + range
                    + [bin.isDefined ? .init(cell(bin.meanPredicted)) : DataTable.undefined(),
                       bin.isDefined ? .init(cell(bin.observed)) : DataTable.undefined(), .init("\(bin.count)")])
      }
    }
    let table = DataTable(headers: ["group", "bin"] + (ranges ? ["range"] : []) + ["mean predicted", "observed rate", "n"], cells: rows,
                          numericColumns: [false, true] + (ranges ? [false] : []) + [true, true, true])
    var notes = undefined > 0 ? ["\(undefined) empty or undefined bin(s) are listed but not drawn."] : []
    if let note = Palette.repeatNote(series.count, of: "groups") { notes.append(note) }
    let height = top + side + 52
    return Figure(title: title, caption: caption, table: table, notes: notes, width: chartWidth, height: height, body: svg,
                  counts: ["point": points, "undefined": undefined])
  }
}
