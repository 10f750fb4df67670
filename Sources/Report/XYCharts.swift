import CohortLensCore

/// Width of the viewBox of the standard charts (the SVG scales to its container).
let chartWidth = 520.0

// MARK: - Scatter (eigenvalues with the gap marked)

/// Points in the plane, with an optional highlighted gap between two points of one series — e.g.
/// the eigenvalues λ₁ ≤ λ₂ ≤ … of a graph Laplacian with the eigengap λₖ₊₁ − λₖ that picks k
/// (von Luxburg, "A tutorial on spectral clustering", 2007, §8.3).
///
/// Non-finite coordinates are not drawn; they are listed as `undefined` in the numbers table and
/// counted under `"undefined"`. Output is O(points).
public struct ScatterChart: Sendable {
  /// One point; `label` is shown in the table and as a tooltip.
  public struct Point: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var label: String?
    public init(x: Double, y: Double, label: String? = nil) {
      self.x = x
      self.y = y
      self.label = label
    }
  }

  /// A named set of points (one colour and legend entry).
  public struct Series: Sendable, Equatable {
    public var name: String
    public var points: [Point]
    public init(name: String, points: [Point]) {
      self.name = name
      self.points = points
    }
  }

  /// A marked gap between points `lower` and `upper` (indices into `series[seriesIndex].points`).
  public struct Gap: Sendable, Equatable {
    public var seriesIndex: Int
    public var lower: Int
    public var upper: Int
    public var label: String
    public init(seriesIndex: Int = 0, lower: Int, upper: Int, label: String) {
      self.seriesIndex = seriesIndex
      self.lower = lower
      self.upper = upper
      self.label = label
    }
  }

  public var title: String
  public var caption: String
  public var xLabel: String
  public var yLabel: String
  public var series: [Series]
  public var gap: Gap?

  public init(title: String, caption: String, xLabel: String, yLabel: String, series: [Series], gap: Gap? = nil) {
    self.title = title
    self.caption = caption
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.gap = gap
  }

  /// Eigenvalues (ascending, as returned by the spectral embedding) plotted against their index
  /// 1…n, with the gap after the `gapAfter`-th value marked (k = `gapAfter`, gap λₖ₊₁ − λₖ).
  public static func eigenvalues(_ values: [Double], gapAfter k: Int?,
                                 title: String = "Eigenvalues and the eigengap",
                                 caption: String? = nil) -> ScatterChart {
    let points = values.enumerated().map { Point(x: Double($0.offset + 1), y: $0.element, label: "λ\($0.offset + 1)") }
    var gap: Gap?
    if let k, k >= 1, k < values.count {
      let size = values[k] - values[k - 1]
      gap = Gap(lower: k - 1, upper: k, label: "gap after k = \(k): \(cell(size))")
    }
    let text = caption ?? (k.map { "Eigenvalues in ascending order; the gap between λ\($0) and λ\($0 + 1) suggests k = \($0) clusters." }
      ?? "Eigenvalues in ascending order.")
    return ScatterChart(title: title, caption: text, xLabel: "index i", yLabel: "eigenvalue λi",
                        series: [Series(name: "eigenvalue", points: points)], gap: gap)
  }

  /// Renders the chart and its numbers table.
  public func figure() -> Figure {
    var svg = SVGBuilder()
    let legendItems = series.count > 1 ? series.enumerated().map { LegendItem(label: $0.element.name, mark: .point(color: Palette.color($0.offset))) } : []
    let legendHeight = Legend.layout(legendItems, maxWidth: chartWidth - 80).height
    let top = 14 + legendHeight + (legendHeight > 0 ? 8 : 0)
    let height = top + 300 + 52
    let xs = series.flatMap { $0.points.map(\.x) }
    let ys = series.flatMap { $0.points.map(\.y) }
    var frame = PlotFrame(left: 64, top: top, right: chartWidth - 20, bottom: top + 300, xValues: xs, yValues: ys)
    let integerX = !xs.isEmpty && xs.allSatisfy { !$0.isFinite || $0 == $0.rounded() }
    if integerX { frame.useDiscreteX(xs) }
    let xTicks: [Double]? = integerX ? frame.x.ticks() : nil
    frame.drawAxes(into: &svg, xLabel: xLabel, yLabel: yLabel, xTickValues: xTicks,
                   xTickLabel: integerX ? { NumberFormatting.fixed($0, decimals: 0) } : nil)
    Legend.draw(legendItems, x0: 64, y0: 10, maxWidth: chartWidth - 80, into: &svg, hatchFill: hatchFill)

    var undefined = 0
    if let gap, gap.seriesIndex < series.count {
      let pts = series[gap.seriesIndex].points
      if gap.lower < pts.count, gap.upper < pts.count,
         pts[gap.lower].x.isFinite, pts[gap.lower].y.isFinite, pts[gap.upper].x.isFinite, pts[gap.upper].y.isFinite {
        let a = pts[gap.lower], b = pts[gap.upper]
        let x0 = frame.x(a.x), x1 = frame.x(b.x)
        let y0 = frame.y(a.y), y1 = frame.y(b.y)
        svg.rect(x: min(x0, x1), y: min(y0, y1), width: abs(x1 - x0), height: abs(y1 - y0), fill: "#FFF1D6",
                 stroke: Palette.color(1), strokeWidth: 1, className: "gap", dash: "4 3", title: gap.label)
        let mx = (x0 + x1) / 2
        svg.line(x1: mx, y1: y0, x2: mx, y2: y1, stroke: Palette.ink, width: 1.5)
        svg.line(x1: mx - 4, y1: y0, x2: mx + 4, y2: y0, stroke: Palette.ink, width: 1.5)
        svg.line(x1: mx - 4, y1: y1, x2: mx + 4, y2: y1, stroke: Palette.ink, width: 1.5)
        // Label beside the highlighted box: right of it when it fits, else left of it.
        let labelX = max(x0, x1) + 10
        let anchor: SVGBuilder.Anchor = labelX + estimatedTextWidth(gap.label, size: 13) > frame.right ? .end : .start
        svg.text(gap.label, x: anchor == .end ? min(x0, x1) - 10 : labelX, y: (y0 + y1) / 2 + 4, anchor: anchor, size: 13,
                 weight: "600", className: "gap-label")
      }
    }
    var points = 0
    for (si, s) in series.enumerated() {
      svg.beginGroup(className: "series")
      for (pi, p) in s.points.enumerated() {
        guard p.x.isFinite, p.y.isFinite else { undefined += 1; continue }
        let highlighted = gap.map { $0.seriesIndex == si && ($0.lower == pi || $0.upper == pi) } ?? false
        let tip = "\(s.name) \(p.label ?? ""): (\(cell(p.x)), \(cell(p.y)))"
        svg.circle(cx: frame.x(p.x), cy: frame.y(p.y), r: highlighted ? 5.5 : 4, fill: Palette.color(si),
                   stroke: highlighted ? Palette.ink : "#ffffff", strokeWidth: highlighted ? 2 : 1, className: "point",
                   title: tip)
        points += 1
      }
      svg.endGroup()
    }

    var rows: [[DataTable.Cell]] = []
    for (si, s) in series.enumerated() {
      for (pi, p) in s.points.enumerated() {
        var mark = ""
        if let gap, gap.seriesIndex == si {
          if pi == gap.lower { mark = "gap below (\(gap.label))" }
          if pi == gap.upper { mark = "gap above" }
        }
        rows.append([.init(s.name), .init(p.label ?? ""), valueCell(p.x), valueCell(p.y), .init(mark)])
      }
    }
    let table = DataTable(headers: ["series", "point", xLabel, yLabel, "marked"], cells: rows,
                          numericColumns: [false, false, true, true, false])
    let notes = undefined > 0 ? ["\(undefined) point(s) with undefined coordinates are listed in the table but not drawn."] : []
    return Figure(title: title, caption: caption, table: table, notes: notes, width: chartWidth, height: height,
                  body: svg, counts: ["point": points, "undefined": undefined, "gap": gap == nil ? 0 : 1])
  }
}

