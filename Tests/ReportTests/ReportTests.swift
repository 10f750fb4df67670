import CohortLensCore
import Foundation
import Testing
@testable import Report

/// Parses a figure's SVG (with a fixed id) as XML.
private func parseSVG(_ f: Figure, id: String = "fig") throws -> XMLElement {
  try XMLChecker.parse(f.svg(id: id))
}

/// Every numeric geometry attribute in the tree is a finite decimal number.
private func expectFiniteGeometry(_ root: XMLElement, sourceLocation: SourceLocation = #_sourceLocation) {
  let numeric = ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height"]
  for e in root.all() where e.name != "svg" {
    for a in numeric {
      guard let v = e.attributes[a] else { continue }
      #expect(Double(v)?.isFinite == true, "\(e.name) \(a)=\(v)", sourceLocation: sourceLocation)
    }
    if let d = e.attributes["d"] {
      #expect(!d.lowercased().contains("nan") && !d.lowercased().contains("inf"), "path d=\(d)", sourceLocation: sourceLocation)
    }
  }
}

@Suite struct EscapingTests {
  @Test func escapesTheFiveCharacters() {
    #expect(HTMLEscaping.escape(#"a & b < c > d " e ' f"#) == "a &amp; b &lt; c &gt; d &quot; e &#39; f")
    #expect(HTMLEscaping.escape("plain été ✓") == "plain été ✓")
    #expect(HTMLEscaping.escape("&amp;") == "&amp;amp;")
    #expect(HTMLEscaping.escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
  }

  @Test func replacesCharactersXMLForbidsAndThePlaceholder() {
    #expect(HTMLEscaping.escape("a\u{0}b\u{1B}c\td\ne") == "a\u{FFFD}b\u{FFFD}c\td\ne")
    #expect(HTMLEscaping.escape("x\u{E000}fig") == "x\u{FFFD}fig")
    #expect(HTMLEscaping.escape("\u{FFFE}") == "\u{FFFD}")
    #expect(HTMLEscaping.escape("a\rb") == "a\rb")
  }

  /// Bidi embedding, override and isolate controls would reorder the report's own text around a value
  /// (a group named U+202E "A" turns "A (AUC 0.824)" into "(428.0 CUA) A"): each becomes a visible U+FFFD.
  @Test func replacesBidiControls() {
    for v: UInt32 in [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069] {
      let c = String(Unicode.Scalar(v)!)
      #expect(HTMLEscaping.escape(c + "A (AUC 0.824)") == "\u{FFFD}A (AUC 0.824)", "U+\(String(v, radix: 16))")
    }
    // Neighbours of the ranges, and right-to-left text itself, are kept.
    #expect(HTMLEscaping.escape("\u{2029}\u{202F}\u{2065}\u{206A}") == "\u{2029}\u{202F}\u{2065}\u{206A}")
    #expect(HTMLEscaping.escape("שלום مرحبا") == "שלום مرحبا")
  }

  /// DEL, the C1 controls and the Unicode non-characters (invalid code points to an HTML parser) become
  /// U+FFFD; the characters next to them are kept.
  @Test func replacesDELC1AndNonCharacters() {
    var replaced: [UInt32] = [0x7F, 0x80, 0x85, 0x9F, 0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF]
    for plane: UInt32 in 1...16 { replaced += [plane << 16 | 0xFFFE, plane << 16 | 0xFFFF] }
    for v in replaced {
      #expect(HTMLEscaping.escape("a" + String(Unicode.Scalar(v)!) + "b") == "a\u{FFFD}b", "U+\(String(v, radix: 16))")
    }
    let kept: [UInt32] = [0x7E, 0xA0, 0xE9, 0xFDCF, 0xFDF0, 0xFFFD, 0xFFFC, 0x1FFFD, 0x10000, 0x1F600, 0x10FFFD]
    for v in kept {
      let s = "a" + String(Unicode.Scalar(v)!) + "b"
      #expect(HTMLEscaping.escape(s) == s, "U+\(String(v, radix: 16))")
    }
  }

  @Test func slugs() {
    #expect(HTMLEscaping.slug("Fairness by cluster") == "fairness-by-cluster")
    #expect(HTMLEscaping.slug("<script>alert(1)</script>") == "script-alert-1-script")
    #expect(HTMLEscaping.slug("2024 results") == "section-2024-results")
    #expect(HTMLEscaping.slug("!!!") == "section")
    var a = SlugAllocator()
    #expect(a.unique("Intro") == "intro")
    #expect(a.unique("intro") == "intro-2")
    #expect(a.unique("Intro") == "intro-3")
  }

  @Test func hostileGroupNameNeverBecomesMarkup() throws {
    let html = Samples.document().render()
    #expect(!html.lowercased().contains("<script"))
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    let root = try XMLChecker.parse(html)
    #expect(root.elements("script").isEmpty)
    // The hostile name is present as text in the verdicts, a heading, a table and SVG labels.
    let texts = root.all().filter { $0.text.contains(Samples.evil) }.map(\.name)
    for name in ["strong", "a", "th", "text", "li", "dt", "title"] {
      #expect(texts.contains(name), "escaped name missing in <\(name)>")
    }
    // No attribute was injected and no javascript: link survives.
    for e in root.all() {
      #expect(!e.attributes.keys.contains { $0.lowercased().hasPrefix("on") }, "\(e.name) \(e.attributes)")
      #expect(!(e.attributes["href"] ?? "").lowercased().hasPrefix("javascript"))
    }
  }

  @Test func attributeValuesAreEscaped() throws {
    var svg = SVGBuilder()
    svg.text("t", x: 1, y: 2, className: #"a" onload="x"#)
    let root = try XMLChecker.parse("<svg>\(svg.body)</svg>")
    let t = try #require(root.elements("text").first)
    #expect(t.attributes["class"] == #"a" onload="x"#)
    #expect(t.attributes["onload"] == nil)
  }
}

@Suite struct ScaleTests {
  @Test func niceTicks() {
    let s = LinearScale.nice(covering: [0.013, 0.87], range: (0, 100), tickCount: 5)
    #expect(s.domainLower == 0 && s.domainUpper == 1 && s.step == 0.2)
    #expect(s.ticks() == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
    #expect(s.ticks().map(s.tickLabel) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    let t = LinearScale.nice(covering: [-3.2, 147], range: (0, 1), tickCount: 5)
    #expect(t.step == 20 && t.domainLower == -20 && t.domainUpper == 160)  // d3.ticks(-3.2, 147, 5): step 20
    #expect(t.ticks().map(t.tickLabel) == ["-20", "0", "20", "40", "60", "80", "100", "120", "140", "160"])
    let u = LinearScale.nice(covering: [0.8, 1.31], range: (0, 1), tickCount: 5)
    #expect(u.step == 0.1 && u.tickLabel(1.2000000000000002) == "1.2")
  }

