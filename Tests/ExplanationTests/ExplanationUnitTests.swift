import CohortLensCore
import Foundation
import Testing

@testable import Explanation

struct ExplanationUnitTests {
  /// NumPy percentile (linear) reference values: np.percentile([3, 1, 4, 1, 5, 9, 2, 6], q).
  @Test func percentileIsNumPyLinear() {
    let v = [3.0, 1, 4, 1, 5, 9, 2, 6].sorted()
    #expect(numpyPercentile(sorted: v, 25) == 1.75)
    #expect(numpyPercentile(sorted: v, 50) == 3.5)
    #expect(numpyPercentile(sorted: v, 75) == 5.25)
    #expect(numpyPercentile(sorted: v, 10) == 1.0)
    #expect(numpyPercentile(sorted: v, 90) == 6.8999999999999995)
  }

  /// Signed zeros follow NumPy 2.4's `_lerp` (no a == b shortcut): np.percentile([-5, -0., 0., 1e-9, 3],
  /// [25, 50, 75]) = [0., 0., 1e-09] (both zeros positive), np.percentile([-0., -0., -0., 3], [25, 50])
  /// = [-0., -0.] (t ≥ 0.5), and lime 0.2.0.1 labels the first column 'e <= 0.00',
  /// '0.00 < e <= 0.00', 'e > 0.00'.
  @Test func percentileKeepsNumPysSignedZeros() {
    let mixed = [-5.0, -0.0, 0.0, 1e-9, 3].sorted()
    let q = [25.0, 50, 75].map { numpyPercentile(sorted: mixed, $0) }
    #expect(q == [0, 0, 1e-9])
    #expect(q[0].sign == .plus && q[1].sign == .plus)
    #expect(numpyPercentile(lower: -0.0, upper: -0.0, 0.25).sign == .plus)
    #expect(numpyPercentile(lower: -0.0, upper: -0.0, 0.75).sign == .minus)
    let allNegativeZero = [-0.0, -0.0, -0.0, 3]
    #expect(numpyPercentile(sorted: allNegativeZero, 25).sign == .minus)  // index 0.75
    #expect(numpyPercentile(sorted: allNegativeZero, 50).sign == .minus)  // index 1.5
    let bins = FeatureBins(name: "e", column: [-5, -0.0, 0.0, 1e-9, 3], percentiles: [25, 50, 75])
    #expect(bins.labels == ["e <= 0.00", "0.00 < e <= 0.00", "e > 0.00"])
  }

  /// Duplicate cut points collapse (≥ 75% zeros → one cut at 0, two bins) and labels follow lime.
  @Test func quartileBinsCollapseAndLabel() {
    let col = [0.0, 0, 0, 0, 0, 0, 0, 0, 3, 7]
    let b = FeatureBins(name: "clicks", column: col, percentiles: [25, 50, 75])
    #expect(b.cuts == [0.0])  // np.unique(np.percentile(col, [25, 50, 75])) = [0.]
    #expect(b.labels == ["clicks <= 0.00", "clicks > 0.00"])
    #expect(b.values == [0, 1])
    #expect(b.frequencies == [0.8, 0.2])
    #expect(b.bin(of: 0) == 0 && b.bin(of: 0.5) == 1)
    #expect(b.isDegenerate(0) && !b.isDegenerate(1))
    let spread = FeatureBins(name: "x", column: [1, 2, 3, 4, 5, 6, 7, 8], percentiles: [25, 50, 75])
    #expect(spread.cuts == [2.75, 4.5, 6.25])
    #expect(spread.labels == ["x <= 2.75", "2.75 < x <= 4.50", "4.50 < x <= 6.25", "x > 6.25"])
    #expect(formatTwoDecimals(2.675) == "2.67")  // binary value 2.67499999…, as Python
    #expect(formatTwoDecimals(0.125) == "0.12")
  }

