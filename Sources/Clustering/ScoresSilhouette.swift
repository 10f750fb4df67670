import CohortLensCore
import CLapack
import CScoresKernel
import Dispatch
import LinearAlgebra

extension ClusterScores {
  /// Rows per block in ``silhouetteSamples(_:labels:)``; each block is processed against
  /// column tiles of ``silhouetteTileColumns`` so that its distances stay in cache.
  static let silhouetteBlockRows = 64
  static let silhouetteTileColumns = 2048

  /// Silhouette coefficient of every point, scikit-learn's `silhouette_samples(X, labels)`
  /// with the Euclidean metric.
  ///
  /// For point i in cluster A: `a(i)` = mean distance to the other points of A
  /// (sum / (|A| − 1)), `b(i)` = min over clusters B ≠ A of the mean distance to B, and
  /// `s(i) = (b − a) / max(a, b)`; 0 for a point alone in its cluster (and wherever the
  /// quotient is undefined, as `nan_to_num` makes it). Values lie in [−1, 1].
  ///
  /// Distances are `√max(0, ‖x_i‖² + ‖x_j‖² − 2·x_i·x_j)` (the GEMM form scikit-learn uses, with an
  /// exact 0 on the diagonal), evaluated on the data with its offset columns centred (those whose
  /// mean exceeds their spread, ``Pairwise/centered(_:)``) and rescaled by a power of two when an
  /// entry lies beyond 2^±400 (see `conditioned`): the silhouette is a ratio of distances, so neither
  /// changes it. **Deviation from scikit-learn**, which uses the raw rows: its rounding error is
  /// relative to `‖x_i‖²`, so an offset of 1.7e12 (epoch milliseconds) turns the silhouette of
  /// well-separated clusters negative (−0.408 instead of 0.654) and a constant column of 1e10 gives 0;
  /// here those inputs score as without the offset, and entries near 1e308 stay finite. On ordinary
  /// data the two agree to rounding (≤ 2.3e-14 per sample on the goldens).
  ///
  /// The n × n matrix is never stored: the points are grouped by cluster, row blocks of 64 points
  /// are multiplied with `dgemm` against column tiles of up to 2048 points of the upper triangle only
  /// (D is symmetric), and each tile is reduced at once to per-cluster sums for its rows and columns. Blocks are dealt round-robin to the cores
  /// (at most 8) with `DispatchQueue.concurrentPerform`, each worker summing into its own buffer;
  /// OpenBLAS is set to one thread meanwhile and restored afterwards (a process-wide setting:
  /// concurrent callers of BLAS see it too). Sums are taken in a different order than
  /// scikit-learn's `bincount`, which changes results by a few ulps only (≤ 1e-12 in practice).
  /// On x86-64 with AVX2 each tile's distances and sums are taken by `csk_silhouette_tile` (`CScoresKernel`),
  /// the same operations as the Swift loop four lanes at a time: the n²/2 square roots, most of the time,
  /// cost half as much as with the two-lane SSE2 vectors Swift is compiled for.
  ///
  /// - Throws: ``ClusterScoresError/invalidLabelCount(labels:samples:)`` unless
  ///   2 ≤ distinct labels ≤ n − 1; ``ClusterScoresError/lengthMismatch(rows:labels:)``.
  /// - Complexity: O(n²·d / 2) time (n²/2 square roots), O(n·(d + W·L)) memory for W workers,
  ///   plus 64 × 2048 doubles per worker. Release build on this project's 2-core reference
  ///   machine (AMD EPYC guest, shared), 2 workers, d = 8, L = 5, minimum of interleaved runs: 0.82 ms for
  ///   n = 1000, 73 ms for n = 8000, 0.48 s for n = 20 000 (the Swift loop: 1.15 ms, 106 ms, 0.69 s).
  /// - Reference: Rousseeuw (1987), "Silhouettes: a graphical aid to the interpretation and
  ///   validation of cluster analysis"; scikit-learn 1.9.1 `sklearn.metrics.silhouette_samples`.
  public static func silhouetteSamples(_ x: Matrix, labels: [Int]) throws(ClusterScoresError) -> [Double] {
    try silhouetteSamples(x, labels: labels, kernel: silhouetteKernelAvailable)
  }

