/// A point of a receiver operating characteristic curve.
public struct ROCPoint: Sendable, Equatable {
  /// Score threshold: rows with score ≥ threshold (in the positive orientation) are predicted positive;
  /// `+∞` for the first point (0, 0), where no row is (scikit-learn's `inf`). ``ScoreMetrics/roc(sortedAscending:)``
  /// works on oriented scores; ``GroupResult/roc`` gives thresholds in the score column's own units:
  /// with `lowerIsPositive`, rows with score ≤ threshold are predicted positive and the first point's
  /// threshold is `−∞`.
  public var threshold: Double
  /// False-positive rate FP / negatives.
  public var fpr: Double
  /// True-positive rate TP / positives.
  public var tpr: Double
  public init(threshold: Double, fpr: Double, tpr: Double) {
    self.threshold = threshold
    self.fpr = fpr
    self.tpr = tpr
  }
}

/// One bin of a reliability (calibration) table.
public struct ReliabilityBin: Sendable, Equatable {
  /// Bin index 0 ..< bins; bin b covers (b/B, (b+1)/B] (the first bin includes 0), as scikit-learn's
  /// `calibration_curve(strategy='uniform')` bins: a probability on an edge falls in the bin below it.
  public var bin: Int
  public var lower: Double
  public var upper: Double
  /// Rows in the bin.
  public var n: Int
  /// Mean predicted probability in the bin (`nil` when empty).
  public var meanScore: Double?
  /// Observed positive rate in the bin (`nil` when empty).
  public var observedRate: Double?
}

/// Score-based metrics of one group: ROC, AUC (Mann–Whitney), Brier score, ECE, reliability.
///
/// Scores are oriented so that larger means "more likely positive" (the caller negates for
/// `--lower-is-positive`). Probabilities for Brier/ECE are `score` (or `1 − score` when lower is
/// positive) and must lie in [0, 1].
public enum ScoreMetrics {
  /// AUC by the Mann–Whitney U statistic with ties counting ½:
  /// `U = Σ_{i∈P} Σ_{j∈N} [s_i > s_j] + ½[s_i = s_j]`, `AUC = U / (|P|·|N|)`; equals
  /// `sklearn.metrics.roc_auc_score`. `sorted` holds (score, label) ascending by score.
  /// Returns `(U, |P|·|N|)`. O(n).
  public static func mannWhitney(sortedAscending sorted: [(score: Double, positive: Bool)]) -> (u: Double, pairs: Double) {
    var negativesBelow = 0.0
    var u = 0.0
    var i = 0
    var nPos = 0.0, nNeg = 0.0
    while i < sorted.count {
      var j = i
      var p = 0.0, q = 0.0
      let s = sorted[i].score
      while j < sorted.count && sorted[j].score == s {
        if sorted[j].positive { p += 1 } else { q += 1 }
        j += 1
      }
      u += p * negativesBelow + 0.5 * p * q
      negativesBelow += q
      nPos += p
      nNeg += q
      i = j
    }
    return (u, nPos * nNeg)
  }

  /// ROC points (one per distinct score, descending thresholds, from (0, 0) to (1, 1)), as
  /// `sklearn.metrics.roc_curve(drop_intermediate=False)`. `nil` when a class is absent. O(n).
  public static func roc(sortedAscending sorted: [(score: Double, positive: Bool)]) -> [ROCPoint]? {
    var nPos = 0, nNeg = 0
    for x in sorted { if x.positive { nPos += 1 } else { nNeg += 1 } }
    guard nPos > 0, nNeg > 0 else { return nil }
    var points = [ROCPoint(threshold: .infinity, fpr: 0, tpr: 0)]
    var tp = 0, fp = 0
    var i = sorted.count - 1
    while i >= 0 {
      let s = sorted[i].score
      while i >= 0 && sorted[i].score == s {
        if sorted[i].positive { tp += 1 } else { fp += 1 }
        i -= 1
      }
      points.append(ROCPoint(threshold: s, fpr: Double(fp) / Double(nNeg), tpr: Double(tp) / Double(nPos)))
    }
    return points
  }

