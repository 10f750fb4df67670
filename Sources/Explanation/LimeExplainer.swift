import CohortLensCore
import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How lime picks the features of the surrogate (`feature_selection`).
public enum FeatureSelection: String, Sendable, CaseIterable {
  /// `forward` when `numFeatures` ≤ 6, else `highest-weights` (lime's default).
  case auto
  /// Greedy forward selection maximising the weighted R² of an unpenalised Ridge (α = 0).
  case forward
  /// The `numFeatures` largest |coef·x₀| of a Ridge (α = 0.01) on all features.
  case highestWeights = "highest-weights"
  /// All features.
  case none
}

/// Where the random numbers of an explanation come from.
public enum RandomMode: String, Sendable, CaseIterable {
  /// One independent stream per student, SplitMix64 seeded by a hash of (seed, student id): an
  /// explanation never depends on which students were explained before, so cohorts run in
  /// parallel with identical results. Truncated normals by fast inverse CDF (≈1e-9).
  case perStudent = "per-student"
  /// NumPy `RandomState(seed)` (MT19937) consumed in lime 0.2.0.1's call order, one stream shared
  /// by the students in the order given (as one `LimeTabularExplainer` explaining them in a loop),
  /// truncated normals by SciPy's log-space inverse CDF. Same seed ⇒ lime's exact samples.
  case limeCompat = "lime-compat"
}

/// Options of `LimeExplainer` (lime 0.2.0.1 defaults).
public struct LimeOptions: Sendable, Equatable {
  /// Features in the explanation (`num_features`, default 10).
  public var numFeatures: Int = 10
  /// Neighbourhood size including the student (`num_samples`, default 5000).
  public var numSamples: Int = 5000
  public var discretizer: DiscretizerKind = .quartile
  /// Kernel width; `nil` = 0.75·√(number of features).
  public var kernelWidth: Double?
  public var featureSelection: FeatureSelection = .auto
  public var seed: UInt32 = 0
  public var randomMode: RandomMode = .perStudent
  public init() {}
}

/// One feature of an explanation.
public struct ExplainedFeature: Sendable, Equatable {
  /// 1 = largest |weight|.
  public var rank: Int
  /// Column index in the explainer's feature list.
  public var index: Int
  public var name: String
  /// The student's bin as lime labels it (`x <= q1`, `q1 < x <= q2`, `x > q3`), or the name when
  /// not discretized.
  public var condition: String
  /// The student's value of the feature.
  public var value: Double
  /// Surrogate coefficient: the change of the class probability when the feature is in the
  /// student's bin (discretized) or per standard deviation (not discretized).
  public var weight: Double
}

/// A LIME explanation of one student for one class.
public struct Explanation: Sendable, Equatable {
  public var student: String
  /// Index of the explained model output (class).
  public var label: Int
  /// The model's probability of `label` at the student (`predict_proba` of row 0).
  public var probability: Double
  /// All model outputs at the student.
  public var probabilities: [Double]
  public var intercept: Double
  /// Surrogate prediction at the student (`local_pred`).
  public var localPrediction: Double
  /// Weighted R² of the surrogate on the neighbourhood (`score`, scikit-learn's `Ridge.score`);
  /// `nil` when the model's answers are the same for every sample of the neighbourhood, or for
  /// every sample with a non-zero kernel weight (see ``scoreUndefinedReason``).
  public var score: Double?
  /// Why ``score`` is undefined: the answers vary by no more than rounding (spread ≤ 16 ulp of
  /// their magnitude), so R² = 1 − RSS/TSS divides two rounding residues. scikit-learn's
  /// `r2_score` then prints 1.0 or 0.0 depending on whether those residues are exactly zero (lime
  /// shows that number); CohortLens reports it as undefined instead. The same when only samples
  /// answering as the student carry kernel weight (the weighted total sum of squares is 0).
  public var scoreUndefinedReason: String?
  /// (Σw)²/Σw² of the kernel weights: how many samples effectively count.
  public var effectiveSampleSize: Double
  public var kernelWidth: Double
  /// Ranked by |weight| (descending; ties keep selection order).
  public var features: [ExplainedFeature]
  /// Samples in which lime's degenerate-bin quirk fed 0 instead of the tied value (compat mode).
  public var zeroFedValues: Int
  /// Standard error of each ranked weight (same order as `features`), as lime-stability computes
  /// it: σ² = Σw·r²/(N − K) from the weighted least-squares fit with intercept on the selected
  /// columns, A = (XᵀWX + I)⁻¹ on the uncentred columns, Var β = σ²·A·XᵀWX·Aᵀ.
  public var standardErrors: [Double]
}

