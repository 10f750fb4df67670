/// How a legend entry is drawn.
enum LegendMark: Sendable {
  case line(color: String, dash: String?)
  case swatch(color: String, opacity: Double)
  case point(color: String)
  case hatch
  case dashedLine(color: String)
}

/// One legend entry: `label` (shortened with "…" when long) followed by `suffix`, which is always
/// shown in full (e.g. a curve's " (AUC 0.812)", so a long group name cannot hide its number).
struct LegendItem: Sendable {
  var label: String
  var mark: LegendMark
  var suffix: String = ""

  /// Longest text drawn for an entry, in characters (the full text is then the entry's tooltip).
  static let maxCharacters = 48

  /// The text drawn: the label cut to leave room for the whole suffix (at least 8 characters of
  /// the label are kept), then the suffix.
  var shown: String {
    truncated(label, maxCharacters: max(8, Self.maxCharacters - suffix.count)) + suffix
  }

  /// The whole text, when `shown` is shortened (used as the entry's tooltip).
  var fullTextIfShortened: String? {
    shown == label + suffix ? nil : label + suffix
  }
}

enum Legend {
  static let fontSize = 13.0
  static let rowHeight = 19.0

  /// Positions of the items, flowing left to right and wrapping at `maxWidth`; returns the
  /// positions and the total height (0 for no items).
  static func layout(_ items: [LegendItem], maxWidth: Double) -> (positions: [(Double, Double)], height: Double) {
    var x = 0.0, row = 0.0
    var positions: [(Double, Double)] = []
    for item in items {
      let w = 20 + estimatedTextWidth(item.shown, size: fontSize) + 16
      if x > 0 && x + w > maxWidth {
        x = 0
        row += 1
      }
      positions.append((x, row * rowHeight))
      x += w
    }
    return (positions, items.isEmpty ? 0 : (row + 1) * rowHeight)
  }

  /// Draws the legend with its top-left corner at (x0, y0); `hatchID` names the hatch pattern.
  static func draw(_ items: [LegendItem], x0: Double, y0: Double, maxWidth: Double, into svg: inout SVGBuilder,
                   hatchFill: String) {
    guard !items.isEmpty else { return }
    let (positions, _) = layout(items, maxWidth: maxWidth)
    svg.beginGroup(className: "legend")
    for (item, p) in zip(items, positions) {
      let x = x0 + p.0, y = y0 + p.1
      let cy = y + 9
      switch item.mark {
      case .line(let color, let dash):
        svg.line(x1: x, y1: cy, x2: x + 16, y2: cy, stroke: color, width: 2.5, dash: dash)
      case .dashedLine(let color):
        svg.line(x1: x, y1: cy, x2: x + 16, y2: cy, stroke: color, width: 1.5, dash: "4 3")
      case .swatch(let color, let opacity):
        svg.rect(x: x, y: cy - 6, width: 16, height: 12, fill: color, stroke: color, strokeWidth: 1, opacity: opacity)
      case .point(let color):
        svg.circle(cx: x + 8, cy: cy, r: 5, fill: color)
      case .hatch:
        svg.rect(x: x, y: cy - 6, width: 16, height: 12, fill: hatchFill, stroke: Palette.muted, strokeWidth: 1)
      }
      svg.text(item.shown, x: x + 20, y: cy + 4, size: fontSize, title: item.fullTextIfShortened)
    }
    svg.endGroup()
  }
}

/// A rectangular plot area inside a chart with x and y scales, grid, ticks and axis labels.
struct PlotFrame {
  var left: Double
  var top: Double
  var right: Double
  var bottom: Double
  var x: LinearScale
  var y: LinearScale

  /// A frame occupying [left, right] × [top, bottom] with nice scales over the given values.
  init(left: Double, top: Double, right: Double, bottom: Double, xValues: [Double], yValues: [Double],
       xTicks: Int = 6, yTicks: Int = 5) {
    self.left = left
    self.top = top
    self.right = right
    self.bottom = bottom
    x = LinearScale.nice(covering: xValues, range: (left, right), tickCount: xTicks)
    y = LinearScale.nice(covering: yValues, range: (bottom, top), tickCount: yTicks)
  }