  @Test func degenerateAndNonFiniteDomains() {
    let empty = LinearScale.nice(covering: [.nan, .infinity], range: (0, 10))
    #expect(empty.domainLower == 0 && empty.domainUpper == 1)
    let single = LinearScale.nice(covering: [5], range: (0, 10))
    #expect(single.domainLower < 5 && single.domainUpper > 5)
    #expect(abs(single(5) - 5) < 1e-9)
    let flipped = LinearScale(domain: (0, 1), range: (100, 0))
    #expect(flipped(0.25) == 75 && flipped.clamped(2) == 0)
  }

  @Test func compactNumbers() {
    #expect(svgNumber(12.5) == "12.5")
    #expect(svgNumber(3.0) == "3")
    #expect(svgNumber(-0.001) == "0")
    #expect(svgNumber(1 / 3) == "0.33")
    #expect(svgNumber(.nan) == "0")
    #expect(svgNumber(-2.125, decimals: 1) == "-2.1")
  }
}

@Suite struct ChartTests {
  @Test func scatterMarksTheEigengap() throws {
    let f = Samples.eigenvalues()
    let root = try parseSVG(f)
    #expect(root.elements("circle", class: "point").count == 10)
    #expect(root.elements("rect", class: "gap").count == 1)
    let label = try #require(root.elements("text", class: "gap-label").first)
    #expect(label.allText == "gap after k = 4: 0.3598")
    #expect(f.table.rows.count == 10)
    #expect(f.table.rows[3][4].hasPrefix("gap below"))
    // Two points ringed (larger radius).
    #expect(root.elements("circle", class: "point").filter { $0.attributes["r"] == "5.5" }.count == 2)
    expectFiniteGeometry(root)
  }

  @Test func scatterSkipsUndefinedPoints() throws {
    let chart = ScatterChart(title: "t", caption: "c", xLabel: "x", yLabel: "y",
                             series: [.init(name: "a", points: [.init(x: 1, y: 2), .init(x: 2, y: .nan), .init(x: .infinity, y: 1)])])
    let f = chart.figure()
    let root = try parseSVG(f)
    #expect(root.elements("circle", class: "point").count == 1)
    #expect(f.counts["undefined"] == 2)
    #expect(f.table.rows[1][3] == "undefined")
    expectFiniteGeometry(root)
  }

  @Test func lineChartBreaksAtUndefinedAndMarksK() throws {
    let f = Samples.scores()
    let root = try parseSVG(f)
    // Silhouette has a NaN at k = 7 → one segment k = 2…6 and a lone point at k = 8; DB one line.
    #expect(root.elements("path", class: "line").count == 2)
    #expect(root.elements("circle", class: "point").count == 13)
    #expect(root.elements("line", class: "marker").count == 1)
    #expect(root.elements("text", class: "marker-label").first?.allText == "chosen k = 4")
    #expect(f.table.rows[5] == ["7", "undefined", "1.18", ""])
    #expect(f.table.rows[2].last == "chosen k = 4")
    expectFiniteGeometry(root)
  }

  @Test func lineChartToleranceBand() throws {
    let chart = LineChart(title: "Selection-rate ratio per week", caption: "c", xLabel: "course week", yLabel: "ratio",
                          xs: [1, 2, 3, 4], series: [.init(name: "female / male", values: [0.9, 0.78, 1.1, .nan])],
                          tolerance: 0.8...1.25)
    let f = chart.figure()
    let root = try parseSVG(f)
    let band = try #require(root.elements("rect", class: "tolerance").first)
    #expect(band.elements("title").first?.allText == "tolerance 0.8–1.25")
    // The y domain covers the band: 0.78 … 1.25 → nice [0.7, 1.3]; band height = 0.45 of 0.6 of 280 px.
    #expect(abs(Double(band.attributes["height"]!)! - 280 * 0.45 / 0.6) < 0.02)
    #expect(f.counts["tolerance"] == 1 && f.counts["point"] == 3)
    expectFiniteGeometry(root)
  }

  /// Strata that are not numbers (ISO dates, `w10`) are categories: one position each in the given
  /// order, ticks and the numbers table labelled with them, not with positions 0, 1, 2, ….
  @Test func categoricalLineChartLabelsTicksAndRowsWithTheCategories() throws {
    let weeks = ["2024-01-08", "2024-01-15", "2024-01-22", "2024-02-05"]
    let f = LineChart.categorical(title: "t", caption: "c", xLabel: "week", yLabel: "ratio", categories: weeks,
                                  series: [.init(name: "tpr", values: [0.9, .nan, 0.7, 1.1])], tolerance: 0.8...1.25).figure()
    let root = try parseSVG(f)
    let axes = try #require(root.elements("g", class: "axes").first)
    let ticks = axes.elements("text").filter { $0.attributes["text-anchor"] == "middle" && $0.attributes["font-size"] == "13" }
    #expect(ticks.map(\.allText) == weeks)
    #expect(f.table.rows.map { $0[0] } == weeks)
    #expect(f.table.rows[1] == ["2024-01-15", "undefined", ""])
    #expect(f.table.undefinedCells == [.init(row: 1, column: 1)])
    #expect(f.table.isNumeric(column: 0) == false)
    let tips = root.elements("circle", class: "point").map { $0.elements("title").first?.allText ?? "" }
    #expect(tips == ["tpr at week 2024-01-08: 0.9", "tpr at week 2024-01-22: 0.7", "tpr at week 2024-02-05: 1.1"])
    // Evenly spaced positions, in the given order.
    let xs = root.elements("circle", class: "point").map { Double($0.attributes["cx"]!)! }
    #expect(abs((xs[1] - xs[0]) - 2 * (xs[2] - xs[1])) < 0.02)
  }