  /// The false-positive rates at which a thinned curve still gives the exact TPR: 0, 0.1, …, 1 (where the
  /// audit report's ROC tables read the curve).
  public static let exactFPRs: [Double] = (0...10).map { Double($0) / 10 }

  /// `limit` (≥ 2) points of `points`, evenly spaced by index, first and last kept (for plots), plus, for
  /// each FPR t of ``exactFPRs``, the points that give the curve's TPR at t — the last point with FPR < t, the
  /// last with FPR = t (the highest TPR there) and the first with FPR > t — so that reading the thinned curve
  /// at t (the highest TPR among points at exactly t, otherwise linear interpolation between its neighbours)
  /// gives the full curve's value: at most `limit` + 3·11 points, in the curve's order. O(points).
  public static func thin(_ points: [ROCPoint], limit: Int) -> [ROCPoint] {
    guard points.count > limit, limit >= 2 else { return points }
    var keep = [Bool](repeating: false, count: points.count)
    for k in 0..<limit {
      keep[Int((Double(k) * Double(points.count - 1) / Double(limit - 1)).rounded())] = true
    }
    // FPR is non-decreasing along the curve: one pass finds the neighbours of every t.
    var i = 0
    for t in exactFPRs {
      while i < points.count && points[i].fpr < t { i += 1 }
      if i > 0 { keep[i - 1] = true }  // last point with FPR < t
      var j = i
      while j < points.count && points[j].fpr == t { j += 1 }
      if j > i { keep[j - 1] = true }  // last point at exactly t
      if j < points.count { keep[j] = true }  // first point with FPR > t
    }
    return points.indices.filter { keep[$0] }.map { points[$0] }
  }

  /// ABROCA (Gardner, Brooks & Baker, LAK 2019): `∫₀¹ |ROC_a(t) − ROC_b(t)| dt`, t = FPR, computed
  /// exactly: both curves are piecewise linear through their ROC points (a vertical step at equal
  /// FPR has zero width), the difference is linear between consecutive breakpoints of the union,
  /// and a segment whose difference changes sign is split at its root (area of two triangles
  /// `(d₀² + d₁²) / (2(|d₀| + |d₁|))·w`). O(|a| + |b|).
  public static func abroca(_ a: [ROCPoint], _ b: [ROCPoint]) -> Double {
    let ax = a.map(\.fpr), ay = a.map(\.tpr), bx = b.map(\.fpr), by = b.map(\.tpr)
    return ax.withUnsafeBufferPointer { axp in ay.withUnsafeBufferPointer { ayp in
      bx.withUnsafeBufferPointer { bxp in by.withUnsafeBufferPointer { byp in
        abroca(ax: axp, ay: ayp, na: a.count, bx: bxp, by: byp, nb: b.count)
      } } } }
  }