/// A sampled neighbourhood of one student.
public struct Neighbourhood: Sendable {
  public let rows: Int
  public let columns: Int
  /// What the surrogate is fitted on, row-major rows × columns: 1 where the sample's bin equals the
  /// student's (discretized) or the standardised values (not discretized). Row 0 = the student.
  public var design: [Double]
  /// What the model is asked about (row-major; row 0 = the student's values).
  public var samples: [Double]
  /// Euclidean distance of each design row to row 0.
  public var distances: [Double]
  public var zeroFedValues: Int
}

/// A source of uniform doubles in [0, 1) (and standard normals by NumPy's legacy polar method).
public protocol UniformSource {
  mutating func uniform() -> Double
  mutating func gaussian() -> Double
}

extension NumPyRandomState: UniformSource {
  public mutating func uniform() -> Double { randomSample() }
  public mutating func gaussian() -> Double { standardNormal() }
}

/// SplitMix64 as a uniform source (53-bit doubles), with a polar Box–Muller normal.
public struct SplitMixSource: UniformSource, Sendable {
  var generator: SplitMix64
  var cached: Double?
  public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

  /// The per-student stream: FNV-1a over the seed's and the id's bytes, mixed by SplitMix64.
  public init(seed: UInt32, student: String) {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in withUnsafeBytes(of: seed.littleEndian, Array.init) + Array(student.utf8) {
      h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
    }
    var mix = SplitMix64(seed: h)
    self.init(seed: mix.next())
  }

  public mutating func uniform() -> Double { generator.nextUniform() }
  public mutating func gaussian() -> Double {
    if let c = cached {
      cached = nil
      return c
    }
    var x1 = 0.0, x2 = 0.0, r2 = 0.0
    repeat {
      x1 = 2 * uniform() - 1
      x2 = 2 * uniform() - 1
      r2 = x1 * x1 + x2 * x2
    } while r2 >= 1 || r2 == 0
    let f = (-2 * log(r2) / r2).squareRoot()
    cached = f * x1
    return f * x2
  }
}

/// Errors of the explainer that concern its inputs.
public struct ExplanationError: Error, CustomStringConvertible, Sendable, Equatable {
  public var message: String
  public var hint: String?
  /// The feature (index in the explainer's feature list) the problem is about, if one.
  public var feature: Int?
  public init(_ message: String, hint: String? = nil, feature: Int? = nil) {
    self.message = message
    self.hint = hint
    self.feature = feature
  }
  public var description: String { hint.map { "\(message); \($0)" } ?? message }
}

/// LIME for tabular data with the semantics of lime 0.2.0.1's `LimeTabularExplainer`
/// (`discretize_continuous=True` by default) and `explain_instance`:
///
/// 1. Training statistics: per feature quartile (or decile) cut points, bin frequencies and
///    per-bin mean/std/min/max (`FeatureBins`).
/// 2. Neighbourhood: per column, `numSamples` bins drawn from the training bin frequencies
///    (`choice`), then a value inside the bin from a truncated normal (`TruncatedNormal`);
///    row 0 is the student. Design row = 1 where the sampled bin equals the student's.
/// 3. Distance d = √(features whose bin differs); weight √exp(−d²/w²), w = 0.75·√p.
/// 4. Feature selection (forward / highest weights / none), then weighted
///    `Ridge(alpha=1, fit_intercept=True)` on the selected columns; `score` = weighted R²,
///    `local_pred` = prediction at row 0.
///
/// Reference: Ribeiro, Singh & Guestrin, "Why Should I Trust You?" (KDD 2016); lime 0.2.0.1.
/// Complexity per explanation: O(N·p) sampling + O(N·p²) Gram (BLAS) + selection; N = samples.
public struct LimeExplainer: Sendable {
  public let featureNames: [String]
  public let options: LimeOptions
  /// Per-feature bins (discretized modes).
  public let bins: [FeatureBins]
  /// Training mean and scale per feature (`discretizer none`), as ``standardScalerMoments(_:)``.
  public let means: [Double]
  public let scales: [Double]
  public let kernelWidth: Double

