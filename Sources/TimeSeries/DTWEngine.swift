import CDTWKernel
import CohortLensCore
import Dispatch
import LinearAlgebra

/// The pairwise engine behind ``DTW/pairwise(_:dimensions:radius:threads:progress:)``.
///
/// - Series are ordered by (length, index) and grouped by length. Inside a group, candidates are packed once
///   into blocks of 8 series, transposed (`[step][feature][lane]`, the last block padded by repeating the
///   group's last series), so that one query runs against 8 candidates at a time in SIMD lanes
///   (`cdtw_block16`: two blocks of 8 interleaved to hide latency — from 16 features on one after the other, so
///   that a block's band window stays in L1 — `cdtw_block8` for a block left over, `cdtw_block4` for a block whose
///   wanted candidates fit in one half: the query's own block when its first later candidate is in the upper
///   half, and a group's last block when at most 4 of its lanes are series. Lanes computed for nothing: 1.0 % of
///   the pairs at N = 300 (3.7 % when only single blocks got the 4-lane pass), 0.15 % at N = 2000;
///   AVX-512, AVX2 or SSE2, chosen at run time; band-only loops, two-row buffer, branchless
///   minimum, no fused multiply-add — each lane performs the scalar recurrence's operations in its order, so
///   the values are bit-identical to ``DTW/distance(_:_:dimensions:radius:)``).
/// - Pairs of different lengths use the scalar kernel (longer series as rows, as `distance`).
/// - Each pair is written once (in its query's row, contiguous) and mirrored afterwards in 64 × 64 tiles.
/// - Work unit = one query row of the upper triangle (its later same-length candidates, in blocks, and every
///   series of a longer-length group); rows are handed out dynamically, longest first, from a mutex-guarded
///   counter. Each pair is computed by exactly one row with the same code whatever the thread count, so the
///   matrix is identical for any number of threads.
enum DTWEngine {
  static func pairwise(
    _ series: [[Double]], d: Int, r: Int, threads: Int?, progress: (@Sendable (Int, Int) -> Void)?
  ) -> Matrix {
    let n = series.count
    var out = Matrix(rows: n, columns: n)
    out.storage.withUnsafeMutableBufferPointer { po in
      pairwise(series, d: d, r: r, threads: threads, into: po.baseAddress!, progress: progress)
    }
    return out
  }

