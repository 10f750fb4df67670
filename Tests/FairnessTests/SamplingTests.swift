import CohortLensCore
import Testing
@testable import Fairness

@Test func wilsonIntervalKnownValue() {
  // Reference: statsmodels 0.14 proportion_confint(8, 10, method='wilson')
  // = (0.49016247153664183, 0.9433178485456247).
  let z = FairnessStatistics.normalQuantile(0.975)
  #expect(abs(z - 1.959963984540054) < 1e-14)
  let w = FairnessStatistics.wilson(8, 10, z: z)!
  #expect(abs(w.lower - 0.49016247153664183) < 1e-12)
  #expect(abs(w.upper - 0.9433178485456247) < 1e-12)
  #expect(FairnessStatistics.wilson(0, 0, z: z) == nil)
  // 0 of 5 and 5 of 5 stay inside [0, 1].
  #expect(FairnessStatistics.wilson(0, 5, z: z)!.lower == 0)
  #expect(FairnessStatistics.wilson(5, 5, z: z)!.upper == 1)
}

@Test func normalQuantileSymmetricAndTails() {
  #expect(abs(FairnessStatistics.normalQuantile(0.5)) < 1e-15)
  #expect(abs(FairnessStatistics.normalQuantile(0.995) - 2.5758293035489004) < 1e-13)
  #expect(abs(FairnessStatistics.normalQuantile(0.001) + 3.090232306167813) < 1e-12)
}

@Test func holmAdjustment() {
  // statsmodels multipletests([0.01, 0.04, 0.03], method='holm') → [0.03, 0.06, 0.06].
  let adjusted = FairnessStatistics.holm([0.01, 0.04, 0.03])
  #expect(zip(adjusted, [0.03, 0.06, 0.06]).allSatisfy { abs($0 - $1) < 1e-15 })
}

@Test func quantileLikeNumPyLinear() {
  // np.quantile([1, 2, 4, 8], [0.025, 0.5, 0.975]) = [1.075, 3.0, 7.7].
  let s = [1.0, 2, 4, 8]
  #expect(abs(FairnessStatistics.quantile(sorted: s, 0.025)! - 1.075) < 1e-15)
  #expect(FairnessStatistics.quantile(sorted: s, 0.5)! == 3)
  #expect(abs(FairnessStatistics.quantile(sorted: s, 0.975)! - 7.7) < 1e-14)
  #expect(FairnessStatistics.quantile(sorted: [], 0.5) == nil)
}

@Test func abrocaExactAreaWithCrossing() {
  // a: (0,0)-(1,1) diagonal; b: (0,0)-(0.5,1)-(1,1). Area = ∫|b − a| = 0.25.
  let a = [ROCPoint(threshold: .infinity, fpr: 0, tpr: 0), ROCPoint(threshold: 0, fpr: 1, tpr: 1)]
  let b = [ROCPoint(threshold: .infinity, fpr: 0, tpr: 0), ROCPoint(threshold: 1, fpr: 0.5, tpr: 1),
           ROCPoint(threshold: 0, fpr: 1, tpr: 1)]
  #expect(abs(ScoreMetrics.abroca(a, b) - 0.25) < 1e-15)
  #expect(ScoreMetrics.abroca(a, a) == 0)
  // Crossing curves: c = (0,0)-(0,0.5)-(1,1) (vertical step) vs d = (0,0)-(0.5,0.5)-(0.5,1)-(1,1).
  // Differences: on [0, .5] c = .5 + x/2, d = x → |.5 − x/2|; on [.5, 1] c = .5 + x/2, d = 1 → |x/2 − .5|.
  // ∫₀^.5 (.5 − x/2) dx = .25 − .0625 = .1875; ∫_.5^1 (.5 − x/2) dx = .25 − .1875 = .0625. Total .25.
  let c = [ROCPoint(threshold: .infinity, fpr: 0, tpr: 0), ROCPoint(threshold: 2, fpr: 0, tpr: 0.5),
           ROCPoint(threshold: 0, fpr: 1, tpr: 1)]
  let d = [ROCPoint(threshold: .infinity, fpr: 0, tpr: 0), ROCPoint(threshold: 2, fpr: 0.5, tpr: 0.5),
           ROCPoint(threshold: 1, fpr: 0.5, tpr: 1), ROCPoint(threshold: 0, fpr: 1, tpr: 1)]
  #expect(abs(ScoreMetrics.abroca(c, d) - 0.25) < 1e-15)
  // A sign change inside a segment: e = diagonal, f = (0,0)-(0.5,0.25)... crossing at x where they meet.
  let e = [ROCPoint(threshold: .infinity, fpr: 0, tpr: 0), ROCPoint(threshold: 0, fpr: 1, tpr: 1)]
  let f = [ROCPoint(threshold: .infinity, fpr: 0, tpr: 0.5), ROCPoint(threshold: 0, fpr: 1, tpr: 0.5),
           ROCPoint(threshold: -1, fpr: 1, tpr: 1)]
  // |0.5 − x| over [0, 1] = 0.25 (two triangles).
  #expect(abs(ScoreMetrics.abroca(e, f) - 0.25) < 1e-15)
}