// MARK: - Line chart (scores vs k)

/// Several series over a shared x (e.g. silhouette and Davies–Bouldin index against the number of
/// clusters k), with a marked x (the chosen k).
///
/// NaN values are undefined: the line breaks there, no point is drawn, the table says `undefined`.
/// Series are told apart by colour, dash pattern and the legend. An optional shaded `tolerance`
/// band (e.g. a per-week fairness ratio against [0.8, 1.25]) is drawn behind the lines.
///
/// The x axis is numeric (`xs`), or categorical (``categorical(title:caption:xLabel:yLabel:categories:series:tolerance:toleranceLabel:)``):
/// one evenly spaced position per category in the given order, ticks and the numbers table labelled
/// with the categories themselves (e.g. course weeks `2024-01-22` or `w10`). O(series × points).
public struct LineChart: Sendable {
  /// One named line; `values[i]` belongs to `xs[i]`.
  public struct Series: Sendable, Equatable {
    public var name: String
    public var values: [Double]
    public init(name: String, values: [Double]) {
      self.name = name
      self.values = values
    }
  }

  /// A vertical marker at `x` with a label (e.g. "chosen k = 4").
  public struct Marker: Sendable, Equatable {
    public var x: Double
    public var label: String
    public init(x: Double, label: String) {
      self.x = x
      self.label = label
    }
  }