  @Test func bandSummaryMatchesDefinition() throws {
    let band = BandChart.Band.summarise(name: "a", members: [[1, 2, .nan], [3, 6, .nan]], spread: .standardDeviation)
    #expect(band.mean[0] == 2 && band.mean[1] == 4)
    #expect(band.lower[0] == 1 && band.upper[0] == 3)  // population sd (ddof = 0) = 1
    #expect(band.lower[1] == 2 && band.upper[1] == 6)
    #expect(band.mean[2].isNaN && band.count == 2)
    let mm = BandChart.Band.summarise(name: "b", members: [[1, 5], [4, 2], [2, 3]], spread: .minMax)
    #expect(mm.lower == [1, 2] && mm.upper == [4, 5])
    let chart = BandChart(title: "t", caption: "c", xLabel: "week", yLabel: "h", xs: [1, 2, 3], bands: [band, mm], spread: .standardDeviation)
    let f = chart.figure()
    let root = try parseSVG(f)
    #expect(root.elements("path", class: "band").count == 2)
    #expect(root.elements("path", class: "line").count == 2)
    #expect(f.table.rows[2] == ["3", "undefined", "undefined"])
    #expect(f.table.rows[0][1] == "2 [1, 3]")
    expectFiniteGeometry(root)
  }

  @Test func bandsOfSample() throws {
    let f = Samples.bands()
    let root = try parseSVG(f)
    #expect(root.elements("path", class: "band").count == 4)
    #expect(root.elements("path", class: "line").count == 4)
    #expect(f.table.rows.count == 10 && f.table.headers.count == 5)
  }

  @Test func intervalBarsCountsAndUndefined() throws {
    let f = Samples.intervalBars()
    let root = try parseSVG(f)
    #expect(root.elements("rect", class: "bar").count == 4)
    #expect(root.elements("line", class: "whisker").count == 4)
    #expect(root.elements("line", class: "value-tick").count == 4)
    #expect(root.elements("rect", class: "undefined").count == 1)
    #expect(root.elements("rect", class: "tolerance").count == 1)
    #expect(root.elements("line", class: "reference").count == 1)
    let undefinedLabel = try #require(root.elements("text", class: "undefined-label").first)
    #expect(undefinedLabel.allText == "undefined: no rows in group")
    // Outside the band: text says so (not colour only).
    let values = root.elements("text", class: "value-label").map(\.allText)
    #expect(values == ["0.93", "1", "0.623 outside", "1.31 outside"])
    #expect(f.table.rows[2] == ["non-binary", "undefined", "", "0/0", "undefined: no rows in group"])
    #expect(f.table.rows[3][4] == "outside tolerance" && f.table.rows[0][4] == "within tolerance")
    // The undefined group has no bar of width 0 anywhere.
    for bar in root.elements("rect", class: "bar") { #expect(Double(bar.attributes["width"]!)! >= 1.5) }
    expectFiniteGeometry(root)
  }

  /// Nothing defined (every group suppressed): the axis runs from the baseline over one unit, never
  /// padded symmetrically into negative rates.
  @Test func allUndefinedBarsKeepAUnitAxisFromTheBaseline() throws {
    let chart = IntervalBarChart(title: "t", caption: "c", valueLabel: "selection rate",
                                 bars: [.init(label: "a", value: nil), .init(label: "b", value: nil)], baseline: 0)
    let root = try parseSVG(chart.figure())
    let texts = root.elements("text").map(\.allText)
    #expect(texts.contains("0.0") && texts.contains("1.0"), "\(texts)")
    #expect(!texts.contains { $0.hasPrefix("-") || $0.hasPrefix("\u{2212}") }, "\(texts)")
    expectFiniteGeometry(root)
  }

  /// Tiny differences (equal rates up to 1e-7) get compact tick labels in a unit named once beside the axis
  /// label, as the LIME chart's (before: `%.3g` labels such as `-1e-07` and `5e-08`, running into each other).
  @Test func tinyValuesAreLabelledInAPowerOfTenUnit() throws {
    let chart = IntervalBarChart(title: "t", caption: "c", valueLabel: "difference",
                                 bars: [.init(label: "a", value: 4.2e-7, lower: -1.1e-7, upper: 9e-7), .init(label: "b", value: -2e-7)],
                                 baseline: 0)
    let root = try parseSVG(chart.figure())
    let texts = root.elements("text").map(\.allText)
    #expect(texts.contains { $0.hasPrefix("difference (×10⁻") }, "\(texts)")
    let ticks = root.elements("text", class: "tick").map(\.allText)
    #expect(ticks.count >= 3 && ticks.contains { Double($0) == 0 }, "\(ticks) \(texts)")
    #expect(ticks.allSatisfy { $0.count <= 5 && !$0.contains("e") }, "\(ticks)")
    expectFiniteGeometry(root)
  }

  /// One extreme ratio (200) no longer stretches the axis to 0–250 (a 1 px tolerance band): the axis
  /// stays around the band, the bar runs to its edge with an arrow, and the value is exact in its label
  /// and the table.
  @Test func anExtremeValueIsDrawnOffScale() throws {
    let chart = IntervalBarChart(title: "t", caption: "c", valueLabel: "ratio",
                                 bars: [.init(label: "dp", value: 200, lower: 150, upper: 260), .init(label: "acc", value: 0.97, lower: 0.7, upper: 1.1)],
                                 baseline: 0, tolerance: 0.8...1.25, reference: 1)
    let f = chart.figure()
    let root = try parseSVG(f)
    #expect(f.counts["offscale"] == 1)
    let band = try #require(root.elements("rect", class: "tolerance").first)
    #expect(Double(band.attributes["width"]!)! > 40, "band \(band.attributes["width"]!) px")
    let ticks = root.elements("text").filter { $0.attributes["text-anchor"] == "middle" && $0.attributes["font-size"] == "13" }
      .compactMap { Double($0.allText) }
    #expect(ticks.max() == 3.5 && ticks.min() == 0, "\(ticks)")
    #expect(root.elements("path", class: "offscale").count == 1)
    #expect(root.elements("text", class: "value-label").map(\.allText) == ["200 outside", "0.97"])
    #expect(f.table.rows[0][1] == "200" && f.table.rows[0][2] == "[150, 260]")
    #expect(f.notes.first?.hasPrefix("The axis stops at 0–3.5") == true)
    // Without a band nothing is clipped.
    let rates = IntervalBarChart(title: "t", caption: "c", valueLabel: "v", bars: [.init(label: "a", value: 200)]).figure()
    #expect(rates.counts["offscale"] == 0 && rates.notes.isEmpty)
    expectFiniteGeometry(root)
  }

  @Test func barsStartAtBaseline() throws {
    let chart = IntervalBarChart(title: "t", caption: "c", valueLabel: "v",
                                 bars: [.init(label: "a", value: 0.5), .init(label: "b", value: 1.5)], baseline: 1)
    let root = try parseSVG(chart.figure())
    let bars = root.elements("rect", class: "bar")
    #expect(bars.count == 2)
    // Both bars touch the baseline x: a ends there, b starts there.
    let ax = Double(bars[0].attributes["x"]!)!, aw = Double(bars[0].attributes["width"]!)!
    let bx = Double(bars[1].attributes["x"]!)!
    #expect(abs(ax + aw - bx) < 0.02)
    #expect(root.elements("line", class: "whisker").isEmpty)
  }

  @Test func longGroupNameKeepsItsAUCInTheLegend() throws {
    // A group name longer than a legend entry is shortened; the AUC after it is always shown.
    let long = String(repeating: "intersection of many attributes / ", count: 3)
    let chart = ROCChart(title: "t", caption: "c", curves: [
      .init(name: long, fpr: [0, 0.5, 1], tpr: [0, 0.8, 1], auc: 0.65),
      .init(name: "short", fpr: [0, 1], tpr: [0, 1], auc: 0.5),
    ])
    let root = try parseSVG(chart.figure())
    let legend = root.elements("g", class: "legend").flatMap { $0.elements("text") }.map(\.text)
    #expect(legend.contains { $0.hasPrefix("intersection of") && $0.hasSuffix("… (AUC 0.65)") && $0.count <= 48 },
            "\(legend)")
    #expect(legend.contains("short (AUC 0.5)"), "\(legend)")
  }