@Test func mannWhitneyTiesCountHalf() {
  // scores ascending with labels: 0.1 N, 0.4 P, 0.4 N, 0.8 P → U = (1 + 0.5) + 2 = 3.5 of 4 pairs.
  let list: [(score: Double, positive: Bool)] = [(0.1, false), (0.4, true), (0.4, false), (0.8, true)]
  let mw = ScoreMetrics.mannWhitney(sortedAscending: list)
  #expect(mw.u == 3.5 && mw.pairs == 4)
}

/// A long ROC curve thinned for plots still gives the full curve's TPR at FPR 0, 0.1, …, 1 — read as the
/// audit report's ROC tables read it: the highest TPR among points at exactly t, else linear interpolation
/// between the neighbours. Evenly spaced points alone missed it by up to 0.02 on OULAD (IMD band 10-20 at
/// FPR 0: 0.0399 in scikit-learn's roc_curve, 0.0199 from the thinned curve).
@Test func thinnedROCKeepsTheTPRAtFixedFPRs() {
  func read(_ points: [ROCPoint], at t: Double) -> Double? {
    let exact = points.filter { $0.fpr == t }.map(\.tpr)
    if let best = exact.max() { return best }
    for i in 1..<points.count where points[i - 1].fpr < t && t < points[i].fpr {
      let w = (t - points[i - 1].fpr) / (points[i].fpr - points[i - 1].fpr)
      return points[i - 1].tpr + w * (points[i].tpr - points[i - 1].tpr)
    }
    return nil
  }
  // 6,000 scores in 3,000 distinct values (ties), 1,700 positives spread toward the high scores; a steep start
  // (many positives above every negative) puts many points at FPR 0.
  var state: UInt64 = 42
  func next() -> Double {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Double(state >> 11) / Double(1 << 53)
  }
  var list: [(score: Double, positive: Bool)] = []
  for i in 0..<6000 {
    let positive = i % 7 < 2 || i < 300
    let score = (Double(Int((positive ? 0.35 + 0.65 * next() : 0.8 * next()) * 3000)) / 3000)
    list.append((score, positive))
  }
  list.sort { $0.score < $1.score }
  let full = ScoreMetrics.roc(sortedAscending: list)!
  #expect(full.count > 1000)
  let thin = ScoreMetrics.thin(full, limit: 201)
  #expect(thin.count >= 201 && thin.count <= 201 + 33)
  #expect(thin.first == full.first && thin.last == full.last)
  // A subsequence of the curve, in order.
  var j = 0
  for p in thin {
    while j < full.count && full[j] != p { j += 1 }
    #expect(j < full.count)
  }
  for t in ScoreMetrics.exactFPRs {
    #expect(read(thin, at: t) == read(full, at: t), "TPR at FPR \(t)")
  }
  // At most 201 points: nothing is thinned.
  #expect(ScoreMetrics.thin(Array(full.prefix(150)), limit: 201) == Array(full.prefix(150)))
}
