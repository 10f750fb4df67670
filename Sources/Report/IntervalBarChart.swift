import CohortLensCore

/// Horizontal bars per group with interval whiskers, a shaded tolerance band and a reference line
/// — e.g. a selection-rate ratio per group against the reference group, with bootstrap intervals and
/// the four-fifths band [0.8, 1.25].
///
/// Bars start at `baseline` (0 for rates, 1 for ratios). A group whose value is undefined (zero
/// denominator, too few rows) is drawn as a hatched marker labelled "undefined" with its reason —
/// never as a bar of length 0. Bars outside the tolerance band are drawn in vermillion and say
/// "outside" in their value label, so colour is never the only cue.
///
/// With a tolerance band the axis is kept to the band and its surroundings: it covers the baseline,
/// the band, the reference and every value and interval end within 4 band widths of the band (a ratio
/// band [0.8, 1.25] gives at most about −1…3); a value or interval end beyond that is drawn to the
/// axis's edge with an arrow and counted as `offscale` (its exact value is in the value label and the
/// table), so one extreme ratio (200) cannot squeeze the band to a pixel. O(groups).
public struct IntervalBarChart: Sendable {
  /// One group's bar.
  public struct Bar: Sendable, Equatable {
    /// Group name (from data; escaped when rendered).
    public var label: String
    /// The value, or `nil` when undefined.
    public var value: Double?
    /// Interval lower end (whisker), if any.
    public var lower: Double?
    /// Interval upper end (whisker), if any.
    public var upper: Double?
    /// Extra text for the table, e.g. "12/40" (numerator/denominator) or "n = 40".
    public var detail: String?
    /// Why the value is undefined (shown next to the marker and in the table).
    public var undefinedReason: String?

    public init(label: String, value: Double?, lower: Double? = nil, upper: Double? = nil, detail: String? = nil,
                undefinedReason: String? = nil) {
      self.label = label
      self.value = value
      self.lower = lower
      self.upper = upper
      self.detail = detail
      self.undefinedReason = undefinedReason
    }

    /// Whether the value is defined (non-nil and finite).
    public var isDefined: Bool { value?.isFinite ?? false }
  }

  public var title: String
  public var caption: String
  /// Axis title for the values.
  public var valueLabel: String
  public var bars: [Bar]
  /// Where bars start.
  public var baseline: Double
  /// Shaded acceptable range, e.g. 0.8...1.25.
  public var tolerance: ClosedRange<Double>?
  /// Label of the band (default "tolerance a–b").
  public var toleranceLabel: String?
  /// Reference value drawn as a dashed line (e.g. 1 for ratios, the overall rate for rates).
  public var reference: Double?
  /// Label of the reference line.
  public var referenceLabel: String?

  public init(title: String, caption: String, valueLabel: String, bars: [Bar], baseline: Double = 0,
              tolerance: ClosedRange<Double>? = nil, toleranceLabel: String? = nil, reference: Double? = nil,
              referenceLabel: String? = nil) {
    self.title = title
    self.caption = caption
    self.valueLabel = valueLabel
    self.bars = bars
    self.baseline = baseline
    self.tolerance = tolerance
    self.toleranceLabel = toleranceLabel
    self.reference = reference
    self.referenceLabel = referenceLabel
  }

  func isOutside(_ v: Double) -> Bool {
    guard let tolerance else { return false }
    return !tolerance.contains(v)
  }

  /// The text right of a bar: the value to 3 significant digits, plus "outside" when it is
  /// outside the tolerance band.
  func valueText(_ v: Double) -> String {
    cell(v, digits: 3) + (isOutside(v) ? " outside" : "")
  }