  /// Why `w` cannot be a kernel width, or `nil`: it must be finite and positive, and its square must not
  /// underflow to 0 — below ≈2.2e-162 `w²` is 0 and the student's own kernel weight becomes `exp(−0/0)`,
  /// NaN (lime fails there too, with NaN sample weights). A subnormal square is fine.
  public static func kernelWidthProblem(_ w: Double) -> String? {
    guard w > 0 && w.isFinite else { return "--kernel-width must be a positive number, got \(w)" }
    guard w * w > 0 else {
      return "--kernel-width \(w) is too small: its square underflows to 0, so the kernel weights would be 0/0"
    }
    return nil
  }
  /// Truncated normals per feature and bin (nil for degenerate or absent bins).
  let samplers: [[TruncatedNormal?]]
  /// Features with one value in every training row. lime accepts them, and so does the explainer:
  /// discretized, every sample keeps the student's bin, so the surrogate's weight is exactly 0;
  /// without a discretizer their scale is 1 (scikit-learn's rule for constant columns), so
  /// samples vary them by N(0, 1) around that value.
  public let constantFeatures: [String]

  /// Mean and scale of one training column as lime's `StandardScaler(with_mean=False).fit` gives
  /// them (scikit-learn 1.9 `_incremental_mean_and_var` on a first fit, NumPy's pairwise sums as on
  /// a column-contiguous array): `mean = Σx/n`, `t = x − mean`,
  /// `var = (Σt² − (Σt)²/n)/n`; the scale is 1 when `var ≤ n·ε·var + (n·mean·ε)²`
  /// (`_is_constant_feature`: a spread lost in the rounding of the mean, e.g. 1e12 + k/128),
  /// else `√var`.
  static func standardScalerMoments(_ col: [Double]) -> (mean: Double, scale: Double) {
    let n = Double(col.count)
    let mu = pairwiseSum(col) / n
    let t = col.map { $0 - mu }
    let correction = pairwiseSum(t)
    let v = (pairwiseSum(t.map { $0 * $0 }) - correction * correction / n) / n
    let eps = Double.ulpOfOne
    let bound = n * eps * v + (n * mu * eps) * (n * mu * eps)
    return (mu, v <= bound ? 1 : v.squareRoot())
  }

  /// - Parameters:
  ///   - training: row-major rows × featureNames.count values (finite).
  /// - Throws: `ExplanationError` for fewer than 2 rows, `numFeatures` out of range, or a column
  ///   whose mean or deviation overflows.
  /// - Complexity: O(rows·p·log rows).
  public init(training: [Double], rows: Int, featureNames: [String], options: LimeOptions = LimeOptions()) throws {
    let p = featureNames.count
    guard rows >= 2 else {
      throw ExplanationError("the training table has \(rows) row\(rows == 1 ? "" : "s"); LIME needs at least 2",
                             hint: "use the whole cohort as --features")
    }
    guard p >= 1 else { throw ExplanationError("no feature columns", hint: "name them with --columns") }
    guard training.count == rows * p else { throw ExplanationError("training matrix has the wrong size") }
    guard options.numFeatures >= 1 && options.numFeatures <= p else {
      throw ExplanationError("--num-features \(options.numFeatures) is not in 1...\(p) (the number of features)",
                             hint: "choose at most \(p)")
    }
    guard options.numSamples >= 2 else {
      throw ExplanationError("--num-samples must be at least 2", hint: "lime's default is 5000")
    }
    if let w = options.kernelWidth, let problem = Self.kernelWidthProblem(w) {
      throw ExplanationError(problem, hint: "use a width of at least 2.3e-162 (default 0.75·√(number of features))")
    }
    self.featureNames = featureNames
    self.options = options
    kernelWidth = options.kernelWidth ?? (Double(p).squareRoot() * 0.75)
    var bins: [FeatureBins] = []
    var means: [Double] = [], scales: [Double] = []
    var samplers: [[TruncatedNormal?]] = []
    var constant: [String] = []
    // Column-major copy first: rows read in order, p sequential write streams (a strided gather per
    // column would miss the cache on every row).
    let columnMajor = [Double](unsafeUninitializedCapacity: rows * p) { out, count in
      training.withUnsafeBufferPointer { t in
        for i in 0..<rows {
          for j in 0..<p { out[j * rows + i] = t[i * p + j] }
        }
      }
      count = rows * p
    }
    for j in 0..<p {
      let col = Array(columnMajor[(j * rows)..<((j + 1) * rows)])
      let first = col[0]
      if col.allSatisfy({ $0 == first }) { constant.append(featureNames[j]) }
      let (mu, scale) = Self.standardScalerMoments(col)
      // Samples are mean + N(0, 1)·scale (no discretizer) or inside bins whose means and deviations
      // come from the same sums: all must be finite numbers.
      let largest = col.reduce(0) { Swift.max($0, Swift.abs($1)) }
      guard mu.isFinite, scale.isFinite, (Swift.abs(mu) + 10 * scale).isFinite else {
        throw ExplanationError(
          "feature '\(featureNames[j])': its mean or standard deviation over the \(rows) rows is not a finite number (values as large as \(largest) overflow the sums LIME samples from)",
          hint: "rescale the column (e.g. to other units) or leave it out with --exclude", feature: j)
      }
      means.append(mu)
      scales.append(scale)
      if options.discretizer != .none {
        let fb = FeatureBins(name: featureNames[j], column: col, percentiles: options.discretizer.percentiles)
        bins.append(fb)
        samplers.append((0...fb.cuts.count).map { b in
          let minz = (fb.mins[b] - fb.means[b]) / fb.stds[b]
          let maxz = (fb.maxs[b] - fb.means[b]) / fb.stds[b]
          return minz == maxz ? nil : TruncatedNormal(a: minz, b: maxz, loc: fb.means[b], scale: fb.stds[b])
        })
      }
    }
    self.constantFeatures = constant
    self.bins = bins
    self.means = means
    self.scales = scales
    self.samplers = samplers
  }

