import CDTWKernel
import CohortLensCore
import Dispatch
import LinearAlgebra

/// The pairwise engine behind ``DTW/pairwise(_:dimensions:radius:threads:progress:)``.
///
/// - Series are ordered by (length, index) and grouped by length. Inside a group, candidates are packed once
///   into blocks of 8 series, transposed (`[step][feature][lane]`, the last block padded by repeating the
///   group's last series), so that one query runs against 8 candidates at a time in SIMD lanes
///   (`cdtw_block16`: two blocks of 8 interleaved to hide latency, `cdtw_block8` for a last single block;
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
    guard n > 1 else { return out }
    let lengths = series.map { $0.count / d }
    let order = (0..<n).sorted { (lengths[$0], $0) < (lengths[$1], $1) }
    // Groups of equal length, as ranges of positions in `order`, and their packed blocks.
    var groupStart: [Int] = []
    var groupOfPosition = [Int](repeating: 0, count: n)
    for p in 0..<n {
      if p == 0 || lengths[order[p]] != lengths[order[p - 1]] { groupStart.append(p) }
      groupOfPosition[p] = groupStart.count - 1
    }
    groupStart.append(n)
    var blockOffset: [Int] = []  // per group, offset in `packed` of its first block
    var packedCount = 0
    for g in 0..<(groupStart.count - 1) {
      blockOffset.append(packedCount)
      let count = groupStart[g + 1] - groupStart[g]
      packedCount += (count + 7) / 8 * lengths[order[groupStart[g]]] * d * 8
    }
    var packed = [Double](repeating: 0, count: packedCount)
    for g in 0..<(groupStart.count - 1) {
      let start = groupStart[g], count = groupStart[g + 1] - start
      let values = lengths[order[start]] * d
      for b in 0..<((count + 7) / 8) {
        for lane in 0..<8 {
          let s = series[order[start + min(b * 8 + lane, count - 1)]]
          let base = blockOffset[g] + b * values * 8
          for v in 0..<values { packed[base + v * 8 + lane] = s[v] }
        }
      }
    }
    let maxLength = lengths.max()!
    let workers = max(1, min(threads ?? DTW.onlineProcessors(), n - 1))
    let counter = EngineCounter()
    let totalPairs = n * (n - 1) / 2
    let groupStarts = groupStart, offsets = blockOffset, groupOf = groupOfPosition
    let orderCopy = order, lengthsCopy = lengths
    out.storage.withUnsafeMutableBufferPointer { po in
      packed.withUnsafeBufferPointer { pp in
        let output = EngineShared(base: po.baseAddress!)
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
              // Same-length candidates q in p+1 ..< end, 8 per block.
              if p + 1 < end {
                let values = li * d
                var b = (p + 1 - start) / 8
                let x = pi.baseAddress!
                while start + b * 8 < end {
                  let first = blocks.base + offsets[g] + b * values * 8
                  // Two blocks at once while two remain (16 lanes), then one.
                  let width = start + (b + 1) * 8 < end ? 16 : 8
                  if width == 16 {
                    cdtw_block16(x, first, first + values * 8, li, d, r, simdBuffer, lane)
                  } else {
                    cdtw_block8(x, first, li, d, r, simdBuffer, lane)
                  }
                  let row = output.base + i * n
                  for l in 0..<width {
                    let q = start + b * 8 + l
                    if q <= p || q >= end { continue }
                    row[orderCopy[q]] = lane[l]
                  }
                  b += width / 8
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
      // other triangle in 64 × 64 tiles (cache-friendly, unlike writing a column per query).
      var position = [Int](repeating: 0, count: n)
      for (p, i) in order.enumerated() { position[i] = p }
      let base = po.baseAddress!
      let tile = 64
      for a0 in stride(from: 0, to: n, by: tile) {
        for b0 in stride(from: a0, to: n, by: tile) {
          for a in a0..<min(n, a0 + tile) {
            for b in max(b0, a + 1)..<max(max(b0, a + 1), min(n, b0 + tile)) {
              if position[a] < position[b] { base[b * n + a] = base[a * n + b] } else { base[a * n + b] = base[b * n + a] }
            }
          }
        }
      }
    }
    return out
  }
}

private struct EngineShared: @unchecked Sendable { let base: UnsafeMutablePointer<Double> }

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
