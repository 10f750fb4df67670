import CohortLensCore

/// Stability of LIME over repeated runs (different seeds) for one student, with the indices of
/// Visani et al., "Statistical stability indices for LIME" (JORS 2022, arXiv:2001.11757) as
/// lime-stability 0.1.1 defines them:
///
/// - VSI (0–100): Σ_{i<j} |S_i ∩ S_j| / (pairs · K) · 100, S_i the features of run i, K = numFeatures.
/// - CSI (0–100): for each feature selected in ≥ 2 runs, the % of pairs of those runs whose 95%
///   confidence intervals β ± 1.96·sd overlap; mean over features.
///   sd from `Explanation.standardErrors` (see `LimeExplainer.fit`).
/// Undefined (nil, with `undefinedReason`) with fewer than 2 runs / no feature selected twice.
public struct StabilityReport: Sendable, Equatable {
  public struct Feature: Sendable, Equatable {
    public var index: Int
    public var name: String
    /// Runs that selected the feature.
    public var selected: Int
    /// selected / runs.
    public var frequency: Double
    /// Share of the selecting runs whose weight has the majority sign.
    public var signAgreement: Double
    public var meanWeight: Double
  }
  public var student: String
  public var runs: Int
  public var vsi: Double?
  public var csi: Double?
  public var undefinedReason: String?
  /// Ordered by frequency (descending), then mean |weight|.
  public var features: [Feature]

  public init(student: String, runs explanations: [Explanation], numFeatures: Int) {
    self.student = student
    let r = explanations.count
    runs = r
    var byFeature: [Int: [(run: Int, weight: Double, se: Double, name: String)]] = [:]
    for (k, e) in explanations.enumerated() {
      for f in e.features {
        byFeature[f.index, default: []].append((k, f.weight, e.standardErrors[f.rank - 1], f.name))
      }
    }
    if r >= 2 {
      var inter = 0
      for i in 0..<r {
        let a = Set(explanations[i].features.map(\.index))
        for j in (i + 1)..<r { inter += a.intersection(explanations[j].features.map(\.index)).count }
      }
      let pairs = r * (r - 1) / 2
      vsi = Double(inter) / Double(pairs * numFeatures) * 100
      var perFeature: [Double] = []
      // In feature order: the mean below sums in a fixed order (a dictionary's order changes from run to run).
      for index in byFeature.keys.sorted() {
        guard let list = byFeature[index], list.count >= 2 else { continue }
        var overlap = 0, total = 0
        for i in 0..<list.count {
          for j in (i + 1)..<list.count {
            let (a, b) = (list[i], list[j])
            let loA = a.weight - 1.96 * a.se, hiA = a.weight + 1.96 * a.se
            let loB = b.weight - 1.96 * b.se, hiB = b.weight + 1.96 * b.se
            total += 1
            if !(hiA < loB || hiB < loA) { overlap += 1 }
          }
        }
        perFeature.append(Double(overlap) / Double(total) * 100)
      }
      if perFeature.isEmpty {
        undefinedReason = "no feature was selected in two runs (CSI undefined)"
      } else {
        csi = perFeature.reduce(0, +) / Double(perFeature.count)
      }
    } else {
      undefinedReason = "one run: stability needs --stability 2 or more"
    }
    features = byFeature.map { index, list in
      let pos = list.filter { $0.weight > 0 }.count, neg = list.filter { $0.weight < 0 }.count
      return Feature(index: index, name: list[0].name, selected: list.count,
                     frequency: Double(list.count) / Double(r),
                     signAgreement: Double(Swift.max(pos, neg)) / Double(list.count),
                     meanWeight: list.map(\.weight).reduce(0, +) / Double(list.count))
    }.sorted { a, b in
      a.selected != b.selected ? a.selected > b.selected
        : (Swift.abs(a.meanWeight) != Swift.abs(b.meanWeight) ? Swift.abs(a.meanWeight) > Swift.abs(b.meanWeight) : a.index < b.index)
    }
  }
}

/// Splits feature names such as `TotalClicks_InWeek3` into (base feature, week) with a regular
/// expression whose first capture group is the week number; the base is the name without the match.
public struct WeekGrouping: Sendable {
  public let pattern: String
  nonisolated(unsafe) let regex: Regex<AnyRegexOutput>