  public var title: String
  public var caption: String
  public var xLabel: String
  public var yLabel: String
  public var xs: [Double]
  public var series: [Series]
  public var marker: Marker?
  /// Shaded acceptable range of y, if any.
  public var tolerance: ClosedRange<Double>?
  /// Legend label of the band (default "tolerance a–b").
  public var toleranceLabel: String?
  /// Labels of the x positions when the axis is categorical: `xs` are then 0, 1, …, one per label,
  /// and ticks, tooltips and the numbers table show the labels; `nil` for a numeric axis.
  public var categories: [String]?

  /// A chart over categories (e.g. strata that are not numbers): series `values[i]` belongs to
  /// `categories[i]`, drawn at evenly spaced positions in the given order.
  public static func categorical(title: String, caption: String, xLabel: String, yLabel: String, categories: [String],
                                 series: [Series], tolerance: ClosedRange<Double>? = nil,
                                 toleranceLabel: String? = nil) -> LineChart {
    var chart = LineChart(title: title, caption: caption, xLabel: xLabel, yLabel: yLabel,
                          xs: categories.indices.map(Double.init), series: series, tolerance: tolerance,
                          toleranceLabel: toleranceLabel)
    chart.categories = categories
    return chart
  }

  public init(title: String, caption: String, xLabel: String, yLabel: String, xs: [Double], series: [Series],
              marker: Marker? = nil, tolerance: ClosedRange<Double>? = nil, toleranceLabel: String? = nil) {
    self.tolerance = tolerance
    self.toleranceLabel = toleranceLabel
    self.title = title
    self.caption = caption
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xs = xs
    self.series = series
    self.marker = marker
  }

