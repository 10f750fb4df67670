/// Colours of the report.
///
/// Categorical colours are the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008),
/// distinguishable under the common colour-vision deficiencies; charts pair them with dash patterns,
/// labels and tables so colour never carries meaning alone. The sequential palette is viridis
/// (van der Walt & Smith, matplotlib 2.0), perceptually uniform and monotone in lightness.
public enum Palette {
  /// Okabe–Ito colours in the order charts use them (yellow last: lowest contrast on white).
  public static let categorical: [String] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
  ]
  /// Dash patterns paired with `categorical`: series 0–7 use `dashes[i]`; from series 8 on the pairing
  /// shifts by one per round of colours (``dash(_:)``), so colour × dash tells 64 series apart.
  public static let dashes: [String?] = [nil, "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4", "3 6"]
  /// Number of distinct (colour, dash) styles: series `i` and `i + styleCount` look alike.
  public static let styleCount = 64
  /// Colour of series `i`.
  public static func color(_ i: Int) -> String { categorical[i % categorical.count] }
  /// Dash pattern of series `i` (`nil` = solid): `dashes[(i + i / 8) % 8]`, so that series `i` and
  /// `i + 8` (same colour) differ in dash; styles repeat only after ``styleCount`` series.
  public static func dash(_ i: Int) -> String? {
    let k = i % styleCount
    return dashes[(k + k / categorical.count) % dashes.count]
  }

  /// A note for a chart of `count` series when styles repeat (more than ``styleCount``), else nil.
  static func repeatNote(_ count: Int, of what: String) -> String? {
    count > styleCount
      ? "\(count) \(what): colour and dash repeat after \(styleCount) (series i and i + \(styleCount) look alike); the table beneath names every one."
      : nil
  }

  /// Towards the explained class (Okabe–Ito bluish green).
  public static let towards = "#009E73"
  /// Against the explained class (Okabe–Ito vermillion).
  public static let against = "#D55E00"
  /// Tolerance bands and neutral shading.
  public static let band = "#E8F1E4"
  /// Axis and text grey with contrast ≥ 7:1 on white.
  public static let ink = "#222222"
  /// Secondary text (contrast ≈ 7:1 on white).
  public static let muted = "#555555"
  /// Grid lines.
  public static let grid = "#E3E3E3"

  /// Viridis control points (11 evenly spaced samples of matplotlib's table).
  static let viridis: [(Double, Double, Double)] = [
    (68, 1, 84), (72, 36, 117), (65, 68, 135), (53, 95, 141), (42, 120, 142), (33, 145, 140),
    (34, 168, 132), (68, 191, 112), (122, 209, 81), (189, 223, 38), (253, 231, 37),
  ]

  /// Viridis colour at `t` ∈ [0, 1] (clamped), as `#rrggbb`; linear interpolation between the
  /// control points. O(1).
  public static func sequential(_ t: Double) -> String {
    let u = t.isFinite ? min(max(t, 0), 1) : 0
    let pos = u * Double(viridis.count - 1)
    let i = min(Int(pos), viridis.count - 2)
    let f = pos - Double(i)
    let a = viridis[i], b = viridis[i + 1]
    func c(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
    return hex(c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
  }

  static func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
    let digits = Array("0123456789abcdef")
    var s = "#"
    for v in [r, g, b] {
      let x = min(max(v, 0), 255)
      s.append(digits[x / 16])
      s.append(digits[x % 16])
    }
    return s
  }
}

/// An SVG fragment builder: shapes are appended as text in call order, so equal calls give equal
/// bytes. All attribute values and text are escaped with `HTMLEscaping.escape`; coordinates are
/// printed with `svgNumber`. Value type, O(total output) memory.
public struct SVGBuilder: Sendable {
  /// The markup appended so far.
  public private(set) var body: String = ""

  public init() {}

  /// Appends markup produced by another builder.
  public mutating func append(_ other: SVGBuilder) { body += other.body }

  static func attributes(_ pairs: [(String, String?)]) -> String {
    var s = ""
    for (k, v) in pairs {
      guard let v else { continue }
      // Paint and clip references may name the figure's own defs through the id placeholder;
      // these values never come from data (the chart APIs take no colours or ids).
      if (k == "fill" || k == "clip-path") && v.hasPrefix("url(#\(Figure.idToken)") {
        let rest = String(v.dropFirst(5 + Figure.idToken.count))
        s += " \(k)=\"url(#\(Figure.idToken)\(HTMLEscaping.escape(rest))\""
      } else {
        s += " \(k)=\"\(HTMLEscaping.escape(v))\""
      }
    }
    return s
  }

  mutating func element(_ name: String, _ pairs: [(String, String?)], title: String? = nil) {
    if let title {
      body += "<\(name)\(Self.attributes(pairs))><title>\(HTMLEscaping.escape(title))</title></\(name)>"
    } else {
      body += "<\(name)\(Self.attributes(pairs))/>"
    }
  }