  /// Renders the chart and its numbers table.
  public func figure() -> Figure {
    var svg = SVGBuilder()
    let rowHeight = 30.0, barHeight = 16.0
    let longest = bars.map { estimatedTextWidth(truncated($0.label, maxCharacters: 24), size: 13) }.max() ?? 0
    let labelWidth = min(160, max(50, longest + 10))
    let labelCharacters = max(4, Int((labelWidth + 2) / (13 * 0.58)))
    // Value column wide enough for the longest value text (bold adds ≈ 10 %).
    let valueTexts = bars.map { b in b.isDefined ? valueText(b.value!) : "" }
    let valueColumn = max(56, (valueTexts.map { estimatedTextWidth($0, size: 13) * 1.1 }.max() ?? 0) + 14)
    var items: [LegendItem] = []
    if let tolerance {
      items.append(LegendItem(label: toleranceLabel ?? "tolerance \(cell(tolerance.lowerBound))–\(cell(tolerance.upperBound))",
                              mark: .swatch(color: "#9CCB86", opacity: 0.45)))
    }
    if let reference {
      items.append(LegendItem(label: referenceLabel ?? "reference \(cell(reference))", mark: .dashedLine(color: Palette.ink)))
    }
    if bars.contains(where: { $0.lower != nil && $0.upper != nil }) {
      items.append(LegendItem(label: "interval", mark: .line(color: Palette.ink, dash: nil)))
    }
    if bars.contains(where: { !$0.isDefined }) { items.append(LegendItem(label: "undefined", mark: .hatch)) }
    let legendHeight = Legend.layout(items, maxWidth: chartWidth - 24).height
    let top = 12 + legendHeight + 8
    let left = 12 + labelWidth
    let right = chartWidth - valueColumn
    let bottom = top + rowHeight * Double(max(1, bars.count))
    // Values shown on the axis: within 4 band widths of the tolerance band (all of them without a band);
    // beyond that the axis stops at the window's edge and the value is drawn as off the scale.
    let window: ClosedRange<Double>? = tolerance.flatMap { t in
      let w = t.upperBound - t.lowerBound
      return w > 0 && w.isFinite ? (t.lowerBound - 4 * w)...(t.upperBound + 4 * w) : nil
    }
    var domain: [Double] = [baseline]
    for b in bars {
      for v in [b.value, b.lower, b.upper] {
        guard let v, v.isFinite else { continue }
        if let window, !window.contains(v) { domain.append(v < window.lowerBound ? window.lowerBound : window.upperBound) } else { domain.append(v) }
      }
    }
    if let tolerance { domain += [tolerance.lowerBound, tolerance.upperBound] }
    if let reference { domain.append(reference) }
    // Nothing defined to plot (e.g. every group suppressed): a unit axis from the baseline, not one padded
    // symmetrically around it (a rate axis of −0.6…0.6).
    if domain.count == 1 { domain.append(baseline + 1) }
    let x = LinearScale.nice(covering: domain, range: (left, right), tickCount: 5)
    // A value drawn at the axis's edge when it lies beyond it.
    func onAxis(_ v: Double) -> Double { min(max(v, x.domainLower), x.domainUpper) }
    func offAxis(_ v: Double) -> Bool { v < x.domainLower || v > x.domainUpper }
    Legend.draw(items, x0: 12, y0: 10, maxWidth: chartWidth - 24, into: &svg, hatchFill: hatchFill)
    if let tolerance {
      let a = x.clamped(tolerance.lowerBound), b = x.clamped(tolerance.upperBound)
      svg.rect(x: a, y: top, width: b - a, height: bottom - top, fill: "#9CCB86", opacity: 0.3, className: "tolerance",
               title: toleranceLabel ?? "tolerance \(cell(tolerance.lowerBound))–\(cell(tolerance.upperBound))")
    }
    let axis = x.axisLabels(size: 13)
    for t in x.ticks() {
      let px = x(t)
      svg.line(x1: px, y1: top, x2: px, y2: bottom, stroke: Palette.grid, width: 1)
      svg.line(x1: px, y1: bottom, x2: px, y2: bottom + 4, stroke: Palette.ink, width: 1)
    }
    for (t, label) in axis.labels {
      svg.text(label, x: x(t), y: bottom + 17, anchor: .middle, size: 13, fill: Palette.muted, className: "tick")
    }
    svg.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: Palette.ink, width: 1)
    svg.text(valueLabel + (axis.unit.map { " (\($0))" } ?? ""), x: (left + right) / 2, y: bottom + 36, anchor: .middle, size: 14)
    let base = x(baseline)
    svg.line(x1: base, y1: top, x2: base, y2: bottom, stroke: Palette.ink, width: 1)