  /// Renders the chart and its numbers table (one row per x, one column per series).
  public func figure() -> Figure {
    var svg = SVGBuilder()
    let bandLabel = tolerance.map { toleranceLabel ?? "tolerance \(cell($0.lowerBound))–\(cell($0.upperBound))" }
    let items = series.enumerated().map {
      LegendItem(label: $0.element.name, mark: .line(color: Palette.color($0.offset), dash: Palette.dash($0.offset)))
    } + (bandLabel.map { [LegendItem(label: $0, mark: .swatch(color: "#9CCB86", opacity: 0.45))] } ?? [])
    let legendHeight = Legend.layout(items, maxWidth: chartWidth - 80).height
    let top = 14 + legendHeight + 8 + (marker == nil ? 0 : 14)
    let height = top + 280 + 52
    var ys = series.flatMap(\.values)
    if ys.allSatisfy({ !$0.isFinite }) { ys = [0, 1] }
    if let tolerance { ys += [tolerance.lowerBound, tolerance.upperBound] }
    var frame = PlotFrame(left: 64, top: top, right: chartWidth - 20, bottom: top + 280,
                          xValues: xs + (marker.map { [$0.x] } ?? []), yValues: ys)
    let integerX = xs.allSatisfy { $0 == $0.rounded() } && !xs.isEmpty
    if integerX { frame.useDiscreteX(xs + (marker.map { [$0.x] } ?? [])) }
    let categories = self.categories
    // The text of position `x`: its category, or the number.
    func xText(_ x: Double) -> String {
      if let categories {
        let i = Int(x)
        return Double(i) == x && categories.indices.contains(i) ? categories[i] : ""
      }
      return cell(x)
    }
    frame.drawAxes(into: &svg, xLabel: xLabel, yLabel: yLabel, xTickValues: integerX ? frame.x.ticks() : nil,
                   xTickLabel: categories != nil ? xText : (integerX ? { NumberFormatting.fixed($0, decimals: 0) } : nil))
    Legend.draw(items, x0: 64, y0: 10, maxWidth: chartWidth - 80, into: &svg, hatchFill: hatchFill)
    if let tolerance, let bandLabel, tolerance.lowerBound.isFinite, tolerance.upperBound.isFinite {
      let a = frame.y.clamped(tolerance.upperBound), b = frame.y.clamped(tolerance.lowerBound)
      svg.rect(x: frame.left, y: a, width: frame.right - frame.left, height: b - a, fill: "#9CCB86", opacity: 0.3,
               className: "tolerance", title: bandLabel)
    }
    if let marker, marker.x.isFinite {
      let px = frame.x(marker.x)
      svg.line(x1: px, y1: frame.top - 4, x2: px, y2: frame.bottom, stroke: Palette.ink, width: 1.5, dash: "5 4",
               className: "marker", title: marker.label)
      let anchor: SVGBuilder.Anchor = px > chartWidth - 120 ? .end : (px < 140 ? .start : .middle)
      svg.text(marker.label, x: px, y: frame.top - 8, anchor: anchor, size: 13, weight: "600", className: "marker-label")
    }
    var points = 0, undefined = 0, lines = 0
    for (si, s) in series.enumerated() {
      svg.beginGroup(className: "series")
      var segment: [(Double, Double)] = []
      func flush() {
        if segment.count > 1 {
          svg.polyline(segment, stroke: Palette.color(si), width: 2.5, dash: Palette.dash(si), className: "line")
          lines += 1
        }
        segment = []
      }
      for (i, x) in xs.enumerated() {
        let v = i < s.values.count ? s.values[i] : .nan
        if v.isFinite && x.isFinite {
          segment.append((frame.x(x), frame.y(v)))
        } else {
          flush()
        }
      }
      flush()
      for (i, x) in xs.enumerated() {
        let v = i < s.values.count ? s.values[i] : .nan
        guard v.isFinite, x.isFinite else { undefined += 1; continue }
        svg.circle(cx: frame.x(x), cy: frame.y(v), r: 3.5, fill: Palette.color(si), stroke: "#ffffff",
                   strokeWidth: 1, className: "point", title: "\(s.name) at \(xLabel) \(xText(x)): \(cell(v))")
        points += 1
      }
      svg.endGroup()
    }
    let rows = xs.enumerated().map { i, x -> [DataTable.Cell] in
      [categories != nil ? .init(xText(x)) : valueCell(x)]
        + series.map { i < $0.values.count ? valueCell($0.values[i]) : DataTable.undefined() }
        + [.init(marker.map { $0.x == x ? $0.label : "" } ?? "")]
    }
    let table = DataTable(headers: [xLabel] + series.map(\.name) + ["marked"], cells: rows,
                          numericColumns: [categories == nil] + series.map { _ in true } + [false])
    let notes = undefined > 0 ? ["\(undefined) undefined value(s): the line is broken there and the table says undefined."] : []
    return Figure(title: title, caption: caption, table: table, notes: notes, width: chartWidth, height: height,
                  body: svg, counts: ["point": points, "undefined": undefined, "line": lines,
                                      "marker": (marker?.x.isFinite ?? false) ? 1 : 0,
                                      "tolerance": tolerance == nil ? 0 : 1])
  }
}

// MARK: - Mean series with bands

/// Mean series per cluster with a shaded band per cluster (mean ± sd or min–max), against a shared
/// x (e.g. course week).
///
/// `Band.summarise(name:members:spread:)` computes the band from member series: mean and population
/// standard deviation (ddof = 0, as NumPy's default) or min–max per x, ignoring NaN. A NaN in the
/// mean breaks the line and the band. O(clusters × x).
public struct BandChart: Sendable {
  /// How a band is computed from member series.
  public enum Spread: String, Sendable { case standardDeviation = "mean ± sd", minMax = "min–max" }

  /// One cluster's mean line and band; `count` is the number of members (shown in the legend).
  public struct Band: Sendable, Equatable {
    public var name: String
    public var mean: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var count: Int?
    public init(name: String, mean: [Double], lower: [Double], upper: [Double], count: Int? = nil) {
      self.name = name
      self.mean = mean
      self.lower = lower
      self.upper = upper
      self.count = count
    }

