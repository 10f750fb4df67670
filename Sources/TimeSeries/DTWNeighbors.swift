import CDTWKernel
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
  /// Early-abandoning DTW runs (candidates of another length) stopped before the last row (counted as pruned).
  public var abandoned: Int
  /// DTW runs completed to the end (seeds, SIMD batches, unequal-length survivors).
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
  ///    its band), then the reverse LB_Keogh (the candidate against the query's envelope: every column is
  ///    matched). Used when query and candidate have equal lengths; for unequal lengths this stage is skipped
  ///    (the cascade falls back to LB_Kim and early abandoning, still exact);
  /// 3. exact DTW of the survivors: equal-length survivors are gathered into batches of 16 and run through the
  ///    SIMD kernel (`cdtw_block16`, bit-identical to ``distance(_:_:dimensions:radius:)``); survivors of another
  ///    length use early-abandoning DTW (the recurrence stops when the minimum of a band row exceeds the
  ///    threshold: the cumulative cost is non-decreasing along every path).
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
    // Flat storage (one contiguous array, offsets in doubles): no per-candidate array retains in the hot loop.
    var offsets = [Int](repeating: 0, count: n + 1)
    for i in 0..<n { offsets[i + 1] = offsets[i] + series[i].count }
    var flat = [Double]()
    flat.reserveCapacity(offsets[n])
    for s in series { flat.append(contentsOf: s) }
    // Envelopes (upper, lower) of every series over its Sakoe-Chiba window, per feature (equal-length pairs only).
    var upper = flat, lower = flat
    for s in 0..<n {
      let l = lengths[s], o = offsets[s]
      for i in 0..<l {
        let a = max(0, i - r), b = min(l - 1, i + r)
        for f in 0..<d {
          var mx = flat[o + a * d + f], mn = mx
          if b > a {
            for j in (a + 1)...b {
              let v = flat[o + j * d + f]
              mx = v > mx ? v : mx
              mn = v < mn ? v : mn
            }
          }
          upper[o + i * d + f] = mx
          lower[o + i * d + f] = mn
        }
      }
    }
    var indices = [Int](repeating: 0, count: n * k)
    var distances = [Double](repeating: 0, count: n * k)
    let counts = NeighborCounters()
    let workers = max(1, min(threads ?? onlineProcessors(), n))
    let step = max(1, n / 100)
    indices.withUnsafeMutableBufferPointer { pi in
      distances.withUnsafeMutableBufferPointer { pd in
        flat.withUnsafeBufferPointer { pf in
          upper.withUnsafeBufferPointer { pu in
            lower.withUnsafeBufferPointer { pl in
              offsets.withUnsafeBufferPointer { po in
                lengths.withUnsafeBufferPointer { plen in
                  let outI = SharedInts(base: pi.baseAddress!)
                  let outD = SharedDoubles(base: pd.baseAddress!)
                  let data = SharedConstDoubles(base: pf.baseAddress!)
                  let up = SharedConstDoubles(base: pu.baseAddress!)
                  let low = SharedConstDoubles(base: pl.baseAddress!)
                  let off = SharedConstInts(base: po.baseAddress!)
                  let len = SharedConstInts(base: plen.baseAddress!)
                  let work: @Sendable (Int) -> Void = { _ in
                    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 2 * (maxLength + 1))
                    let kim = UnsafeMutablePointer<Double>.allocate(capacity: n)
                    let isSeed = UnsafeMutablePointer<Bool>.allocate(capacity: n)
                    isSeed.initialize(repeating: false, count: n)
                    let batch = UnsafeMutablePointer<Double>.allocate(capacity: 16 * maxLength * d)
                    let batchIndex = UnsafeMutablePointer<Int>.allocate(capacity: 16)
                    let lanes = UnsafeMutablePointer<Double>.allocate(capacity: 16)
                    let simdBuffer = UnsafeMutableRawPointer.allocate(byteCount: 6 * (maxLength + 1) * 8 * 8, alignment: 64)
                      .bindMemory(to: Double.self, capacity: 6 * (maxLength + 1) * 8)
                    defer {
                      batch.deallocate()
                      batchIndex.deallocate()
                      lanes.deallocate()
                      simdBuffer.deallocate()
                      buffer.deallocate()
                      kim.deallocate()
                      isSeed.deallocate()
                    }
                    var local = (kim: 0, keogh: 0, abandoned: 0, computed: 0)
                    var seeds: [(Double, Int)] = []
                    var best: [(Double, Int)] = []
                    seeds.reserveCapacity(k + 1)
                    best.reserveCapacity(k + 1)
                    while true {
                      let q = counts.nextQuery()
                      if q >= n { break }
                      let x = data.base + off.base[q]
                      let lq = len.base[q]
                      let xLast = x + (lq - 1) * d
                      // Stage 1 for all candidates; seeds = the k smallest (LB_Kim, index).
                      seeds.removeAll(keepingCapacity: true)
                      var seedCut = Double.infinity
                      for j in 0..<n where j != q {
                        let y = data.base + off.base[j]
                        let lj = len.base[j]
                        var c: Double
                        if d == 1 {
                          let t0 = x[0] - y[0]
                          c = t0 * t0
                          if lq > 1 || lj > 1 {
                            let t1 = xLast[0] - y[lj - 1]
                            c += t1 * t1
                          }
                        } else {
                          c = 0.0
                          for f in 0..<d {
                            let t = x[f] - y[f]
                            c += t * t
                          }
                          if lq > 1 || lj > 1 {
                            let yLast = y + (lj - 1) * d
                            var e = 0.0
                            for f in 0..<d {
                              let t = xLast[f] - yLast[f]
                              e += t * t
                            }
                            c += e
                          }
                        }
                        kim[j] = c
                        if seeds.count < k || c < seedCut {
                          var p = seeds.count
                          seeds.append((c, j))
                          while p > 0 && seeds[p - 1].0 > c {
                            seeds[p] = seeds[p - 1]
                            p -= 1
                          }
                          seeds[p] = (c, j)
                          if seeds.count > k { seeds.removeLast() }
                          if seeds.count == k { seedCut = seeds[k - 1].0 }
                        }
                      }
                      // Best list: (squared distance, index), ascending by (d², index).
                      best.removeAll(keepingCapacity: true)
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
                        let y = data.base + off.base[j]
                        let lj = len.base[j]
                        return lq >= lj
                          ? abandoningKernel(x, lq, y, lj, d, r, buffer, threshold)
                          : abandoningKernel(y, lj, x, lq, d, r, buffer, threshold)
                      }
                      for (_, j) in seeds {
                        isSeed[j] = true
                        insert(exact(j, threshold: .infinity).squareRoot(), j)
                        local.computed += 1
                      }
                      // Candidates are compared by their distance (as the matrix holds it); pruning tests use the
                      // squared k-th best distance with the relative slack.
                      func squaredThreshold() -> Double {
                        let b = best[k - 1].0
                        return (b * b) * (1 + pruningTolerance)
                      }
                      var threshold = best.count == k ? squaredThreshold() : .infinity
                      var batchCount = 0
                      func flush() {
                        guard batchCount > 0 else { return }
                        // Unused lanes repeat the first candidate (computed, ignored).
                        for lane in batchCount..<16 {
                          let blockBase = batch + (lane / 8) * total * 8
                          for v in 0..<total { blockBase[v * 8 + lane % 8] = batch[v * 8] }
                        }
                        cdtw_block16(x, batch, batch + total * 8, lq, d, r, simdBuffer, lanes)
                        for lane in 0..<batchCount { insert(lanes[lane], batchIndex[lane]) }
                        local.computed += batchCount
                        batchCount = 0
                        if best.count == k { threshold = squaredThreshold() }
                      }
                      let total = lq * d
                      for j in 0..<n where j != q && !isSeed[j] {
                        if kim[j] > threshold {
                          local.kim += 1
                          continue
                        }
                        if len.base[j] == lq {
                          // LB_Keogh of the query against the candidate's envelope.
                          let u = up.base + off.base[j], lo = low.base + off.base[j]
                          var lb = 0.0
                          var t = 0
                          while t < total {
                            let v = x[t]
                            let above = v - u[t], below = lo[t] - v
                            let e = above > 0 ? above : (below > 0 ? below : 0)
                            lb += e * e
                            if lb > threshold { break }
                            t += 1
                          }
                          if lb > threshold {
                            local.keogh += 1
                            continue
                          }
                          // The reverse bound: the candidate against the query's envelope (every column is matched).
                          let y = data.base + off.base[j]
                          let uq = up.base + off.base[q], lq_ = low.base + off.base[q]
                          var lb2 = 0.0
                          t = 0
                          while t < total {
                            let v = y[t]
                            let above = v - uq[t], below = lq_[t] - v
                            let e = above > 0 ? above : (below > 0 ? below : 0)
                            lb2 += e * e
                            if lb2 > threshold { break }
                            t += 1
                          }
                          if lb2 > threshold {
                            local.keogh += 1
                            continue
                          }
                          // Survivor of equal length: exact DTW in the next SIMD batch of 16.
                          let y2 = data.base + off.base[j]
                          let lane = batchCount
                          let blockBase = batch + (lane / 8) * total * 8
                          for v in 0..<total { blockBase[v * 8 + lane % 8] = y2[v] }
                          batchIndex[lane] = j
                          batchCount += 1
                          if batchCount == 16 { flush() }
                          continue
                        }
                        let v = exact(j, threshold: threshold)
                        if v.isInfinite {
                          local.abandoned += 1
                          continue
                        }
                        local.computed += 1
                        insert(v.squareRoot(), j)
                        if best.count == k { threshold = squaredThreshold() }
                      }
                      flush()
                      for (_, j) in seeds { isSeed[j] = false }
                      for (rank, (v, j)) in best.enumerated() {
                        outI.base[q * k + rank] = j
                        outD.base[q * k + rank] = v
                      }
                      let done = counts.finishQuery()
                      if let progress, done % step == 0 || done == n { progress(done, n) }
                    }
                    counts.add(kim: local.kim, keogh: local.keogh, abandoned: local.abandoned, computed: local.computed)
                  }
                  if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
                }
              }
            }
          }
        }
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
private struct SharedConstInts: @unchecked Sendable { let base: UnsafePointer<Int> }
private struct SharedConstDoubles: @unchecked Sendable { let base: UnsafePointer<Double> }
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
