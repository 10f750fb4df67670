import CohortLensCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How continuous features are binned before sampling (lime's `discretizer`).
public enum DiscretizerKind: String, Sendable, CaseIterable {
  /// Cut points at the 25th, 50th and 75th percentiles (lime's default `QuartileDiscretizer`).
  case quartile
  /// Cut points at the 10th, 20th, …, 90th percentiles (`DecileDiscretizer`).
  case decile
  /// No discretization (`discretize_continuous=False`): Gaussian sampling around the training mean.
  case none

  /// The percentiles (0–100) whose values become cut points.
  public var percentiles: [Double] {
    switch self {
    case .quartile: return [25, 50, 75]
    case .decile: return [10, 20, 30, 40, 50, 60, 70, 80, 90]
    case .none: return []
    }
  }
}

/// The bins of one feature, as lime 0.2.0.1's `BaseDiscretizer` computes them.
///
/// Cut points are NumPy `percentile` (linear interpolation) values with duplicates collapsed
/// (`np.unique`); the bin of x is `searchsorted(cuts, x, side='left')`: bin 0 for x ≤ q₀, bin i for
/// q_{i−1} < x ≤ q_i, the last bin for x > q_last. Per bin: mean of the training values in it
/// (0 if none), population std + 1e-11, min (`[column min] + cuts`) and max (`cuts + [column max]`).
public struct FeatureBins: Sendable, Equatable {
  /// The feature (column) name.
  public var name: String
  /// Sorted distinct cut points.
  public var cuts: [Double]
  /// Per-bin label as lime writes it (`'%.2f'`): `name <= q0`, `q0 < name <= q1`, `name > q_last`.
  public var labels: [String]
  public var means: [Double]
  public var stds: [Double]
  public var mins: [Double]
  public var maxs: [Double]
  /// Bins that occur in the training data, ascending (the only bins ever sampled).
  public var values: [Int]
  /// Relative frequency of each entry of `values` (count / rows).
  public var frequencies: [Double]
  /// Cumulative, normalised frequencies as NumPy's `choice` builds them (`cumsum(p) / cumsum(p)[-1]`).
  public var cdf: [Double]

  /// The bin index of `x` (number of cut points strictly below `x`).
  public func bin(of x: Double) -> Int {
    var lo = 0, hi = cuts.count
    while lo < hi {
      let mid = (lo + hi) >> 1
      if cuts[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// True when the bin's min equals its max (after z-scoring), where lime feeds 0 to the model.
  public func isDegenerate(_ bin: Int) -> Bool {
    (mins[bin] - means[bin]) / stds[bin] == (maxs[bin] - means[bin]) / stds[bin]
  }
}

/// NumPy `percentile(values, q)` with the default `'linear'` method (index q/100·(n−1),
/// `_lerp` as NumPy 2 writes it: a + (b − a)·t, or b − (b − a)·(1 − t) when t ≥ 0.5).
/// `sorted` must be ascending and non-empty.
public func numpyPercentile(sorted: [Double], _ q: Double) -> Double {
  let (previous, next, t) = numpyPercentileIndices(count: sorted.count, q)
  return numpyPercentile(lower: sorted[previous], upper: sorted[next], t)
}

/// The order statistics (0-based ranks) NumPy's linear `percentile` interpolates between, and the
/// fraction t: index q/100·(n−1) = previous + t.
func numpyPercentileIndices(count n: Int, _ q: Double) -> (previous: Int, next: Int, t: Double) {
  let virtual = (q / 100) * Double(n - 1)
  let previous = Swift.max(0, Swift.min(n - 1, Int(virtual.rounded(.down))))
  let next = Swift.min(n - 1, previous + 1)
  return (previous, next, virtual - Double(previous))
}

/// NumPy 2's `_lerp` (numpy/lib/_function_base_impl.py): a + (b − a)·t, or b − (b − a)·(1 − t)
/// when t ≥ 0.5, with no special case for a == b, so signed zeros come out as NumPy's do:
/// `(−0, −0)` gives +0 for t < 0.5 (−0 + 0) and −0 from t = 0.5 on, `(−0, +0)` gives +0. lime's
/// labels print them with `'%.2f'`, where −0 reads `-0.00`.
func numpyPercentile(lower a: Double, upper b: Double, _ t: Double) -> Double {
  let diff = b - a
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}

/// The values of `a` at the given 0-based ranks of its ascending order (`a` is rearranged), by
/// quickselect with branch-free partitioning through a scratch buffer (values < pivot | ≥ pivot,
/// then, where a rank needs it, = pivot | > pivot, so ties such as zero-inflated counts end in
/// one step) and a median-of-three pivot; a range is sorted below 32 values or after 64 levels.
/// - Complexity: O(n·(distinct ranks)) expected, O(n log n) at worst. Finite values only.
func orderStatistics(_ a: inout [Double], ranks: [Int]) -> [Double] {
  let wanted = Array(Set(ranks)).sorted()
  var found = [Int: Double]()
  let n = a.count
  let tmp = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(n, 1))
  defer { tmp.deallocate() }
  /// Moves x[lo..<hi] so that the values with `goesLeft` come first (order kept); returns the split.
  func partition(_ x: UnsafeMutablePointer<Double>, _ lo: Int, _ hi: Int, _ goesLeft: (Double) -> Bool) -> Int {
    var l = lo, r = hi - 1
    for i in lo..<hi {
      let e = x[i]
      let left = Int(unsafeBitCast(goesLeft(e), to: UInt8.self))
      tmp[l] = e
      tmp[r] = e
      l &+= left
      r &-= 1 &- left
    }
    // [lo, l) in order; [l, hi) reversed — order within a side does not matter.
    x.advanced(by: lo).update(from: tmp + lo, count: hi - lo)
    return l
  }
  a.withUnsafeMutableBufferPointer { buffer in
    let x = buffer.baseAddress!
    func select(_ lo: Int, _ hi: Int, _ rs: ArraySlice<Int>, depth: Int) {
      guard !rs.isEmpty else { return }
      if hi - lo <= 32 || depth > 64 {
        var range = UnsafeMutableBufferPointer(start: x + lo, count: hi - lo)
        range.sort()
        for r in rs { found[r] = x[r] }
        return
      }
      let u = x[lo], v = x[(lo + hi) >> 1], w = x[hi - 1]
      let pivot = Swift.max(Swift.min(u, v), Swift.min(Swift.max(u, v), w))
      let lt = partition(x, lo, hi) { $0 < pivot }  // [lo, lt) < pivot ≤ [lt, hi)
      var left = rs.startIndex
      while left < rs.endIndex && rs[left] < lt { left += 1 }
      select(lo, lt, rs[rs.startIndex..<left], depth: depth + 1)
      guard left < rs.endIndex else { return }
      let gt = partition(x, lt, hi) { $0 <= pivot }  // [lt, gt) = pivot < [gt, hi)
      var right = left
      while right < rs.endIndex && rs[right] < gt {
        found[rs[right]] = pivot
        right += 1
      }
      select(gt, hi, rs[right..<rs.endIndex], depth: depth + 1)
    }
    select(0, n, wanted[...], depth: 0)
  }
  return ranks.map { found[$0]! }
}

/// `'%.2f'` exactly as Python's `%` operator (C `printf` rounding of the binary value).
public func formatTwoDecimals(_ x: Double) -> String {
  var buffer = [CChar](repeating: 0, count: 64)
  let n = withVaList([x]) { vsnprintf(&buffer, 64, "%.2f", $0) }
  if n >= 64 {
    var big = [CChar](repeating: 0, count: Int(n) + 1)
    _ = withVaList([x]) { vsnprintf(&big, Int(n) + 1, "%.2f", $0) }
    return String(decoding: big.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
  return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension FeatureBins {
  /// Bins of one training column (`values` in row order).
  /// - Complexity: O(n) expected (selection of the percentiles' order statistics, one pass per bin).
  public init(name: String, column: [Double], percentiles: [Double]) {
    // Only the order statistics the percentiles interpolate between are needed: select them
    // (O(n)) instead of sorting the column (O(n log n)).
    let n = column.count
    var ranks: [Int] = []
    for q in percentiles {
      let (previous, next, _) = numpyPercentileIndices(count: n, q)
      ranks.append(previous)
      ranks.append(next)
    }
    var scratch = column
    let order = orderStatistics(&scratch, ranks: ranks)
    var lowest = column[0], highest = column[0]
    for x in column {
      lowest = Swift.min(lowest, x)
      highest = Swift.max(highest, x)
    }
    var cuts: [Double] = []
    for (t, q) in percentiles.enumerated() {
      let v = numpyPercentile(lower: order[2 * t], upper: order[2 * t + 1], numpyPercentileIndices(count: n, q).t)
      if cuts.last != v { cuts.append(v) }  // ascending: unique = drop repeats
    }
    self.name = name
    self.cuts = cuts
    let nb = cuts.count
    var labels = ["\(name) <= \(formatTwoDecimals(cuts[0]))"]
    for i in 0..<(nb - 1) {
      labels.append("\(formatTwoDecimals(cuts[i])) < \(name) <= \(formatTwoDecimals(cuts[i + 1]))")
    }
    labels.append("\(name) > \(formatTwoDecimals(cuts[nb - 1]))")
    self.labels = labels
    // Members of each bin in row order (as NumPy's boolean indexing copies them), one buffer.
    var binOf = [Int](repeating: 0, count: n)
    var counts = [Int](repeating: 0, count: nb + 1)
    cuts.withUnsafeBufferPointer { c in
      for (i, x) in column.enumerated() {
        var b = 0  // searchsorted(cuts, x, 'left') = #{cuts < x}, without branches
        for t in 0..<c.count { b &+= Int(unsafeBitCast(c[t] < x, to: UInt8.self)) }
        binOf[i] = b
        counts[b] += 1
      }
    }
    var offsets = [Int](repeating: 0, count: nb + 2)
    for b in 0...nb { offsets[b + 1] = offsets[b] + counts[b] }
    var members = [Double](repeating: 0, count: n)
    var fill = offsets
    for (i, x) in column.enumerated() {
      members[fill[binOf[i]]] = x
      fill[binOf[i]] += 1
    }
    var means = [Double](repeating: 0, count: nb + 1), stds = [Double](repeating: 1e-11, count: nb + 1)
    members.withUnsafeMutableBufferPointer { m in
      for b in 0...nb where counts[b] > 0 {
        let slice = m.baseAddress! + offsets[b], k = counts[b]
        let mu = pairwiseSum(slice, k) / Double(k)
        means[b] = mu
        for t in 0..<k { slice[t] = (slice[t] - mu) * (slice[t] - mu) }
        stds[b] = (pairwiseSum(slice, k) / Double(k)).squareRoot() + 1e-11
      }
    }
    self.means = means
    self.stds = stds
    mins = [lowest] + cuts
    maxs = cuts + [highest]
    var values: [Int] = []
    var freqs: [Double] = []
    for b in 0...nb where counts[b] > 0 {
      values.append(b)
      freqs.append(Double(counts[b]) / Double(n))
    }
    self.values = values
    frequencies = freqs
    var cdf: [Double] = []
    var s = 0.0
    for f in freqs {
      s += f
      cdf.append(s)
    }
    let last = cdf[cdf.count - 1]
    self.cdf = cdf.map { $0 / last }
  }

  static func searchLeft(_ cuts: [Double], _ x: Double) -> Int {
    var lo = 0, hi = cuts.count
    while lo < hi {
      let mid = (lo + hi) >> 1
      if cuts[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}

/// NumPy's pairwise summation (blocks of 8 accumulators below 128 elements, halves above), so
/// means and standard deviations round as `np.mean` / `np.std` do on contiguous data.
public func pairwiseSum(_ a: [Double]) -> Double {
  a.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, a.count) }
}

func pairwiseSum(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
  if n < 8 {
    var res = 0.0
    for i in 0..<n { res += a[i] }
    return res
  } else if n <= 128 {
    var r = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    var i = 8
    while i < n - (n % 8) {
      r.0 += a[i]; r.1 += a[i + 1]; r.2 += a[i + 2]; r.3 += a[i + 3]
      r.4 += a[i + 4]; r.5 += a[i + 5]; r.6 += a[i + 6]; r.7 += a[i + 7]
      i += 8
    }
    var res = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
    while i < n {
      res += a[i]
      i += 1
    }
    return res
  } else {
    var n2 = n / 2
    n2 -= n2 % 8
    return pairwiseSum(a, n2) + pairwiseSum(a + n2, n - n2)
  }
}