    /// Mean and band of `members` (each of the same length; shorter ones count as missing).
    public static func summarise(name: String, members: [[Double]], spread: Spread) -> Band {
      let length = members.map(\.count).max() ?? 0
      var mean = [Double](repeating: .nan, count: length)
      var lower = mean, upper = mean
      for t in 0..<length {
        let values = members.compactMap { t < $0.count && $0[t].isFinite ? $0[t] : nil }
        guard !values.isEmpty else { continue }
        let m = values.reduce(0, +) / Double(values.count)
        mean[t] = m
        switch spread {
        case .standardDeviation:
          let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)
          let sd = variance.squareRoot()
          lower[t] = m - sd
          upper[t] = m + sd
        case .minMax:
          lower[t] = values.min()!
          upper[t] = values.max()!
        }
      }
      return Band(name: name, mean: mean, lower: lower, upper: upper, count: members.count)
    }
  }

  public var title: String
  public var caption: String
  public var xLabel: String
  public var yLabel: String
  public var xs: [Double]
  public var bands: [Band]
  public var spread: Spread

  public init(title: String, caption: String, xLabel: String, yLabel: String, xs: [Double], bands: [Band],
              spread: Spread) {
    self.title = title
    self.caption = caption
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xs = xs
    self.bands = bands
    self.spread = spread
  }

  /// Renders the chart and its numbers table (one row per x; cells "mean [lower, upper]").
  public func figure() -> Figure {
    var svg = SVGBuilder()
    let items = bands.enumerated().map { i, b in
      LegendItem(label: b.count.map { "\(b.name) (n = \($0))" } ?? b.name,
                 mark: .line(color: Palette.color(i), dash: Palette.dash(i)))
    } + [LegendItem(label: "band: \(spread.rawValue)", mark: .swatch(color: "#777777", opacity: 0.25))]
    let legendHeight = Legend.layout(items, maxWidth: chartWidth - 80).height
    let top = 14 + legendHeight + 8
    let height = top + 300 + 52
    let ys = bands.flatMap { $0.mean + $0.lower + $0.upper }
    var frame = PlotFrame(left: 64, top: top, right: chartWidth - 20, bottom: top + 300, xValues: xs, yValues: ys)
    let integerX = xs.allSatisfy { $0 == $0.rounded() } && !xs.isEmpty
    if integerX { frame.useDiscreteX(xs) }
    frame.drawAxes(into: &svg, xLabel: xLabel, yLabel: yLabel, xTickValues: integerX ? frame.x.ticks() : nil,
                   xTickLabel: integerX ? { NumberFormatting.fixed($0, decimals: 0) } : nil)
    Legend.draw(items, x0: 64, y0: 10, maxWidth: chartWidth - 80, into: &svg, hatchFill: hatchFill)
    var bandCount = 0, lineCount = 0, undefined = 0
    // Bands first (all clusters), then lines on top, so no band hides a line.
    for (bi, b) in bands.enumerated() {
      var segment: [(Double, Double, Double)] = []
      func flush() {
        if segment.count > 1 {
          let upperEdge = segment.map { ($0.0, $0.2) }
          let lowerEdge = segment.reversed().map { ($0.0, $0.1) }
          svg.polygon(upperEdge + lowerEdge, fill: Palette.color(bi), opacity: 0.16, className: "band")
          bandCount += 1
        }
        segment = []
      }
      for (i, x) in xs.enumerated() {
        let lo = i < b.lower.count ? b.lower[i] : .nan, hi = i < b.upper.count ? b.upper[i] : .nan
        if lo.isFinite, hi.isFinite, x.isFinite {
          segment.append((frame.x(x), frame.y(lo), frame.y(hi)))
        } else {
          flush()
        }
      }
      flush()
    }
    for (bi, b) in bands.enumerated() {
      svg.beginGroup(className: "series")
      var segment: [(Double, Double)] = []
      func flush() {
        if segment.count > 1 {
          svg.polyline(segment, stroke: Palette.color(bi), width: 2.5, dash: Palette.dash(bi), className: "line")
          lineCount += 1
        }
        segment = []
      }
      for (i, x) in xs.enumerated() {
        let m = i < b.mean.count ? b.mean[i] : .nan
        if m.isFinite, x.isFinite { segment.append((frame.x(x), frame.y(m))) } else { undefined += 1; flush() }
      }
      flush()
      svg.endGroup()
    }
    let rows = xs.enumerated().map { i, x in
      [valueCell(x)] + bands.map { b -> DataTable.Cell in
        let m = i < b.mean.count ? b.mean[i] : .nan
        guard m.isFinite else { return DataTable.undefined() }
        let lo = i < b.lower.count ? b.lower[i] : .nan, hi = i < b.upper.count ? b.upper[i] : .nan
        return .init("\(cell(m)) [\(cell(lo)), \(cell(hi))]")
      }
    }
    let table = DataTable(caption: "mean [\(spread == .standardDeviation ? "mean − sd, mean + sd" : "min, max")]",
                          headers: [xLabel] + bands.map { b in b.count.map { "\(b.name) (n = \($0))" } ?? b.name },
                          cells: rows, numericColumns: Array(repeating: true, count: bands.count + 1))
    let notes = undefined > 0 ? ["\(undefined) undefined mean value(s) (no member observed): lines and bands are broken there."] : []
    return Figure(title: title, caption: caption, table: table, notes: notes, width: chartWidth, height: height,
                  body: svg, counts: ["band": bandCount, "line": lineCount, "undefined": undefined])
  }
}