  /// Series past the eighth keep distinct styles: colour × dash gives 64 before any repeats, and a chart
  /// with more says so.
  @Test func seriesStylesStayDistinctForManyGroups() {
    let styles = (0..<64).map { "\(Palette.color($0)) \(Palette.dash($0) ?? "solid")" }
    #expect(Set(styles).count == 64)
    #expect((0..<8).map(Palette.dash) == Palette.dashes)
    #expect(Palette.color(64) == Palette.color(0) && Palette.dash(64) == Palette.dash(0))
    let curves = (0..<65).map { ROCChart.Curve(name: "g\($0)", fpr: [0, 1], tpr: [0, 1]) }
    let f = ROCChart(title: "t", caption: "c", curves: curves).figure()
    #expect(f.notes == ["65 curves: colour and dash repeat after 64 (series i and i + 64 look alike); the table beneath names every one."])
    #expect(ROCChart(title: "t", caption: "c", curves: Array(curves.prefix(45))).figure().notes.isEmpty)
  }

  @Test func rocCurvesAndABROCA() throws {
    let f = Samples.roc()
    let root = try parseSVG(f)
    #expect(root.elements("path", class: "curve").count == 3)
    #expect(root.elements("path", class: "abroca").count == 1)
    #expect(root.elements("line", class: "chance").count == 1)
    #expect(f.table.rows.count == 12)
    #expect(f.table.rows[1] == ["0.1", "0.45", "0.325", "0.25"])  // exact point, interpolated, interpolated
    #expect(f.table.rows[11] == ["AUC", "0.79", "0.74", "0.71"])
    let c = ROCChart.Curve(name: "v", fpr: [0, 0, 0.5, 1], tpr: [0, 0.4, 0.9, 1])
    #expect(c.tpr(at: 0) == 0.4)  // highest TPR at FPR 0
    #expect(c.tpr(at: 0.25) == 0.65)
    expectFiniteGeometry(root)
  }

  @Test func rocStepInterpolationAddsCorners() throws {
    let linear = ROCChart(title: "t", caption: "c", curves: [.init(name: "a", fpr: [0, 0.5, 1], tpr: [0, 0.8, 1])])
    var step = linear
    step.interpolation = .step
    let dl = try #require(try parseSVG(linear.figure()).elements("path", class: "curve").first?.attributes["d"])
    let ds = try #require(try parseSVG(step.figure()).elements("path", class: "curve").first?.attributes["d"])
    #expect(dl.filter { $0 == "L" }.count == 2)
    #expect(ds.filter { $0 == "L" }.count == 4)
  }

  @Test func longROCCurvesAreThinned() throws {
    // 100,001 points on a smooth concave curve: the path keeps O(pixels) points, ends exact.
    let n = 100_000
    let fpr = (0...n).map { Double($0) / Double(n) }
    let tpr = fpr.map { $0.squareRoot() }
    let f = ROCChart(title: "t", caption: "c", curves: [.init(name: "a", fpr: fpr, tpr: tpr)]).figure()
    let root = try parseSVG(f)
    let d = try #require(root.elements("path", class: "curve").first?.attributes["d"])
    let count = d.filter { $0 == "L" }.count + 1
    #expect(count > 100 && count < 2000)
    #expect(f.svg(id: "x").utf8.count < 60_000)
    #expect(f.table.rows[3] == ["0.3", cell(0.3.squareRoot())])
  }

  /// Bins that know their score range list it, the last one closed: `[0.9, 1]`.
  @Test func reliabilityBinsShowTheirRanges() {
    var bins: [ReliabilityDiagram.Bin] = []
    for b in 0..<3 {
      let lower = Double(b) / 3, upper = Double(b + 1) / 3
      let mean: Double = b == 1 ? .nan : lower + 0.1
      bins.append(.init(meanPredicted: mean, observed: 0.5, count: b == 1 ? 0 : 4, range: lower...upper, closedAbove: b == 2))
    }
    let f = ReliabilityDiagram(title: "t", caption: "c", series: [.init(name: "g", bins: bins)]).figure()
    #expect(f.table.headers == ["group", "bin", "range", "mean predicted", "observed rate", "n"])
    #expect(f.table.rows.map { $0[1] } == ["0", "1", "2"])
    #expect(f.table.rows.map { $0[2] } == ["[0, 0.3333)", "[0.3333, 0.6667)", "[0.6667, 1]"])
    #expect(f.table.undefinedCells == [.init(row: 1, column: 3), .init(row: 1, column: 4)])
  }