  /// Whether ``silhouetteSamples(_:labels:)`` post-processes its tiles with the AVX2 kernel of `CScoresKernel`
  /// (x86-64 with AVX2) rather than the portable Swift loop; both give the same bits.
  static let silhouetteKernelAvailable = csk_silhouette_tile_available() != 0

  /// ``silhouetteSamples(_:labels:)`` with the tile kernel (`kernel`, where available) or the Swift loop (for tests).
  static func silhouetteSamples(_ x: Matrix, labels: [Int], kernel: Bool) throws(ClusterScoresError) -> [Double] {
    let enc = try encode(labels, rows: x.rows)
    let n = x.rows, d = x.columns, L = enc.clusterCount
    // Group the points by cluster (stable), so that per-cluster sums are contiguous runs.
    // order[p]: the original index of the p-th point in grouped order.
    var starts = [Int](repeating: 0, count: L + 1)
    for k in 0..<L { starts[k + 1] = starts[k] + enc.counts[k] }
    var fill = starts
    var order = [Int](repeating: 0, count: n)
    for i in 0..<n { order[fill[enc.codes[i]]] = i; fill[enc.codes[i]] += 1 }
    let xp = conditioned(x.selectingRows(order)).x
    let runStarts = starts
    let norms = Pairwise.rowSquaredNorms(xp)
    let blockRows = silhouetteBlockRows, tileCols = silhouetteTileColumns
    let blockCount = (n + blockRows - 1) / blockRows
    let cores = Processors.available()
    let workers = Swift.max(1, Swift.min(cores, 8, blockCount))
    // per worker: sums[p * L + k], distance sum from permuted point p to cluster k
    let buffers = UnsafeMutableBufferPointer<Double>.allocate(capacity: workers * n * L)
    buffers.initialize(repeating: 0)
    defer { buffers.deallocate() }
    let bufferAddress = UnsafeMutableSendablePointer(buffers.baseAddress!)

    let savedThreads = BLASThreads.current
    if workers > 1 { BLASThreads.set(1) }
    xp.storage.withUnsafeBufferPointer { xb in
      norms.withUnsafeBufferPointer { nb in
        let xAddress = UnsafeSendablePointer(xb.baseAddress!)
        let nAddress = UnsafeSendablePointer(nb.baseAddress!)
        // Block b's work shrinks with b (upper triangle), so blocks are dealt round-robin.
        let work: @Sendable (Int) -> Void = { w in
          // per worker: the tile's distances and the column sums of one row run
          let g = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * Swift.min(tileCols, n))
          defer { g.deallocate() }
          let colAcc = UnsafeMutablePointer<Double>.allocate(capacity: Swift.min(tileCols, n))
          defer { colAcc.deallocate() }
          var block = w
          while block < blockCount {
            silhouetteBlock(
              block: block, blockRows: blockRows, tileCols: tileCols, n: n, d: d, clusters: L,
              starts: runStarts, x: xAddress.pointer, norms: nAddress.pointer,
              sums: bufferAddress.pointer + w * n * L, g: g, colAcc: colAcc, kernel: kernel)
            block += workers
          }
        }
        if workers > 1 {
          DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        } else {
          work(0)
        }
      }
    }
    if workers > 1 { BLASThreads.set(savedThreads) }
    let sums = buffers.baseAddress!
    for w in 1..<Swift.max(1, workers) {
      let other = sums + w * n * L
      for e in 0..<(n * L) { sums[e] += other[e] }
    }

