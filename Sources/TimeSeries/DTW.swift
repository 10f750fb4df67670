#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CohortLensCore
import Dispatch
import LinearAlgebra

/// Dynamic time warping (DTW) with an optional Sakoe-Chiba band, equal to tslearn 0.10.0 to the last bit.
///
/// A series of length `L` with `d` features is stored row-major: `L·d` values, time step `t` at
/// `t·d ..< (t+1)·d`. For series `x` (length n) and `y` (length m):
///
/// - local cost `c(i, j) = Σ_{f=0}^{d−1} (x[i,f] − y[j,f])²`, summed in feature order from 0.0, each term
///   `t * t` with `t = x − y` (no fused multiply-add);
/// - `D(−1,−1) = 0`, `D(i,−1) = D(−1,j) = +∞`, `D(i,j) = c(i,j) + min(D(i−1,j−1), D(i−1,j), D(i,j−1))`
///   inside the band, `+∞` outside;
/// - result `√D(n−1, m−1)` (dependent DTW, "DTW_D", for d > 1).
///
/// Sakoe-Chiba band of radius r (tslearn `_sakoe_chiba_mask_generic`): with equal lengths cell (i, j) is inside
/// iff `|i − j| ≤ r`; with n > m iff `−r ≤ i − j ≤ (n − m) + r`, with n < m iff `−r ≤ j − i ≤ (m − n) + r`. The
/// band is widened on one side by the length difference, not slanted, so every band contains a path and the
/// result is finite. `r ≥ min(n, m) − 1` (L − 1 for equal lengths) is the unconstrained DTW; `r = 0` with equal lengths is the Euclidean
/// distance. The result does not depend on the argument order (bit for bit).
///
/// Reference: tslearn 0.10.0 `tslearn/metrics/_dtw.py` (`dtw`, `cdist_dtw`, `_njit_accumulated_matrix`) and
/// `tslearn/metrics/_masks.py` (`sakoe_chiba_mask`). Parameter mapping: tslearn
/// `dtw(x, y, global_constraint="sakoe_chiba", sakoe_chiba_radius=r)` = `.band(r)`; dtaidistance
/// `window = r + 1`; tslearn without constraint = `.full`.
///
/// Values must be finite (tslearn turns interior NaN into +∞; here a NaN gives an unspecified result).
public enum DTW {
  /// The global constraint.
  public enum Radius: Sendable, Equatable {
    /// Unconstrained: every cell of the n × m grid.
    case full
    /// Sakoe-Chiba band of half-width r ≥ 0 (tslearn `sakoe_chiba_radius=r`).
    case band(Int)
  }