  @Test func reliabilityPointSizeAndEmptyBins() throws {
    let f = Samples.reliability()
    let root = try parseSVG(f)
    let points = root.elements("circle", class: "point")
    #expect(points.count == 9)
    #expect(f.counts["undefined"] == 1)
    // Bins are numbered from 0, as in report.json and the calibration CSV; the empty one is marked undefined.
    #expect(f.table.rows[7] == ["male", "2", "undefined", "undefined", "0"])
    #expect(f.table.undefinedCells == [.init(row: 7, column: 2), .init(row: 7, column: 3)])
    // Radius grows with n: the largest bin (80) has the largest radius 10.
    let radii = points.map { Double($0.attributes["r"]!)! }
    #expect(radii.max() == 10)
    #expect(root.elements("line", class: "diagonal").count == 1)
    expectFiniteGeometry(root)
  }

  @Test func contributionsDivergeByDirection() throws {
    let f = Samples.contributions()
    let root = try parseSVG(f)
    let towards = root.elements("rect", class: "towards")
    let against = root.elements("rect", class: "against")
    #expect(towards.count == 3 && against.count == 2)
    #expect(towards.allSatisfy { $0.attributes["fill"] == Palette.towards })
    #expect(against.allSatisfy { $0.attributes["fill"] == Palette.against })
    // Towards bars start at zero and extend right; against bars end at zero.
    let zero = Double(towards[0].attributes["x"]!)!
    for a in against {
      #expect(abs(Double(a.attributes["x"]!)! + Double(a.attributes["width"]!)! - zero) < 0.02)
    }
    #expect(root.elements("text", class: "value-label").map(\.allText) == ["+0.214", "−0.132", "+0.061", "+0.044", "−0.021"])
    #expect(f.table.rows[1] == ["quiz_score > 7.25", "−0.132", "against fail"])
    let undefined = ContributionChart(title: "t", caption: "c", className: "pass",
                                      contributions: [.init(condition: "a", weight: .nan), .init(condition: "b", weight: 0.1)]).figure()
    #expect(undefined.counts["undefined"] == 1 && undefined.counts["bar"] == 1)
    #expect(undefined.table.rows[0] == ["a", "undefined", "undefined"])
    expectFiniteGeometry(root)
  }
}

@Suite struct EdgeCaseTests {
  /// Empty and degenerate inputs still give well-formed SVG with finite geometry.
  @Test func emptyAndConstantInputs() throws {
    let figures: [Figure] = [
      ScatterChart.eigenvalues([], gapAfter: 3).figure(),
      ScatterChart.eigenvalues([0.5, 0.5, 0.5], gapAfter: 1).figure(),
      LineChart(title: "t", caption: "c", xLabel: "k", yLabel: "s", xs: [], series: []).figure(),
      LineChart(title: "t", caption: "c", xLabel: "k", yLabel: "s", xs: [2, 3], series: [.init(name: "a", values: [.nan, .nan])],
                marker: .init(x: .nan, label: "none")).figure(),
      BandChart(title: "t", caption: "c", xLabel: "w", yLabel: "h", xs: [], bands: [], spread: .minMax).figure(),
      HeatMap(title: "t", caption: "c", valueLabel: "v", matrix: [], clusters: []).figure(),
      HeatMap(title: "t", caption: "c", valueLabel: "v", matrix: [[3, 3], [3, 3]], clusters: [0, 0]).figure(),
      IntervalBarChart(title: "t", caption: "c", valueLabel: "v", bars: []).figure(),
      IntervalBarChart(title: "t", caption: "c", valueLabel: "v", bars: [.init(label: "a", value: .infinity)]).figure(),
      ROCChart(title: "t", caption: "c", curves: [], shading: .init(first: 0, second: 1, label: "x")).figure(),
      ReliabilityDiagram(title: "t", caption: "c", series: [.init(name: "a", bins: [])]).figure(),
      ContributionChart(title: "t", caption: "c", className: "x", contributions: []).figure(),
      ContributionChart(title: "t", caption: "c", className: "x", contributions: [.init(condition: "z", weight: 0)]).figure(),
    ]
    for f in figures {
      let root = try parseSVG(f)
      expectFiniteGeometry(root)
    }
    #expect(figures[1].counts["gap"] == 1)
    #expect(figures[3].counts["point"] == 0 && figures[3].counts["undefined"] == 2 && figures[3].counts["marker"] == 0)
    #expect(figures[6].counts["cells"] == 4)
    #expect(figures[8].counts["undefined"] == 1 && figures[8].counts["bar"] == 0)
    #expect(figures[9].counts["abroca"] == 0)
    #expect(figures[12].table.rows == [["z", "0", "none"]])
  }
}

@Suite struct LayoutTests {
  /// Every label fits inside the viewBox by the charts' own width estimate (0.58 em per character).
  @Test(arguments: ["eigenvalues", "scores", "bands", "heat map", "bars", "roc", "reliability", "contributions"])
  func labelsStayInsideTheViewBox(name: String) throws {
    let figures: [String: () -> Figure] = [
      "eigenvalues": Samples.eigenvalues, "scores": Samples.scores, "bands": Samples.bands,
      "heat map": { Samples.heatMap().figure() }, "bars": Samples.intervalBars, "roc": Samples.roc,
      "reliability": Samples.reliability, "contributions": Samples.contributions,
    ]
    let f = figures[name]!()
    let root = try parseSVG(f)
    for t in root.elements("text") where t.attributes["transform"] == nil {
      let x = Double(t.attributes["x"]!)!, size = Double(t.attributes["font-size"]!)!
      let label = t.children.isEmpty ? t.text : t.text  // <title> children are not drawn
      let w = Double(label.count) * size * 0.58
      let (lo, hi): (Double, Double)
      switch t.attributes["text-anchor"] {
      case "end": (lo, hi) = (x - w, x)
      case "middle": (lo, hi) = (x - w / 2, x + w / 2)
      default: (lo, hi) = (x, x + w)
      }
      #expect(lo >= -2 && hi <= f.size.width + 2, "\(name): '\(label)' spans \(lo)…\(hi) of \(f.size.width)")
    }
  }
}

@Suite struct HeatMapTests {
  @Test func orderAndBoundariesWithoutDownsampling() throws {
    let h = Samples.heatMap(n: 120)
    let (order, b, side, cells) = h.cells()
    #expect(b == 1 && side == 120 && cells.count == 120 * 120)
    let sortedLabels = order.map { h.clusters[$0] }
    #expect(sortedLabels == sortedLabels.sorted())
    let f = h.figure()
    let root = try parseSVG(f)
    #expect(root.elements("line", class: "boundary").count == 6)  // 3 boundaries × (vertical + horizontal)
    #expect(f.counts["boundary"] == 3)
    #expect(f.table.rows.count == 4 && f.table.headers.count == 5)
    // Within-cluster means are smaller than between-cluster means in the block-structured sample.
    let within = Double(f.table.rows[0][1])!, between = Double(f.table.rows[0][2])!
    #expect(within < between)
    #expect(root.elements("path", class: "level").count <= 64)
    expectFiniteGeometry(root)
  }

