import CohortLensCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compact, deterministic text for coordinates in SVG output: at most `decimals` (default 2)
/// digits after the point, trailing zeros and a trailing point removed, no negative zero
/// (`12.5`, `3`, `-0.25`). Non-finite values print as `0` (charts never emit them: undefined values
/// are drawn as explicit markers and skipped in paths). O(1).
public func svgNumber(_ x: Double, decimals: Int = 2) -> String {
  guard x.isFinite else { return "0" }
  var s = NumberFormatting.fixed(x, decimals: decimals)
  if s.contains(".") {
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
  }
  if s == "-0" { s = "0" }
  return s
}

/// A linear map from a data interval (`domain`) to a pixel interval (`range`), with "nice"
/// tick values.
///
/// `LinearScale.nice(covering:tickCount:)` widens the data extent to multiples of a step of
/// 1, 2 or 5 × 10ᵏ chosen so that about `tickCount` ticks fit — the algorithm of d3-scale's
/// `ticks`/`nice` (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990). O(1) per value,
/// O(ticks) for `ticks()`.
public struct LinearScale: Sendable, Equatable {
  /// Data value mapped to `rangeLower`.
  public var domainLower: Double
  /// Data value mapped to `rangeUpper`.
  public var domainUpper: Double
  /// Output coordinate of `domainLower` (may be greater than `rangeUpper`, e.g. SVG y axes).
  public var rangeLower: Double
  /// Output coordinate of `domainUpper`.
  public var rangeUpper: Double
  /// Tick step chosen by `nice`, or 0 when the scale was built directly.
  public var step: Double

  public init(domain: (Double, Double), range: (Double, Double), step: Double = 0) {
    domainLower = domain.0
    domainUpper = domain.1
    rangeLower = range.0
    rangeUpper = range.1
    self.step = step
  }

  /// A scale whose domain covers every finite value of `values` (non-finite ones are ignored),
  /// widened to nice step multiples. An empty or all-non-finite input gives [0, 1]; a single value
  /// `v` gives an interval around it (±0.5, or ±10 % of |v| when larger).
  public static func nice(covering values: [Double], range: (Double, Double), tickCount: Int = 5) -> LinearScale {
    var lo = Double.infinity
    var hi = -Double.infinity
    for v in values where v.isFinite {
      lo = min(lo, v)
      hi = max(hi, v)
    }
    if !lo.isFinite { lo = 0; hi = 1 }
    if hi - lo <= 0 {
      let pad = max(0.5, abs(lo) * 0.1)
      lo -= pad
      hi += pad
    }
    let step = tickStep(lo, hi, count: max(1, tickCount))
    let niceLo = (lo / step).rounded(.down) * step
    let niceHi = (hi / step).rounded(.up) * step
    return LinearScale(domain: (niceLo, niceHi), range: range, step: step)
  }

  /// The d3 tick step for [lo, hi] and about `count` ticks: 1, 2 or 5 × 10ᵏ.
  static func tickStep(_ lo: Double, _ hi: Double, count: Int) -> Double {
    let raw = (hi - lo) / Double(count)
    let power = (log10(raw)).rounded(.down)
    var step = pow(10, power)
    let error = raw / step
    if error >= 7.0710678118654755 { step *= 10 } else if error >= 3.1622776601683795 { step *= 5 } else if error >= 1.4142135623730951 { step *= 2 }
    return step
  }

  /// Maps a data value to an output coordinate (no clamping). A degenerate domain maps to the
  /// middle of the range.
  public func callAsFunction(_ x: Double) -> Double {
    let span = domainUpper - domainLower
    if span == 0 { return (rangeLower + rangeUpper) / 2 }
    return rangeLower + (x - domainLower) / span * (rangeUpper - rangeLower)
  }

  /// Like `callAsFunction` but clamped to the range.
  public func clamped(_ x: Double) -> Double {
    let y = self(x)
    return min(max(y, min(rangeLower, rangeUpper)), max(rangeLower, rangeUpper))
  }