  /// SciPy 1.17.1 reference values: special.log_ndtr, ndtri, ndtri_exp, stats.truncnorm.ppf.
  @Test func normalFunctionsMatchSciPy() {
    #expect(abs(NormalDistribution.logCDF(-3) - (-6.60772622151035)) < 1e-14)
    #expect(abs(NormalDistribution.logCDF(-30) - (-454.32124395634327)) < 1e-11)
    #expect(abs(NormalDistribution.logCDF(8) - (-6.220960574271742e-16)) < 1e-28)
    #expect(abs(NormalDistribution.quantile(0.025) - (-1.9599639845400545)) < 1e-14)
    #expect(abs(NormalDistribution.quantileOfLog(-1000) - (-44.61574773196941)) < 1e-10)
    let t = TruncatedNormal(a: -0.5, b: 2, loc: 0, scale: 1)
    #expect(abs(t.exact(0.3) - 0.022940762771432085) < 1e-13)
    let r = TruncatedNormal(a: 0.5, b: 3, loc: 0, scale: 1)
    #expect(abs(r.exact(0.9) - 1.8512240709778356) < 1e-13)
  }

  /// Ridge from the Gram matrix equals the direct weighted least-squares formulas.
  @Test func weightedGramMatchesDirectRidge() {
    var g = SplitMix64(seed: 3)
    let n = 50, p = 3
    let x = (0..<(n * p)).map { _ in Double(g.next() % 2) }
    let w = (0..<n).map { _ in 0.5 + g.nextUniform() }
    let y = (0..<n).map { i in 0.3 * x[i * p] - 0.2 * x[i * p + 2] + 0.1 * g.nextUniform() }
    let gram = WeightedGram(x: x, rows: n, columns: p, weights: w, y: y)
    let beta = gram.coefficients(subset: [0, 2], alpha: 1)
    // Direct: centre by weighted means, solve the 2×2 system.
    let sw = w.reduce(0, +)
    let m0 = (0..<n).map { w[$0] * x[$0 * p] }.reduce(0, +) / sw
    let m2 = (0..<n).map { w[$0] * x[$0 * p + 2] }.reduce(0, +) / sw
    let my = (0..<n).map { w[$0] * y[$0] }.reduce(0, +) / sw
    var a = [0.0, 0, 0, 0], b = [0.0, 0]
    for i in 0..<n {
      let u = x[i * p] - m0, v = x[i * p + 2] - m2, t = y[i] - my
      a[0] += w[i] * u * u; a[1] += w[i] * u * v; a[3] += w[i] * v * v
      b[0] += w[i] * u * t; b[1] += w[i] * v * t
    }
    a[2] = a[1]
    a[0] += 1; a[3] += 1
    let det = a[0] * a[3] - a[1] * a[2]
    let d0 = (a[3] * b[0] - a[1] * b[1]) / det, d1 = (a[0] * b[1] - a[2] * b[0]) / det
    #expect(abs(beta[0] - d0) < 1e-12 && abs(beta[1] - d1) < 1e-12)
    #expect(abs(gram.intercept(subset: [0, 2], coefficients: beta) - (my - m0 * d0 - m2 * d1)) < 1e-12)
  }