  @Test(arguments: [201, 450, 1000])
  func downsamplingKeepsAtMost200CellsPerSide(n: Int) throws {
    let h = Samples.heatMap(n: n)
    let (_, b, side, cells) = h.cells()
    #expect(side <= 200 && side * b >= n && (side - 1) * b < n)
    #expect(b == (n + 199) / 200)
    #expect(cells.count == side * side)
    let f = h.figure()
    #expect(f.counts["cells"]! <= 200 * 200)
    #expect(f.notes.first?.contains("each cell is the mean of a \(b) × \(b) block") == true)
    // Output size bounded independent of n (runs merge; ≤ ~20 bytes per cell).
    #expect(f.svg(id: "h").utf8.count < 200 * 200 * 20)
    _ = try parseSVG(f)
  }

  /// Decodes the run-length paths back into cells: every cell is painted exactly once, with the
  /// viridis level of its value (or hatched when undefined).
  @Test(arguments: [60, 450])
  func pathsPaintEveryCellOnceWithItsLevel(n: Int) throws {
    var h = Samples.heatMap(n: n)
    var values = h.values
    values[5 * n + 7] = .nan  // one undefined entry (a whole cell when b = 1)
    h = HeatMap(title: h.title, caption: h.caption, valueLabel: h.valueLabel, n: n, values: values, clusters: h.clusters,
                clusterNames: h.clusterNames, maxCells: h.maxCells)
    let (_, _, side, cells) = h.cells()
    let root = try parseSVG(h.figure())
    let group = try #require(root.elements("g", class: "cells").first)
    let scale = LinearScale.nice(covering: cells.filter(\.isFinite), range: (0, 1), tickCount: 5)
    var painted = [Int](repeating: 0, count: side * side)
    var colour = [String](repeating: "", count: side * side)
    for p in group.children {
      let fill = p.attributes["fill"]!
      var (sc, sr) = (0, 0)
      let tokens = p.attributes["d"]!.split(separator: "z")
      for t in tokens {
        // m<dc> <dr>h<w>v1h-<w>
        let body = t.dropFirst()
        let parts = body.split(whereSeparator: { $0 == " " || $0 == "h" || $0 == "v" })
        let dc = Int(parts[0])!, dr = Int(parts[1])!, w = Int(parts[2])!
        sc += dc
        sr += dr
        for c in sc..<(sc + w) {
          painted[sr * side + c] += 1
          colour[sr * side + c] = fill
        }
      }
    }
    #expect(painted.allSatisfy { $0 == 1 })
    for (i, v) in cells.enumerated() {
      if v.isFinite {
        let t = (v - scale.domainLower) / (scale.domainUpper - scale.domainLower)
        let level = min(63, max(0, Int(t * 64)))
        #expect(colour[i] == Palette.sequential((Double(level) + 0.5) / 64), "cell \(i)")
      } else {
        #expect(colour[i].hasPrefix("url(#"), "cell \(i)")
      }
    }
    #expect(cells.contains { $0.isNaN } == (n == 60))
  }

  @Test func blockAveragingIsTheMeanOfFiniteValues() {
    // 4 × 4 matrix, maxCells 2 → 2 × 2 blocks of 2 × 2.
    let m: [[Double]] = [[0, 1, 2, 3], [1, 0, .nan, 5], [2, .nan, 0, 7], [3, 5, 7, 0]]
    let h = HeatMap(title: "t", caption: "c", valueLabel: "v", matrix: m, clusters: [0, 0, 1, 1], maxCells: 2)
    let (order, b, side, cells) = h.cells()
    #expect(order == [0, 1, 2, 3] && b == 2 && side == 2)
    #expect(cells == [0.5, 10.0 / 3, 10.0 / 3, 3.5])
  }

  @Test func clustersAreReordered() {
    let m: [[Double]] = [[0, 9, 1], [9, 0, 9], [1, 9, 0]]
    let h = HeatMap(title: "t", caption: "c", valueLabel: "v", matrix: m, clusters: [1, 0, 1])
    let (order, _, _, cells) = h.cells()
    #expect(order == [1, 0, 2])
    #expect(cells == [0, 9, 9, 9, 0, 1, 9, 1, 0])
  }

  /// A constant matrix (the DTW distances of identical series, all 0) gets the colour bar 0…1, not an
  /// interval padded around 0 with negative distances; a constant v > 0 gets 0…v.
  @Test func constantMatrixHasASaneColourScale() throws {
    for (v, expected) in [(0.0, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]), (3.0, ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"])] {
      let f = HeatMap(title: "t", caption: "c", valueLabel: "DTW distance", matrix: Array(repeating: Array(repeating: v, count: 4), count: 4),
                      clusters: [0, 0, 1, 1]).figure()
      let root = try parseSVG(f)
      let legend = try #require(root.elements("rect", class: "colour-legend").first)
      let legendX = Double(legend.attributes["x"]!)!
      let labels = root.elements("text").filter { Double($0.attributes["x"] ?? "0")! > legendX + 16 }.map(\.allText)
      #expect(labels == expected, "v = \(v)")
      #expect(f.notes.last == "Colour range 0 (dark) to \(v == 0 ? "1" : "3") (light).")
    }
  }