  /// Tick values: multiples of `step` inside the domain (computed as integer multiples, so no
  /// accumulated rounding: `0.30000000000000004` cannot appear). Without a step, the two ends.
  public func ticks() -> [Double] {
    guard step > 0, step.isFinite else { return [domainLower, domainUpper] }
    let first = (domainLower / step - 1e-9).rounded(.up)
    let last = (domainUpper / step + 1e-9).rounded(.down)
    guard last >= first, last - first < 1000 else { return [domainLower, domainUpper] }
    return stride(from: first, through: last, by: 1).map { k in
      let v = k * step
      // Snap to the decimal grid of the step so labels print exactly.
      return v == 0 ? 0 : v
    }
  }

  /// Label text for a tick value: the number of decimals the step needs (step 0.05 → 2), or
  /// `%.3g` for very large or small magnitudes.
  public func tickLabel(_ v: Double) -> String {
    guard step > 0 else { return NumberFormatting.significant(v, digits: 3) }
    let magnitude = max(abs(domainLower), abs(domainUpper))
    if magnitude >= 1e6 || step < 1e-6 { return NumberFormatting.significant(v, digits: 3) }
    return NumberFormatting.fixed(v, decimals: Self.decimals(forStep: step))
  }

  /// Decimals a tick step needs (0.05 → 2, 5 → 0), at most 10.
  static func decimals(forStep step: Double) -> Int {
    min(10, max(0, Int((-log10(step) - 1e-9).rounded(.up))))
  }

  /// The tick labels of a horizontal axis, readable at any magnitude of its values: below 0.01 or from 10⁴ on, the ticks are
  /// written in units of a power of ten named once in the axis title (`×10⁻⁷`: ticks `−4`, `−2`, `0`, `2`,
  /// `4`), otherwise as decimals; each with the decimals its step needs and a true minus sign. When the labels
  /// would run into each other (a narrow plot beside long conditions, many ticks), only every k-th tick is
  /// labelled (always 0), so that neighbouring labels keep at least 8 px apart by the 0.58 em width estimate.
  /// Gridlines stay at every tick. O(ticks).
  public func axisLabels(size: Double) -> (labels: [(value: Double, label: String)], unit: String?) {
    let ticks = self.ticks()
    let largest = ticks.map { abs($0) }.max() ?? 0
    guard step > 0, step.isFinite, largest > 0, largest.isFinite else {
      return (ticks.map { ($0, tickLabel($0)) }, nil)
    }
    var exponent = 0
    if largest < 0.01 || largest >= 1e4 { exponent = Int(log10(largest).rounded(.down)) }
    // 10^e by decimal text, so 10^-7 is the double nearest 1e-7 (pow can be an ulp off).
    let unit = exponent == 0 ? 1 : Double("1e\(exponent)")!
    let unitStep = step / unit
    let decimals = Self.decimals(forStep: unitStep)
    func text(_ t: Double) -> String {
      var s = NumberFormatting.fixed(t / unit, decimals: decimals)
      if s.hasPrefix("-") { s = s.dropFirst().allSatisfy { $0 == "0" || $0 == "." } ? String(s.dropFirst()) : "\u{2212}" + s.dropFirst() }
      return s
    }
    let all = ticks.map { ($0, text($0)) }
    let widest = all.map { estimatedTextWidth($0.1, size: size) }.max() ?? 0
    let spacing = ticks.count > 1 ? abs(self(ticks[1]) - self(ticks[0])) : .infinity
    var every = 1
    while Double(every) * spacing < widest + 8 && every < ticks.count { every += 1 }
    let labels = all.filter { Int(($0.0 / step).rounded()) % every == 0 }
    let superscripts: [Character: Character] = ["-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵",
                                                "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹"]
    return (labels, exponent == 0 ? nil : "×10" + String(String(exponent).map { superscripts[$0]! }))
  }
}