  /// The DTW distance between `x` and `y` (row-major, `dimensions` features per time step).
  ///
  /// Defaults: `dimensions = 1`. Both series must be non-empty and have a multiple of `dimensions` values.
  ///
  /// - Complexity: O(band cells · d) time (`bandCells(n, m, radius:)`; n·m for `.full`), O(min(n, m)) memory
  ///   (two rows of the cumulative matrix over the shorter series); only the band is visited.
  public static func distance(_ x: [Double], _ y: [Double], dimensions d: Int = 1, radius: Radius) -> Double {
    precondition(d >= 1, "DTW.distance: dimensions must be ≥ 1")
    precondition(!x.isEmpty && !y.isEmpty, "DTW.distance: empty series")
    precondition(x.count % d == 0 && y.count % d == 0, "DTW.distance: series length not a multiple of dimensions")
    let r = checkedRadius(radius)
    // Rows over the longer series, columns over the shorter: the recurrence is symmetric, so this is the
    // same value bit for bit, and the buffer is as short as possible.
    let (a, b) = x.count >= y.count ? (x, y) : (y, x)
    let m = b.count / d
    var buffer = [Double](repeating: .infinity, count: 2 * (m + 1))
    return a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        buffer.withUnsafeMutableBufferPointer { pbuf in
          kernel(pa.baseAddress!, pa.count / d, pb.baseAddress!, m, d, r, pbuf.baseAddress!)
        }
      }
    }
  }

  /// All pairwise DTW distances between `series`: an n × n `Matrix`, diagonal exactly 0, symmetric bit for bit.
  ///
  /// Same as tslearn `cdist_dtw(series, global_constraint="sakoe_chiba", sakoe_chiba_radius=r)` (or without
  /// constraint for `.full`): only the pairs i < j are computed, then mirrored; every entry is bit-identical to
  /// `distance(series[i], series[j], …)`. Series may have different lengths (tslearn's NaN padding of a dataset
  /// is not needed).
  ///
  /// Engine (`DTWEngine`): series grouped by length; within a group one query runs against 8 candidates in SIMD
  /// lanes (candidates transposed once; AVX-512 / AVX2 / SSE2 chosen at run time), band-only loops, two-row
  /// buffer, branchless minimum, no fused multiply-add; pairs of different lengths use the scalar kernel.
  /// Parallelism: `threads` workers (default: the number of online processors; capped at n − 1) take
  /// upper-triangle rows dynamically (longest first); each pair is computed by one worker with the same code,
  /// so the result is identical for every thread count. No BLAS is called.
  ///
  /// `progress`, if given, is called from the workers with (pairs done, total pairs) about 100 times.
  ///
  /// - Complexity: Σ_{i<j} band cells · d time; n² doubles for the output, one transposed copy of the input,
  ///   and two kernel rows (× 8 lanes) per worker.
  public static func pairwise(
    _ series: [[Double]], dimensions d: Int = 1, radius: Radius, threads: Int? = nil,
    progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  ) -> Matrix {
    checkSeries(series, dimensions: d)
    return DTWEngine.pairwise(series, d: d, r: checkedRadius(radius), threads: threads, progress: progress)
  }

  /// ``pairwise(_:dimensions:radius:threads:progress:)`` written straight into caller-owned memory: every entry
  /// of the n × n row-major matrix (diagonal 0) is stored to `output`, which must hold exactly n² doubles. Lets
  /// a caller compute into its final buffer (e.g. the data part of a `.npy` file) without an extra n² copy.
  public static func pairwise(
    _ series: [[Double]], dimensions d: Int = 1, radius: Radius, threads: Int? = nil,
    into output: UnsafeMutableBufferPointer<Double>,
    progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  ) {
    checkSeries(series, dimensions: d)
    precondition(output.count == series.count * series.count, "DTW.pairwise(into:): the buffer must hold n² doubles")
    guard let base = output.baseAddress else { return }
    DTWEngine.pairwise(series, d: d, r: checkedRadius(radius), threads: threads, into: base, progress: progress)
  }

  /// Precondition: `d ≥ 1` and every series non-empty with a multiple of `d` values.
  static func checkSeries(_ series: [[Double]], dimensions d: Int) {
    precondition(d >= 1, "DTW.pairwise: dimensions must be ≥ 1")
    for (k, s) in series.enumerated() {
      precondition(!s.isEmpty && s.count % d == 0, "DTW.pairwise: series \(k) is empty or not a multiple of dimensions")
    }
  }

  /// The scalar reference engine (one pair at a time, rows handed out dynamically); kept to test the SIMD
  /// engine against.
  static func pairwiseScalar(
    _ series: [[Double]], dimensions d: Int = 1, radius: Radius, threads: Int? = nil,
    progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  ) -> Matrix {
    checkSeries(series, dimensions: d)
    let r = checkedRadius(radius)
    let n = series.count
    var out = Matrix(rows: n, columns: n)
    guard n > 1 else { return out }
    let maxLength = series.map { $0.count / d }.max()!
    let workers = max(1, min(threads ?? Processors.available(), n - 1))
    let counter = RowCounter()
    let totalPairs = n * (n - 1) / 2
    out.storage.withUnsafeMutableBufferPointer { po in
      let output = SharedOutput(base: po.baseAddress!)
      let work: @Sendable (Int) -> Void = { _ in
        var buffer = [Double](repeating: .infinity, count: 2 * (maxLength + 1))
        buffer.withUnsafeMutableBufferPointer { pbuf in
          while true {
            let i = counter.next()
            if i >= n - 1 { break }
            series[i].withUnsafeBufferPointer { pi in
              let li = pi.count / d
              for j in (i + 1)..<n {
                let v = series[j].withUnsafeBufferPointer { pj -> Double in
                  let lj = pj.count / d
                  return li >= lj
                    ? kernel(pi.baseAddress!, li, pj.baseAddress!, lj, d, r, pbuf.baseAddress!)
                    : kernel(pj.baseAddress!, lj, pi.baseAddress!, li, d, r, pbuf.baseAddress!)
                }
                output.base[i * n + j] = v
                output.base[j * n + i] = v
              }
            }
            if let progress {
              let (done, crossed) = counter.finish(pairs: n - 1 - i, total: totalPairs)
              if crossed { progress(done, totalPairs) }
            }
          }
        }
      }
      if workers == 1 {
        work(0)
      } else {
        DispatchQueue.concurrentPerform(iterations: workers, execute: work)
      }
    }
    return out
  }

  /// Number of band cells of an n × m grid (the cells `distance` visits): Σ_i (j_hi(i) − j_lo(i) + 1).
  public static func bandCells(_ n: Int, _ m: Int, radius: Radius) -> Int {
    let r = checkedRadius(radius)
    let (rows, cols) = n >= m ? (n, m) : (m, n)
    var total = 0
    for i in 0..<rows {
      let (lo, hi) = bandRange(row: i, rows: rows, columns: cols, radius: r)
      total += hi - lo + 1
    }
    return total
  }

  // MARK: - Kernel

  /// `r` as an Int, `Int.max / 4` for `.full` (wide enough never to clip, small enough not to overflow).
  @inline(__always)
  static func checkedRadius(_ radius: Radius) -> Int {
    switch radius {
    case .full: return Int.max / 4
    case .band(let r):
      precondition(r >= 0, "DTW: Sakoe-Chiba radius must be ≥ 0, got \(r)")
      return min(r, Int.max / 4)
    }
  }

  /// Columns of row i inside the band for rows ≥ columns: `−r ≤ i − j ≤ (rows − columns) + r`.
  @inline(__always)
  static func bandRange(row i: Int, rows n: Int, columns m: Int, radius r: Int) -> (Int, Int) {
    (max(0, i - (n - m) - r), min(m - 1, i + r))
  }

  /// The banded DTW recurrence over rows `a` (length n) and columns `b` (length m ≤ n), `d` features.
  ///
  /// `buffer` holds 2·(m + 1) doubles (their contents on entry do not matter). Buffer index k of a row holds
  /// column k − 1 (index 0 is the column −1 boundary). Band rows are monotone, so it suffices to write +∞ at
  /// the left neighbour of each row's first band cell and at the cell right of its last band cell.
  @inline(__always)
  static func kernel(
    _ a: UnsafePointer<Double>, _ n: Int, _ b: UnsafePointer<Double>, _ m: Int, _ d: Int, _ r: Int,
    _ buffer: UnsafeMutablePointer<Double>
  ) -> Double {
    var prev = buffer
    var cur = buffer + (m + 1)
    // Row −1: D(−1,−1) = 0, D(−1, j) = +∞.
    prev[0] = 0
    for k in 1...m { prev[k] = .infinity }
    for i in 0..<n {
      let (lo, hi) = bandRange(row: i, rows: n, columns: m, radius: r)
      cur[lo] = .infinity
      if d == 1 {
        let xi = a[i]
        for j in lo...hi {
          let t = xi - b[j]
          let cost = t * t
          let diag = prev[j], up = prev[j + 1], left = cur[j]
          let m1 = diag < up ? diag : up
          let best = m1 < left ? m1 : left
          cur[j + 1] = cost + best
        }
      } else {
        let xi = a + i * d
        for j in lo...hi {
          let yj = b + j * d
          var cost = 0.0
          for f in 0..<d {
            let t = xi[f] - yj[f]
            cost += t * t
          }
          let diag = prev[j], up = prev[j + 1], left = cur[j]
          let m1 = diag < up ? diag : up
          let best = m1 < left ? m1 : left
          cur[j + 1] = cost + best
        }
      }
      if hi + 2 <= m { cur[hi + 2] = .infinity }
      swap(&prev, &cur)
    }
    return prev[m].squareRoot()
  }
}

/// Output pointer shared by the workers of `DTW.pairwise`; every entry is written by exactly one worker.
private struct SharedOutput: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
}

/// Hands out row indices 0, 1, 2, … to concurrent workers.
private final class RowCounter: @unchecked Sendable {
  private var value = 0
  private var pairsDone = 0
  private let lock = Lock()
  /// Adds `pairs` finished pairs; `crossed` is true when a new percent of `total` was reached.
  func finish(pairs: Int, total: Int) -> (Int, Bool) {
    lock.withLock {
      let before = pairsDone * 100 / max(1, total)
      pairsDone += pairs
      return (pairsDone, pairsDone * 100 / max(1, total) != before)
    }
  }
  func next() -> Int {
    lock.withLock {
      let v = value
      value += 1
      return v
    }
  }
}
