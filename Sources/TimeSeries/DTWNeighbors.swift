import CDTWKernel
import CohortLensCore
import Dispatch

/// The k nearest neighbours of every series under DTW (see ``DTW/nearestNeighbors(_:dimensions:radius:k:threads:progress:)``).
public struct DTWNeighbors: Sendable {
  /// `indices[i]`: the k nearest other series of series i, nearest first (ties: lower index first).
  public var indices: [[Int]]
  /// `distances[i][rank]`: the DTW distance to `indices[i][rank]`, bit-identical to ``DTW/distance(_:_:dimensions:radius:)``.
  public var distances: [[Double]]
  /// How many unordered pairs {i, j} were decided by each stage; `prunedByKim + prunedByKeogh + abandoned +
  /// computed == n(n − 1)/2` (every pair is decided once, for both of its rows).
  /// Pairs skipped because their LB_Kim exceeded both rows' current thresholds.
  public var prunedByKim: Int
  /// Pairs skipped because their LB_Keogh exceeded both rows' current thresholds.
  public var prunedByKeogh: Int
  /// Pairs of different lengths whose early-abandoning DTW stopped before the last row.
  public var abandoned: Int
  /// Pairs whose DTW was computed to the end (SIMD lanes, or the scalar kernel for different lengths); the
  /// threshold seeding pass is not counted.
  public var computed: Int
}

extension DTW {
  /// Relative slack of every pruning test: a candidate is discarded only when its lower bound exceeds the
  /// current k-th best squared distance by more than this factor, so rounding differences between a bound
  /// and the DTW sum (which can make a mathematically equal bound a few ulps larger) never prune a tie.
  public static let pruningTolerance = 1e-9