  public var discretized: Bool { options.discretizer != .none }

  /// The student's bin of each feature (discretized modes).
  public func studentBins(_ row: [Double]) -> [Int] { bins.enumerated().map { $1.bin(of: row[$0]) } }

  /// The stream of the default mode for a student.
  public func stream(for student: String, seed: UInt32? = nil) -> SplitMixSource {
    SplitMixSource(seed: seed ?? options.seed, student: student)
  }

  /// Samples the neighbourhood of `row` from `source`.
  /// - Parameter exact: lime's call order (columns in turn: all bins of a column, then its values),
  ///   SciPy's log-space truncated-normal inverse CDF and lime's zero-feeding of degenerate bins
  ///   (compat); otherwise row by row with the fast inverse CDF and the tied value.
  /// - Complexity: O(N·p).
  public func neighbourhood<S: UniformSource>(of row: [Double], source: inout S, exact: Bool) -> Neighbourhood {
    let n = options.numSamples, p = featureNames.count
    var design = [Double](repeating: 0, count: n * p)
    var samples = [Double](repeating: 0, count: n * p)
    var distances = [Double](repeating: 0, count: n)
    let words = BitDesign.words(columns: p)
    var bits = [UInt64](repeating: 0, count: discretized ? n * words : 0)
    let zeroFed = design.withUnsafeMutableBufferPointer { d in
      samples.withUnsafeMutableBufferPointer { s in
        distances.withUnsafeMutableBufferPointer { dist in
          bits.withUnsafeMutableBufferPointer { b in
            sample(row: row, source: &source, exact: exact, design: d.baseAddress!, bits: b.baseAddress,
                   samples: s.baseAddress!, distances: dist.baseAddress!)
          }
        }
      }
    }
    if discretized {
      bits.withUnsafeBufferPointer { b in
        let view = BitDesign(rows: n, columns: p, words: words, bits: b.baseAddress!)
        for i in 0..<n {
          for j in 0..<p { design[i * p + j] = view.value(i, j) }
        }
      }
    }
    return Neighbourhood(rows: n, columns: p, design: design, samples: samples, distances: distances,
                         zeroFedValues: zeroFed)
  }