    var barCount = 0, whiskers = 0, undefined = 0, offscale = 0
    for (i, b) in bars.enumerated() {
      let cy = top + rowHeight * (Double(i) + 0.5)
      let shown = truncated(b.label, maxCharacters: labelCharacters)
      svg.text(shown, x: left - 8, y: cy + 4, anchor: .end, size: 13, className: "group-label",
               title: shown == b.label ? nil : b.label)
      guard let v = b.value, v.isFinite else {
        // Drawn at the start of the plot area, away from any value position, so it cannot be
        // read as a bar of length 0.
        svg.rect(x: left + 2, y: cy - barHeight / 2, width: 26, height: barHeight, fill: hatchFill, stroke: Palette.muted,
                 strokeWidth: 1, className: "undefined", title: "\(b.label): undefined — \(b.undefinedReason ?? "no value")")
        let text = "undefined" + (b.undefinedReason.map { ": \($0)" } ?? "")
        svg.text(truncated(text, maxCharacters: max(8, Int((chartWidth - left - 40) / (13 * 0.58)))), x: left + 34, y: cy + 4,
                 size: 13, fill: Palette.muted, className: "undefined-label")
        undefined += 1
        continue
      }
      let px = x(onAxis(v))
      let outside = isOutside(v)
      let colour = outside ? Palette.against : Palette.color(0)
      var tip = "\(b.label): \(cell(v))"
      if let lo = b.lower, let hi = b.upper { tip += " [\(cell(lo)), \(cell(hi))]" }
      if let d = b.detail { tip += " (\(d))" }
      svg.rect(x: min(px, base), y: cy - barHeight / 2, width: max(abs(px - base), 1.5), height: barHeight,
               fill: colour, className: "bar", title: tip)
      barCount += 1
      if offAxis(v) {
        // An arrow at the edge, pointing on: the value lies beyond the axis.
        let dir = v > x.domainUpper ? 1.0 : -1.0
        svg.polygon([(px - dir * 9, cy - barHeight / 2 - 3), (px, cy), (px - dir * 9, cy + barHeight / 2 + 3)], fill: Palette.ink,
                    className: "offscale", title: "\(b.label): \(cell(v)), beyond the axis")
        offscale += 1
      } else {
        // A dark tick at the value, visible even when the bar is as short as the baseline.
        svg.line(x1: px, y1: cy - barHeight / 2 - 2, x2: px, y2: cy + barHeight / 2 + 2, stroke: Palette.ink, width: 2,
                 className: "value-tick")
      }
      if let lo = b.lower, let hi = b.upper, lo.isFinite, hi.isFinite {
        let a = x(onAxis(lo)), c = x(onAxis(hi))
        svg.line(x1: a, y1: cy, x2: c, y2: cy, stroke: Palette.ink, width: 1.5, className: "whisker")
        // End caps; an end beyond the axis gets a chevron instead.
        for (end, value) in [(a, lo), (c, hi)] {
          if offAxis(value) {
            let dir = value > x.domainUpper ? 1.0 : -1.0
            svg.polyline([(end - dir * 6, cy - 5), (end, cy), (end - dir * 6, cy + 5)], stroke: Palette.ink, width: 1.5)
          } else {
            svg.line(x1: end, y1: cy - 6, x2: end, y2: cy + 6, stroke: Palette.ink, width: 1.5)
          }
        }
        whiskers += 1
      }
      svg.text(valueText(v), x: right + 10, y: cy + 4, size: 13, weight: outside ? "700" : nil,
               fill: outside ? "#A63D00" : Palette.ink, className: "value-label")
    }
    if let reference, reference.isFinite {
      let px = x(reference)
      svg.line(x1: px, y1: top - 4, x2: px, y2: bottom, stroke: Palette.ink, width: 1.5, dash: "5 4", className: "reference",
               title: referenceLabel ?? "reference \(cell(reference))")
    }
    let height = bottom + 48
    let rows = bars.map { b -> [DataTable.Cell] in
      let interval: String
      if let lo = b.lower, let hi = b.upper { interval = "[\(cell(lo)), \(cell(hi))]" } else { interval = "" }
      let status: DataTable.Cell
      if !b.isDefined {
        status = DataTable.undefined("undefined" + (b.undefinedReason.map { ": \($0)" } ?? ""))
      } else if tolerance != nil {
        status = .init(isOutside(b.value!) ? "outside tolerance" : "within tolerance")
      } else {
        status = ""
      }
      return [.init(b.label), b.isDefined ? .init(cell(b.value!)) : DataTable.undefined(), .init(interval), .init(b.detail ?? ""), status]
    }
    let table = DataTable(headers: ["group", valueLabel, "interval", "detail", "status"], cells: rows,
                          numericColumns: [false, true, true, true, false])
    let clipped = bars.contains { b in [b.value, b.lower, b.upper].contains { $0.map { $0.isFinite && offAxis($0) } ?? false } }
    let notes = clipped
      ? ["The axis stops at \(cell(x.domainLower))–\(cell(x.domainUpper)), around the tolerance band; values and interval ends beyond it are drawn to its edge with an arrow (exact values in the table)."]
      : []
    return Figure(title: title, caption: caption, table: table, notes: notes, width: chartWidth, height: height, body: svg,
                  defs: hatchPatternDef(), counts: ["bar": barCount, "whisker": whiskers, "undefined": undefined,
                                                    "tolerance": tolerance == nil ? 0 : 1, "reference": reference == nil ? 0 : 1,
                                                    "offscale": offscale])
  }
}