  /// Writes every entry of the n × n matrix (row-major, diagonal 0) to `base`.
  static func pairwise(
    _ series: [[Double]], d: Int, r: Int, threads: Int?, into base: UnsafeMutablePointer<Double>,
    progress: (@Sendable (Int, Int) -> Void)?
  ) {
    let n = series.count
    guard n > 1 else {
      if n == 1 { base[0] = 0 }
      return
    }
    let packing = DTWPacking(series, d: d)
    let lengths = packing.lengths, order = packing.order
    let groupStart = packing.groupStart, groupOfPosition = packing.groupOfPosition
    let blockOffset = packing.blockOffset
    let packed = packing.packed
    let maxLength = lengths.max()!
    let workers = max(1, min(threads ?? Processors.available(), n - 1))
    let counter = EngineCounter()
    let totalPairs = n * (n - 1) / 2
    let groupStarts = groupStart, offsets = blockOffset, groupOf = groupOfPosition
    let orderCopy = order, lengthsCopy = lengths
    do {
      packed.withUnsafeBufferPointer { pp in
        let output = EngineShared(base: base)
        let blocks = EngineShared(base: UnsafeMutablePointer(mutating: pp.baseAddress!))
        let work: @Sendable (Int) -> Void = { _ in
          let simdBuffer = UnsafeMutableRawPointer.allocate(byteCount: 6 * (maxLength + 1) * 8 * 8, alignment: 64)
            .bindMemory(to: Double.self, capacity: 6 * (maxLength + 1) * 8)
          let scalarBuffer = UnsafeMutablePointer<Double>.allocate(capacity: 2 * (maxLength + 1))
          let lane = UnsafeMutablePointer<Double>.allocate(capacity: 16)
          defer {
            simdBuffer.deallocate()
            scalarBuffer.deallocate()
            lane.deallocate()
          }
          while true {
            let p = counter.next()
            if p >= n - 1 { break }
            let i = orderCopy[p]
            let g = groupOf[p]
            let start = groupStarts[g], end = groupStarts[g + 1]
            let li = lengthsCopy[i]
            series[i].withUnsafeBufferPointer { pi in
              // Same-length candidates q in p+1 ..< end, 8 per block: blocks in pairs (16 lanes), except that a
              // block whose wanted lanes all lie in one half — the query's own block when p + 1 is in its upper
              // half, a group's last block when at most 4 of its lanes are series — gets a 4-lane pass (same
              // values, half the work), and a single block left over gets an 8-lane pass.
              if p + 1 < end {
                let values = li * d
                let x = pi.baseAddress!
                let row = output.base + i * n
                let lastBlock = (end - 1 - start) / 8
                let lastValid = end - start - lastBlock * 8
                var b = (p + 1 - start) / 8
                // Writes lanes `lanes` of `lane` (lane l belongs to q = start + b·8 + l) for the wanted q.
                func emit(from b: Int, lanes: Range<Int>) {
                  for l in lanes {
                    let q = start + b * 8 + l
                    if q > p && q < end { row[orderCopy[q]] = lane[l] }
                  }
                }
                func block(_ b: Int) -> UnsafeMutablePointer<Double> { blocks.base + offsets[g] + b * values * 8 }
                let wantedFrom = p + 1 - (start + b * 8)
                if b == lastBlock {
                  if lastValid <= 4 {
                    cdtw_block4(x, block(b), li, d, r, simdBuffer, lane)
                    emit(from: b, lanes: 0..<4)
                  } else if wantedFrom >= 4 {
                    cdtw_block4(x, block(b) + 4, li, d, r, simdBuffer, lane + 4)
                    emit(from: b, lanes: 4..<8)
                  } else {
                    cdtw_block8(x, block(b), li, d, r, simdBuffer, lane)
                    emit(from: b, lanes: 0..<8)
                  }
                } else {
                  if wantedFrom >= 4 {
                    cdtw_block4(x, block(b) + 4, li, d, r, simdBuffer, lane + 4)
                    emit(from: b, lanes: 4..<8)
                    b += 1
                  }
                  let tailFour = lastValid <= 4
                  let stop = tailFour ? lastBlock : lastBlock + 1
                  while b + 1 < stop {
                    cdtw_block16(x, block(b), block(b + 1), li, d, r, simdBuffer, lane)
                    emit(from: b, lanes: 0..<16)
                    b += 2
                  }
                  if b < stop {
                    cdtw_block8(x, block(b), li, d, r, simdBuffer, lane)
                    emit(from: b, lanes: 0..<8)
                  }
                  if tailFour {
                    cdtw_block4(x, block(lastBlock), li, d, r, simdBuffer, lane)
                    emit(from: lastBlock, lanes: 0..<4)
                  }
                }
              }
              // Longer candidates (later groups): scalar kernel, the longer series as rows.
              for q in end..<n {
                let j = orderCopy[q]
                let v = series[j].withUnsafeBufferPointer { pj in
                  DTW.kernel(pj.baseAddress!, lengthsCopy[j], pi.baseAddress!, li, d, r, scalarBuffer)
                }
                output.base[i * n + j] = v
              }
            }
            if let progress {
              let (done, crossed) = counter.finish(pairs: n - 1 - p, total: totalPairs)
              if crossed { progress(done, totalPairs) }
            }
          }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
      }
      // Each pair was written once, in the row of whichever series comes first in `order`; mirror it onto the
      // other triangle in 64 × 64 tiles (cache-friendly, unlike writing a column per query). Stripes of 64 rows
      // are handed to the workers: stripe a0 handles the pairs (a, b) with a in the stripe and b > a, so every
      // entry is written by one worker.
      let position = packing.position
      let tile = 64
      let stripes = (n + tile - 1) / tile
      let output = EngineShared(base: base)
      let stripeCounter = EngineCounter()
      let mirror: @Sendable (Int) -> Void = { _ in
        let base = output.base
        while true {
          let a0 = stripeCounter.next() * tile
          if a0 >= n { break }
          for a in a0..<min(n, a0 + tile) { base[a * n + a] = 0 }  // the diagonal, in parallel with the rest
          for b0 in stride(from: a0, to: n, by: tile) {
            for a in a0..<min(n, a0 + tile) {
              for b in max(b0, a + 1)..<max(max(b0, a + 1), min(n, b0 + tile)) {
                if position[a] < position[b] { base[b * n + a] = base[a * n + b] } else { base[a * n + b] = base[b * n + a] }
              }
            }
          }
        }
      }
      let mirrorWorkers = min(workers, stripes)
      if mirrorWorkers <= 1 { mirror(0) } else { DispatchQueue.concurrentPerform(iterations: mirrorWorkers, execute: mirror) }
    }
  }
}

/// Series ordered by (length, index), grouped by length, and each group packed once into blocks of 8 series
/// transposed for the SIMD kernels: value `v` (= step · d + feature) of lane `l` of block `b` of group `g` at
/// `packed[blockOffset[g] + b · L_g · d · 8 + v · 8 + l]`; the last block of a group is padded by repeating the
/// group's last series. Shared by the pairwise engine and the k-NN search. O(n · L · d) time and memory.
struct DTWPacking {
  /// Length (steps) of every series, by input index.
  let lengths: [Int]
  /// Input indices sorted by (length, index); `position[order[p]] == p`.
  let order: [Int]
  let position: [Int]
  /// Group g covers positions `groupStart[g] ..< groupStart[g + 1]` (one more entry than groups).
  let groupStart: [Int]
  let groupOfPosition: [Int]
  let blockOffset: [Int]
  /// The blocks, 64-byte aligned: the kernels' 32-byte vector loads then never straddle a cache line (with an
  /// array's 16-byte alignment half of them did; 5 % slower at d = 25 in the standalone kernel).
  let packed: AlignedDoubles