  /// `<rect>`; `title` becomes a tooltip / accessible name.
  public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                            stroke: String? = nil, strokeWidth: Double? = nil, opacity: Double? = nil,
                            className: String? = nil, dash: String? = nil, title: String? = nil) {
    element("rect", [
      ("class", className), ("x", svgNumber(x)), ("y", svgNumber(y)),
      ("width", svgNumber(max(0, width))), ("height", svgNumber(max(0, height))), ("fill", fill),
      ("fill-opacity", opacity.map { svgNumber($0, decimals: 3) }), ("stroke", stroke),
      ("stroke-width", strokeWidth.map { svgNumber($0) }), ("stroke-dasharray", dash),
    ], title: title)
  }

  /// `<line>`.
  public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
                            width: Double = 1, dash: String? = nil, className: String? = nil,
                            title: String? = nil) {
    element("line", [
      ("class", className), ("x1", svgNumber(x1)), ("y1", svgNumber(y1)), ("x2", svgNumber(x2)),
      ("y2", svgNumber(y2)), ("stroke", stroke), ("stroke-width", svgNumber(width)),
      ("stroke-dasharray", dash),
    ], title: title)
  }

  /// `<circle>`.
  public mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil,
                              strokeWidth: Double? = nil, opacity: Double? = nil, className: String? = nil,
                              title: String? = nil) {
    element("circle", [
      ("class", className), ("cx", svgNumber(cx)), ("cy", svgNumber(cy)), ("r", svgNumber(r)),
      ("fill", fill), ("fill-opacity", opacity.map { svgNumber($0, decimals: 3) }), ("stroke", stroke),
      ("stroke-width", strokeWidth.map { svgNumber($0) }),
    ], title: title)
  }

  /// `<path>` with a prebuilt `d`.
  public mutating func path(_ d: String, fill: String = "none", stroke: String? = nil, width: Double? = nil,
                            dash: String? = nil, opacity: Double? = nil, className: String? = nil,
                            title: String? = nil) {
    element("path", [
      ("class", className), ("d", d), ("fill", fill), ("fill-opacity", opacity.map { svgNumber($0, decimals: 3) }),
      ("stroke", stroke), ("stroke-width", width.map { svgNumber($0) }), ("stroke-dasharray", dash),
      ("stroke-linejoin", stroke == nil ? nil : "round"),
    ], title: title)
  }

  /// A polyline through `points` as a `<path>` (`M x y L x y …`); empty input draws nothing.
  public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2,
                                dash: String? = nil, className: String? = nil, title: String? = nil) {
    guard !points.isEmpty else { return }
    path(Self.pathData(points), stroke: stroke, width: width, dash: dash, className: className, title: title)
  }

  /// A closed polygon as a `<path>`.
  public mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double? = nil,
                               className: String? = nil, title: String? = nil) {
    guard !points.isEmpty else { return }
    path(Self.pathData(points) + "Z", fill: fill, opacity: opacity, className: className, title: title)
  }

  /// `M x y L x y …` for `points`.
  public static func pathData(_ points: [(Double, Double)]) -> String {
    var d = ""
    for (i, p) in points.enumerated() {
      d += (i == 0 ? "M" : "L") + svgNumber(p.0) + " " + svgNumber(p.1)
    }
    return d
  }

  /// Text anchoring.
  public enum Anchor: String, Sendable { case start, middle, end }

  /// `<text>` at (x, y) (baseline), escaped; `rotate` in degrees about (x, y).
  public mutating func text(_ string: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12,
                            weight: String? = nil, fill: String = Palette.ink, rotate: Double? = nil,
                            className: String? = nil, title: String? = nil) {
    let transform = rotate.map { "rotate(\(svgNumber($0)) \(svgNumber(x)) \(svgNumber(y)))" }
    let attrs = Self.attributes([
      ("class", className), ("x", svgNumber(x)), ("y", svgNumber(y)),
      ("text-anchor", anchor == .start ? nil : anchor.rawValue), ("font-size", svgNumber(size)),
      ("font-weight", weight), ("fill", fill), ("transform", transform),
    ])
    let tooltip = title.map { "<title>\(HTMLEscaping.escape($0))</title>" } ?? ""
    body += "<text\(attrs)>\(tooltip)\(HTMLEscaping.escape(string))</text>"
  }

  /// Opens a `<g>`; close with `endGroup()`.
  public mutating func beginGroup(className: String? = nil, transform: String? = nil, clipPath: String? = nil,
                                  extra: [(String, String?)] = []) {
    body += "<g\(Self.attributes([("class", className), ("transform", transform), ("clip-path", clipPath)] + extra))>"
  }

  /// Closes the innermost `<g>`.
  public mutating func endGroup() { body += "</g>" }

  /// Appends pre-escaped markup produced inside this module (defs, patterns).
  mutating func raw(_ markup: String) { body += markup }
}

/// Estimated rendered width of `s` at font size `size` (average glyph ≈ 0.58 em for sans-serif
/// digits and lower case), used to size label columns without font metrics.
func estimatedTextWidth(_ s: String, size: Double) -> Double {
  Double(s.count) * size * 0.58
}

/// `s` shortened to at most `maxCharacters` characters with a trailing ellipsis.
func truncated(_ s: String, maxCharacters: Int) -> String {
  guard s.count > maxCharacters, maxCharacters > 1 else { return s }
  return String(s.prefix(maxCharacters - 1)) + "…"
}
