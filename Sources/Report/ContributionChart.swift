import CohortLensCore

/// LIME-style diverging horizontal bars: one bar per feature condition (e.g. `clicks_w3 <= 2.00`),
/// its local linear weight towards the explained class to the right in green, against it to the left
/// in vermillion (Ribeiro, Singh & Guestrin, "Why Should I Trust You?", KDD 2016; the layout of
/// `lime.explanation.Explanation.as_pyplot_figure`). Each bar also carries its signed value as text
/// and sits on its side of the zero line, so the direction never depends on colour alone. Bars keep
/// the given order (LIME's `as_list` is sorted by |weight|). A non-finite weight is drawn as a
/// hatched "undefined" marker. O(features).
public struct ContributionChart: Sendable {
  /// One condition and its weight.
  public struct Contribution: Sendable, Equatable {
    public var condition: String
    public var weight: Double
    public init(condition: String, weight: Double) {
      self.condition = condition
      self.weight = weight
    }
  }

  public var title: String
  public var caption: String
  /// Name of the explained class (e.g. "fail").
  public var className: String
  public var contributions: [Contribution]
  /// Optional facts shown above the bars (e.g. "P(fail) = 0.82", "intercept 0.31").
  public var facts: [String]

  public init(title: String, caption: String, className: String, contributions: [Contribution], facts: [String] = []) {
    self.title = title
    self.caption = caption
    self.className = className
    self.contributions = contributions
    self.facts = facts
  }

  /// Renders the chart and its numbers table.
  public func figure() -> Figure {
    var svg = SVGBuilder()
    let items = [
      LegendItem(label: "towards \(className)", mark: .swatch(color: Palette.towards, opacity: 1)),
      LegendItem(label: "against \(className)", mark: .swatch(color: Palette.against, opacity: 1)),
    ] + (contributions.contains { !$0.weight.isFinite } ? [LegendItem(label: "undefined", mark: .hatch)] : [])
    let legendHeight = Legend.layout(items, maxWidth: chartWidth - 24).height
    var top = 12 + legendHeight + 6
    Legend.draw(items, x0: 12, y0: 10, maxWidth: chartWidth - 24, into: &svg, hatchFill: hatchFill)
    if !facts.isEmpty {
      svg.text(facts.joined(separator: " · "), x: 12, y: top + 12, size: 13, fill: Palette.muted, className: "facts")
      top += 22
    }
    let rowHeight = 28.0, barHeight = 16.0
    let longest = contributions.map { estimatedTextWidth(truncated($0.condition, maxCharacters: 32), size: 13) }.max() ?? 0
    let labelWidth = min(244, max(80, longest + 10))
    let labelCharacters = max(4, Int((labelWidth + 10) / (13 * 0.58)))
    let left = 12 + labelWidth + 8
    let right = chartWidth - 16
    let bottom = top + rowHeight * Double(max(1, contributions.count))
    let maxAbs = contributions.map { $0.weight.isFinite ? abs($0.weight) : 0 }.max() ?? 0
    let m = maxAbs > 0 ? maxAbs : 1
    // Symmetric domain with room on each side for the value text: the longest signed value must fit
    // between the end of the longest bar and the plot's edge (else the text is clipped or runs into
    // the condition labels).
    let textWidth = contributions.map { $0.weight.isFinite ? estimatedTextWidth(signed($0.weight), size: 13) : 0 }.max() ?? 0
    let halfPlot = (right - left) / 2
    let free = halfPlot - 8 - textWidth
    let stretch = free > halfPlot * 0.25 ? max(1.35, halfPlot / free) : 4
    let x = LinearScale.nice(covering: [-m * stretch, m * stretch], range: (left, right), tickCount: 4)
    let axis = x.axisLabels(size: 13)
    for t in x.ticks() {
      let px = x(t)
      svg.line(x1: px, y1: top, x2: px, y2: bottom, stroke: Palette.grid, width: 1)
    }
    for (t, label) in axis.labels {
      svg.text(label, x: x(t), y: bottom + 17, anchor: .middle, size: 13, fill: Palette.muted, className: "tick")
    }
    svg.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: Palette.ink, width: 1)
    let axisTitle = "local weight\(axis.unit.map { " \($0)" } ?? "") (← against · towards \(className) →)"
    let half = estimatedTextWidth(axisTitle, size: 14) / 2
    svg.text(axisTitle, x: max(half + 4, min((left + right) / 2, chartWidth - half - 4)), y: bottom + 36, anchor: .middle,
             size: 14)
    let zero = x(0)
    var towards = 0, against = 0, undefined = 0
    for (i, c) in contributions.enumerated() {
      let cy = top + rowHeight * (Double(i) + 0.5)
      let shown = truncated(c.condition, maxCharacters: labelCharacters)
      svg.text(shown, x: left - 8, y: cy + 4, anchor: .end, size: 13, className: "condition",
               title: shown == c.condition ? nil : c.condition)
      guard c.weight.isFinite else {
        svg.rect(x: zero - 13, y: cy - barHeight / 2, width: 26, height: barHeight, fill: hatchFill, stroke: Palette.muted,
                 strokeWidth: 1, className: "undefined", title: "\(c.condition): undefined")
        svg.text("undefined", x: zero + 18, y: cy + 4, size: 13, fill: Palette.muted)
        undefined += 1
        continue
      }
      let px = x(c.weight)
      let positive = c.weight > 0
      let colour = positive ? Palette.towards : Palette.against
      let tip = "\(c.condition): \(signed(c.weight)) \(positive ? "towards" : "against") \(className)"
      svg.rect(x: min(px, zero), y: cy - barHeight / 2, width: max(abs(px - zero), 1), height: barHeight, fill: colour,
               className: positive ? "bar towards" : "bar against", title: tip)
      if positive { towards += 1 } else { against += 1 }
      svg.text(signed(c.weight), x: positive ? px + 5 : px - 5, y: cy + 4, anchor: positive ? .start : .end, size: 13,
               className: "value-label")
    }
    svg.line(x1: zero, y1: top - 2, x2: zero, y2: bottom, stroke: Palette.ink, width: 1.5)
    let rows = contributions.map { c -> [DataTable.Cell] in
      c.weight.isFinite
        ? [.init(c.condition), .init(signed(c.weight)),
           .init(c.weight > 0 ? "towards \(className)" : (c.weight < 0 ? "against \(className)" : "none"))]
        : [.init(c.condition), DataTable.undefined(), DataTable.undefined()]
    }
    let table = DataTable(headers: ["condition", "weight", "direction"], cells: rows, numericColumns: [false, true, false])
    return Figure(title: title, caption: caption, table: table, width: chartWidth, height: bottom + 48, body: svg,
                  defs: undefined > 0 ? hatchPatternDef() : "",
                  counts: ["bar": towards + against, "towards": towards, "against": against, "undefined": undefined])
  }

  /// `+0.1234` / `−0.1234` (true minus sign), 4 significant digits.
  func signed(_ w: Double) -> String {
    let s = cell(abs(w))
    return w > 0 ? "+" + s : (w < 0 ? "−" + s : s)
  }
}
