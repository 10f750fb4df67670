import CohortLensCore
import Foundation
import Testing
@testable import Report

/// The LIME contribution chart's axis at any magnitude of the weights, with short and very long conditions,
/// one-sided weights and a single feature.
@Suite struct ContributionChartAxisTests {
  static let superscripts: [Character: Character] = ["⁻": "-", "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4",
                                                     "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"]

  /// The chart of `weights` with conditions `prefix` + index, and its parsed SVG.
  static func chart(_ weights: [Double], condition: (Int) -> String) throws -> (Figure, XMLElement) {
    let f = ContributionChart(title: "t", caption: "c", className: "fail",
                              contributions: weights.enumerated().map { .init(condition: condition($0.offset), weight: $0.element) })
      .figure()
    return (f, try XMLChecker.parse(f.svg(id: "fig")))
  }

  /// Tick labels: none overlaps another or leaves the viewBox (0.58 em per character, as the charts estimate);
  /// each reads, times the unit the axis title names, as a value on the axis; the labels span both sides of 0.
  static func checkAxis(_ weights: [Double], condition: (Int) -> String, _ context: String) throws {
    let (f, root) = try chart(weights, condition: condition)
    let ticks = root.elements("text", class: "tick")
    #expect(ticks.count >= 3, "\(context): \(ticks.map(\.allText))")
    var extents: [(lo: Double, hi: Double)] = []
    for t in ticks {
      let x = Double(t.attributes["x"]!)!, size = Double(t.attributes["font-size"]!)!
      let w = Double(t.allText.count) * size * 0.58
      extents.append((x - w / 2, x + w / 2))
      #expect(x - w / 2 >= 0 && x + w / 2 <= f.size.width, "\(context): tick '\(t.allText)' at \(x) leaves the chart")
      #expect(t.allText.count <= 6, "\(context): tick label '\(t.allText)' is not compact")
    }
    extents.sort { $0.lo < $1.lo }
    for (a, b) in zip(extents, extents.dropFirst()) {
      #expect(a.hi + 4 <= b.lo, "\(context): tick labels overlap: \(ticks.map(\.allText)) at \(extents)")
    }
    // The unit named in the axis title (×10ⁿ), and the labels as numbers in it.
    let title = root.elements("text").map(\.allText).first { $0.hasPrefix("local weight") }!
    var unit = 1.0
    if let r = title.range(of: "×10") {
      let digits = String(title[r.upperBound...].prefix { Self.superscripts[$0] != nil }.map { Self.superscripts[$0]! })
      unit = Double("1e\(digits)")!
    }
    let values = ticks.map { Double($0.allText.replacingOccurrences(of: "\u{2212}", with: "-"))! * unit }
    let largest = weights.map(abs).max()!
    #expect(values.contains(0), "\(context): 0 is not labelled: \(ticks.map(\.allText))")
    #expect(values.contains { $0 < 0 } && values.contains { $0 > 0 }, "\(context): \(ticks.map(\.allText))")
    // The labelled range covers the bars and is of their magnitude (not 1000× off).
    let reach = values.map(abs).max()!
    #expect(reach >= largest * 0.5 && reach <= largest * 40, "\(context): labels reach \(reach), weights \(largest) (\(title))")
  }

  @Test(arguments: [1e-12, 3.7e-9, 1.4e-7, 2.2e-7, 1.5e-6, 9.9e-6, 4e-5, 1.2e-3, 0.03, 0.21, 4.2, 87, 3.1e4, 2e6, 5e11])
  func ticksAreReadableAtAnyMagnitude(scale: Double) throws {
    let weights = [1.0, -0.83, 0.41, -0.12, 0.05].map { $0 * scale }
    try Self.checkAxis(weights, condition: { "f\($0) <= 0.00" }, "short conditions, weights ~\(scale)")
    // Long conditions leave the plot its narrowest (the label column is capped, the names truncated).
    try Self.checkAxis(weights, condition: { "\($0)1234.56 < a_very_long_feature_name_of_week_\($0)_clicks <= 98765.43" },
                       "long conditions, weights ~\(scale)")
  }

  @Test func oneSidedWeightsAndASingleFeature() throws {
    for (weights, context) in [([2e-7, 1e-7, 5e-8], "positive only"), ([-3e-7, -1e-7], "negative only"), ([-1.5e-7], "single"),
                               ([0.3], "single, usual size"), ([-0.2, -0.1, -0.05], "negative only, usual size")] {
      try Self.checkAxis(weights, condition: { "feature_\($0) > 0.00" }, context)
      let (f, root) = try Self.chart(weights, condition: { "feature_\($0) > 0.00" })
      #expect(f.counts["bar"] == weights.count)
      // Every bar on its side of the zero line, its value text beside it.
      #expect(root.elements("text", class: "value-label").count == weights.count)
    }
  }

  @Test func veryLongConditionsAreTruncatedWithTheFullTextKept() throws {
    let name = String(repeating: "x", count: 300)
    let (f, root) = try Self.chart([0.2, -0.1], condition: { "\(name)\($0) > 1.00" })
    let shown = root.elements("text", class: "condition")
    #expect(shown.count == 2)
    for (i, t) in shown.enumerated() {
      #expect(t.text.hasSuffix("…") && t.text.count < 40, "\(t.text)")
      #expect(t.children.first?.allText == "\(name)\(i) > 1.00")  // the full condition as the hover title
      let x = Double(t.attributes["x"]!)!
      #expect(x - Double(t.text.count) * 13 * 0.58 >= 0)
    }
    #expect(f.table.rows.map { $0[0] } == ["\(name)0 > 1.00", "\(name)1 > 1.00"])
  }

  @Test func theUnitIsWrittenOnceInTheAxisTitle() throws {
    let (_, root) = try Self.chart([1.4e-7, -0.9e-7, 0.3e-7], condition: { "f\($0) > 0.00" })
    let texts = root.elements("text").map(\.allText)
    #expect(texts.contains { $0.hasPrefix("local weight ×10⁻⁷ (") }, "\(texts)")
    let ticks = root.elements("text", class: "tick").map(\.allText)
    #expect(ticks.allSatisfy { !$0.contains("e") && !$0.contains("0.0000") }, "\(ticks)")
    // Usual magnitudes keep plain decimals and no unit.
    let (_, usual) = try Self.chart([0.21, -0.13], condition: { "f\($0) > 0.00" })
    #expect(usual.elements("text").map(\.allText).contains { $0.hasPrefix("local weight (") })
    #expect(usual.elements("text", class: "tick").map(\.allText).contains("0.2") || usual.elements("text", class: "tick").map(\.allText).contains("0.20"))
  }
}