  /// Writes the design (discretized: packed bits, n × `BitDesign.words(columns:)` words, into
  /// `bits`; otherwise n × p doubles into `design`), samples (n × p) and distances (n); returns the
  /// zero-fed count.
  func sample<S: UniformSource>(row: [Double], source: inout S, exact: Bool, design: UnsafeMutablePointer<Double>?,
                                bits: UnsafeMutablePointer<UInt64>?,
                                samples: UnsafeMutablePointer<Double>, distances: UnsafeMutablePointer<Double>) -> Int {
    let n = options.numSamples, p = featureNames.count
    let words = BitDesign.words(columns: p)
    var zeroFed = 0
    if discretized && !exact {
      // Row by row, in three passes per row (same draws, same arithmetic as one scalar pass):
      // (1) the two uniforms of every feature in order: bin by a fixed number of comparisons, the
      // design bit, the probability base + q·slope; (2) Acklam's central rational Φ⁻¹ four lanes
      // at a time (independent divisions instead of one long dependent chain), the few tail
      // probabilities by the full approximation; (3) clamp and scale.
      let table = FastTable(bins: bins, samplers: samplers, own: studentBins(row))
      let stride = table.stride, width = (p + 3) & ~3
      let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * width * 8, alignment: 32)
      defer { raw.deallocate() }
      let prob = raw.bindMemory(to: Double.self, capacity: 2 * width), z = prob + width
      for j in p..<width { prob[j] = 0.5 }
      let slot = UnsafeMutablePointer<Int>.allocate(capacity: p)
      defer { slot.deallocate() }
      let bits = bits!
      let cdf = table.cdf, base = table.base, slope = table.slope, match = table.match
      for i in 0..<n {
        var matches = 0
        for ww in 0..<words {
          var acc: UInt64 = 0
          let j0 = ww * 64
          for j in j0..<Swift.min(p, j0 + 64) {
            let u = source.uniform()
            let c = cdf + j * stride
            var k = 0
            // k = #{t : cdf_t ≤ u}, counted without branches (the bin is random).
            for t in 0..<(stride - 1) { k &+= Int(unsafeBitCast(c[t] <= u, to: UInt8.self)) }
            let e = j * stride + k
            slot[j] = e
            acc |= match[e] << UInt64(j &- j0)
            let pr = base[e] + source.uniform() * slope[e]
            prob[j] = pr
          }
          bits[i * words + ww] = acc
          matches &+= acc.nonzeroBitCount
        }
        var j = 0
        while j < width {
          let pv = UnsafeRawPointer(prob + j).load(as: SIMD4<Double>.self)
          var v = acklamCentral(pv)
          let central = (pv .> SIMD4(repeating: 0.02425)) .& (pv .< SIMD4(repeating: 0.97575))
          if !all(central) {
            for l in 0..<4 where !central[l] { v[l] = NormalDistribution.quantileApproximation(pv[l]) }
          }
          UnsafeMutableRawPointer(z + j).storeBytes(of: v, as: SIMD4<Double>.self)
          j += 4
        }
        // Clamped to [a, b] (mirrored for intervals right of 0); degenerate bins have slope 0,
        // [lo, hi] = [0, 0] and loc = the tied value.
        let srow = samples + i * p
        for j in 0..<p {
          let e = slot[j]
          srow[j] = Swift.min(Swift.max(z[j] * table.sign[e], table.lo[e]), table.hi[e]) * table.scale[e] + table.loc[e]
        }
        distances[i] = Double(p - matches).squareRoot()
      }
      BitDesign.setAllOnes(bits, columns: p)
      distances[0] = 0
    } else if discretized {
      let own = studentBins(row)
      let bits = bits!
      bits.initialize(repeating: 0, count: n * words)
      var sampledBins = [Int32](repeating: 0, count: n * p)  // column-major
      var matches = [Int32](repeating: 0, count: n)
      for j in 0..<p {
        let fb = bins[j]
        let cdf = fb.cdf, values = fb.values
        let target = own[j]
        let base = j * n
        for i in 0..<n {
          let u = source.uniform()
          var k = 0
          while k < cdf.count - 1 && cdf[k] <= u { k += 1 }
          let b = values[k]
          sampledBins[base + i] = Int32(b)
          if b == target || i == 0 {
            bits[i * words + (j >> 6)] |= 1 << UInt64(j & 63)
            matches[i] += 1
          }
        }
      }
      for j in 0..<p {
        let fb = bins[j]
        let base = j * n
        let tn = samplers[j]
        for i in 1..<n {
          let b = Int(sampledBins[base + i])
          let v: Double
          if let t = tn[b] {
            v = t.exact(source.uniform())
          } else {
            v = (fb.mins[b] - fb.means[b]) / fb.stds[b]
            if v != fb.mins[b] { zeroFed += 1 }
          }
          samples[i * p + j] = v
        }
      }
      for i in 0..<n { distances[i] = Double(p - Int(matches[i])).squareRoot() }
    } else {
      let design = design!
      for i in 0..<n {
        for j in 0..<p { samples[i * p + j] = source.gaussian() * scales[j] + means[j] }
      }
      for j in 0..<p { samples[j] = row[j] }
      var yy = 0.0
      for j in 0..<p {
        let z = (row[j] - means[j]) / scales[j]
        yy += z * z
      }
      for i in 0..<n {
        var xx = 0.0, xy = 0.0
        for j in 0..<p {
          let z = (samples[i * p + j] - means[j]) / scales[j]
          design[i * p + j] = z
          xx += z * z
          xy += z * ((row[j] - means[j]) / scales[j])
        }
        distances[i] = Swift.max(-2 * xy + xx + yy, 0).squareRoot()
      }
      distances[0] = 0
    }
    for j in 0..<p { samples[j] = row[j] }
    return zeroFed
  }

  /// Fits the surrogate of `label` on a neighbourhood and the model's outputs for its samples
  /// (`outputs` row-major rows × `classes`).
  /// - Complexity: discretized O(N·p) + O(p²·N/64) popcounts for the Gram matrix
  ///   (`WeightedGram.init(design:…)`), otherwise O(N·p²) (BLAS); plus O(p³) (highest weights) or
  ///   O(K·p·K³) (forward selection).
  public func fit(_ nb: Neighbourhood, student: String, row: [Double], outputs: [Double], classes: Int,
                  label: Int) -> Explanation {
    var design = nb.design
    let n = nb.rows, p = nb.columns, words = BitDesign.words(columns: p)
    var bits = [UInt64](repeating: 0, count: discretized ? n * words : 0)
    for i in 0..<(discretized ? n : 0) {
      for j in 0..<p where design[i * p + j] != 0 { bits[i * words + (j >> 6)] |= 1 << UInt64(j & 63) }
    }
    return design.withUnsafeMutableBufferPointer { d in
      bits.withUnsafeMutableBufferPointer { b in
        outputs.withUnsafeBufferPointer { o in
          fit(design: discretized ? nil : d.baseAddress!, bits: b.baseAddress, distances: nb.distances,
              zeroFed: nb.zeroFedValues, student: student, row: row, outputs: o.baseAddress!, classes: classes,
              label: label)
        }
      }
    }
  }

  /// `fit` on raw buffers: the packed design `bits` (discretized) or the dense `design` (not modified).
  func fit(design dense: UnsafeMutablePointer<Double>?, bits: UnsafeMutablePointer<UInt64>?, distances: [Double],
           zeroFed: Int, student: String, row: [Double], outputs: UnsafePointer<Double>, classes: Int,
           label: Int) -> Explanation {
    let n = options.numSamples, p = featureNames.count
    let kw2 = kernelWidth * kernelWidth
    var w = [Double](repeating: 0, count: n)
    var sw = 0.0, sw2 = 0.0
    for i in 0..<n {
      let d = distances[i]
      w[i] = exp(-(d * d) / kw2).squareRoot()
      sw += w[i]
      sw2 += w[i] * w[i]
    }
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n { y[i] = outputs[i * classes + label] }
    let packed = discretized ? BitDesign(rows: n, columns: p, words: BitDesign.words(columns: p), bits: bits!) : nil
    let gram: WeightedGram
    if let x = packed {
      // The same kernel of the same distance √(p − ones) the sampler wrote, per number of ones.
      let weightOfOnes = (0...p).map { m -> Double in
        let d = Double(p - m).squareRoot()
        return exp(-(d * d) / kw2).squareRoot()
      }
      gram = WeightedGram(design: x, weights: w, weightOfOnes: weightOfOnes, y: y)
    } else {
      gram = WeightedGram(x: UnsafePointer(dense!), rows: n, columns: p, weights: w, y: y)
    }
    let nb = (design: DesignRef(dense: dense.map { UnsafePointer($0) }, bits: packed, columns: p),
              distances: distances, zeroFedValues: zeroFed)
    let k = options.numFeatures
    var method = options.featureSelection
    if method == .auto { method = k <= 6 ? .forward : .highestWeights }
    var selected: [Int]
    switch method {
    case .none, .auto:
      selected = Array(0..<p)
    case .highestWeights:
      let coef = gram.coefficients(subset: Array(0..<p), alpha: 0.01)
      let scored = (0..<p).map { (j: $0, s: Swift.abs(coef[$0] * nb.design[0, $0])) }
      // Python's sorted(..., reverse=True) is stable: ties keep the lower column index first.
      selected = scored.enumerated().sorted { a, b in
        a.element.s != b.element.s ? a.element.s > b.element.s : a.offset < b.offset
      }.prefix(k).map { $0.element.j }
    case .forward:
      selected = []
      for _ in 0..<Swift.min(k, p) {
        var best = 0, bestScore = -100_000_000.0
        for f in 0..<p where !selected.contains(f) {
          let s = gram.rSquaredUnpenalised(subset: selected + [f])
          if s > bestScore {
            best = f
            bestScore = s
          }
        }
        selected.append(best)
      }
    }
    let beta = gram.coefficients(subset: selected, alpha: 1)
    let intercept = gram.intercept(subset: selected, coefficients: beta)
    // score = Ridge.score: weighted R² of the in-sample predictions.
    var rss = 0.0, tss = 0.0
    for i in 0..<n {
      var pred = intercept
      for (r, j) in selected.enumerated() { pred += beta[r] * nb.design[i, j] }
      rss += w[i] * (y[i] - pred) * (y[i] - pred)
      tss += w[i] * (y[i] - gram.yMean) * (y[i] - gram.yMean)
    }
    // A neighbourhood whose answers differ by rounding only has no variance to explain: R² = 0/0.
    let yLow = y.min() ?? 0, yHigh = y.max() ?? 0
    let magnitude = Swift.max(Swift.abs(yLow), Swift.abs(yHigh))
    let constantAnswers = yHigh - yLow <= 16 * magnitude.ulp
    // Answers that differ, but only where the kernel weight is 0 (a width so small that every weight
    // but the student's own underflows), leave no weighted variance either.
    let score: Double? = constantAnswers || tss == 0 ? nil : 1 - rss / tss
    let scoreUndefined: String?
    if constantAnswers {
      scoreUndefined = "the model answered \(yLow == yHigh ? "the same value" : "values equal up to rounding") (\(yHigh)) for every sample of the neighbourhood: R² = 1 − RSS/TSS is 0/0 (lime prints 1.0 or 0.0 depending on rounding)"
    } else if tss == 0 {
      scoreUndefined = "every sample whose answer differs from the student's has kernel weight 0 (--kernel-width \(kernelWidth) is too small for these distances): R² = 1 − RSS/TSS is 0/0 (scikit-learn's r2_score prints 1.0)"
    } else {
      scoreUndefined = nil
    }
    var local = intercept
    for (r, j) in selected.enumerated() { local += beta[r] * nb.design[0, j] }
    let order = selected.indices.sorted { a, b in
      Swift.abs(beta[a]) != Swift.abs(beta[b]) ? Swift.abs(beta[a]) > Swift.abs(beta[b]) : a < b
    }
    let errors = standardErrors(gram: gram, design: nb.design, rows: n, columns: p, weights: w, y: y,
                                selected: selected)
    let own = discretized ? studentBins(row) : []
    let features = order.enumerated().map { rank, r -> ExplainedFeature in
      let j = selected[r]
      return ExplainedFeature(
        rank: rank + 1, index: j, name: featureNames[j],
        condition: discretized ? bins[j].labels[own[j]] : featureNames[j],
        value: row[j], weight: beta[r])
    }
    return Explanation(
      student: student, label: label, probability: outputs[label],
      probabilities: Array(UnsafeBufferPointer(start: outputs, count: classes)), intercept: intercept, localPrediction: local, score: score,
      scoreUndefinedReason: scoreUndefined, effectiveSampleSize: sw * sw / sw2, kernelWidth: kernelWidth, features: features,
      zeroFedValues: nb.zeroFedValues, standardErrors: order.map { errors[$0] })
  }

  func standardErrors(gram: WeightedGram, design: DesignRef, rows n: Int, columns p: Int, weights w: [Double],
                      y: [Double], selected: [Int]) -> [Double] {
    let k = selected.count
    let ols = gram.coefficients(subset: selected, alpha: 0)
    let b0 = gram.intercept(subset: selected, coefficients: ols)
    var rss = 0.0
    for i in 0..<n {
      var pred = b0
      for (r, j) in selected.enumerated() { pred += ols[r] * design[i, j] }
      rss += w[i] * (y[i] - pred) * (y[i] - pred)
    }
    let sigma2 = n > k ? rss / Double(n - k) : .nan
    // Uncentred XᵀWX = G + Σw·x̄x̄ᵀ on the selected columns.
    var m = [Double](repeating: 0, count: k * k)
    for (a, j) in selected.enumerated() {
      for (b, l) in selected.enumerated() {
        m[a * k + b] = gram.gram[j * p + l] + gram.weightSum * gram.xMean[j] * gram.xMean[l]
      }
    }
    // A = (M + I)⁻¹ column by column, then diag(A M Aᵀ).
    var inv = [Double](repeating: 0, count: k * k)
    var shifted = m
    for a in 0..<k { shifted[a * k + a] += 1 }
    for c in 0..<k {
      var e = [Double](repeating: 0, count: k)
      e[c] = 1
      let col = WeightedGram.choleskySolve(shifted, e, k) ?? WeightedGram.pseudoInverseSolve(shifted, e, k)
      for r in 0..<k { inv[r * k + c] = col[r] }
    }
    var out = [Double](repeating: 0, count: k)
    for a in 0..<k {
      var v = 0.0
      for b in 0..<k {
        var s = 0.0
        for c in 0..<k { s += m[b * k + c] * inv[a * k + c] }
        v += inv[a * k + b] * s
      }
      out[a] = (sigma2 * v).squareRoot()
    }
    return out
  }
}

