import CohortLensCore
import Dispatch
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Group-fairness audit of binary predictions from a count table.
///
/// # Fairness
///
/// One pass over the rows builds, for every audit (an attribute or an intersection of attributes)
/// and every stratum (plus the pooled one), the count table `(group, truth, prediction) → count`.
/// Every rate and criterion derives from these counts:
///
/// | metric | formula |
/// | --- | --- |
/// | `selection_rate` | (TP + FP) / n |
/// | `tpr` | TP / (TP + FN) |
/// | `fpr` | FP / (FP + TN) |
/// | `fnr` | FN / (TP + FN) |
/// | `tnr` | TN / (FP + TN) |
/// | `ppv` | TP / (TP + FP) |
/// | `npv` | TN / (TN + FN) |
/// | `accuracy` | (TP + TN) / n |
/// | `base_rate` | (TP + FN) / n |
///
/// A rate with a zero denominator is *undefined* with a reason (fairlearn 0.15 silently reports
/// 0.0 for TPR/FPR there, via scikit-learn's `confusion_matrix(normalize='true')`). Each rate has a
/// Wilson interval. With scores, AUC (Mann–Whitney, ties ½, = `roc_auc_score`), Brier score, ECE
/// (10 equal-width bins) and a reliability table per group.
///
/// Criteria (fairlearn 0.15 definitions for `between-groups`; Aequitas-style reference groups
/// otherwise): demographic parity (selection rate), equal opportunity (TPR), equalized odds (worst
/// of the TPR and FPR statistics: max of differences, min of ratios; `equalized_odds_mean` is the
/// mean of both, fairlearn `agg='mean'`), predictive value parity (worst of PPV and NPV), accuracy
/// parity. Against a reference group each criterion is the worst group comparison (for
/// `equalized_odds_mean`, the worst of the groups' own TPR/FPR means). Intervals: percentile bootstrap where each replicate is one multinomial draw over the
/// cells of the count table (all groups × TP, FP, TN, FN, in output order), which has exactly the
/// distribution of resampling the rows with replacement, so the cost does not grow with the number
/// of rows. Replicates of an audit are `numpy.random.RandomState(seed).multinomial(n, cells / n,
/// size=B)` bit for bit (``Multinomial``). Verdict: PASS when the interval lies inside the tolerance
/// band, FAIL when wholly outside, INCONCLUSIVE when it straddles, UNDEFINED when a needed rate is
/// undefined.
///
/// ABROCA (Gardner, Brooks & Baker, LAK 2019) of each group against the reference group (the
/// largest group, or `--compare GROUP`), exact piecewise-linear area, with a permutation p-value
/// (group membership of the two groups' rows shuffled with `RandomState(seed)`) and Holm correction
/// across the groups of an audit.
///
/// Small cells: groups with n < `minGroupSize` are suppressed, with complementary suppression over every
/// partition the run prints (an audit's groups, a group's strata, a group's intersections; see
/// ``suppression(_:slots:strata:minimum:linkIntersections:)``), and left out of criteria and ABROCA. When fewer than two groups remain
/// (all suppressed, a single level, or no rows after `--missing drop`), every criterion is UNDEFINED
/// with the reason, e.g. how many groups were suppressed and why.
///
/// Complexity: O(rows · audits) for the counts, O(rows log rows) once for score sorting,
/// O(B · cells) for the bootstrap, O(permutations · rows of the two groups) per ABROCA p-value.
public enum FairnessAudit {
  /// Rates derived from the count table, in output order.
  public static let rateNames = ["selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "accuracy", "base_rate"]
  /// Score metrics (only with scores).
  public static let scoreMetricNames = ["auc", "brier", "ece"]

  /// A criterion: name, compared rates, and how two rate statistics are combined.
  public struct Criterion: Sendable {
    public var name: String
    public var metrics: [String]
    /// `true`: mean of the component statistics; `false`: the worst one.
    public var mean: Bool
    /// The formula, for footnotes.
    public var formula: String
  }

  /// The criteria, in output order.
  public static let criteria: [Criterion] = [
    Criterion(name: "demographic_parity", metrics: ["selection_rate"], mean: false,
              formula: "selection rate (TP+FP)/n equal across groups"),
    Criterion(name: "equalized_odds", metrics: ["tpr", "fpr"], mean: false,
              formula: "worst of the TPR and FPR statistics (max of differences, min of ratios)"),
    Criterion(name: "equalized_odds_mean", metrics: ["tpr", "fpr"], mean: true,
              formula: "mean of the TPR and FPR statistics (fairlearn agg='mean')"),
    Criterion(name: "equal_opportunity", metrics: ["tpr"], mean: false,
              formula: "TPR = TP/(TP+FN) equal across groups"),
    Criterion(name: "predictive_value_parity", metrics: ["ppv", "npv"], mean: false,
              formula: "worst of the PPV = TP/(TP+FP) and NPV = TN/(TN+FN) statistics"),
    Criterion(name: "accuracy_parity", metrics: ["accuracy"], mean: false,
              formula: "accuracy (TP+TN)/n equal across groups"),
  ]

  static let componentMetrics = ["selection_rate", "tpr", "fpr", "ppv", "npv", "accuracy"]

  /// The nine rates of a confusion table (`nil` = undefined), in ``rateNames`` order.
  @inline(__always)
  static func rates(tp: Int, fp: Int, tn: Int, fn: Int) -> [Double?] {
    let n = tp + fp + tn + fn
    func r(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
    return [r(tp + fp, n), r(tp, tp + fn), r(fp, fp + tn), r(fn, tp + fn), r(tn, fp + tn),
            r(tp, tp + fp), r(tn, tn + fn), r(tp + tn, n), r(tp + fn, n)]
  }

  /// Numerator, denominator and the reason a zero denominator means, in ``rateNames`` order.
  static func fractions(tp: Int, fp: Int, tn: Int, fn: Int) -> [(Int, Int, String)] {
    let n = tp + fp + tn + fn
    return [
      (tp + fp, n, "empty group"),
      (tp, tp + fn, "no actual positives (TP + FN = 0)"),
      (fp, fp + tn, "no actual negatives (FP + TN = 0)"),
      (fn, tp + fn, "no actual positives (TP + FN = 0)"),
      (tn, fp + tn, "no actual negatives (FP + TN = 0)"),
      (tp, tp + fp, "no predicted positives (TP + FP = 0)"),
      (tn, tn + fn, "no predicted negatives (TN + FN = 0)"),
      (tp + tn, n, "empty group"),
      (tp + fn, n, "empty group"),
    ]
  }

  /// Runs every audit. Never prints; `progress` receives short status lines.
  /// - Precondition: all per-row arrays have `input.rowCount` elements; at least one attribute.
  public static func run(_ input: FairnessInput, configuration: FairnessConfiguration,
                         progress: (String) -> Void = { _ in }) -> FairnessResult {
    let n = input.rowCount
    precondition(input.predicted.count == n, "predicted has a different length")
    precondition(!input.attributes.isEmpty, "at least one sensitive attribute is needed")
    let alpha = 1 - configuration.confidence
    let z = FairnessStatistics.normalQuantile(1 - alpha / 2)
    var warnings: [String] = []

    // Encode attributes: sorted levels, missing = levels.count. Values are compared exactly as
    // written (``ExactText``: Unicode scalars, no normalisation), as pandas groups them.
    struct Encoded { var levels: [String]; var codes: [Int32]; var missing: Int }
    let encoded: [Encoded] = input.attributes.map { a in
      var index: [ExactText: Int32] = [:]
      var raw = [Int32](repeating: -1, count: n)
      var levels: [ExactText] = []
      for r in 0..<n {
        guard let value = a.values[r] else { continue }
        let v = ExactText(value)
        if let c = index[v] { raw[r] = c } else {
          let c = Int32(levels.count)
          index[v] = c
          levels.append(v)
          raw[r] = c
        }
      }
      let order = levels.indices.sorted { levels[$0] < levels[$1] }
      var remap = [Int32](repeating: 0, count: levels.count)
      for (newIndex, old) in order.enumerated() { remap[old] = Int32(newIndex) }
      var missing = 0
      for r in 0..<n {
        if raw[r] < 0 { raw[r] = Int32(levels.count); missing += 1 } else { raw[r] = remap[Int(raw[r])] }
      }
      return Encoded(levels: order.map { levels[$0].string }, codes: raw, missing: missing)
    }

    // Strata.
    var strataLevels: [String] = []
    var strataCodes: [Int32] = []
    if let strata = input.strata {
      var index: [ExactText: Int32] = [:]
      strataCodes = [Int32](repeating: 0, count: n)
      for r in 0..<n {
        let v = strata[r]
        if let c = index[ExactText(v)] { strataCodes[r] = c } else {
          let c = Int32(strataLevels.count)
          index[ExactText(v)] = c
          strataLevels.append(v)
          strataCodes[r] = c
        }
      }
      let order = StratumOrder.sorted(strataLevels)
      var remap = [Int32](repeating: 0, count: strataLevels.count)
      for (k, old) in order.enumerated() { remap[old] = Int32(k) }
      for r in 0..<n { strataCodes[r] = remap[Int(strataCodes[r])] }
      strataLevels = order.map { strataLevels[$0] }
    }
    let slots = 1 + strataLevels.count

    // Scores: one ascending sort of the oriented scores.
    var order: [Int32] = []
    var oriented: [Double] = []
    var probabilities: [Double] = []
    var probabilityProblem: String?
    if let scores = input.scores {
      oriented = input.lowerIsPositive ? scores.map { -$0 } : scores
      order = Array(0..<Int32(n))
      oriented.withUnsafeBufferPointer { s in
        order.sort { s[Int($0)] < s[Int($1)] || (s[Int($0)] == s[Int($1)] && $0 < $1) }
      }
      probabilities = input.lowerIsPositive ? scores.map { 1 - $0 } : scores
      if let bad = scores.first(where: { !(0...1).contains($0) }) {
        probabilityProblem = "scores are not probabilities in [0, 1] (e.g. \(NumberFormatting.roundTrip(bad)))"
        warnings.append("Brier score, ECE and reliability tables are undefined: \(probabilityProblem!)")
      }
    }

    let specs = configuration.audits ?? input.attributes.indices.map { [$0] }
    var pooled: [AuditResult] = []
    var stratified: [AuditResult] = []
    // Phase 1: every audit's groups and counts, so that suppression can be decided over all of them.
    struct Prepared {
      var spec: [Int]
      var names: [String]
      var label: String
      var members: [[Int32]]
      var groupNames: [String]
      var counts: [Int]
      var droppedRows: [Int]
      /// Each row's combination (-1 = dropped); the score lists are built from it in phase 3, one audit
      /// at a time, so that they are not all held at once.
      var combo: [Int32]
    }
    var prepared: [Prepared] = []
    for spec in specs {
      let names = spec.map { input.attributes[$0].name }
      let label = IntersectionName.join(names)
      progress("auditing \(label)")
      // Observed combinations only, densely indexed in lexicographic order of their level codes
      // (-1 = dropped row): memory grows with the observed groups, not with Π(levels + 1).
      let (combo, members) = observedCombinations(
        spec.map { (codes: encoded[$0].codes, levels: encoded[$0].levels.count) }, rows: n,
        dropMissing: configuration.missing == .drop)
      let combos = members.count
      // Rows dropped (--missing drop), pooled and per stratum.
      var droppedRows = [Int](repeating: 0, count: slots)
      for r in 0..<n where combo[r] < 0 {
        droppedRows[0] += 1
        if slots > 1 { droppedRows[1 + Int(strataCodes[r])] += 1 }
      }
      // Count table per (slot, combo, cell) — cell = truth·2 + predicted: 0 TN, 1 FP, 2 FN, 3 TP.
      var counts = [Int](repeating: 0, count: slots * combos * 4)
      input.truth.withUnsafeBufferPointer { t in
        input.predicted.withUnsafeBufferPointer { p in
          for r in 0..<n where combo[r] >= 0 {
            let cell = (t[r] ? 2 : 0) + (p[r] ? 1 : 0)
            counts[Int(combo[r]) * 4 + cell] += 1
            if slots > 1 { counts[((1 + Int(strataCodes[r])) * combos + Int(combo[r])) * 4 + cell] += 1 }
          }
        }
      }
      func comboName(_ code: Int) -> String {
        IntersectionName.join(zip(spec, members[code]).map { a, v in
          let e = encoded[a]
          return Int(v) == e.levels.count ? missingGroupName : e.levels[Int(v)]
        })
      }
      prepared.append(Prepared(
        spec: spec, names: names, label: label, members: members, groupNames: (0..<combos).map(comboName),
        counts: counts, droppedRows: droppedRows, combo: combo))
    }
    // Phase 2: suppression over all audits at once.
    let (hidden, hiddenTotals, hiddenDropped, suppressionWarnings) = suppression(
      prepared.map { (spec: $0.spec, members: $0.members, names: $0.groupNames, counts: $0.counts, label: $0.label) },
      slots: slots, strata: strataLevels, minimum: configuration.minGroupSize,
      linkIntersections: configuration.missing != .drop,
      droppedRows: configuration.missing == .drop ? prepared.map(\.droppedRows) : nil)
    warnings += suppressionWarnings
    // Phase 3: the audits.
    for (q, prep) in prepared.enumerated() {
      let spec = prep.spec, names = prep.names, label = prep.label, counts = prep.counts
      let droppedRows = prep.droppedRows, combo = prep.combo
      let combos = prep.members.count
      // Score lists per (slot, combo), ascending.
      var lists: [[Int: [(score: Double, positive: Bool)]]] = []
      var probs: [[Int: [(Double, Bool)]]] = []
      if input.scores != nil {
        lists = Array(repeating: [:], count: slots)
        probs = Array(repeating: [:], count: slots)
        for rr in order {
          let r = Int(rr)
          let c = Int(combo[r])
          if c < 0 { continue }
          let item = (score: oriented[r], positive: input.truth[r])
          lists[0][c, default: []].append(item)
          probs[0][c, default: []].append((probabilities[r], input.truth[r]))
          if slots > 1 {
            let s = 1 + Int(strataCodes[r])
            lists[s][c, default: []].append(item)
            probs[s][c, default: []].append((probabilities[r], input.truth[r]))
          }
        }
      }
      for slot in 0..<slots {
        var groups: [(code: Int, name: String, cells: [Int])] = []
        for c in 0..<combos {
          let base = (slot * combos + c) * 4
          let cells = Array(counts[base..<base + 4])
          if cells.reduce(0, +) > 0 { groups.append((c, prep.groupNames[c], cells)) }
        }
        let audit = auditOne(
          label: label, names: names, stratum: slot == 0 ? nil : strataLevels[slot - 1],
          droppedRows: droppedRows[slot], nSuppression: hiddenTotals[q][slot], droppedRowsSuppression: hiddenDropped[q][slot],
          groups: groups, suppression: groups.map { hidden[q][slot][$0.code] },
          scoreLists: input.scores == nil ? nil : groups.map { lists[slot][$0.code] ?? [] },
          probabilityLists: input.scores == nil ? nil : groups.map { probs[slot][$0.code] ?? [] },
          probabilityProblem: probabilityProblem, lowerIsPositive: input.lowerIsPositive, z: z, configuration: configuration,
          singleLevel: spec.count == 1 && encoded[spec[0]].levels.count + (encoded[spec[0]].missing > 0 && configuration.missing == .group ? 1 : 0) < 2)
        if slot == 0 { pooled.append(audit) } else { stratified.append(audit) }
      }
    }
    // Stratified audits grouped by stratum, in stratum order.
    var byStratum: [AuditResult] = []
    if slots > 1 {
      for s in strataLevels {
        byStratum.append(contentsOf: stratified.filter { $0.stratum.map(ExactText.init) == ExactText(s) })
      }
    }
    return FairnessResult(audits: pooled + byStratum, rowCount: n, z: z, configuration: configuration,
                          warnings: warnings)
  }

  /// Which groups, audit sizes and dropped-row counts of which audits are suppressed, and why:
  /// `hidden[audit][slot][combination]` for the groups, `totals[audit][slot]` for an audit's n and
  /// `dropped[audit][slot]` for its dropped rows (`--missing drop`); `nil` for what is shown (slot 0 = pooled,
  /// slot s = stratum s − 1).
  ///
  /// A group with n < `minimum` is suppressed, and so is an audit's n below `minimum` (a small stratum; under
  /// `--missing drop` also an audit left with few rows) unless it is the input's row count, which is printed
  /// anyway. So that no suppressed count follows by subtraction from what the run prints, the rule is then
  /// applied to every *partition* the run publishes, until nothing changes: the groups of one audit (their total
  /// is the audit's n); a pooled group and its parts in the strata; a group of an audit and its parts in the
  /// audits of more attributes (with `--intersect`, a gender and the gender × age-band groups it contains; not
  /// under `--missing drop`, where the intersection leaves out rows its single-attribute audits keep). In each
  /// partition:
  /// - when the whole is suppressed, every part is (the whole would be their sum);
  /// - when exactly one part is suppressed, the smallest shown part is suppressed with it (ties: the first
  ///   in output order), or, when there is none, the whole.
  /// The audit sizes form partitions too: the strata's n's add up to the pooled n (every audit of a stratum has
  /// the stratum's n, except under `--missing drop`, where n + dropped rows is the stratum's row count and the
  /// pooled n + dropped rows is the input's). There a suppressed n (or dropped count) gets a partner the same
  /// way, a whole suppressed only as a partner gets one of its parts suppressed (its groups would give it), and
  /// a stratum with fewer rows than `minimum` has every part suppressed.
  /// This is the usual cell-suppression rule for linked tables (Cox 1980); it is greedy, so it may hide more
  /// than an optimal pattern, never less than the rule needs. Then an exact check (the suppressed counts as
  /// the unknowns of the linear system of all partitions, ``determinedUnknowns(_:unknowns:)``) hides one more
  /// shown count near every count below `minimum` that several partitions determine together (the nearest
  /// shown group, else the nearest shown n or dropped count; the smallest), and both rules run again, until none
  /// is determined. `warnings` says when the exact check was not made (more than `exactCheckLimit` suppressed
  /// counts) and names any count it found determined but could not protect (nothing shown is linked to it).
  /// `droppedRows[audit][slot]` is given under `--missing drop` (then the intersections are not linked).
  /// - Complexity: greedy O(passes · groups) with passes ≤ groups; exact check O(rounds · E · U · rank) for
  ///   E partitions holding U ≤ `exactCheckLimit` suppressed counts.
  static func suppression(
    _ audits: [(spec: [Int], members: [[Int32]], names: [String], counts: [Int], label: String)],
    slots: Int, strata: [String], minimum: Int, linkIntersections: Bool = true, droppedRows: [[Int]]? = nil,
    exactCheckLimit: Int = 400
  ) -> (hidden: [[[String?]]], totals: [[String?]], dropped: [[String?]], warnings: [String]) {
    func size(_ q: Int, _ slot: Int, _ c: Int) -> Int {
      let base = (slot * audits[q].members.count + c) * 4
      return audits[q].counts[base..<base + 4].reduce(0, +)
    }
    func auditSize(_ q: Int, _ slot: Int) -> Int { audits[q].members.indices.reduce(0) { $0 + size(q, slot, $1) } }
    typealias Node = (q: Int, slot: Int, c: Int)
    func place(_ slot: Int) -> String { slot == 0 ? "" : " in stratum \(MessageText.quoted(strata[slot - 1]))" }
    // Nodes: every group of every audit and slot (id = key), then the counts of the audits' sizes.
    var offsets: [Int] = []
    var groupCount = 0
    for q in audits.indices { offsets.append(groupCount); groupCount += slots * audits[q].members.count }
    func key(_ v: Node) -> Int { offsets[v.q] + v.slot * audits[v.q].members.count + v.c }
    var nodeSize = [Int](repeating: 0, count: groupCount)
    var nodeGroup = [Node?](repeating: nil, count: groupCount)
    var h = [String?](repeating: nil, count: groupCount)
    for q in audits.indices {
      for slot in 0..<slots {
        for c in audits[q].members.indices {
          let id = key((q, slot, c)), k = size(q, slot, c)
          nodeSize[id] = k
          nodeGroup[id] = (q, slot, c)
          if k > 0 && k < minimum { h[id] = "n < \(minimum) (--min-group-size)" }
        }
      }
    }
    let rows = audits.isEmpty ? 0 : auditSize(0, 0) + (droppedRows?[0][0] ?? 0)
    var totalText: [Int: String] = [:]
    var latent: Set<Int> = [], protectedTotals: Set<Int> = []
    /// A count of the audits' sizes: protected below the minimum (unless it is the whole input), never printed
    /// when `isLatent` (a stratum's rows under `--missing drop`, which only the n's and dropped rows give).
    func addTotal(_ k: Int, _ text: String, isLatent: Bool = false, protects: Bool = true) -> Int? {
      guard k > 0 else { return nil }
      let id = nodeSize.count
      nodeSize.append(k)
      nodeGroup.append(nil)
      totalText[id] = text
      let small = protects && k < minimum && k < rows
      h.append(small ? "n < \(minimum) (--min-group-size)" : (isLatent ? "not printed" : nil))
      if small { protectedTotals.insert(id) }
      if isLatent { latent.insert(id) }
      return id
    }
    func isProtected(_ id: Int) -> Bool { nodeGroup[id] != nil ? nodeSize[id] < minimum : protectedTotals.contains(id) }
    var totalNode = [[Int?]](repeating: [Int?](repeating: nil, count: slots), count: audits.count)
    var droppedNode = totalNode
    var stratumNode = [Int?](repeating: nil, count: slots)
    if !audits.isEmpty {
      if let dropped = droppedRows {
        for slot in 1..<max(1, slots) {
          stratumNode[slot] = addTotal(auditSize(0, slot) + dropped[0][slot], "the rows of stratum \(MessageText.quoted(strata[slot - 1]))", isLatent: true)
        }
        for q in audits.indices {
          for slot in 0..<slots {
            totalNode[q][slot] = addTotal(auditSize(q, slot), "the n of the audit by \(audits[q].label)\(place(slot))")
            droppedNode[q][slot] = addTotal(dropped[q][slot], "the dropped rows of the audit by \(audits[q].label)\(place(slot))", protects: false)
          }
        }
      } else {
        // Every row is in every audit: one n per stratum, shared by its audits; the pooled n is the row count.
        for slot in 1..<max(1, slots) {
          stratumNode[slot] = addTotal(auditSize(0, slot), "the n of stratum \(MessageText.quoted(strata[slot - 1]))")
          for q in audits.indices { totalNode[q][slot] = stratumNode[slot] }
        }
      }
    }
    func describe(_ id: Int) -> String {
      guard let v = nodeGroup[id] else { return totalText[id]! }
      return "\(MessageText.quoted(audits[v.q].names[v.c])) (audit by \(audits[v.q].label)\(place(v.slot)))"
    }
    func countsOf(_ id: Int) -> String { nodeGroup[id] == nil ? describe(id) : "the counts of \(describe(id))" }
    // Partitions: (whole, parts); a nil whole is printed (or a known 0).
    enum Kind { case groups, audit, totals }
    var partitions: [(whole: Int?, parts: [Int], kind: Kind)] = []
    for q in audits.indices {
      for slot in 0..<slots {
        partitions.append((totalNode[q][slot], audits[q].members.indices.filter { size(q, slot, $0) > 0 }.map { key((q, slot, $0)) }, .audit))
      }
    }
    if slots > 1 {
      for q in audits.indices {
        for c in audits[q].members.indices where size(q, 0, c) > 0 {
          partitions.append((key((q, 0, c)), (1..<slots).filter { size(q, $0, c) > 0 }.map { key((q, $0, c)) }, .groups))
        }
      }
    }
    // Under `--missing drop` an audit leaves out the rows missing any of *its* attributes, so the groups of
    // an intersection do not add up to the group of one attribute: nothing follows by subtraction there.
    for q in audits.indices where linkIntersections {
      for p in audits.indices where p != q && Set(audits[p].spec).isStrictSubset(of: Set(audits[q].spec)) {
        // The part of each combination of q that lies in a combination of p.
        let positions = audits[p].spec.map { a in audits[q].spec.firstIndex(of: a)! }
        var index: [[Int32]: Int] = [:]
        for (c, m) in audits[p].members.enumerated() { index[m] = c }
        var partsOf = [[Int]](repeating: [], count: audits[p].members.count)
        for (c, m) in audits[q].members.enumerated() {
          if let w = index[positions.map { m[$0] }] { partsOf[w].append(c) }
        }
        for slot in 0..<slots {
          for (w, cs) in partsOf.enumerated() where size(p, slot, w) > 0 {
            partitions.append((key((p, slot, w)), cs.filter { size(q, slot, $0) > 0 }.map { key((q, slot, $0)) }, .groups))
          }
        }
      }
    }
    // The audits' sizes: the strata partition the pooled rows.
    if droppedRows != nil {
      for q in audits.indices {
        partitions.append((nil, [totalNode[q][0], droppedNode[q][0]].compactMap { $0 }, .totals))
        if slots > 1 {
          partitions.append((totalNode[q][0], (1..<slots).compactMap { totalNode[q][$0] }, .totals))
          partitions.append((droppedNode[q][0], (1..<slots).compactMap { droppedNode[q][$0] }, .totals))
        }
      }
      for slot in 1..<max(1, slots) {
        for q in audits.indices {
          partitions.append((stratumNode[slot], [totalNode[q][slot], droppedNode[q][slot]].compactMap { $0 }, .totals))
        }
      }
      if slots > 1 { partitions.append((nil, (1..<slots).compactMap { stratumNode[$0] }, .totals)) }
    } else if slots > 1 {
      partitions.append((nil, (1..<slots).compactMap { stratumNode[$0] }, .totals))
    }
    partitions.removeAll { $0.parts.isEmpty }
    func smallest(_ ids: [Int]) -> Int? { ids.min { nodeSize[$0] < nodeSize[$1] } }
    func greedy() {
    var changed = true
    while changed {
      changed = false
      for (whole, parts, kind) in partitions {
        let shown = parts.filter { h[$0] == nil }
        if let w = whole, h[w] != nil {
          if kind == .groups || isProtected(w) {
            for v in shown {
              h[v] = "\(describe(w)), which contains it, is suppressed"
              changed = true
            }
          } else if !latent.contains(w) && shown.count == parts.count, let k = smallest(shown) {
            // A whole hidden only as a partner would follow as the sum of its printed parts.
            h[k] = "complementary suppression: \(describe(w)) is suppressed and would follow as the sum of its parts"
            changed = true
          }
          continue
        }
        let hiddenParts = parts.filter { h[$0] != nil }
        guard hiddenParts.count == 1 else { continue }
        let lone = hiddenParts[0]
        if let k = smallest(shown) {
          switch kind {
          case .audit: h[k] = "complementary suppression: the only other suppressed group's counts would follow by subtraction"
          case .groups:
            h[k] = "complementary suppression: the counts of \(describe(lone)) would follow by subtraction from \(describe(whole!))"
          case .totals:
            h[k] = "complementary suppression: \(countsOf(lone)) would follow by subtraction from \(whole.map(describe) ?? "the printed row count")"
          }
          changed = true
        } else if kind != .audit, let w = whole {
          h[w] = "its only part, \(describe(lone)), is suppressed"
          changed = true
        }
      }
    }
    }
    // Partitions together can still give a suppressed count that none gives alone (a two-way table: the
    // shown groups of the rows and of the columns pin a lone hidden cell although every row and column
    // hides two). Exact check: the suppressed counts are the unknowns of the linear system the partitions
    // form (whole − Σ parts = 0; a printed whole is a constant); a count is determined when its unit vector
    // lies in the system's row space. For each such count the nearest shown count of a partition it belongs
    // to is suppressed too (a group before an n; the smallest); then both rules run again, until no count is
    // determined.
    var warnings: [String] = []
    // The partitions of each count, to look for a shown count near a determined one: first in the
    // partitions the count belongs to, else one partition further through hidden counts, and so on.
    var partitionsOf: [Int: [Int]] = [:]
    for (i, (whole, parts, _)) in partitions.enumerated() {
      for v in (whole.map { [$0] } ?? []) + parts { partitionsOf[v, default: []].append(i) }
    }
    while true {
      greedy()
      var unknown: [Int: Int] = [:]
      var unknownNodes: [Int] = []
      for id in nodeSize.indices where h[id] != nil && nodeSize[id] > 0 {
        unknown[id] = unknownNodes.count
        unknownNodes.append(id)
      }
      // A stratum's rows are never printed: with nothing else hidden, nothing hidden can be determined.
      if unknownNodes.allSatisfy({ latent.contains($0) }) { break }
      guard unknownNodes.count <= exactCheckLimit else {
        warnings.append("\(unknownNodes.count) suppressed groups are more than the exact disclosure check handles "
          + "(\(exactCheckLimit)): each partition hides none or at least two of its groups, but several partitions "
          + "together may still give a suppressed count; raise --min-group-size or audit fewer attributes at once")
        break
      }
      var system: [[(Int, Double)]] = []
      for (whole, parts, _) in partitions {
        var row: [(Int, Double)] = []
        if let w = whole, let j = unknown[w] { row.append((j, 1)) }
        for v in parts { if let j = unknown[v] { row.append((j, -1)) } }
        if !row.isEmpty { system.append(row) }
      }
      // Only a count below the minimum needs protecting: a group hidden as a complement (n ≥ minimum) may be
      // determined — e.g. the only group of an audit, whose count is the audit's n.
      let determined = determinedUnknowns(system, unknowns: unknownNodes.count).filter { isProtected(unknownNodes[$0]) }
      if determined.isEmpty { break }
      var progressed = false
      var unprotected: [Int] = []
      for j in determined {
        let lone = unknownNodes[j]
        var seen: Set<Int> = [lone]
        var frontier = [lone]
        var best: Int?
        while best == nil && !frontier.isEmpty {
          var next: [Int] = []
          var bestTotal: Int?
          for u in frontier {
            for i in partitionsOf[u] ?? [] {
              for v in (partitions[i].whole.map { [$0] } ?? []) + partitions[i].parts where seen.insert(v).inserted {
                if h[v] == nil {
                  if nodeGroup[v] != nil {
                    if best == nil || nodeSize[v] < nodeSize[best!] { best = v }
                  } else if bestTotal == nil || nodeSize[v] < nodeSize[bestTotal!] {
                    bestTotal = v
                  }
                } else {
                  next.append(v)
                }
              }
            }
          }
          best = best ?? bestTotal
          frontier = next
        }
        guard let k = best else {
          unprotected.append(lone)
          continue
        }
        h[k] = "complementary suppression: \(countsOf(lone)) would follow from the printed counts of several linked tables together"
        progressed = true
      }
      if !progressed {
        // Every count linked to these is hidden already, yet the printed totals still give them.
        warnings.append("\(unprotected.prefix(5).map(countsOf).joined(separator: ", "))"
          + "\(unprotected.count > 5 ? " and \(unprotected.count - 5) more" : "") follow from the printed totals "
          + "and no shown group is linked to them, so suppression cannot protect them; raise --min-group-size "
          + "or audit fewer attributes or strata at once")
        break
      }
    }
    let hidden: [[[String?]]] = audits.indices.map { q in
      (0..<slots).map { slot in audits[q].members.indices.map { c in h[key((q, slot, c))] } }
    }
    return (hidden, totalNode.map { $0.map { $0.flatMap { h[$0] } } }, droppedNode.map { $0.map { $0.flatMap { h[$0] } } }, warnings)
  }

  /// The unknowns a homogeneous linear system determines: `rows` are sparse rows (column, coefficient) over
  /// `unknowns` columns; column j is determined when the unit vector e_j lies in the row space, i.e. when a
  /// row of the reduced row echelon form has its only non-zero entry in column j. Dense Gauss–Jordan
  /// elimination with partial pivoting (coefficients are small integers, entries below 1e-9 are zero).
  /// O(rows · unknowns · rank) time, O(rows · unknowns) memory.
  static func determinedUnknowns(_ rows: [[(Int, Double)]], unknowns u: Int) -> [Int] {
    var m = rows.map { r -> [Double] in
      var d = [Double](repeating: 0, count: u)
      for (j, x) in r { d[j] += x }
      return d
    }
    let eps = 1e-9
    var pivotRow = 0
    var pivots: [(row: Int, column: Int)] = []
    for col in 0..<u where pivotRow < m.count {
      var best = pivotRow
      for r in pivotRow..<m.count where abs(m[r][col]) > abs(m[best][col]) { best = r }
      guard abs(m[best][col]) > eps else { continue }
      m.swapAt(best, pivotRow)
      let inv = 1 / m[pivotRow][col]
      for j in 0..<u { m[pivotRow][j] *= inv }
      let pivot = m[pivotRow]
      for r in m.indices where r != pivotRow {
        let f = m[r][col]
        if abs(f) > eps {
          for j in col..<u { m[r][j] -= f * pivot[j] }
          m[r][col] = 0
        }
      }
      pivots.append((pivotRow, col))
      pivotRow += 1
    }
    var out: [Int] = []
    for (r, col) in pivots {
      var others = false
      for j in 0..<u where j != col && abs(m[r][j]) > eps { others = true; break }
      if !others { out.append(col) }
    }
    return out
  }

  /// The combination of level codes of each row over `columns` (each: per-row codes in
  /// `0...levels`, `levels` = missing), as a dense index into `members` — the observed combinations
  /// in lexicographic order of their codes (so missing sorts last within each attribute) — or -1
  /// for a row dropped because a value is missing and `dropMissing`. Combinations are formed one
  /// column at a time: (index so far, code) → the rank among the observed pairs, so keys stay below
  /// rows · (levels + 1) and memory is O(rows + observed combinations), whatever Π(levels + 1) is.
  static func observedCombinations(_ columns: [(codes: [Int32], levels: Int)], rows n: Int, dropMissing: Bool)
    -> (codes: [Int32], members: [[Int32]]) {
    var combo = [Int32](repeating: 0, count: n)
    if dropMissing {
      for column in columns {
        for r in 0..<n where Int(column.codes[r]) == column.levels { combo[r] = -1 }
      }
    }
    var members: [[Int32]] = [[]]
    for column in columns {
      let radix = column.levels + 1
      // Provisional index of each (previous index, code) pair in order of first occurrence.
      var keys: [Int] = []
      let denseSize = members.count * radix
      if denseSize <= 1 << 16 {
        var slot = [Int32](repeating: -1, count: denseSize)
        for r in 0..<n where combo[r] >= 0 {
          let key = Int(combo[r]) * radix + Int(column.codes[r])
          if slot[key] < 0 { slot[key] = Int32(keys.count); keys.append(key) }
          combo[r] = slot[key]
        }
      } else {
        var slot: [Int: Int32] = [:]
        for r in 0..<n where combo[r] >= 0 {
          let key = Int(combo[r]) * radix + Int(column.codes[r])
          if let k = slot[key] { combo[r] = k } else {
            let k = Int32(keys.count)
            slot[key] = k
            keys.append(key)
            combo[r] = k
          }
        }
      }
      // Renumber by rank: the lexicographic order of (previous members, code).
      let order = keys.indices.sorted { keys[$0] < keys[$1] }
      var rank = [Int32](repeating: 0, count: keys.count)
      for (k, old) in order.enumerated() { rank[old] = Int32(k) }
      for r in 0..<n where combo[r] >= 0 { combo[r] = rank[Int(combo[r])] }
      members = order.map { members[keys[$0] / radix] + [Int32(keys[$0] % radix)] }
    }
    return (combo, members)
  }

  // MARK: One audit

  static func auditOne(
    label: String, names: [String], stratum: String?, droppedRows: Int, nSuppression: String? = nil,
    droppedRowsSuppression: String? = nil, groups rawGroups: [(code: Int, name: String, cells: [Int])], suppression: [String?],
    scoreLists: [[(score: Double, positive: Bool)]]?, probabilityLists: [[(Double, Bool)]]?,
    probabilityProblem: String?, lowerIsPositive: Bool = false, z: Double, configuration: FairnessConfiguration,
    singleLevel: Bool
  ) -> AuditResult {
    var notices: [String] = []
    let total = rawGroups.reduce(0) { $0 + $1.cells.reduce(0, +) }
    // Suppression, decided over all audits of the run (``suppression(_:slots:strata:minimum:linkIntersections:)``).
    let suppressed = suppression.map { $0 != nil }
    let reasons = suppression
    if let why = nSuppression { notices.append("the audit's n suppressed (\(why))") }
    if let why = droppedRowsSuppression { notices.append("the number of dropped rows suppressed (\(why))") }
    for (k, g) in rawGroups.enumerated() where suppressed[k] {
      notices.append("group \(MessageText.quoted(g.name)) suppressed (\(reasons[k]!)); left out of criteria")
    }
    let eligible = rawGroups.indices.filter { !suppressed[$0] }

    // Groups and metrics.
    var groups: [GroupResult] = []
    for (k, g) in rawGroups.enumerated() {
      let tn = g.cells[0], fp = g.cells[1], fn = g.cells[2], tp = g.cells[3]
      var metrics: [MetricValue] = []
      for (name, f) in zip(rateNames, fractions(tp: tp, fp: fp, tn: tn, fn: fn)) {
        let (num, den, why) = f
        let ci = FairnessStatistics.wilson(num, den, z: z).map { ClosedInterval($0.lower, $0.upper) }
        metrics.append(MetricValue(
          name: name, value: den == 0 ? nil : Double(num) / Double(den), numerator: Double(num),
          denominator: Double(den), ci: ci, undefined: den == 0 ? why : nil,
          lowSupport: den < configuration.lowSupportDenominator))
      }
      var roc: [ROCPoint]?
      var reliability: [ReliabilityBin]?
      if let lists = scoreLists, let plists = probabilityLists {
        let list = lists[k]
        let nPos = tp + fn, nNeg = tn + fp
        let mw = ScoreMetrics.mannWhitney(sortedAscending: list)
        let aucWhy: String? = nPos == 0 ? "no actual positives" : (nNeg == 0 ? "no actual negatives" : nil)
        metrics.append(MetricValue(
          name: "auc", value: aucWhy == nil ? mw.u / mw.pairs : nil, numerator: mw.u, denominator: mw.pairs,
          ci: nil, undefined: aucWhy, lowSupport: min(nPos, nNeg) < configuration.lowSupportDenominator))
        if let full = ScoreMetrics.roc(sortedAscending: list) {
          roc = ScoreMetrics.thin(full, limit: configuration.rocPointLimit)
          // Thresholds in the score's own units: the lists hold −score when lower is positive.
          if lowerIsPositive { roc = roc!.map { ROCPoint(threshold: 0 - $0.threshold, fpr: $0.fpr, tpr: $0.tpr) } }
        }
        if let problem = probabilityProblem {
          for name in ["brier", "ece"] {
            metrics.append(MetricValue(name: name, value: nil, numerator: nil, denominator: Double(g.cells.reduce(0, +)),
                                       ci: nil, undefined: problem, lowSupport: false))
          }
        } else {
          let cal = ScoreMetrics.calibration(plists[k].map(\.0), plists[k].map(\.1), bins: configuration.calibrationBins)
          let nn = g.cells.reduce(0, +)
          let low = nn < configuration.lowSupportDenominator
          metrics.append(MetricValue(name: "brier", value: cal.brier, numerator: cal.brierSum, denominator: Double(nn),
                                     ci: nil, undefined: nil, lowSupport: low))
          metrics.append(MetricValue(name: "ece", value: cal.ece, numerator: nil, denominator: Double(nn),
                                     ci: nil, undefined: nil, lowSupport: low))
          reliability = cal.table
        }
      }
      groups.append(GroupResult(
        name: g.name, n: tp + fp + tn + fn, tp: tp, fp: fp, tn: tn, fn: fn, suppressed: suppressed[k],
        suppressionReason: reasons[k], metrics: metrics, roc: suppressed[k] ? nil : roc,
        reliability: suppressed[k] ? nil : reliability))
    }

    // Reference group.
    var reference: Int?
    func largest() -> Int? { eligible.max { rawGroups[$0].cells.reduce(0, +) < rawGroups[$1].cells.reduce(0, +) || (rawGroups[$0].cells.reduce(0, +) == rawGroups[$1].cells.reduce(0, +) && $0 > $1) } }
    switch configuration.comparison {
    case .betweenGroups, .largest: reference = largest()
    case .group(let name):
      // Group names are compared exactly as written (no Unicode normalisation), as groups are formed.
      let wanted = ExactText(name)
      if let k = rawGroups.firstIndex(where: { ExactText($0.name) == wanted }), eligible.contains(k) {
        reference = k
      } else {
        reference = largest()
        let why = rawGroups.contains(where: { ExactText($0.name) == wanted }) ? "is suppressed" : "does not occur"
        if let r = reference {
          notices.append("reference group \(MessageText.quoted(name)) \(why) in this audit; using the largest group \(MessageText.quoted(rawGroups[r].name))")
        } else {
          notices.append("reference group \(MessageText.quoted(name)) \(why) in this audit, and no other group remains to take its place")
        }
      }
    }
    let referenceMode = configuration.comparison != .betweenGroups

    // Criteria.
    var criteriaResults: [CriterionResult] = []
    let eligibleCells = eligible.map { rawGroups[$0].cells }
    let refPos = reference.flatMap { eligible.firstIndex(of: $0) }
    var undefinedReason: String?
    if eligible.count < 2 {
      undefinedReason = tooFewGroupsReason(
        groups: rawGroups.map(\.name), suppressed: suppressed,
        belowMinimum: rawGroups.map { $0.cells.reduce(0, +) < configuration.minGroupSize }, label: label,
        attributes: names, stratum: stratum, singleLevel: singleLevel, configuration: configuration)
      notices.append("criteria undefined: \(undefinedReason!)")
    }
    // Per-group comparisons against the reference (reference mode): the same replicates, per pair.
    let pairMode = referenceMode && eligible.count >= 2 && refPos != nil
    let eligibleNames = eligible.map { rawGroups[$0].name }
    let pairPoint = pairMode ? pairwise(cells: eligibleCells, ref: refPos!, names: eligibleNames) : nil
    let point = evaluate(cells: eligibleCells, referencePosition: referenceMode ? refPos : nil,
                         names: eligibleNames, pairCriteria: pairPoint?.criteria)
    // Bootstrap.
    let b = configuration.bootstrapReplicates
    /// The interval a verdict is read from: the bootstrap interval, or the point estimate alone
    /// (with the reason) when there are no replicates or the statistic is undefined in all of them.
    func verdictInterval(_ v: Double, _ interval: ClosedInterval?) -> (ClosedInterval, String?) {
      if let interval { return (interval, nil) }
      return (ClosedInterval(v, v), b == 0 ? "no bootstrap (--bootstrap 0): verdict from the point estimate"
        : "statistic undefined in every bootstrap replicate: verdict from the point estimate")
    }
    var diffs = [[Double]](repeating: [], count: criteria.count)
    var ratios = [[Double]](repeating: [], count: criteria.count)
    var undefinedCount = [Int](repeating: 0, count: criteria.count)
    let g = eligible.count, m6 = componentMetrics.count
    var pairCompD = [[Double]](repeating: [], count: pairMode ? g * m6 : 0)
    var pairCompR = pairCompD
    var pairCritD = [[Double]](repeating: [], count: pairMode ? g * criteria.count : 0)
    var pairCritR = pairCritD
    var pairUndefined = [Int](repeating: 0, count: pairMode ? g * criteria.count : 0)
    if b > 0 && eligible.count >= 2 && total > 0 {
      var rng = NumPyRandomState(seed: configuration.seed)
      let flat = rawGroups.flatMap { [$0.cells[3], $0.cells[1], $0.cells[0], $0.cells[2]] }  // TP, FP, TN, FN
      let p = flat.map { Double($0) / Double(total) }
      var draw = [Int]()
      var cells = [[Int]](repeating: [0, 0, 0, 0], count: eligible.count)
      for _ in 0..<b {
        Multinomial.draw(total, p, into: &draw, &rng)
        for (e, k) in eligible.enumerated() {
          cells[e][3] = draw[4 * k]; cells[e][1] = draw[4 * k + 1]; cells[e][0] = draw[4 * k + 2]; cells[e][2] = draw[4 * k + 3]
        }
        let pair = pairMode ? pairwise(cells: cells, ref: refPos!, names: nil) : nil
        let stats = evaluate(cells: cells, referencePosition: referenceMode ? refPos : nil, pairCriteria: pair?.criteria)
        for c in 0..<criteria.count {
          if let d = stats[c].difference { diffs[c].append(d) }
          if let r = stats[c].ratio { ratios[c].append(r) }
          let needed = configuration.tolerance.isRatio ? stats[c].ratio : stats[c].difference
          if needed == nil { undefinedCount[c] += 1 }
        }
        if let pair {
          for e in 0..<g where e != refPos! {
            for k in 0..<m6 {
              if let d = pair.components[e][k].difference { pairCompD[e * m6 + k].append(d) }
              if let r = pair.components[e][k].ratio { pairCompR[e * m6 + k].append(r) }
            }
            for c in 0..<criteria.count {
              let st = pair.criteria[e][c]
              if let d = st.difference { pairCritD[e * criteria.count + c].append(d) }
              if let r = st.ratio { pairCritR[e * criteria.count + c].append(r) }
              if (configuration.tolerance.isRatio ? st.ratio : st.difference) == nil { pairUndefined[e * criteria.count + c] += 1 }
            }
          }
        }
      }
    }
    /// The percentile bootstrap interval at `configuration.confidence` of replicate values (sorted in
    /// place); `nil` when there are none.
    func percentile(_ values: inout [Double]) -> ClosedInterval? {
      values.sort()
      let lowQ = (1 - configuration.confidence) / 2
      guard let lo = FairnessStatistics.quantile(sorted: values, lowQ),
            let hi = FairnessStatistics.quantile(sorted: values, 1 - lowQ) else { return nil }
      return ClosedInterval(lo, hi)
    }
    for (c, criterion) in criteria.enumerated() {
      let s = point[c]
      var result = CriterionResult(
        name: criterion.name, metrics: criterion.metrics, difference: s.difference, ratio: s.ratio,
        differenceInterval: nil, ratioInterval: nil, undefinedReplicates: undefinedCount[c], worstPair: nil,
        verdict: .undefined, reason: nil)
      if let why = undefinedReason {
        result.difference = nil
        result.ratio = nil
        result.reason = why
        criteriaResults.append(result)
        continue
      }
      result.differenceInterval = percentile(&diffs[c])
      result.ratioInterval = percentile(&ratios[c])
      let name = { (e: Int) in rawGroups[eligible[e]].name }
      let usesRatio = configuration.tolerance.isRatio
      if let pair = usesRatio ? s.ratioPair : s.differencePair { result.worstPair = (name(pair.0), name(pair.1)) }
      let value = usesRatio ? s.ratio : s.difference
      guard let v = value else {
        result.reason = s.reason ?? "undefined"
        criteriaResults.append(result)
        continue
      }
      let (interval, note) = verdictInterval(v, usesRatio ? result.ratioInterval : result.differenceInterval)
      // Judged on the difference, an undefined ratio is still reported with its reason.
      let ratioNote = !usesRatio && s.ratio == nil ? "ratio undefined: \(s.reason ?? "no ratio"); the verdict uses the difference" : nil
      let notes = [s.note, ratioNote, note].compactMap { $0 }
      if !notes.isEmpty { result.reason = notes.joined(separator: "; ") }
      result.verdict = configuration.tolerance.verdict(interval)
      criteriaResults.append(result)
    }
    if let pairPoint, let rp = refPos {
      for c in criteria.indices {
        let components = criteria[c].metrics.map { componentMetrics.firstIndex(of: $0)! }
        var list: [GroupComparison] = []
        for e in 0..<g where e != rp {
          var rates: [ComparedRate] = []
          for k in components {
            let st = pairPoint.components[e][k]
            rates.append(ComparedRate(
              name: componentMetrics[k], group: pairPoint.values[k][e], reference: pairPoint.values[k][rp],
              difference: st.difference, ratio: st.ratio,
              differenceInterval: st.difference == nil ? nil : percentile(&pairCompD[e * m6 + k]),
              ratioInterval: st.ratio == nil ? nil : percentile(&pairCompR[e * m6 + k]), undefined: st.reason))
          }
          let st = pairPoint.criteria[e][c]
          var item = GroupComparison(
            group: eligibleNames[e], reference: eligibleNames[rp], rates: rates, difference: st.difference, ratio: st.ratio,
            differenceInterval: st.difference == nil ? nil : percentile(&pairCritD[e * criteria.count + c]),
            ratioInterval: st.ratio == nil ? nil : percentile(&pairCritR[e * criteria.count + c]),
            undefinedReplicates: pairUndefined[e * criteria.count + c], verdict: .undefined, undefined: nil, note: nil)
          let usesRatio = configuration.tolerance.isRatio
          if let v = usesRatio ? st.ratio : st.difference {
            let (interval, note) = verdictInterval(v, usesRatio ? item.ratioInterval : item.differenceInterval)
            let ratioNote = !usesRatio && st.ratio == nil ? "ratio undefined: \(st.reason ?? "no ratio"); the verdict uses the difference" : nil
            let notes = [st.note, ratioNote, note].compactMap { $0 }
            item.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
            item.verdict = configuration.tolerance.verdict(interval)
          } else {
            item.undefined = st.reason ?? "undefined"
          }
          list.append(item)
        }
        criteriaResults[c].comparisons = list
      }
    }

    // ABROCA.
    var abroca: [ABROCAEntry]?
    if let lists = scoreLists, let ref = reference {
      var entries: [ABROCAEntry] = []
      let refList = lists[ref]
      let refCurve = ScoreMetrics.roc(sortedAscending: refList)
      let others = eligible.filter { $0 != ref }
      let slots = ABROCASlots(count: others.count)
      let refName = rawGroups[ref].name
      let names = rawGroups.map(\.name)
      let permutations = configuration.permutations, seed = configuration.seed
      let work: @Sendable (Int) -> Void = { index in
        let k = others[index]
        var entry = ABROCAEntry(group: names[k], reference: refName, value: nil, pValue: nil,
                                pHolm: nil, undefined: nil)
        if refCurve == nil {
          entry.undefined = "reference group \(MessageText.quoted(refName)) has only one class"
        } else if let curve = ScoreMetrics.roc(sortedAscending: lists[k]) {
          let observed = ScoreMetrics.abroca(curve, refCurve!)
          entry.value = observed
          if permutations > 0 {
            entry.pValue = permutationPValue(lists[k], refList, observed: observed,
                                             permutations: permutations, seed: seed)
          }
        } else {
          entry.undefined = "group \(MessageText.quoted(names[k])) has only one class (no ROC curve)"
        }
        slots.set(index, entry)
      }
      // Groups are independent (each has its own RandomState(seed) stream): run them on all cores.
      let cost = others.reduce(0) { $0 + lists[$1].count + refList.count } * configuration.permutations
      if others.count > 1 && cost > 200_000 {
        DispatchQueue.concurrentPerform(iterations: others.count, execute: work)
      } else {
        for index in others.indices { work(index) }
      }
      entries = slots.values
      let defined = entries.indices.filter { entries[$0].pValue != nil }
      let adjusted = FairnessStatistics.holm(defined.map { entries[$0].pValue! })
      for (i, k) in defined.enumerated() { entries[k].pHolm = adjusted[i] }
      abroca = entries
    }

    // With scores but no reference group (every group suppressed), ABROCA has no entries.
    if abroca == nil && scoreLists != nil { abroca = [] }

    return AuditResult(
      attribute: label, attributes: names, stratum: stratum, n: total, droppedRows: droppedRows,
      nSuppressionReason: nSuppression, droppedRowsSuppressionReason: droppedRowsSuppression, groups: groups,
      criteria: criteriaResults, reference: reference.map { rawGroups[$0].name }, abroca: abroca, notices: notices)
  }

  /// Why an audit with fewer than two eligible groups has no criteria: no rows at all, a single level,
  /// a single group in this stratum, or suppression (how many groups, and why).
  static func tooFewGroupsReason(
    groups: [String], suppressed: [Bool], belowMinimum: [Bool], label: String, attributes: [String],
    stratum: String?, singleLevel: Bool, configuration: FairnessConfiguration
  ) -> String {
    if groups.isEmpty {
      let dropped = configuration.missing == .drop
        ? " (rows with a missing value of \(attributes.map { "'\($0)'" }.joined(separator: " or ")) are dropped, --missing drop)"
        : ""
      return "no rows left to audit\(dropped); there is nothing to compare"
    }
    if singleLevel { return "attribute '\(label)' has only one level; there is nothing to compare" }
    if groups.count == 1 {
      return "only one group (\(MessageText.quoted(groups[0]))) occurs in \(stratum.map { "stratum \(MessageText.quoted($0))" } ?? "this audit"); there is nothing to compare"
    }
    let minimum = configuration.minGroupSize
    let hidden = suppressed.filter { $0 }.count
    let small = zip(suppressed, belowMinimum).filter { $0 && $1 }.count
    let complementary = hidden - small
    return "fewer than two groups of at least \(minimum) learners remain after suppression: \(hidden) of \(groups.count) groups suppressed ("
      + "\(small) with n < \(minimum) (--min-group-size)\(complementary > 0 ? ", \(complementary) by complementary suppression" : "")"
      + "); there is nothing to compare"
  }

  struct Statistic {
    var difference: Double?
    var ratio: Double?
    var differencePair: (Int, Int)?
    var ratioPair: (Int, Int)?
    var reason: String?
    /// The ratio is 0/0: the rate is 0 in every compared group (the difference is 0). A two-rate
    /// criterion then takes its ratio from the other rate alone, as fairlearn does.
    var zeroRatio = false
    /// How a defined statistic was formed when that is not the plain definition (a 0/0 component
    /// left out), for the output; `nil` otherwise.
    var note: String?
  }

  /// Statistics of every eligible group against the reference position, per pair (Aequitas-style):
  /// `values[m][e]` the component rates (``componentMetrics`` order, `nil` = undefined),
  /// `components[e][m]` group − reference and group / reference of each component, `criteria[e][c]`
  /// the criterion statistics of the pair (worse component, or the mean for `equalized_odds_mean`).
  /// Row `ref` is left empty. `names` (point estimate only) name the groups in reasons.
  static func pairwise(cells: [[Int]], ref: Int, names: [String]?)
    -> (values: [[Double?]], components: [[Statistic]], criteria: [[Statistic]]) {
    let values = componentValues(cells)
    let g = cells.count
    var components = [[Statistic]](repeating: [], count: g)
    var criteriaStats = [[Statistic]](repeating: [], count: g)
    for e in 0..<g where e != ref {
      var comp: [Statistic] = []
      comp.reserveCapacity(componentMetrics.count)
      for m in 0..<componentMetrics.count {
        var s = Statistic()
        switch (values[m][e], values[m][ref]) {
        case let (ve?, vr?):
          s.difference = ve - vr
          s.differencePair = (e, ref)
          if vr > 0 {
            s.ratio = ve / vr
            s.ratioPair = (e, ref)
          } else if ve == 0 {
            s.zeroRatio = true
            if let names {
              s.reason = "\(componentMetrics[m]) is 0 for group \(MessageText.quoted(names[e])) and the reference group \(MessageText.quoted(names[ref])) (ratio 0/0 undefined)"
            } else {
              s.reason = "0/0"
            }
          } else if names != nil {
            s.reason = "\(componentMetrics[m]) of the reference group \(MessageText.quoted(names![ref])) is 0 (ratio undefined)"
          } else {
            s.reason = "0"
          }
        case (nil, _):
          if let names { s.reason = "\(componentMetrics[m]) undefined for group \(MessageText.quoted(names[e])) (\(componentReasons[m]))" }
          else { s.reason = "undefined" }
        case (_, nil):
          if let names { s.reason = "\(componentMetrics[m]) undefined for the reference group \(MessageText.quoted(names[ref])) (\(componentReasons[m]))" }
          else { s.reason = "undefined" }
        }
        comp.append(s)
      }
      components[e] = comp
      criteriaStats[e] = combined(comp, describe: names != nil)
    }
    return (values, components, criteriaStats)
  }

  /// The six component rates (selection, tpr, fpr, ppv, npv, accuracy) of cells [TN, FP, FN, TP].
  static func componentValues(_ cells: [[Int]]) -> [[Double?]] {
    let g = cells.count
    var values = [[Double?]](repeating: [Double?](repeating: nil, count: g), count: 6)
    for e in 0..<g {
      let tn = cells[e][0], fp = cells[e][1], fn = cells[e][2], tp = cells[e][3]
      let n = tn + fp + fn + tp
      func r(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
      values[0][e] = r(tp + fp, n)
      values[1][e] = r(tp, tp + fn)
      values[2][e] = r(fp, fp + tn)
      values[3][e] = r(tp, tp + fp)
      values[4][e] = r(tn, tn + fn)
      values[5][e] = r(tp + tn, n)
    }
    return values
  }

  /// The margin by which a comparison must be worse than the worst so far to replace it:
  /// ``FairnessTolerance/limitSlack`` relative to the larger of 1 and the value (0 for infinities), so that
  /// two comparisons equal in exact arithmetic keep the first, whatever their rounding.
  static func tieSlack(_ value: Double) -> Double {
    value.isFinite ? FairnessTolerance.limitSlack * max(1, abs(value)) : 0
  }

  static let componentReasons = ["empty group", "no actual positives (TP + FN = 0)", "no actual negatives (FP + TN = 0)",
                                 "no predicted positives (TP + FP = 0)", "no predicted negatives (TN + FN = 0)", "empty group"]

  /// Two component statistics combined: the worse (difference of largest magnitude, ratio furthest
  /// from 1 in |log|) or, with `mean`, their mean (fairlearn `agg='mean'`). Undefined when either is,
  /// except that a 0/0 ratio (the rate is 0 in every compared group, ``Statistic/zeroRatio``) is
  /// left out and the other rate's ratio stands alone — fairlearn 0.15's number: its
  /// `equalized_odds_ratio` takes `min()` over the Series [TPR ratio, FPR ratio], which skips a NaN in
  /// second place, and `agg='mean'` is a pandas mean, which skips NaN. (With the NaN in first place —
  /// TPR 0 in every group — Python's `min()` returns NaN; CohortLens uses the FPR ratio there too,
  /// and says so in the note.) `names` name the two rates, `fairlearn` the fairlearn function (for
  /// the note), `describe` whether to write notes (point estimates only).
  static func combine(_ a: Statistic, _ b: Statistic, names: (String, String), mean: Bool, fairlearn: String?,
                      describe: Bool) -> Statistic {
    var s = Statistic()
    // The informative reason: a component undefined for another cause before a 0/0 one.
    s.reason = (a.zeroRatio && b.reason != nil ? b.reason : nil) ?? a.reason ?? b.reason
    // The first component unless the second is worse by more than rounding (tieSlack).
    if let da = a.difference, let db = b.difference {
      let firstWorst = abs(da) >= abs(db) - tieSlack(abs(db))
      if mean { s.difference = (da + db) / 2; s.differencePair = firstWorst ? a.differencePair : b.differencePair }
      else if firstWorst { s.difference = da; s.differencePair = a.differencePair }
      else { s.difference = db; s.differencePair = b.differencePair }
    }
    if let ra = a.ratio, let rb = b.ratio {
      let la = ra == 0 ? Double.infinity : abs(log(ra)), lb = rb == 0 ? Double.infinity : abs(log(rb))
      let firstWorst = la >= lb - tieSlack(lb)
      if mean { s.ratio = (ra + rb) / 2; s.ratioPair = firstWorst ? a.ratioPair : b.ratioPair }
      else if firstWorst { s.ratio = ra; s.ratioPair = a.ratioPair }
      else { s.ratio = rb; s.ratioPair = b.ratioPair }
    } else if a.zeroRatio && b.zeroRatio {
      s.zeroRatio = true
      if describe { s.reason = "\(names.0) and \(names.1) are both 0 in every compared group (ratios 0/0 undefined)" }
    } else if let (kept, zero, keptName, zeroName) = a.zeroRatio && b.ratio != nil ? (b, a, names.1, names.0)
                : (b.zeroRatio && a.ratio != nil ? (a, b, names.0, names.1) : nil) {
      s.ratio = kept.ratio
      s.ratioPair = kept.ratioPair
      if describe {
        var note = "\(zero.reason ?? "\(zeroName) ratio 0/0 undefined"); the \(mean ? "mean" : "ratio") is the \(keptName) ratio alone"
        if let fairlearn {
          if mean || zeroName == names.1 {
            note += ", as fairlearn 0.15 \(fairlearn) (it skips the NaN)"
          } else {
            note += " (fairlearn 0.15 \(fairlearn) returns NaN here: Python's min() keeps a NaN in first place)"
          }
        }
        s.note = note
      }
    }
    return s
  }

  /// Criterion statistics for eligible groups' cells ([TN, FP, FN, TP] each), in ``criteria`` order.
  /// Fewer than two groups give no statistic (each is undefined with that reason).
  /// `pairCriteria`: ``pairwise(cells:ref:names:)``'s criteria for these cells and reference, when the caller has
  /// them (the bootstrap computes them for the per-group comparisons anyway); computed here otherwise.
  static func evaluate(
    cells: [[Int]], referencePosition: Int?, names: [String]? = nil, pairCriteria: [[Statistic]]? = nil
  ) -> [Statistic] {
    let g = cells.count
    guard g >= 2, referencePosition.map({ (0..<g).contains($0) }) ?? true else {
      var s = Statistic()
      s.reason = "fewer than two groups to compare"
      return Array(repeating: s, count: criteria.count)
    }
    let values = componentValues(cells)
    let reasons = componentReasons
    var comp: [Statistic] = []
    for m in 0..<6 {
      var s = Statistic()
      if let e = values[m].firstIndex(where: { $0 == nil }) {
        s.reason = "\(componentMetrics[m]) undefined for group \(names.map { MessageText.quoted($0[e]) } ?? "'#\(e)'") (\(reasons[m]))"
        comp.append(s)
        continue
      }
      let v = values[m].map { $0! }
      if let ref = referencePosition {
        var bestD = -1.0, bestL = -1.0
        for e in 0..<g where e != ref {
          // Ties, also those that rounding breaks (|0.7 − 0.5| and |0.3 − 0.5| differ in the last bit), go to the
          // first group in output order: a later group must be worse by more than `tieSlack`.
          let d = v[e] - v[ref]
          if abs(d) > bestD + tieSlack(bestD) { bestD = abs(d); s.difference = d; s.differencePair = (e, ref) }
          if v[ref] > 0 {
            let r = v[e] / v[ref]
            let l = r == 0 ? Double.infinity : abs(log(r))
            if l > bestL + tieSlack(bestL) { bestL = l; s.ratio = r; s.ratioPair = (e, ref) }
          }
        }
        if v[ref] == 0 {
          s.ratio = nil
          s.ratioPair = nil
          if v.allSatisfy({ $0 == 0 }) {
            s.zeroRatio = true
            s.reason = "\(componentMetrics[m]) is 0 in every group (ratio 0/0 undefined)"
          } else {
            s.reason = "\(componentMetrics[m]) of the reference group is 0 (ratio undefined)"
          }
        }
      } else {
        // Ties: the first group (in output order) with the highest value and the first with the
        // lowest; when every group has the same value, the first two groups — always two groups.
        var hi = 0, lo = 0
        for e in 1..<g {
          if v[e] > v[hi] { hi = e }
          if v[e] < v[lo] { lo = e }
        }
        let allEqual = hi == lo
        s.difference = v[hi] - v[lo]
        s.differencePair = allEqual ? (0, 1) : (hi, lo)
        if v[hi] > 0 {
          s.ratio = v[lo] / v[hi]
          s.ratioPair = allEqual ? (0, 1) : (lo, hi)
        } else {
          s.zeroRatio = true
          s.reason = "\(componentMetrics[m]) is 0 in every group (ratio 0/0 undefined)"
        }
      }
      comp.append(s)
    }
    var stats = combined(comp, describe: names != nil)
    if let ref = referencePosition {
      // Against a reference group a criterion is the worst *group comparison*. For the worse-of-two
      // criteria that is the worse of the per-component worst cases, as computed above; for the mean of
      // TPR and FPR it is not (the worst TPR and the worst FPR comparison may be different groups'), so
      // it is the worst of the groups' own means.
      let perGroup = pairCriteria ?? pairwise(cells: cells, ref: ref, names: names).criteria
      stats[2] = worstComparison((0..<g).filter { $0 != ref }.map { perGroup[$0][2] })
    }
    return stats
  }

  /// The worst of the per-group comparison statistics `stats` (every group but the reference, in output
  /// order): the difference of largest magnitude and the ratio furthest from 1 in |log| (the first group on
  /// ties, also ties within ``tieSlack(_:)`` that rounding breaks), each undefined — with the first such group's reason — when it is undefined for any group.
  static func worstComparison(_ stats: [Statistic]) -> Statistic {
    var s = Statistic()
    var bestD = -1.0, bestL = -1.0
    var differenceUndefined = false, ratioUndefined = false
    var differenceNote: String?
    for t in stats {
      if let d = t.difference {
        if !differenceUndefined && abs(d) > bestD + tieSlack(bestD) {
          bestD = abs(d); s.difference = d; s.differencePair = t.differencePair; differenceNote = t.note
        }
      } else if !differenceUndefined {
        differenceUndefined = true
        s.difference = nil
        s.differencePair = nil
        s.reason = s.reason ?? t.reason
      }
      if let r = t.ratio {
        let l = r == 0 ? Double.infinity : abs(log(r))
        if !ratioUndefined && l > bestL + tieSlack(bestL) { bestL = l; s.ratio = r; s.ratioPair = t.ratioPair; s.note = t.note }
      } else if !ratioUndefined {
        ratioUndefined = true
        s.ratio = nil
        s.ratioPair = nil
        s.note = nil
        s.reason = s.reason ?? t.reason
      }
    }
    if ratioUndefined { s.zeroRatio = !stats.isEmpty && stats.allSatisfy(\.zeroRatio) }
    if s.note == nil { s.note = differenceNote }
    return s
  }

  /// The criterion statistics (``criteria`` order) from the six component statistics
  /// (``componentMetrics`` order); `describe` adds the notes (point estimates only).
  static func combined(_ comp: [Statistic], describe: Bool) -> [Statistic] {
    [comp[0],
     combine(comp[1], comp[2], names: ("tpr", "fpr"), mean: false, fairlearn: "equalized_odds_ratio", describe: describe),
     combine(comp[1], comp[2], names: ("tpr", "fpr"), mean: true, fairlearn: "equalized_odds_ratio(agg='mean')", describe: describe),
     comp[1],
     combine(comp[3], comp[4], names: ("ppv", "npv"), mean: false, fairlearn: nil, describe: describe),
     comp[5]]
  }

  /// Permutation p-value of ABROCA: the rows of both groups pooled, group membership permuted
  /// (the smaller group's rows drawn as a uniform subset of the pooled rows with a partial
  /// Fisher–Yates shuffle driven by `RandomState(seed).random_interval`), both ROC curves rebuilt in
  /// one pass over the tie blocks and their exact area recomputed.
  /// `p = (1 + #{ABROCA_perm ≥ ABROCA − 1e-12}) / (1 + P)`; a permutation that leaves a group with
  /// one class counts as ≥ (conservative). O(P · (n_a + n_b)), of which O(P · min(n_a, n_b)) random draws.
  static func permutationPValue(_ a: [(score: Double, positive: Bool)], _ b: [(score: Double, positive: Bool)],
                                observed: Double, permutations: Int, seed: UInt32) -> Double {
    // Merge ascending, then work in descending order.
    let m = a.count + b.count
    var scores = [Double](repeating: 0, count: m)
    var labels = [Bool](repeating: false, count: m)
    var i = 0, j = 0, k = 0
    while i < a.count || j < b.count {
      if j >= b.count || (i < a.count && a[i].score <= b[j].score) { scores[k] = a[i].score; labels[k] = a[i].positive; i += 1 }
      else { scores[k] = b[j].score; labels[k] = b[j].positive; j += 1 }
      k += 1
    }
    // Tie blocks in descending order: [blockStart[t], blockEnd[t]) indexes the ascending arrays.
    var blockLow: [Int] = [], blockHigh: [Int] = []
    var hi = m
    while hi > 0 {
      var lo = hi - 1
      while lo > 0 && scores[lo - 1] == scores[hi - 1] { lo -= 1 }
      blockLow.append(lo)
      blockHigh.append(hi)
      hi = lo
    }
    let totalPos = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
    // Membership of the smaller group is drawn as a uniform k-subset by a partial Fisher–Yates
    // shuffle of a persistent index array (k = min(n_a, n_b) draws of random_interval per permutation).
    let selectA = a.count <= b.count
    let subsetSize = min(a.count, b.count)
    var member = [Bool](repeating: false, count: m)
    var index = Array(0..<m)
    var rng = NumPyRandomState(seed: seed)
    var atLeast = 0
    let capacity = blockLow.count + 1
    var ax = [Double](repeating: 0, count: capacity), ay = ax, bx = ax, by = ax
    let nA = a.count, nB = b.count
    index.withUnsafeMutableBufferPointer { idx in
    member.withUnsafeMutableBufferPointer { mem in
      labels.withUnsafeBufferPointer { lab in
        blockLow.withUnsafeBufferPointer { lows in
          blockHigh.withUnsafeBufferPointer { highs in
            ax.withUnsafeMutableBufferPointer { axp in
              ay.withUnsafeMutableBufferPointer { ayp in
                bx.withUnsafeMutableBufferPointer { bxp in
                  by.withUnsafeMutableBufferPointer { byp in
                    for _ in 0..<permutations {
                      for i in 0..<subsetSize {
                        let j = i + Int(rng.randomInterval(max: UInt64(m - 1 - i)))
                        let t = idx[i]; idx[i] = idx[j]; idx[j] = t
                        mem[idx[i]] = true
                      }
                      defer { for i in 0..<subsetSize { mem[idx[i]] = false } }
                      // One pass over the tie blocks: raw counts now, rates once the totals are known.
                      var na = 1, nb = 1
                      axp[0] = 0; ayp[0] = 0; bxp[0] = 0; byp[0] = 0
                      var tpA = 0, fpA = 0, tpB = 0, fpB = 0
                      for t in 0..<lows.count {
                        var inA = false, inB = false
                        for r in lows[t]..<highs[t] {
                          if mem[r] == selectA { inA = true; if lab[r] { tpA += 1 } else { fpA += 1 } }
                          else { inB = true; if lab[r] { tpB += 1 } else { fpB += 1 } }
                        }
                        if inA { axp[na] = Double(fpA); ayp[na] = Double(tpA); na += 1 }
                        if inB { bxp[nb] = Double(fpB); byp[nb] = Double(tpB); nb += 1 }
                      }
                      let posA = tpA, negA = nA - posA, posB = totalPos - posA, negB = nB - posB
                      guard posA > 0, negA > 0, posB > 0, negB > 0 else { atLeast += 1; continue }
                      // count / total, as ScoreMetrics.roc: the identity permutation reproduces the observed value.
                      let dpa = Double(posA), dna = Double(negA), dpb = Double(posB), dnb = Double(negB)
                      for q in 1..<na { axp[q] /= dna; ayp[q] /= dpa }
                      for q in 1..<nb { bxp[q] /= dnb; byp[q] /= dpb }
                      let value = ScoreMetrics.abroca(ax: UnsafeBufferPointer(axp), ay: UnsafeBufferPointer(ayp), na: na,
                                                      bx: UnsafeBufferPointer(bxp), by: UnsafeBufferPointer(byp), nb: nb)
                      if value >= observed - 1e-12 { atLeast += 1 }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    }
    return Double(1 + atLeast) / Double(1 + permutations)
  }
}

/// Result slots written from `concurrentPerform` workers (each index once), read after.
final class ABROCASlots: @unchecked Sendable {
  private var items: [ABROCAEntry?]
  private let lock = Lock()
  init(count: Int) { items = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ value: ABROCAEntry) { lock.withLock { items[index] = value } }
  var values: [ABROCAEntry] { lock.withLock { items.map { $0! } } }
}

extension FairnessTolerance {
  var isRatio: Bool { if case .ratio = self { return true } else { return false } }

  /// Relative slack of the band limits: a statistic exactly on a limit is inside, although floating point
  /// may compute it a few ulps off (0.8 − 0.7 = 0.10000000000000009, 0.7 / 0.8 = 0.8749999999999999).
  public static let limitSlack = 1e-12

  /// PASS / FAIL / INCONCLUSIVE of an interval against the band. The limits are inclusive and met within
  /// ``limitSlack`` (relative to the larger of 1 and the limit's magnitude), so that a statistic that equals a
  /// limit in exact arithmetic is judged on it whatever its rounding.
  public func verdict(_ interval: ClosedInterval) -> FairnessVerdict {
    let lo: Double, hi: Double
    switch self {
    case .ratio(let tau): lo = min(tau, 1 / tau); hi = max(tau, 1 / tau)
    case .difference(let e): lo = -e; hi = e
    }
    let low = lo - Self.limitSlack * max(1, abs(lo)), high = hi + Self.limitSlack * max(1, abs(hi))
    if interval.lower >= low && interval.upper <= high { return .pass }
    if interval.upper < low || interval.lower > high { return .fail }
    return .inconclusive
  }

  /// The band as text, e.g. `ratio in [0.8, 1.25]`.
  public var bandDescription: String {
    switch self {
    case .ratio(let tau):
      return "ratio in [\(NumberFormatting.roundTrip(min(tau, 1 / tau))), \(NumberFormatting.roundTrip(max(tau, 1 / tau)))]"
    case .difference(let e): return "|difference| ≤ \(NumberFormatting.roundTrip(e))"
    }
  }
}