  /// Exact k nearest neighbours of every series under DTW with the given radius, without the n × n matrix.
  ///
  /// Engine: every unordered pair {i, j} is decided once and serves both rows (the DTW is symmetric bit for
  /// bit). Series are packed as for ``pairwise(_:dimensions:radius:threads:progress:)`` (ordered by (length,
  /// index), groups of equal length in transposed blocks of 8); work unit = one query q and all later series
  /// of the order. For each block of 8 same-length candidates the query computes, in SIMD lanes
  /// (`cdtw_lower_bounds8`), two lower bounds of the squared DTW cost (Rakthanmanon et al., "Searching and
  /// mining trillions of time series subsequences under DTW", KDD 2012):
  /// 1. LB_Kim (first and last cells, which every warping path contains): `c(0,0) + c(n−1,n−1)`;
  /// 2. LB_Keogh of the candidate against the query's Sakoe-Chiba envelope (`U_t/L_t` = max/min of the query
  ///    over `|i − t| ≤ r`, per feature; every column of the grid is matched to a cell of its band), then, for
  ///    blocks with a lane still open, the reverse LB_Keogh (the query against the candidates' envelopes,
  ///    packed like the candidates; every row is matched) — its discards are counted with LB_Keogh's.
  /// A pair is skipped only when its bound exceeds the thresholds of *both* rows, threshold = current k-th
  /// best squared distance × (1 + ``pruningTolerance``) (ties are never pruned; dtaidistance's `use_pruning`
  /// returns inf on ties). Survivors are gathered into batches of 16 lanes and run through the SIMD kernel
  /// (`cdtw_block16`/`cdtw_block8`, bit-identical to ``distance(_:_:dimensions:radius:)``); pairs of different
  /// lengths use the scalar early-abandoning DTW (stops when a whole band row exceeds both thresholds).
  /// Before the main pass every series gets a starting threshold from the DTW to its 2k neighbours in the
  /// order of the series' value sums (a cheap seeding pass; those values only tighten thresholds).
  ///
  /// Each worker keeps bounded sorted lists (k entries) for all n rows; the result of row i is the k smallest
  /// (distance, index) pairs of the union of the workers' lists — exactly as sorting row i of `pairwise` (ties:
  /// lower index first). Top-k under a total order does not depend on the order of insertion, and pruning only
  /// drops pairs that cannot be in either row's top k, so the output is identical for any thread count.
  ///
  /// Parallelism: `threads` workers (default: all online processors) take query rows dynamically.
  ///
  /// - Precondition: `1 ≤ k < series.count`.
  /// - Complexity: worst case Σ_{i<j} band cells · d (every pair computed) plus O(n² · L · d / 8) for the bounds;
  ///   memory O(n · L · d) for the packed series and envelopes plus O(workers · n · k) for the lists —
  ///   no n × n matrix.
  public static func nearestNeighbors(
    _ series: [[Double]], dimensions d: Int = 1, radius: Radius, k: Int, threads: Int? = nil,
    progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  ) -> DTWNeighbors {
    let n = series.count
    precondition(k >= 1 && k < n, "DTW.nearestNeighbors: k must be in 1..<n")
    precondition(n < Int(Int32.max), "DTW.nearestNeighbors: at most 2^31 − 2 series")
    checkSeries(series, dimensions: d)
    let r = checkedRadius(radius)
    let packing = DTWPacking(series, d: d)
    let lengths = packing.lengths
    let maxLength = lengths.max()!
    // Flat storage and the Sakoe-Chiba envelope of every series (upper, lower), per feature.
    var offsetsBuilder = [Int](repeating: 0, count: n + 1)
    for i in 0..<n { offsetsBuilder[i + 1] = offsetsBuilder[i] + series[i].count }
    let offsets = offsetsBuilder
    var flat = [Double]()
    flat.reserveCapacity(offsets[n])
    for s in series { flat.append(contentsOf: s) }
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
    // The candidates' envelopes, packed like the candidates (same order and blocks), for the reverse LB_Keogh.
    let packedUpper = DTWPacking((0..<n).map { Array(upper[offsets[$0]..<offsets[$0 + 1]]) }, d: d).packed
    let packedLower = DTWPacking((0..<n).map { Array(lower[offsets[$0]..<offsets[$0 + 1]]) }, d: d).packed
    let workers = max(1, min(threads ?? Processors.available(), n - 1))
    let seeds = seedThresholds(series, flat: flat, offsets: offsets, lengths: lengths, d: d, r: r, k: k,
      workers: workers)
    // Lists and thresholds are kept by position in the packing order (a block's 8 candidates are adjacent).
    let seedsByPosition = packing.order.map { seeds[$0] }
    let lists = (0..<workers).map { _ in NeighborLists(n: n, k: k, start: seedsByPosition) }
    let counts = NeighborCounters()
    let step = max(1, n / 100)
    flat.withUnsafeBufferPointer { pf in
      upper.withUnsafeBufferPointer { pu in
        lower.withUnsafeBufferPointer { pl in
          packing.packed.withUnsafeBufferPointer { pp in
           packedUpper.withUnsafeBufferPointer { ppu in
            packedLower.withUnsafeBufferPointer { ppl in
            let blockUpper = SharedConstDoubles(base: ppu.baseAddress!)
            let blockLower = SharedConstDoubles(base: ppl.baseAddress!)
            let data = SharedConstDoubles(base: pf.baseAddress!)
            let up = SharedConstDoubles(base: pu.baseAddress!)
            let low = SharedConstDoubles(base: pl.baseAddress!)
            let blocks = SharedConstDoubles(base: pp.baseAddress!)
            let work: @Sendable (Int) -> Void = { w in
              let list = lists[w]
              let order = packing.order, groupStart = packing.groupStart, groupOf = packing.groupOfPosition
              let blockOffset = packing.blockOffset
              let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 2 * (maxLength + 1))
              let batch = UnsafeMutableRawPointer.allocate(byteCount: 16 * maxLength * d * 8, alignment: 64)
                .bindMemory(to: Double.self, capacity: 16 * maxLength * d)
              let batchIndex = UnsafeMutablePointer<Int>.allocate(capacity: 16)
              let lanes = UnsafeMutablePointer<Double>.allocate(capacity: 16)
              let bounds = UnsafeMutablePointer<Double>.allocate(capacity: 16)
              let simdBuffer = UnsafeMutableRawPointer.allocate(byteCount: 6 * (maxLength + 1) * 8 * 8, alignment: 64)
                .bindMemory(to: Double.self, capacity: 6 * (maxLength + 1) * 8)
              defer {
                buffer.deallocate()
                batch.deallocate()
                batchIndex.deallocate()
                lanes.deallocate()
                bounds.deallocate()
                simdBuffer.deallocate()
              }
              var local = (kim: 0, keogh: 0, abandoned: 0, computed: 0)
              while true {
                let p = counts.nextQuery()
                if p >= n - 1 { break }
                let q = order[p]
                let g = groupOf[p]
                let start = groupStart[g], end = groupStart[g + 1]
                let lq = lengths[q]
                let total = lq * d
                let x = data.base + offsets[q]
                var batchCount = 0
                func flush() {
                  guard batchCount > 0 else { return }
                  // Unused lanes repeat the first candidate (computed, ignored).
                  let width = batchCount <= 8 ? 8 : 16
                  for lane in batchCount..<width {
                    let blockBase = batch + (lane / 8) * total * 8
                    for v in 0..<total { blockBase[v * 8 + lane % 8] = batch[v * 8] }
                  }
                  if width == 8 {
                    cdtw_block8(x, batch, lq, d, r, simdBuffer, lanes)
                  } else {
                    cdtw_block16(x, batch, batch + total * 8, lq, d, r, simdBuffer, lanes)
                  }
                  for lane in 0..<batchCount {
                    let pj = batchIndex[lane]
                    list.insert(row: p, lanes[lane], order[pj])
                    list.insert(row: pj, lanes[lane], q)
                  }
                  local.computed += batchCount
                  batchCount = 0
                }
                // Same-length candidates after p, a block of 8 at a time: bounds in lanes, survivors batched.
                if p + 1 < end {
                  let uq = up.base + offsets[q], lq_ = low.base + offsets[q]
                  var b = (p + 1 - start) / 8
                  while start + b * 8 < end {
                    let block = blocks.base + blockOffset[g] + b * total * 8
                    let first = start + b * 8
                    var kimPruned: Int32 = 0
                    let blockOffsetInPacked = blockOffset[g] + b * total * 8
                    let survivors = cdtw_lower_bounds8(x, uq, lq_, block, blockUpper.base + blockOffsetInPacked,
                      blockLower.base + blockOffsetInPacked, lq, d, list.threshold[p], list.threshold + first, &kimPruned)
                    // Lanes of this row: positions p+1 ..< end.
                    let lowLane = max(0, p + 1 - first), highLane = min(8, end - first)
                    let valid = Int32((1 << highLane) - (1 << lowLane))
                    let kept = survivors & valid
                    local.kim += (kimPruned & valid).nonzeroBitCount
                    local.keogh += (valid & ~kimPruned & ~survivors).nonzeroBitCount
                    var bits = kept
                    while bits != 0 {
                      let l = Int(bits.trailingZeroBitCount)
                      bits &= bits - 1
                      let blockBase = batch + (batchCount / 8) * total * 8
                      let laneOut = batchCount % 8
                      for v in 0..<total { blockBase[v * 8 + laneOut] = block[v * 8 + l] }
                      batchIndex[batchCount] = first + l
                      batchCount += 1
                      if batchCount == 16 { flush() }
                    }
                    b += 1
                  }
                  flush()
                }
                // Longer candidates (later groups): scalar early-abandoning DTW, the longer series as rows.
                if end < n {
                  for pj in end..<n {
                    let j = order[pj]
                    let limit = max(list.threshold[p], list.threshold[pj])
                    let v = abandoningKernel(data.base + offsets[j], lengths[j], x, lq, d, r, buffer, limit)
                    if v.isInfinite {
                      local.abandoned += 1
                      continue
                    }
                    let distance = v.squareRoot()
                    list.insert(row: p, distance, j)
                    list.insert(row: pj, distance, q)
                    local.computed += 1
                  }
                }
                let done = counts.finishQuery()
                if let progress, done % step == 0 || done == n - 1 { progress(done, n - 1) }
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
    // Row i: the k smallest (distance, index) of the union of the workers' lists.
    var indices: [[Int]] = []
    var distances: [[Double]] = []
    indices.reserveCapacity(n)
    distances.reserveCapacity(n)
    var merged: [(Double, Int)] = []
    for i in 0..<n {
      merged.removeAll(keepingCapacity: true)
      for list in lists { list.append(row: packing.position[i], to: &merged) }
      merged.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
      precondition(merged.count >= k, "DTW.nearestNeighbors: internal error (fewer than k candidates kept)")
      indices.append(merged.prefix(k).map { $0.1 })
      distances.append(merged.prefix(k).map { $0.0 })
    }
    let totals = counts.totals()
    return DTWNeighbors(indices: indices, distances: distances, prunedByKim: totals.0, prunedByKeogh: totals.1,
      abandoned: totals.2, computed: totals.3)
  }

  /// Starting thresholds of the k-NN search: for every series, the k-th smallest squared DTW cost to its 2k
  /// neighbours in the order of (sum of all values, index), × (1 + ``pruningTolerance``); +∞ when fewer than k
  /// candidates exist. Any k real distances bound the k-th nearest from above, so these only tighten pruning.
  static func seedThresholds(
    _ series: [[Double]], flat: [Double], offsets: [Int], lengths: [Int], d: Int, r: Int, k: Int, workers: Int
  ) -> [Double] {
    let n = series.count
    let sums = series.map { s in s.reduce(0, +) }
    let byKey = (0..<n).sorted { (sums[$0], $0) < (sums[$1], $1) }
    var thresholds = [Double](repeating: .infinity, count: n)
    let window = min(n - 1, 2 * k)
    guard window >= k else { return thresholds }
    let maxLength = lengths.max()!
    let next = NeighborCounters()
    flat.withUnsafeBufferPointer { pf in
      thresholds.withUnsafeMutableBufferPointer { pt in
        let data = SharedConstDoubles(base: pf.baseAddress!)
        let out = SharedDoubles(base: pt.baseAddress!)
        let work: @Sendable (Int) -> Void = { _ in
          let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 2 * (maxLength + 1))
          defer { buffer.deallocate() }
          var costs: [Double] = []
          costs.reserveCapacity(window)
          while true {
            let p = next.nextQuery()
            if p >= n { break }
            let i = byKey[p]
            // The window of `window` positions around p (shifted inside 0..<n), p itself excluded.
            var lo = max(0, p - window / 2)
            if lo + window >= n { lo = n - 1 - window }
            costs.removeAll(keepingCapacity: true)
            for position in lo...(lo + window) where position != p {
              let j = byKey[position]
              let (a, b) = lengths[i] >= lengths[j] ? (i, j) : (j, i)
              costs.append(abandoningKernel(data.base + offsets[a], lengths[a], data.base + offsets[b], lengths[b], d, r,
                buffer, .infinity))
            }
            costs.sort()
            out.base[i] = costs[k - 1] * (1 + pruningTolerance)
          }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
      }
    }
    return thresholds
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

/// One worker's bounded neighbour lists: for every row (by position in the packing order), up to k (distance, index) entries ascending by
/// (distance, index), and the row's pruning threshold (the starting threshold until k entries exist, then the
/// smaller of it and (k-th distance)² × (1 + `pruningTolerance`)). Used by one worker at a time.
private final class NeighborLists: @unchecked Sendable {
  let n: Int, k: Int
  let distance: UnsafeMutablePointer<Double>
  let index: UnsafeMutablePointer<Int32>
  let count: UnsafeMutablePointer<Int32>
  let threshold: UnsafeMutablePointer<Double>

  init(n: Int, k: Int, start: [Double]) {
    self.n = n
    self.k = k
    distance = .allocate(capacity: n * k)
    index = .allocate(capacity: n * k)
    count = .allocate(capacity: n)
    count.initialize(repeating: 0, count: n)
    threshold = .allocate(capacity: n + 8)  // padded: the bounds read 8 lanes from a block's first position
    start.withUnsafeBufferPointer { threshold.initialize(from: $0.baseAddress!, count: n) }
    (threshold + n).initialize(repeating: .infinity, count: 8)
  }

  deinit {
    distance.deallocate()
    index.deallocate()
    count.deallocate()
    threshold.deallocate()
  }

  /// Inserts (v, j) into row i's list if it is among the k smallest so far.
  @inline(__always)
  func insert(row i: Int, _ v: Double, _ j: Int) {
    let ds = distance + i * k, js = index + i * k
    var c = Int(count[i])
    let j32 = Int32(truncatingIfNeeded: j)
    if c == k {
      let lastD = ds[k - 1], lastJ = js[k - 1]
      if v > lastD || (v == lastD && j32 > lastJ) { return }
      c -= 1
    } else {
      count[i] = Int32(c + 1)
    }
    var p = c
    while p > 0 && (ds[p - 1] > v || (ds[p - 1] == v && js[p - 1] > j32)) {
      ds[p] = ds[p - 1]
      js[p] = js[p - 1]
      p -= 1
    }
    ds[p] = v
    js[p] = j32
    if count[i] == Int32(k) {
      let b = ds[k - 1]
      let t = (b * b) * (1 + DTW.pruningTolerance)
      if t < threshold[i] { threshold[i] = t }
    }
  }

  func append(row i: Int, to out: inout [(Double, Int)]) {
    for p in 0..<Int(count[i]) { out.append((distance[i * k + p], Int(index[i * k + p]))) }
  }
}

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