  @Test func allUndefinedCellsAreHatched() throws {
    let m: [[Double]] = [[.nan, 1], [1, .nan]]
    let f = HeatMap(title: "t", caption: "c", valueLabel: "v", matrix: m, clusters: [0, 1]).figure()
    let root = try parseSVG(f)
    #expect(root.elements("path", class: "undefined").count == 1)
    #expect(f.table.rows[0][1] == "undefined" && f.table.rows[0][2] == "1")
  }
}

@Suite struct DocumentTests {
  @Test func wellFormedWithEverySection() throws {
    let html = Samples.document().render()
    #expect(html.hasPrefix("<!DOCTYPE html>\n"))
    let root = try XMLChecker.parse(html)
    #expect(root.name == "html")
    let ids = root.all().compactMap { $0.attributes["id"] }
    #expect(Set(ids).count == ids.count, "duplicate ids")
    for id in ["summary", "contents", "kinds-of-learners", "fairness", "per-week", "why-students-were-flagged",
               "script-alert-1-script"] {
      #expect(ids.contains(id), "missing section \(id)")
    }
    // Every in-page link points at an existing id.
    for a in root.elements("a") {
      if let href = a.attributes["href"], href.hasPrefix("#") { #expect(ids.contains(String(href.dropFirst())), "\(href)") }
    }
    // SVG internal references resolve too (hatch pattern, gradient).
    for e in root.all() {
      for key in ["fill", "clip-path"] {
        if let v = e.attributes[key], v.hasPrefix("url(#") {
          #expect(ids.contains(String(v.dropFirst(5).dropLast())), "\(v)")
        }
      }
      if let labelled = e.attributes["aria-labelledby"] {
        for id in labelled.split(separator: " ") { #expect(ids.contains(String(id)), "\(id)") }
      }
    }
    // 9 figures (every chart type, the line chart twice), each with an SVG, a caption and a numbers table.
    let figures = root.elements("figure")
    #expect(figures.count == 9)
    for f in figures {
      #expect(f.elements("svg").count == 1)
      #expect(f.elements("figcaption").count == 1)
      #expect(f.elements("table").count == 1)
    }
    #expect(root.elements("script").isEmpty && root.elements("link").isEmpty && root.elements("img").isEmpty)
    #expect(!html.contains("http://www.w3.org/1999/xlink"))
    #expect(!html.contains("src="))
  }

  @Test func verdictBadgesCarryText() throws {
    let root = try XMLChecker.parse(Samples.document().render())
    let summary = try #require(root.elements("section").first { $0.attributes["id"] == "summary" })
    let badges = summary.elements("span", class: "badge").map(\.allText)
    #expect(badges.contains("✓ PASS") && badges.contains("✗ FAIL") && badges.contains("? INCONCLUSIVE") && badges.contains("– UNDEFINED"))
    let items = summary.elements("li")
    #expect(items.count == 4)
    #expect(items[0].elements("a").first?.attributes["href"] == "#fairness")
  }

  @Test func verdictLinksResolveToActualAnchors() throws {
    let doc = HTMLDocument(title: "t", verdicts: [
      Verdict(status: .pass, subject: "a", detail: "", sectionID: "summary"),
      Verdict(status: .fail, subject: "b", detail: "", sectionID: "Per week"),
      Verdict(status: .fail, subject: "c", detail: "", sectionID: "nowhere"),
    ], sections: [Section(title: "Summary"), Section(title: "x", subsections: [Section(title: "Per week")])])
    let root = try XMLChecker.parse(doc.render())
    let links = root.elements("ul", class: "verdicts").first!.elements("a").map { $0.attributes["href"]! }
    #expect(links == ["#summary-2", "#per-week"])
  }

  @Test func numericColumnsAreRightAligned() throws {
    let t = DataTable(headers: ["group", "rate", "n", "ratio"],
                      rows: [["a", "0.5", "3/6", "undefined"], ["b", "12%", "4/4", "−0.2"], ["c", "—", "1/2", "0.81 [0.7, 0.9]"]])
    #expect((0..<4).map(t.isNumeric) == [false, true, true, true])
    let html = HTMLDocument(title: "t", sections: [Section(title: "s", blocks: [.table(t)])]).render()
    let root = try XMLChecker.parse(html)
    let cells = root.elements("td")
    #expect(cells.filter { ($0.attributes["class"] ?? "").contains("num") }.count == 9)
    // No cell is marked undefined, so none is styled so, whatever its text.
    #expect(cells.filter { ($0.attributes["class"] ?? "").contains("undef") }.isEmpty)
    #expect(root.elements("div", class: "table-wrap").count == 1)
  }

  /// The undefined style goes to the cells the table marks, never to a cell for its text: groups named
  /// `undefined`, `inf`, `-inf`, `-` or `—` are row headers like any other, and a value cell reading
  /// `undefined` is only styled when marked.
  @Test func undefinedStyleOnlyOnMarkedValueCells() throws {
    let names = ["undefined", "inf", "-inf", "-", "—", "n/a"]
    let t = DataTable(headers: ["group", "rate", "note"],
                      cells: names.enumerated().map { i, name in
                        [.init(name), i == 0 ? DataTable.undefined("undefined (0/0)") : .init("0.5"), .init(name)]
                      })
    #expect(t.undefinedCells == [.init(row: 0, column: 1)])
    let root = try XMLChecker.parse(HTMLDocument(title: "t", sections: [Section(title: "s", blocks: [.table(t)])]).render())
    let rowHeaders = root.elements("th").filter { $0.attributes["scope"] == "row" }
    #expect(rowHeaders.map(\.allText) == names)
    #expect(rowHeaders.allSatisfy { !($0.attributes["class"] ?? "").contains("undef") })
    let styled = root.elements("td").filter { ($0.attributes["class"] ?? "").contains("undef") }
    #expect(styled.map(\.allText) == ["undefined (0/0)"])
  }

  /// A column named `h` gives an attribute section `s-h` beside the step's `s`, whose heading id was
  /// `s-h` too: headings (and figure parts) take ids with `--`, which no section slug has.
  @Test func headingIDsNeverClashWithSectionIDs() throws {
    let f = Samples.intervalBars()
    let doc = HTMLDocument(title: "t", verdicts: [Verdict(status: .pass, subject: "x", detail: "", sectionID: "s h")], sections: [
      Section(title: "S", id: "s", subsections: [Section(title: "By h", id: "s h", blocks: [.figure(f)])]),
      Section(title: "Figure 1 title", blocks: [.figure(f)]), Section(title: "Summary heading"),
    ])
    let root = try XMLChecker.parse(doc.render())
    let ids = root.all().compactMap { $0.attributes["id"] }
    #expect(Set(ids).count == ids.count, "duplicate ids: \(ids)")
    for id in ["s", "s--h", "s-h", "s-h--h", "figure-1", "figure-1--title", "figure-1--desc", "figure-1--hatch",
               "figure-1-title", "figure-2", "summary", "summary--h", "summary-heading"] {
      #expect(ids.contains(id), "missing \(id) in \(ids)")
    }
    for e in root.all() {
      for key in ["aria-labelledby"] { for id in (e.attributes[key] ?? "").split(separator: " ") { #expect(ids.contains(String(id))) } }
    }
  }

  /// Two sections whose ids reduce to one slug (`a<b`, `a>b`) get `s-a-b` and `s-a-b-2`; a verdict links
  /// to the anchor of the section it names, not to the first with that slug.
  @Test func verdictLinksUseTheAnchorTheirSectionGot() throws {
    let doc = HTMLDocument(title: "t", verdicts: [
      Verdict(status: .fail, subject: "first", detail: "", sectionID: "s a<b"),
      Verdict(status: .fail, subject: "second", detail: "", sectionID: "s a>b"),
      Verdict(status: .fail, subject: "by slug", detail: "", sectionID: "S A B"),
    ], sections: [Section(title: "S", id: "s", subsections: [Section(title: "By a<b", id: "s a<b"), Section(title: "By a>b", id: "s a>b")])])
    let root = try XMLChecker.parse(doc.render())
    let sections = root.elements("section").compactMap { $0.attributes["id"] }
    #expect(sections == ["summary", "s", "s-a-b", "s-a-b-2"])
    let links = root.elements("ul", class: "verdicts").first!.elements("a").map { $0.attributes["href"]! }
    #expect(links == ["#s-a-b", "#s-a-b-2", "#s-a-b"])
    // Exact means code point for code point: a precomposed and a decomposed é are two sections.
    let accents = HTMLDocument(title: "t", verdicts: [
      Verdict(status: .pass, subject: "nfc", detail: "", sectionID: "x \u{E9}"),
      Verdict(status: .pass, subject: "nfd", detail: "", sectionID: "x e\u{301}"),
    ], sections: [Section(title: "a", id: "x \u{E9}"), Section(title: "b", id: "x e\u{301}")])
    let accentLinks = try XMLChecker.parse(accents.render()).elements("ul", class: "verdicts").first!.elements("a")
    #expect(accentLinks.map { $0.attributes["href"]! } == ["#x", "#x-e"])
  }

  /// Long names without spaces wrap instead of widening the page: headings, the verdict list, the
  /// contents and notes break anywhere.
  @Test func longWordsWrap() {
    let css = HTMLDocument.css
    let rule = css.split(separator: "\n").first { $0.contains("overflow-wrap: anywhere") }.map(String.init) ?? ""
    let selectors = rule.split(separator: "{").first.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
    for s in ["h1", "h2", "h3", "h4", "li", "p", "dd", "figcaption", "caption", ".note"] {
      #expect(selectors.contains(s), "\(s) missing in '\(rule)'")
    }
  }

  @Test func tableRoundTripsThroughTextTable() {
    let t = DataTable(caption: "c", headers: ["group", "rate"], rows: [["a, b", "0.5"], ["c", "undefined"]])
    let text = t.textTable
    #expect(text.alignments == [.left, .right])
    #expect(text.renderCSV() == "group,rate\n\"a, b\",0.5\nc,undefined\n")
    #expect(DataTable(text) == DataTable(caption: "c", headers: ["group", "rate"], rows: t.rows, numericColumns: [false, true]))
  }

  @Test func writesAtomically() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("report.html").path
    let doc = Samples.document()
    try doc.write(to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == doc.render())
    #expect(throws: (any Error).self) { try doc.write(to: dir.appendingPathComponent("missing/report.html").path) }
  }

  @Test func deterministicBytes() {
    #expect(Samples.document().render() == Samples.document().render())
    #expect(Samples.heatMap(n: 450).figure().svg(id: "a") == Samples.heatMap(n: 450).figure().svg(id: "a"))
  }

  @Test func figureIDsAreUniqueWhenChartsRepeat() throws {
    let f = Samples.intervalBars()
    let html = HTMLDocument(title: "t", sections: [Section(title: "a", blocks: [.figure(f), .figure(f)]),
                                                  Section(title: "a", blocks: [.figure(f)])]).render()
    let root = try XMLChecker.parse(html)
    let ids = root.all().compactMap { $0.attributes["id"] }
    #expect(Set(ids).count == ids.count)
    #expect(ids.contains("figure-1--hatch") && ids.contains("figure-3--hatch") && ids.contains("a-2"))
    #expect(!html.contains("\u{E000}"))
  }

  @Test func selfContainedAndResponsive() {
    let html = Samples.document().render()
    #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"))
    #expect(html.contains("@media print"))
    #expect(html.contains("@media (max-width: 700px)"))
    #expect(html.contains(".table-wrap { overflow-x: auto;"))
    #expect(html.contains("viewBox=\"0 0 520 "))
    #expect(!HTMLDocument.css.contains("<") && !HTMLDocument.css.contains("&"))
  }

  @Test func checkerRejectsMalformedMarkup() {
    for bad in ["<a><b></a></b>", "<a x=1/>", "<a>1 < 2</a>", "<a>fish & chips</a>", "<a>", "<a/><b/>", "<a x=\"<\"/>",
                "<a x=\"1\" x=\"2\"/>", "<a>&nbsp;</a>"] {
      #expect(throws: XMLError.self, "\(bad)") { try XMLChecker.parse(bad) }
    }
    #expect(throws: Never.self) { try XMLChecker.parse("<!DOCTYPE html>\n<a x=\"&amp;\">&lt;&#233;<b/></a>\n") }
  }

  /// Writes the gallery (every chart type) to the path in `COHORTLENS_REPORT_GALLERY`, for
  /// `Scripts/screenshot-report.sh`. Without the variable it only checks the document parses.
  @Test func gallery() throws {
    let html = Samples.document().render()
    _ = try XMLChecker.parse(html)
    if let path = ProcessInfo.processInfo.environment["COHORTLENS_REPORT_GALLERY"], !path.isEmpty {
      try AtomicFile.write(Array(html.utf8), to: path)
    }
  }
}