  init(_ series: [[Double]], d: Int) {
    let n = series.count
    let lengths = series.map { $0.count / d }
    let order = (0..<n).sorted { (lengths[$0], $0) < (lengths[$1], $1) }
    var position = [Int](repeating: 0, count: n)
    for (p, i) in order.enumerated() { position[i] = p }
    var groupStart: [Int] = []
    var groupOfPosition = [Int](repeating: 0, count: n)
    for p in 0..<n {
      if p == 0 || lengths[order[p]] != lengths[order[p - 1]] { groupStart.append(p) }
      groupOfPosition[p] = groupStart.count - 1
    }
    groupStart.append(n)
    var blockOffset: [Int] = []
    var packedCount = 0
    for g in 0..<(groupStart.count - 1) {
      blockOffset.append(packedCount)
      let count = groupStart[g + 1] - groupStart[g]
      packedCount += (count + 7) / 8 * lengths[order[groupStart[g]]] * d * 8
    }
    // Every entry is written: each block's 8 lanes × values (lanes past the group's end repeat its last series).
    let packed = AlignedDoubles(count: packedCount) { pp in
      for g in 0..<(groupStart.count - 1) {
        let start = groupStart[g], count = groupStart[g + 1] - start
        let values = lengths[order[start]] * d
        for b in 0..<((count + 7) / 8) {
          for lane in 0..<8 {
            let s = series[order[start + min(b * 8 + lane, count - 1)]]
            let base = blockOffset[g] + b * values * 8
            for v in 0..<values { pp[base + v * 8 + lane] = s[v] }
          }
        }
      }
    }
    self.lengths = lengths
    self.order = order
    self.position = position
    self.groupStart = groupStart
    self.groupOfPosition = groupOfPosition
    self.blockOffset = blockOffset
    self.packed = packed
  }
}

private struct EngineShared: @unchecked Sendable { let base: UnsafeMutablePointer<Double> }

/// Immutable-after-fill storage of doubles at a 64-byte aligned address, freed with the last reference.
/// Shared read-only by the engine's threads once filled.
final class AlignedDoubles: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
  let count: Int

  /// `fill` must write all `count` values (they are not zeroed first: the packing writes each one once).
  init(count: Int, fill: (UnsafeMutablePointer<Double>) -> Void) {
    self.count = count
    base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * 8, alignment: 64)
      .bindMemory(to: Double.self, capacity: Swift.max(1, count))
    fill(base)
  }

  deinit { base.deallocate() }

  /// Calls `body` with the values (valid only inside `body`).
  func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
    try withExtendedLifetime(self) { try body(UnsafeBufferPointer(start: base, count: count)) }
  }
}

/// Row counter and progress tally of the engine.
private final class EngineCounter: @unchecked Sendable {
  private var value = 0
  private var pairsDone = 0
  private let lock = Lock()
  func next() -> Int { lock.withLock { let v = value; value += 1; return v } }
  func finish(pairs: Int, total: Int) -> (Int, Bool) {
    lock.withLock {
      let before = pairsDone * 100 / max(1, total)
      pairsDone += pairs
      return (pairsDone, pairsDone * 100 / max(1, total) != before)
    }
  }
}