    var result = [Double](repeating: 0, count: n)
    for p in 0..<n {
      let i = order[p]
      let own = enc.codes[i]
      var a = sums[p * L + own]
      var b = Double.infinity
      for k in 0..<L where k != own {
        let v = sums[p * L + k] / Double(enc.counts[k])
        if v < b { b = v }
      }
      a /= Double(enc.counts[own] - 1)
      result[i] = silhouetteValue(a: a, b: b)
    }
    return result
  }

  /// `(b − a) / max(a, b)` with `nan_to_num` (NaN → 0).
  @inline(__always)
  static func silhouetteValue(a: Double, b: Double) -> Double {
    let m = a.isNaN || b.isNaN ? Double.nan : Swift.max(a, b)
    let s = (b - a) / m
    if s.isNaN { return 0 }
    if s == .infinity { return Double.greatestFiniteMagnitude }
    if s == -.infinity { return -Double.greatestFiniteMagnitude }
    return s
  }

  /// Distance sums for one block of rows `[r0, r0 + rows)` (permuted, grouped order) against the
  /// columns `j ≥ r0` (the upper triangle): each distance D_pj is added to the sum of row p
  /// towards cluster(j) and, outside the diagonal square, to the sum of row j towards cluster(p).
  /// `g` (`blockRows × min(tileCols, n)`) and `colAcc` (`min(tileCols, n)`) are scratch. With `kernel`, each tile's
  /// distances and sums are taken by `csk_silhouette_tile` (AVX2; the same operations as the loop below).
  private static func silhouetteBlock(
    block: Int, blockRows: Int, tileCols: Int, n: Int, d: Int, clusters L: Int, starts: [Int],
    x: UnsafePointer<Double>, norms: UnsafePointer<Double>, sums: UnsafeMutablePointer<Double>,
    g: UnsafeMutablePointer<Double>, colAcc: UnsafeMutablePointer<Double>, kernel: Bool
  ) {
    let r0 = block * blockRows
    let rows = Swift.min(blockRows, n - r0)
    // cluster runs among the block's rows: (cluster, first row, end row) in block coordinates
    var rowRuns = [(Int, Int, Int)]()
    do {
      var k = 0
      while starts[k + 1] <= r0 { k += 1 }
      var r = 0
      while r < rows {
        let end = Swift.min(starts[k + 1] - r0, rows)
        if end > r { rowRuns.append((k, r, end)) }
        r = Swift.max(r, end)
        k += 1
      }
    }
    var c0 = r0
    while c0 < n {
      let cols = Swift.min(tileCols, n - c0)
      // g = −2 · X_block · X_tileᵀ
      cblas_dgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), -2,
        x + r0 * d, Int32(Swift.max(1, d)), x + c0 * d, Int32(Swift.max(1, d)), 0, g, Int32(cols))
      if kernel {
        let done = starts.withUnsafeBufferPointer {
          csk_silhouette_tile(g, rows, cols, r0, c0, norms, $0.baseAddress!, L, sums, colAcc)
        }
        if done != 0 {
          c0 += cols
          continue
        }
      }
      var k0 = 0
      while starts[k0 + 1] <= c0 { k0 += 1 }
      for r in 0..<rows {
        let p = r0 + r
        let gr = g + r * cols
        let xx = norms[p]
        // distances in place: √max(0, (g + ‖x_p‖²) + ‖x_j‖²), two lanes at a time
        let nt = norms + c0
        let xx2 = SIMD2<Double>(repeating: xx)
        let raw = UnsafeMutableRawPointer(gr)
        let rawN = UnsafeRawPointer(nt)
        var j = 0
        while j &+ 2 <= cols {
          let off = j &* 8
          var v = raw.loadUnaligned(fromByteOffset: off, as: SIMD2<Double>.self) + xx2
          v += rawN.loadUnaligned(fromByteOffset: off, as: SIMD2<Double>.self)
          v = pointwiseMax(v, .zero).squareRoot()
          raw.storeBytes(of: v, toByteOffset: off, as: SIMD2<Double>.self)
          j &+= 2
        }
        if j < cols {
          let v = (gr[j] + xx) + nt[j]
          gr[j] = (v > 0 ? v : 0).squareRoot()
        }
        if p >= c0 && p < c0 + cols { gr[p - c0] = 0 }
        // row sums over the cluster runs of the tile's columns
        var kk = k0
        j = 0
        while j < cols {
          let end = Swift.min(starts[kk + 1], c0 + cols) - c0
          sums[p * L + kk] += runSum(gr, j, end)
          j = end
          kk += 1
        }
      }
      // column sums, for the columns beyond the diagonal square
      let first = Swift.max(0, r0 + rows - c0)
      if first < cols {
        for (k, ra, rb) in rowRuns {
          for j in first..<cols { colAcc[j] = 0 }
          for r in ra..<rb {
            let gr = g + r * cols
            var j = first
            while j < cols { colAcc[j] += gr[j]; j &+= 1 }
          }
          for j in first..<cols { sums[(c0 + j) * L + k] += colAcc[j] }
        }
      }
      c0 += cols
    }
  }

  /// Σ a[from..<to] with four partial sums.
  @inline(__always)
  private static func runSum(_ a: UnsafePointer<Double>, _ from: Int, _ to: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var t = from
    while t &+ 4 <= to {
      s0 += a[t]; s1 += a[t &+ 1]; s2 += a[t &+ 2]; s3 += a[t &+ 3]
      t &+= 4
    }
    while t < to { s0 += a[t]; t &+= 1 }
    return (s0 + s1) + (s2 + s3)
  }

  /// Mean of ``silhouetteSamples(_:labels:)`` (scikit-learn's `silhouette_score`, no sampling).
  /// - Throws: as ``silhouetteSamples(_:labels:)``.
  public static func silhouetteScore(_ x: Matrix, labels: [Int]) throws(ClusterScoresError) -> Double {
    let s = try silhouetteSamples(x, labels: labels)
    return KMeansNumPySum.pairwise(s) / Double(s.count)
  }

  /// Silhouette coefficients from a precomputed distance matrix `distances` (n × n),
  /// scikit-learn's `silhouette_samples(D, labels, metric='precomputed')`: the same formula as
  /// ``silhouetteSamples(_:labels:)`` with per-cluster sums taken in index order.
  /// - Throws: ``ClusterScoresError/notSquare(rows:columns:)``;
  ///   ``ClusterScoresError/nonZeroDiagonal(index:value:)`` when some `|D_ii| > 100·ε`
  ///   (scikit-learn's check); the label errors of ``silhouetteSamples(_:labels:)``.
  /// - Complexity: O(n²).
  public static func silhouetteSamples(distances: Matrix, labels: [Int]) throws(ClusterScoresError) -> [Double] {
    let n = distances.rows
    guard distances.columns == n else { throw .notSquare(rows: n, columns: distances.columns) }
    let atol = Double.ulpOfOne * 100
    for i in 0..<n where abs(distances[i, i]) > atol {
      throw .nonZeroDiagonal(index: i, value: distances[i, i])
    }
    let enc = try encode(labels, rows: n)
    let L = enc.clusterCount
    var result = [Double](repeating: 0, count: n)
    var sums = [Double](repeating: 0, count: L)
    distances.storage.withUnsafeBufferPointer { dp in
      for i in 0..<n {
        for k in 0..<L { sums[k] = 0 }
        for j in 0..<n { sums[enc.codes[j]] += dp[i * n + j] }
        let own = enc.codes[i]
        var b = Double.infinity
        for k in 0..<L where k != own {
          let v = sums[k] / Double(enc.counts[k])
          if v < b { b = v }
        }
        let a = sums[own] / Double(enc.counts[own] - 1)
        result[i] = silhouetteValue(a: a, b: b)
      }
    }
    return result
  }
}

/// A raw pointer that may cross into `concurrentPerform` workers; each worker writes
/// disjoint rows, and the buffer outlives the parallel loop.
struct UnsafeMutableSendablePointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Double>
  init(_ p: UnsafeMutablePointer<Double>) { pointer = p }
}

/// A read-only raw pointer shared with `concurrentPerform` workers.
struct UnsafeSendablePointer: @unchecked Sendable {
  let pointer: UnsafePointer<Double>
  init(_ p: UnsafePointer<Double>) { pointer = p }
}
