import CohortLensCore
import Dispatch

/// The k nearest neighbours of every series under DTW (see ``DTW/nearestNeighbors(_:dimensions:radius:k:threads:progress:)``).
public struct DTWNeighbors: Sendable {
  /// `indices[i]`: the k nearest other series of series i, nearest first (ties: lower index first).
  public var indices: [[Int]]
  /// `distances[i][rank]`: the DTW distance to `indices[i][rank]`, bit-identical to ``DTW/distance(_:_:dimensions:radius:)``.
  public var distances: [[Double]]
  /// How many candidate pairs (query, candidate) were decided by each stage of the cascade.
  public var prunedByKim: Int
  public var prunedByKeogh: Int
  /// Early-abandoning DTW runs stopped before the last row (counted as pruned).
  public var abandoned: Int
  /// DTW runs completed to the end.
  public var computed: Int
}

extension DTW {
  /// Relative slack of every pruning test: a candidate is discarded only when its lower bound exceeds the
  /// current k-th best squared distance by more than this factor, so rounding differences between a bound
  /// and the DTW sum (which can make a mathematically equal bound a few ulps larger) never prune a tie.
  public static let pruningTolerance = 1e-9

  /// Exact k nearest neighbours of every series under DTW with the given radius, without the n × n matrix.
  ///
  /// For each query the candidates go through a cascade of lower bounds on the squared DTW cost
  /// (Rakthanmanon et al., "Searching and mining trillions of time series subsequences under DTW", KDD 2012):
  /// 1. LB_Kim (first/last points): `c(0,0) + c(n−1,m−1)`, every warping path contains both corner cells;
  /// 2. LB_Keogh with the Sakoe-Chiba envelope of the candidate (`U_i/L_i` = max/min of the candidate over
  ///    `|i − j| ≤ r`, per feature; valid because every row of the grid is matched to at least one cell of
  ///    its band). Used when query and candidate have equal lengths; for unequal lengths this stage is skipped
  ///    (the cascade falls back to LB_Kim and early abandoning, still exact);
  /// 3. early-abandoning DTW: the recurrence stops when the minimum of a band row exceeds the threshold (the
  ///    cumulative cost is non-decreasing along every path).
  /// The threshold is the current k-th best squared distance × (1 + ``pruningTolerance``): ties are never
  /// pruned (dtaidistance's `use_pruning` returns inf on ties). Candidates are seeded with the k smallest
  /// LB_Kim values, then visited in index order. Result = the k smallest (distance, index) pairs, exactly as
  /// sorting row i of ``pairwise(_:dimensions:radius:threads:progress:)``.
  ///
  /// Parallelism: queries are handed to `threads` workers (default: all online processors) one at a time;
  /// each query's result depends only on the data, so the output is identical for any thread count.
  ///
  /// - Precondition: `1 ≤ k < series.count`.
  /// - Complexity: O(n²) bound evaluations plus the surviving DTW runs (worst case O(n² · band cells · d));
  ///   memory O(n · (k + L·d)) — no n × n matrix.
  public static func nearestNeighbors(
    _ series: [[Double]], dimensions d: Int = 1, radius: Radius, k: Int, threads: Int? = nil,
    progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  ) -> DTWNeighbors {
    let n = series.count
    precondition(k >= 1 && k < n, "DTW.nearestNeighbors: k must be in 1..<n")
    precondition(d >= 1)
    for s in series { precondition(!s.isEmpty && s.count % d == 0, "DTW.nearestNeighbors: bad series") }
    let r = checkedRadius(radius)
    let lengths = series.map { $0.count / d }
    let maxLength = lengths.max()!
    // Envelopes (upper, lower) of every series with the band: equal-length pairs only.
    var upper: [[Double]] = []
    var lower: [[Double]] = []
    upper.reserveCapacity(n)
    lower.reserveCapacity(n)
    for s in series {
      let l = s.count / d
      var u = s, lo = s
      for i in 0..<l {
        let a = max(0, i - r), b = min(l - 1, i + r)
        for f in 0..<d {
          var mx = s[a * d + f], mn = mx
          if b > a {
            for j in (a + 1)...b {
              let v = s[j * d + f]
              mx = v > mx ? v : mx
              mn = v < mn ? v : mn
            }
          }
          u[i * d + f] = mx
          lo[i * d + f] = mn
        }
      }
      upper.append(u)
      lower.append(lo)
    }
    let upperEnvelopes = upper, lowerEnvelopes = lower
    var indices = [Int](repeating: 0, count: n * k)
    var distances = [Double](repeating: 0, count: n * k)
    let counts = NeighborCounters()
    let workers = max(1, min(threads ?? onlineProcessors(), n))
    let step = max(1, n / 100)
    indices.withUnsafeMutableBufferPointer { pi in
      distances.withUnsafeMutableBufferPointer { pd in
        let outI = SharedInts(base: pi.baseAddress!)
        let outD = SharedDoubles(base: pd.baseAddress!)
        let work: @Sendable (Int) -> Void = { _ in
          var buffer = [Double](repeating: .infinity, count: 2 * (maxLength + 1))
          var kim = [Double](repeating: 0, count: n)
          var isSeed = [Bool](repeating: false, count: n)
          var local = (kim: 0, keogh: 0, abandoned: 0, computed: 0)
          buffer.withUnsafeMutableBufferPointer { pbuf in
            while true {
              let q = counts.nextQuery()
              if q >= n { break }
              let x = series[q]
              let lq = lengths[q]
              // Stage 1 for all candidates, and seeds = the k smallest (kim, index).
              var seeds: [(Double, Int)] = []
              seeds.reserveCapacity(k + 1)
              for j in 0..<n where j != q {
                let y = series[j]
                let lj = lengths[j]
                var c = 0.0
                for f in 0..<d {
                  let t = x[f] - y[f]
                  c += t * t
                }
                if lq > 1 || lj > 1 {
                  var e = 0.0
                  let xa = (lq - 1) * d, ya = (lj - 1) * d
                  for f in 0..<d {
                    let t = x[xa + f] - y[ya + f]
                    e += t * t
                  }
                  c += e
                }
                kim[j] = c
                if seeds.count < k || c < seeds[seeds.count - 1].0 {
                  var p = seeds.count
                  seeds.append((c, j))
                  while p > 0 && seeds[p - 1].0 > c {
                    seeds[p] = seeds[p - 1]
                    p -= 1
                  }
                  seeds[p] = (c, j)
                  if seeds.count > k { seeds.removeLast() }
                }
              }
              // Best list: (squared distance, index), ascending by (d², index).
              var best: [(Double, Int)] = []
              best.reserveCapacity(k + 1)
              func insert(_ v: Double, _ j: Int) {
                if best.count == k {
                  let last = best[k - 1]
                  if v > last.0 || (v == last.0 && j > last.1) { return }
                  best.removeLast()
                }
                var p = best.count
                best.append((v, j))
                while p > 0 && (best[p - 1].0 > v || (best[p - 1].0 == v && best[p - 1].1 > j)) {
                  best[p] = best[p - 1]
                  p -= 1
                }
                best[p] = (v, j)
              }
              func exact(_ j: Int, threshold: Double) -> Double {
                let y = series[j]
                let lj = lengths[j]
                return x.withUnsafeBufferPointer { px in
                  y.withUnsafeBufferPointer { py in
                    lq >= lj
                      ? abandoningKernel(px.baseAddress!, lq, py.baseAddress!, lj, d, r, pbuf.baseAddress!, threshold)
                      : abandoningKernel(py.baseAddress!, lj, px.baseAddress!, lq, d, r, pbuf.baseAddress!, threshold)
                  }
                }
              }
              for (_, j) in seeds {
                isSeed[j] = true
                insert(exact(j, threshold: .infinity), j)
                local.computed += 1
              }
              for j in 0..<n where j != q && !isSeed[j] {
                let threshold = best.count == k ? best[k - 1].0 * (1 + pruningTolerance) : .infinity
                if kim[j] > threshold {
                  local.kim += 1
                  continue
                }
                if lengths[j] == lq {
                  var lb = 0.0
                  let u = upperEnvelopes[j], lo = lowerEnvelopes[j]
                  var t = 0
                  let total = lq * d
                  while t < total {
                    let v = x[t]
                    if v > u[t] {
                      let e = v - u[t]
                      lb += e * e
                    } else if v < lo[t] {
                      let e = lo[t] - v
                      lb += e * e
                    }
                    if lb > threshold { break }
                    t += 1
                  }
                  if lb > threshold {
                    local.keogh += 1
                    continue
                  }
                }
                let v = exact(j, threshold: threshold)
                if v.isInfinite {
                  local.abandoned += 1
                  continue
                }
                local.computed += 1
                insert(v, j)
              }
              for (_, j) in seeds { isSeed[j] = false }
              for (rank, (v, j)) in best.enumerated() {
                outI.base[q * k + rank] = j
                outD.base[q * k + rank] = v.squareRoot()
              }
              let done = counts.finishQuery()
              if let progress, done % step == 0 || done == n { progress(done, n) }
            }
          }
          counts.add(kim: local.kim, keogh: local.keogh, abandoned: local.abandoned, computed: local.computed)
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
      }
    }
    let totals = counts.totals()
    return DTWNeighbors(
      indices: (0..<n).map { Array(indices[($0 * k)..<(($0 + 1) * k)]) },
      distances: (0..<n).map { Array(distances[($0 * k)..<(($0 + 1) * k)]) },
      prunedByKim: totals.0, prunedByKeogh: totals.1, abandoned: totals.2, computed: totals.3)
  }

  /// ``kernel`` that returns the squared cost (no square root), or +∞ as soon as a whole band row exceeds
  /// `threshold` (every path crosses every row, and costs only grow along a path). Below the threshold the
  /// value is bit-identical to the square of `kernel`'s result before its square root.
  @inline(__always)
  static func abandoningKernel(
    _ a: UnsafePointer<Double>, _ n: Int, _ b: UnsafePointer<Double>, _ m: Int, _ d: Int, _ r: Int,
    _ buffer: UnsafeMutablePointer<Double>, _ threshold: Double
  ) -> Double {
    var prev = buffer
    var cur = buffer + (m + 1)
    prev[0] = 0
    for k in 1...m { prev[k] = .infinity }
    for i in 0..<n {
      let (lo, hi) = bandRange(row: i, rows: n, columns: m, radius: r)
      cur[lo] = .infinity
      var rowMin = Double.infinity
      let xi = a + i * d
      for j in lo...hi {
        let yj = b + j * d
        var cost = 0.0
        if d == 1 {
          let t = xi[0] - yj[0]
          cost = t * t
        } else {
          for f in 0..<d {
            let t = xi[f] - yj[f]
            cost += t * t
          }
        }
        let diag = prev[j], up = prev[j + 1], left = cur[j]
        let m1 = diag < up ? diag : up
        let best = m1 < left ? m1 : left
        let v = cost + best
        cur[j + 1] = v
        rowMin = v < rowMin ? v : rowMin
      }
      if rowMin > threshold { return .infinity }
      if hi + 2 <= m { cur[hi + 2] = .infinity }
      swap(&prev, &cur)
    }
    return prev[m]
  }
}

private struct SharedInts: @unchecked Sendable { let base: UnsafeMutablePointer<Int> }
private struct SharedDoubles: @unchecked Sendable { let base: UnsafeMutablePointer<Double> }

/// Query counter and statistics shared by the k-NN workers.
private final class NeighborCounters: @unchecked Sendable {
  private var next = 0, done = 0
  private var kim = 0, keogh = 0, abandoned = 0, computed = 0
  private let lock = Lock()
  func nextQuery() -> Int { lock.withLock { let v = next; next += 1; return v } }
  func finishQuery() -> Int { lock.withLock { done += 1; return done } }
  func add(kim a: Int, keogh b: Int, abandoned c: Int, computed e: Int) {
    lock.withLock { kim += a; keogh += b; abandoned += c; computed += e }
  }
  func totals() -> (Int, Int, Int, Int) { lock.withLock { (kim, keogh, abandoned, computed) } }
}