/// Read access to a neighbourhood's design, packed (discretized) or dense.
struct DesignRef {
  let dense: UnsafePointer<Double>?
  let bits: BitDesign?
  let columns: Int

  @inline(__always) subscript(i: Int, j: Int) -> Double {
    if let b = bits { return b.value(i, j) }
    return dense![i * columns + j]
  }
}

/// Per (feature, sampled bin) constants of the default sampler, structure of arrays with `stride`
/// slots per feature (the most bins any feature has; unused slots have cdf 2, never reached):
/// the cumulative bin frequency, whether the bin is the student's, and the truncated normal in
/// probability space: x = sign·Φ⁻¹(base + q·slope) clamped to [lo, hi], value x·scale + loc
/// (degenerate bins: slope 0, lo = hi = 0, loc = the tied value). An interval whose normal mass
/// is below 1e-12 (never seen in practice: every bin's z-interval contains its own mean, 0) is
/// sampled at its bound nearest to 0.
final class FastTable {
  let stride: Int
  let cdf, base, slope, sign, lo, hi, scale, loc: UnsafeMutablePointer<Double>
  /// 1 when the bin is the student's, else 0.
  let match: UnsafeMutablePointer<UInt64>

  init(bins: [FeatureBins], samplers: [[TruncatedNormal?]], own: [Int]) {
    let s = bins.map { $0.values.count }.max() ?? 1
    stride = s
    let count = bins.count * s
    func make(_ v: Double) -> UnsafeMutablePointer<Double> {
      let ptr = UnsafeMutablePointer<Double>.allocate(capacity: count)
      ptr.initialize(repeating: v, count: count)
      return ptr
    }
    cdf = make(2)
    base = make(0.5)
    slope = make(0)
    sign = make(1)
    lo = make(0)
    hi = make(0)
    scale = make(0)
    loc = make(0)
    match = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
    match.initialize(repeating: 0, count: count)
    for (j, fb) in bins.enumerated() {
      for (k, b) in fb.values.enumerated() {
        let e = j * s + k
        cdf[e] = fb.cdf[k]
        loc[e] = fb.mins[b]
        match[e] = b == own[j] ? 1 : 0
        guard let t = samplers[j][b] else { continue }
        lo[e] = t.a
        hi[e] = t.b
        scale[e] = t.scale
        loc[e] = t.loc
        if !(t.mass > 1e-12) { continue }  // far tail: keep inside the interval at its nearer bound
        if t.left {
          base[e] = t.tailCDF
          slope[e] = t.mass
        } else {  // x = −Φ⁻¹(tail + (1 − q)·mass)
          base[e] = t.tailCDF + t.mass
          slope[e] = -t.mass
          sign[e] = -1
        }
      }
    }
  }