  /// The normal equations come from the centred design, as scikit-learn's `_preprocess_data` forms them:
  /// a column of ones (the student's bin in every sample) gets exactly 0, and adding 1e9 to every
  /// answer (a linear model's offset) changes only the intercept. Forming XᵀWX − Σw·x̄x̄ᵀ and
  /// Xᵀw(y − ȳ) gave the column of ones a weight of the rounding of Σw(y − ȳ), ~1e-7 at 1e9.
  @Test func gramIsCentredSoAColumnOfOnesGetsZeroAndAnOffsetChangesNothing() {
    var g = SplitMix64(seed: 5)
    let n = 400, p = 3, words = BitDesign.words(columns: p)
    var x = [Double](repeating: 1, count: n * p)
    var bits = [UInt64](repeating: 0, count: n * words)
    for i in 0..<n {
      for j in 1..<p where i > 0 { x[i * p + j] = Double(g.next() % 2) }
      for j in 0..<p where x[i * p + j] == 1 { bits[i * words] |= 1 << UInt64(j) }
    }
    let weightOfOnes = (0...p).map { m in exp(-Double(p - m) / (0.5625 * Double(p))).squareRoot() }
    let w = (0..<n).map { i in weightOfOnes[(0..<p).filter { x[i * p + $0] == 1 }.count] }
    let y0 = (0..<n).map { i in 0.3 * x[i * p + 1] - 0.2 * x[i * p + 2] + 0.05 * g.nextUniform() }
    let y9 = y0.map { $0 + 1e9 }
    func packed(_ y: [Double]) -> WeightedGram {
      bits.withUnsafeBufferPointer {
        WeightedGram(design: BitDesign(rows: n, columns: p, words: words, bits: $0.baseAddress!), weights: w,
                     weightOfOnes: weightOfOnes, y: y)
      }
    }
    let cases = [
      ("dense", WeightedGram(x: x, rows: n, columns: p, weights: w, y: y0), WeightedGram(x: x, rows: n, columns: p, weights: w, y: y9)),
      ("packed", packed(y0), packed(y9)),
    ]
    for (name, at0, at9) in cases {
      for alpha in [1.0, 0.01] {
        let b0 = at0.coefficients(subset: [0, 1, 2], alpha: alpha), b9 = at9.coefficients(subset: [0, 1, 2], alpha: alpha)
        #expect(b0[0] == 0 && b9[0] == 0, "\(name) α \(alpha): \(b0[0]), \(b9[0])")
        #expect(abs(b0[1] - 0.3) < 0.02 && abs(b0[2] + 0.2) < 0.02, "\(name): \(b0)")
        for j in 1..<p { #expect(abs(b9[j] - b0[j]) < 1e-8, "\(name) α \(alpha) column \(j): \(b9[j] - b0[j])") }
      }
      // Unpenalised: the column of ones alone explains nothing.
      #expect(at9.rSquaredUnpenalised(subset: [0]) == 0 || abs(at9.rSquaredUnpenalised(subset: [0])) < 1e-12)
      #expect(at9.gram[0] == 0 && at9.cross[0] == 0)
    }
  }

  /// lime's `StandardScaler(with_mean=False)` (no discretizer): scikit-learn's corrected two-pass
  /// variance, and a spread lost in the rounding of the mean counts as constant (scale 1).
  /// Reference values: `StandardScaler(with_mean=False).fit(c.reshape(-1, 1))` in scikit-learn 1.9.1.
  @Test func scalerFollowsScikitLearnsConstantRule() {
    // 200 values 1e12 + (k mod 4)/128: np.std is 0.0087, but the variance is below (n·mean·ε)², so scale_ = 1.
    let near = (0..<200).map { 1e12 + Double($0 % 4) * 0.0078125 }
    #expect(LimeExplainer.standardScalerMoments(near) == (mean: 1000000000000.0117, scale: 1))
    let ordinary = LimeExplainer.standardScalerMoments([1.0, 2.5, 4.0, 10.0])
    #expect(ordinary == (mean: 4.375, scale: 3.416412592179112))
    let offset = LimeExplainer.standardScalerMoments((0..<300).map { 1e8 + Double(($0 * 7919) % 200) * 0.37 })
    #expect(offset == (mean: 100000036.93833333, scale: 21.41574219800788))
    #expect(LimeExplainer.standardScalerMoments([3, 3, 3]) == (mean: 3, scale: 1))
  }

  /// Selection of order statistics equals sorting, with ties (zero-inflated), duplicates among
  /// the ranks, sorted and reversed input.
  @Test func orderStatisticsEqualSorting() {
    var g = SplitMix64(seed: 17)
    for n in [1, 2, 31, 33, 100, 8679] {
      let inputs: [[Double]] = [
        (0..<n).map { _ in g.nextUniform() < 0.6 ? 0 : Double(g.next() % 20) },
        (0..<n).map { _ in g.nextUniform() },
        (0..<n).map { Double($0) },
        (0..<n).map { Double(n - $0) },
        [Double](repeating: 3, count: n),
      ]
      for values in inputs {
        let sorted = values.sorted()
        let ranks = [0, n / 4, n / 4, n / 2, min(n - 1, n / 2 + 1), (3 * n) / 4, n - 1]
        var copy = values
        #expect(orderStatistics(&copy, ranks: ranks) == ranks.map { sorted[$0] })
        for q in [10.0, 25, 50, 75, 90] {
          let (lo, hi, t) = numpyPercentileIndices(count: n, q)
          var c = values
          let os = orderStatistics(&c, ranks: [lo, hi])
          #expect(numpyPercentile(lower: os[0], upper: os[1], t) == numpyPercentile(sorted: sorted, q))
        }
      }
    }
  }

  /// The 64 × 64 bit transpose moves bit c of word r to bit r of word c.
  @Test func bitTransposeIsATranspose() {
    var g = SplitMix64(seed: 5)
    var a = (0..<64).map { _ in g.next() }
    let original = a
    a.withUnsafeMutableBufferPointer { transpose64($0.baseAddress!) }
    for r in 0..<64 {
      for c in 0..<64 { #expect((a[c] >> UInt64(r)) & 1 == (original[r] >> UInt64(c)) & 1) }
    }
  }

  /// The counting Gram of a packed 0/1 design (weights by number of ones) equals `dsyrk` on the
  /// dense design: Gram, means, cross products and Ridge fits to 1e-12 relative.
  @Test(arguments: [(300, 5), (1000, 70), (777, 250)])
  func packedGramMatchesDenseGram(n: Int, p: Int) {
    var g = SplitMix64(seed: UInt64(n * 1000 + p))
    let words = BitDesign.words(columns: p)
    var bits = [UInt64](repeating: 0, count: n * words)
    var x = [Double](repeating: 0, count: n * p)
    for i in 0..<n {
      let density = 0.2 + 0.6 * Double(i % 7) / 6
      for j in 0..<p where i == 0 || g.nextUniform() < density {
        x[i * p + j] = 1
        bits[i * words + (j >> 6)] |= 1 << UInt64(j & 63)
      }
    }
    let kw2 = 0.5625 * Double(p)
    let weightOfOnes = (0...p).map { m in exp(-Double(p - m) / kw2).squareRoot() }
    let w = (0..<n).map { i in weightOfOnes[(0..<p).filter { x[i * p + $0] == 1 }.count] }
    let y = (0..<n).map { i in 0.3 * x[i * p] - 0.2 * x[i * p + p - 1] + 0.1 * g.nextUniform() }
    let dense = WeightedGram(x: x, rows: n, columns: p, weights: w, y: y)
    let packed = bits.withUnsafeBufferPointer {
      WeightedGram(design: BitDesign(rows: n, columns: p, words: words, bits: $0.baseAddress!), weights: w,
                   weightOfOnes: weightOfOnes, y: y)
    }
    let scale = dense.gram.map { abs($0) }.max()!
    var worst = 0.0
    for t in 0..<(p * p) { worst = max(worst, abs(dense.gram[t] - packed.gram[t]) / scale) }
    for j in 0..<p {
      worst = max(worst, abs(dense.xMean[j] - packed.xMean[j]), abs(dense.cross[j] - packed.cross[j]) / scale)
    }
    #expect(worst < 1e-12, "n \(n) p \(p): \(worst)")
    #expect(dense.weightSum == packed.weightSum && dense.yMean == packed.yMean)
    let subset = Array(stride(from: 0, to: p, by: max(1, p / 6)))
    let a = dense.coefficients(subset: subset, alpha: 1), b = packed.coefficients(subset: subset, alpha: 1)
    for (u, v) in zip(a, b) { #expect(abs(u - v) < 1e-12) }
  }

  /// Default mode: every sampled value lies in its sampled bin (design = 1 exactly when that bin is
  /// the student's), row 0 is the student, and the stream depends on the id, not on the order.
  @Test func defaultSamplerStaysInsideTheBins() throws {
    var g = SplitMix64(seed: 11)
    let rows = 200, p = 6
    var training = [Double](repeating: 0, count: rows * p)
    for i in 0..<rows {
      for j in 0..<p { training[i * p + j] = j % 2 == 0 ? Double(g.next() % 4 == 0 ? g.next() % 9 : 0) : g.nextUniform() * 10 }
    }
    var options = LimeOptions()
    options.numFeatures = 3
    options.numSamples = 400
    let ex = try LimeExplainer(training: training, rows: rows, featureNames: (0..<p).map { "f\($0)" }, options: options)
    let row = Array(training[0..<p])
    var s1 = ex.stream(for: "a")
    let nb = ex.neighbourhood(of: row, source: &s1, exact: false)
    #expect(Array(nb.samples[0..<p]) == row)
    let own = ex.studentBins(row)
    var mismatches = 0
    for i in 1..<nb.rows {
      for j in 0..<p {
        let v = nb.samples[i * p + j]
        let inOwn = ex.bins[j].bin(of: v) == own[j]
        if inOwn != (nb.design[i * p + j] == 1) {
          // Only a value clamped onto a cut point may land in the neighbouring bin.
          #expect(ex.bins[j].cuts.contains { abs($0 - v) < 1e-9 }, "row \(i) feature \(j) value \(v)")
          mismatches += 1
        }
      }
    }
    #expect(mismatches < 5)
    var s2 = ex.stream(for: "a")
    #expect(ex.neighbourhood(of: row, source: &s2, exact: false).samples == nb.samples)
    var s3 = ex.stream(for: "b")
    #expect(ex.neighbourhood(of: row, source: &s3, exact: false).samples != nb.samples)
  }

  @Test func linearModelsBinaryMultinomialAndScaler() throws {
    let bin = try LinearModel(json: #"{"type":"logistic","features":["a","b"],"coefficients":[[1,-1]],"intercept":[0.5],"scaler":{"mean":[1,1],"scale":[2,2]}}"#)
    let (v, k) = try bin.predict([3, 1], rowCount: 1, columns: 2)
    #expect(k == 2)
    let pr = 1 / (1 + exp(-(1.0 + 0.5)))
    #expect(abs(v[1] - pr) < 1e-15 && abs(v[0] - (1 - pr)) < 1e-15)
    let multi = try LinearModel(json: #"{"type":"logistic","features":["a"],"coefficients":[[1],[2],[0]],"intercept":[0,0,1]}"#)
    let (m, k3) = try multi.predict([1], rowCount: 1, columns: 1)
    let e = [exp(1.0), exp(2.0), exp(1.0)], s = e.reduce(0, +)
    #expect(k3 == 3)
    for c in 0..<3 { #expect(abs(m[c] - e[c] / s) < 1e-15) }
    let lin = try LinearModel(json: #"{"type":"linear","features":["a","b"],"coefficients":[2,3],"intercept":1}"#)
    #expect(try lin.predict([1, 1], rowCount: 1, columns: 2).values == [6])
    #expect(throws: ModelError.self) { try LinearModel(json: #"{"type":"tree","features":[],"coefficients":[]}"#) }
    #expect(throws: ModelError.self) { try LinearModel(json: "{nope") }
  }

  /// A model file must be usable as written: non-finite coefficients, intercepts or scaler means
  /// (JSON numbers beyond ±1.8e308 read as ±∞) and duplicate feature names are errors naming the
  /// field, not explanations of a meaningless model.
  @Test func linearModelsRejectNonFiniteParametersAndDuplicateFeatures() throws {
    func message(_ json: String) -> String? {
      do { _ = try LinearModel(json: json); return nil } catch let e as ModelError { return e.message } catch { return "\(error)" }
    }
    #expect(message(#"{"type":"logistic","features":["a","b"],"coefficients":[[1e400,2]]}"#)
      == "coefficient of 'a' is inf, not a finite number")
    #expect(message(#"{"type":"logistic","features":["a","b"],"coefficients":[[1,2],[3,-1e999]],"intercept":[0,0]}"#)
      == "coefficient of 'b' in row 2 is -inf, not a finite number")
    #expect(message(#"{"type":"linear","features":["a"],"coefficients":[1],"intercept":1e309}"#)
      == "intercept is inf, not a finite number")
    #expect(message(#"{"type":"logistic","features":["a","b"],"coefficients":[[1,2]],"scaler":{"mean":[1e999,0],"scale":[1,1]}}"#)
      == "scaler.mean of 'a' is inf, not a finite number")
    #expect(message(#"{"type":"logistic","features":["a","b","a"],"coefficients":[[1,2,3]]}"#)
      == "feature 'a' is listed twice in 'features' (positions 1 and 3)")
    #expect(message(#"{"type":"logistic","features":[],"coefficients":[[]]}"#) == "'features' is empty")
    #expect(message(#"{"type":"logistic","features":["a","b"],"coefficients":[[1e300,-2]],"intercept":[-1e300]}"#) == nil)
  }

  /// A model whose answer does not change over the neighbourhood leaves nothing to explain: the
  /// surrogate's R² is 0/0 and is reported as undefined with its reason (scikit-learn's r2_score
  /// returns 1.0 or 0.0 there, depending on rounding residues). A varying model keeps its score.
  @Test func constantModelAnswersLeaveTheScoreUndefined() throws {
    var g = SplitMix64(seed: 5)
    let rows = 60, p = 3
    let training = (0..<(rows * p)).map { _ in g.nextUniform() * 10 }
    var options = LimeOptions()
    options.numSamples = 300
    options.numFeatures = 3
    let ex = try LimeExplainer(training: training, rows: rows, featureNames: ["a", "b", "c"], options: options)
    let row = Array(training[0..<p])
    let flat = try LinearModel(json: #"{"type":"logistic","features":["a","b","c"],"coefficients":[[0,0,0]],"intercept":[0.4]}"#)
    let e = try ex.explain(row: row, id: "s", model: flat)
    #expect(e.score == nil)
    let reason = try #require(e.scoreUndefinedReason)
    #expect(reason.hasPrefix("the model answered the same value (0.598687660112452) for every sample of the neighbourhood"))
    #expect(abs(e.probability - 1 / (1 + exp(-0.4))) < 1e-15)
    let sloped = try LinearModel(json: #"{"type":"logistic","features":["a","b","c"],"coefficients":[[0.8,0,-0.3]],"intercept":[0]}"#)
    let f = try ex.explain(row: row, id: "s", model: sloped)
    let score = try #require(f.score)
    #expect(f.scoreUndefinedReason == nil)
    #expect(score > 0 && score < 1, "R² \(score)")
  }

  @Test func stabilityIndices() {
    func exp(_ ids: [Int], _ weights: [Double]) -> Explanation {
      Explanation(student: "s", label: 1, probability: 0.5, probabilities: [0.5, 0.5], intercept: 0, localPrediction: 0,
                  score: 0, scoreUndefinedReason: nil, effectiveSampleSize: 1, kernelWidth: 1,
                  features: zip(ids, weights).enumerated().map { r, f in
                    ExplainedFeature(rank: r + 1, index: f.0, name: "f\(f.0)", condition: "", value: 0, weight: f.1)
                  }, zeroFedValues: 0, standardErrors: ids.map { _ in 0.01 })
    }
    let runs = [exp([1, 2], [0.5, 0.1]), exp([1, 3], [0.5, -0.2]), exp([1, 2], [0.2, -0.1])]
    let s = StabilityReport(student: "s", runs: runs, numFeatures: 2)
    // pairs: (0,1) share {1}, (0,2) share {1,2}, (1,2) share {1} → 4 / (3·2) · 100.
    #expect(abs(s.vsi! - 400.0 / 6) < 1e-12)
    // f1: CIs [0.48,0.52]×2 overlap, vs [0.18,0.22] not → 1/3; f2: 0.1 vs −0.1 → 0/1. Mean 16.67.
    #expect(abs(s.csi! - (100.0 / 3 + 0) / 2) < 1e-9)
    let f2 = s.features.first { $0.index == 2 }!
    #expect(f2.selected == 2 && f2.signAgreement == 0.5)
    #expect(StabilityReport(student: "s", runs: [runs[0]], numFeatures: 2).vsi == nil)
  }

  @Test func weekGroupingSplitsNames() throws {
    let g = try WeekGrouping(pattern: "_InWeek(\\d+)$")
    #expect(g.split("TotalClicks_InWeek3")! == ("TotalClicks", 3))
    #expect(g.split("gender") == nil)
    #expect(throws: ExplanationError.self) { try WeekGrouping(pattern: "(") }
  }
}