  /// ``abroca(_:_:)`` on coordinate arrays: curve a is `(ax[i], ay[i])`, `i < na`, FPR
  /// non-decreasing (equal FPR = a vertical step), likewise b. No allocation. O(na + nb).
  static func abroca(ax: UnsafeBufferPointer<Double>, ay: UnsafeBufferPointer<Double>, na: Int,
                     bx: UnsafeBufferPointer<Double>, by: UnsafeBufferPointer<Double>, nb: Int) -> Double {
    // Cursor over a curve: at breakpoint x, left = first y at x, right = last y at x.
    var i = 0, j = 0
    var area = 0.0
    var prevX = 0.0, prevD = 0.0
    var first = true
    // Last breakpoint (right value) passed on each curve, for interpolation.
    var aLastX = ax[0], aLastY = ay[0], bLastX = bx[0], bLastY = by[0]
    while i < na || j < nb {
      let x = min(i < na ? ax[i] : .infinity, j < nb ? bx[j] : .infinity)
      var la: Double, ra: Double, lb: Double, rb: Double
      if i < na && ax[i] == x {
        la = ay[i]
        while i + 1 < na && ax[i + 1] == x { i += 1 }
        ra = ay[i]
        aLastX = x; aLastY = ra
        i += 1
      } else if i < na && i > 0 {
        let t = (x - aLastX) / (ax[i] - aLastX)
        la = aLastY + t * (ay[i] - aLastY); ra = la
      } else {
        la = aLastY; ra = la
      }
      if j < nb && bx[j] == x {
        lb = by[j]
        while j + 1 < nb && bx[j + 1] == x { j += 1 }
        rb = by[j]
        bLastX = x; bLastY = rb
        j += 1
      } else if j < nb && j > 0 {
        let t = (x - bLastX) / (bx[j] - bLastX)
        lb = bLastY + t * (by[j] - bLastY); rb = lb
      } else {
        lb = bLastY; rb = lb
      }
      if !first {
        let w = x - prevX
        let d0 = prevD, d1 = la - lb
        if (d0 >= 0 && d1 >= 0) || (d0 <= 0 && d1 <= 0) {
          area += (abs(d0) + abs(d1)) / 2 * w
        } else {
          area += (d0 * d0 + d1 * d1) / (2 * (abs(d0) + abs(d1))) * w
        }
      }
      first = false
      prevX = x
      prevD = ra - rb
    }
    return area
  }

  /// The calibration bin of a probability `p` in [0, 1] among `bins` equal-width bins, as scikit-learn's
  /// `calibration_curve(strategy='uniform')` finds it (`np.searchsorted(np.linspace(0, 1, bins + 1)[1:-1], p)`):
  /// the number of inner edges `k·(1/bins)` (NumPy's `linspace` values, e.g. 0.30000000000000004) below `p`.
  /// A probability on an edge thus falls in the bin below it (0.5 in (0.4, 0.5]); 0 is in the first bin. O(1).
  public static func calibrationBin(_ p: Double, bins: Int) -> Int {
    let step = 1 / Double(bins)
    var b = min(bins - 1, max(0, Int(p * Double(bins))))
    while b > 0 && p <= Double(b) * step { b -= 1 }
    while b < bins - 1 && Double(b + 1) * step < p { b += 1 }
    return b
  }

  /// Reliability table with `bins` equal-width bins on [0, 1] (``calibrationBin(_:bins:)``) and the expected calibration error
  /// `ECE = Σ_b (n_b / n)·|mean probability_b − observed rate_b|`; Brier score
  /// `Σ (p_i − y_i)² / n`. `probabilities` must lie in [0, 1]. O(n).
  public static func calibration(_ probabilities: [Double], _ positive: [Bool], bins: Int)
    -> (table: [ReliabilityBin], ece: Double, brier: Double, brierSum: Double)
  {
    var count = [Int](repeating: 0, count: bins)
    var sumP = [Double](repeating: 0, count: bins)
    var sumY = [Int](repeating: 0, count: bins)
    var brier = 0.0
    for (p, y) in zip(probabilities, positive) {
      let b = calibrationBin(p, bins: bins)
      count[b] += 1
      sumP[b] += p
      if y { sumY[b] += 1 }
      let e = p - (y ? 1 : 0)
      brier += e * e
    }
    let n = Double(probabilities.count)
    var ece = 0.0
    var table: [ReliabilityBin] = []
    for b in 0..<bins {
      let lower = Double(b) / Double(bins), upper = Double(b + 1) / Double(bins)
      if count[b] == 0 {
        table.append(ReliabilityBin(bin: b, lower: lower, upper: upper, n: 0, meanScore: nil, observedRate: nil))
        continue
      }
      let m = sumP[b] / Double(count[b]), o = Double(sumY[b]) / Double(count[b])
      ece += Double(count[b]) / n * abs(m - o)
      table.append(ReliabilityBin(bin: b, lower: lower, upper: upper, n: count[b], meanScore: m, observedRate: o))
    }
    return (table, ece, brier / n, brier)
  }
}