  /// Replaces the x scale by one over [min − ½, max + ½] of the finite `values` (integer positions
  /// such as k or week), so the first and last points do not sit on the frame; ticks every 1 for
  /// up to 12 positions, else every nice integer step.
  mutating func useDiscreteX(_ values: [Double]) {
    let finite = values.filter(\.isFinite)
    guard let lo = finite.min(), let hi = finite.max() else { return }
    let span = hi - lo
    let step = span <= 11 ? 1 : max(1, LinearScale.tickStep(lo, hi, count: 8).rounded())
    x = LinearScale(domain: (lo - 0.5, hi + 0.5), range: (left, right), step: step)
  }

  /// Clip rectangle markup for this frame with id `<figure>-<name>`.
  func clipDef(name: String) -> String {
    "<clipPath id=\"\(Figure.idToken)--\(name)\"><rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(right - left))\" height=\"\(svgNumber(bottom - top))\"/></clipPath>"
  }

  /// Grid lines, the two axes, tick labels and axis titles. `xTickValues` overrides the x ticks
  /// (e.g. integer k); `xTickLabel` formats them.
  func drawAxes(into svg: inout SVGBuilder, xLabel: String, yLabel: String, xTickValues: [Double]? = nil,
                xTickLabel: ((Double) -> String)? = nil, yGrid: Bool = true, xGrid: Bool = false) {
    svg.beginGroup(className: "axes")
    let yTicks = y.ticks()
    for t in yTicks {
      let py = y(t)
      if yGrid { svg.line(x1: left, y1: py, x2: right, y2: py, stroke: Palette.grid, width: 1) }
      svg.line(x1: left - 4, y1: py, x2: left, y2: py, stroke: Palette.ink, width: 1)
      svg.text(y.tickLabel(t), x: left - 7, y: py + 4, anchor: .end, size: 13, fill: Palette.muted)
    }
    let xt = xTickValues ?? x.ticks()
    // Thin labels out when they would overlap.
    let labels = xt.map { xTickLabel?($0) ?? x.tickLabel($0) }
    let widest = labels.map { estimatedTextWidth($0, size: 13) }.max() ?? 0
    let spacing = xt.count > 1 ? abs(x(xt[1]) - x(xt[0])) : .infinity
    let every = spacing.isFinite && spacing > 0 ? max(1, Int(((widest + 8) / spacing).rounded(.up))) : 1
    for (i, t) in xt.enumerated() {
      let px = x(t)
      if xGrid { svg.line(x1: px, y1: top, x2: px, y2: bottom, stroke: Palette.grid, width: 1) }
      svg.line(x1: px, y1: bottom, x2: px, y2: bottom + 4, stroke: Palette.ink, width: 1)
      if i % every == 0 {
        svg.text(labels[i], x: px, y: bottom + 17, anchor: .middle, size: 13, fill: Palette.muted)
      }
    }
    svg.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: Palette.ink, width: 1)
    svg.line(x1: left, y1: top, x2: left, y2: bottom, stroke: Palette.ink, width: 1)
    svg.text(xLabel, x: (left + right) / 2, y: bottom + 36, anchor: .middle, size: 14)
    svg.text(yLabel, x: 14, y: (top + bottom) / 2, anchor: .middle, size: 14, rotate: -90)
    svg.endGroup()
  }
}

/// The hatch pattern used for undefined values, with id `<figure>--hatch`.
func hatchPatternDef() -> String {
  "<pattern id=\"\(Figure.idToken)--hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#888888\" stroke-width=\"2\"/></pattern>"
}

/// `url(#<figure>--hatch)`.
var hatchFill: String { "url(#\(Figure.idToken)--hatch)" }

/// Formats a value for the numbers table: 4 significant digits; non-finite → "undefined".
func cell(_ x: Double, digits: Int = 4) -> String {
  x.isFinite ? NumberFormatting.significant(x, digits: digits) : "undefined"
}

/// Formats an optional value for the numbers table.
func cell(_ x: Double?, digits: Int = 4) -> String {
  guard let x else { return "undefined" }
  return cell(x, digits: digits)
}

/// A numbers-table cell for `x`: 4 significant digits, or `undefined` marked as undefined when `x` is
/// nil or not finite.
func valueCell(_ x: Double?, digits: Int = 4) -> DataTable.Cell {
  guard let x, x.isFinite else { return DataTable.undefined() }
  return DataTable.Cell(cell(x, digits: digits))
}

import CohortLensCore