  deinit {
    for ptr in [cdf, base, slope, sign, lo, hi, scale, loc] { ptr.deallocate() }
    match.deallocate()
  }
}

/// Acklam's central rational approximation of Φ⁻¹ (0.02425 ≤ p ≤ 0.97575) on four lanes, with the
/// scalar `NormalDistribution.quantileApproximation`'s operations in the same order (same bits).
@inline(__always)
func acklamCentral(_ p: SIMD4<Double>) -> SIMD4<Double> {
  typealias V = SIMD4<Double>
  let q: V = p - V(repeating: 0.5)
  let r: V = q * q
  var num: V = V(repeating: -3.969683028665376e+01) * r
  num = (num + V(repeating: 2.209460984245205e+02)) * r
  num = (num - V(repeating: 2.759285104469687e+02)) * r
  num = (num + V(repeating: 1.383577518672690e+02)) * r
  num = (num - V(repeating: 3.066479806614716e+01)) * r
  num = (num + V(repeating: 2.506628277459239e+00)) * q
  var den: V = V(repeating: -5.447609879822406e+01) * r
  den = (den + V(repeating: 1.615858368580409e+02)) * r
  den = (den - V(repeating: 1.556989798598866e+02)) * r
  den = (den + V(repeating: 6.680131188771972e+01)) * r
  den = (den - V(repeating: 1.328068155288572e+01)) * r
  den = den + V(repeating: 1)
  return num / den
}