  public init(pattern: String) throws {
    self.pattern = pattern
    do { regex = try Regex(pattern) } catch {
      throw ExplanationError("--group-weeks: '\(pattern)' is not a valid regular expression (\(error))",
                             hint: "for names like clicks_InWeek3 use '_InWeek(\\d+)$'")
    }
  }

  /// (base, week) or nil when the name does not match or has no numeric first group.
  public func split(_ name: String) -> (base: String, week: Int)? {
    guard let m = try? regex.firstMatch(in: name), m.output.count >= 2,
      let sub = m.output[1].substring, let week = Int(sub)
    else { return nil }
    var base = name
    base.removeSubrange(m.range)
    return (base, week)
  }

  /// Totals of one explanation's weights by week and by base feature (features that match).
  public func totals(_ e: Explanation) -> (weeks: [(week: Int, weight: Double, count: Int)],
                                           bases: [(base: String, weight: Double, count: Int)]) {
    var weeks: [Int: (Double, Int)] = [:]
    var bases: [String: (Double, Int)] = [:]
    var baseOrder: [String] = []
    for f in e.features {
      guard let s = split(f.name) else { continue }
      let w = weeks[s.week] ?? (0, 0)
      weeks[s.week] = (w.0 + f.weight, w.1 + 1)
      if bases[s.base] == nil { baseOrder.append(s.base) }
      let b = bases[s.base] ?? (0, 0)
      bases[s.base] = (b.0 + f.weight, b.1 + 1)
    }
    return (weeks.keys.sorted().map { ($0, weeks[$0]!.0, weeks[$0]!.1) },
            baseOrder.sorted { Swift.abs(bases[$0]!.0) > Swift.abs(bases[$1]!.0) }.map { ($0, bases[$0]!.0, bases[$0]!.1) })
  }
}

/// Explanation disparity between groups of students (e.g. gender): per group and feature, the
/// share of the group's students whose explanation selects the feature and the mean |weight|
/// (0 for a student whose explanation does not select it).
public struct GroupDisparity: Sendable, Equatable {
  public struct Row: Sendable, Equatable {
    public var group: String
    public var feature: String
    public var students: Int
    public var selected: Int
    public var frequency: Double
    public var meanAbsWeight: Double
  }
  public var rows: [Row]
  /// Per feature: largest minus smallest mean |weight| across groups.
  public var gaps: [(feature: String, gap: Double)]

  public static func == (a: GroupDisparity, b: GroupDisparity) -> Bool {
    a.rows == b.rows && a.gaps.map(\.feature) == b.gaps.map(\.feature) && a.gaps.map(\.gap) == b.gaps.map(\.gap)
  }

  /// - Parameter groups: group value per explanation (same order); nil = not in any group.
  public init(explanations: [Explanation], groups: [String?]) {
    var members: [ExactText: [Explanation]] = [:]  // group values as written (code points)
    for (e, g) in zip(explanations, groups) { if let g { members[ExactText(g), default: []].append(e) } }
    var order: [String] = []
    var seen = Set<String>()
    var totals: [String: Int] = [:]
    for e in explanations {
      for f in e.features {
        totals[f.name, default: 0] += 1
        if seen.insert(f.name).inserted { order.append(f.name) }
      }
    }
    order.sort { totals[$0]! != totals[$1]! ? totals[$0]! > totals[$1]! : false }
    var rows: [Row] = []
    var gaps: [(String, Double)] = []
    let groupNames = members.keys.sorted()
    for name in order {
      var means: [Double] = []
      for g in groupNames {
        let list = members[g]!
        var sel = 0
        var sum = 0.0
        for e in list {
          if let f = e.features.first(where: { $0.name == name }) {
            sel += 1
            sum += Swift.abs(f.weight)
          }
        }
        let mean = sum / Double(list.count)
        means.append(mean)
        rows.append(Row(group: g.string, feature: name, students: list.count, selected: sel,
                        frequency: Double(sel) / Double(list.count), meanAbsWeight: mean))
      }
      gaps.append((name, (means.max() ?? 0) - (means.min() ?? 0)))
    }
    self.rows = rows
    self.gaps = gaps
  }
}
