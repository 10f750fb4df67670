import LinearAlgebra

/// Lloyd iterations of scikit-learn's `_kmeans_single_lloyd` / `lloyd_iter_chunked_dense`
/// on centred data, with scikit-learn's floating-point order (see ``KMeans``).
struct KMeansLloydEngine {
  static let chunkSize = 256
  let x: Matrix
  let n: Int
  let d: Int
  let k: Int
  /// OpenMP threads whose static schedule is reproduced.
  let threads: Int
  /// Per-chunk scratch: the `chunk × d` rows (BLAS input).
  private let chunks: [Matrix]

  init(x: Matrix, threads: Int, k: Int) {
    self.x = x
    self.n = x.rows
    self.d = x.columns
    self.k = k
    self.threads = threads
    var chunks = [Matrix]()
    var start = 0
    while start < n {
      let end = min(n, start + Self.chunkSize)
      chunks.append(Matrix(rows: end - start, columns: d, storage: Array(x.storage[(start * d)..<(end * d)])))
      start = end
    }
    self.chunks = chunks
  }

  /// The contiguous index ranges an OpenMP `schedule(static)` loop over `count` iterations gives
  /// to each of `t` threads (libgomp: the first `count mod t` threads get one more).
  static func staticSchedule(_ count: Int, threads t: Int) -> [Range<Int>] {
    let q = count / t, r = count % t
    var out = [Range<Int>]()
    var s = 0
    for i in 0..<t {
      let len = q + (i < r ? 1 : 0)
      if len > 0 { out.append(s..<(s + len)) }
      s += len
    }
    return out
  }

  /// One E-step (and the centre sums of the M-step when `sums`/`weights` are non-nil): assigns
  /// `labels` by argmin of ‖c‖² − 2x·c and accumulates per-cluster sums and counts, chunk by
  /// chunk in the reference threads' static schedule.
  func assign(
    centers: [Double], labels: inout [Int32], sums: inout [Double]?, weights: inout [Double]?
  ) {
    let cn: [Double] = (0..<k).map { c in
      var s = 0.0
      for j in 0..<d { let v = centers[c * d + j]; s += v * v }
      return s
    }
    let cm = Matrix(rows: k, columns: d, storage: centers)
    let update = sums != nil
    let schedule = Self.staticSchedule(chunks.count, threads: min(threads, chunks.count))
    var totalSums = [Double](repeating: 0, count: k * d)
    var totalWeights = [Double](repeating: 0, count: k)
    var localSums = [Double](repeating: 0, count: k * d)
    var localWeights = [Double](repeating: 0, count: k)
    for range in schedule {
      for c in 0..<(k * d) { localSums[c] = 0 }
      for c in 0..<k { localWeights[c] = 0 }
      for ci in range {
        // (‖c‖² added below) − 2·X_chunk·Cᵀ, as scikit-learn's dgemm with β = 1
        let g = BLAS.gemm(chunks[ci], cm, transposeB: .transpose, alpha: -2)
        assignChunk(
          start: ci * Self.chunkSize, rows: chunks[ci].rows, g: g.storage, cn: cn, labels: &labels,
          sums: &localSums, weights: &localWeights, update: update)
      }
      for c in 0..<k {
        totalWeights[c] += localWeights[c]
        for j in 0..<d { totalSums[c * d + j] += localSums[c * d + j] }
      }
    }
    if update {
      sums = totalSums
      weights = totalWeights
    }
  }

  /// Labels (first minimum on ties) and sums for one chunk of rows starting at `start`.
  private func assignChunk(
    start: Int, rows: Int, g: [Double], cn: [Double], labels: inout [Int32],
    sums: inout [Double], weights: inout [Double], update: Bool
  ) {
    let k = self.k, d = self.d
    x.storage.withUnsafeBufferPointer { xp in
      g.withUnsafeBufferPointer { gp in
        cn.withUnsafeBufferPointer { cnp in
          labels.withUnsafeMutableBufferPointer { lp in
            sums.withUnsafeMutableBufferPointer { sp in
              weights.withUnsafeMutableBufferPointer { wp in
                for r in 0..<rows {
                  let gr = gp.baseAddress! + r * k
                  var best = cnp[0] + gr[0]
                  var label = 0
                  var c = 1
                  while c < k {
                    let v = cnp[c] + gr[c]
                    let better = v < best
                    label = better ? c : label
                    best = better ? v : best
                    c += 1
                  }
                  lp[start + r] = Int32(label)
                  if update {
                    wp[label] += 1
                    let row = xp.baseAddress! + (start + r) * d
                    let dst = sp.baseAddress! + label * d
                    for j in 0..<d { dst[j] += row[j] }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /// `_inertia_dense`: Σ ‖xᵢ − c_{labelᵢ}‖² with the unrolled distance, rows split over the
  /// reference threads as OpenMP's static schedule does, partial sums added in thread order.
  func inertia(centers: [Double], labels: [Int32]) -> Double {
    var total = 0.0
    x.storage.withUnsafeBufferPointer { xp in
      centers.withUnsafeBufferPointer { cp in
        for range in Self.staticSchedule(n, threads: threads) {
          var part = 0.0
          for i in range {
            part += KMeansNumPySum.squaredDistanceUnrolled4(
              xp.baseAddress! + i * d, cp.baseAddress! + Int(labels[i]) * d, d)
          }
          total += part
        }
      }
    }
    return total
  }

  /// `_relocate_empty_clusters_dense`: each empty cluster takes one of the points farthest
  /// from their (old) centres, which leaves its former cluster.
  func relocateEmpty(oldCenters: [Double], sums: inout [Double], weights: inout [Double], labels: [Int32]) {
    let empty = (0..<k).filter { weights[$0] == 0 }
    if empty.isEmpty { return }
    var dist = [Double](repeating: 0, count: n)
    var diff = [Double](repeating: 0, count: d)
    x.storage.withUnsafeBufferPointer { xp in
      for i in 0..<n {
        let c = Int(labels[i])
        for j in 0..<d { let e = xp[i * d + j] - oldCenters[c * d + j]; diff[j] = e * e }
        dist[i] = KMeansNumPySum.pairwise(diff)
      }
    }
    if dist.max() == 0 { return }
    // NumPy's argpartition leaves the order among the farthest points unspecified; take them
    // from the farthest down (lower index first on equal distances).
    let far = (0..<n).sorted { dist[$0] != dist[$1] ? dist[$0] > dist[$1] : $0 < $1 }.prefix(empty.count)
    for (newC, idx) in zip(empty, far) {
      let oldC = Int(labels[idx])
      for j in 0..<d {
        let v = x.storage[idx * d + j]
        sums[oldC * d + j] -= v
        sums[newC * d + j] = v
      }
      weights[newC] = 1
      weights[oldC] -= 1
    }
  }

  /// One k-means run from `initialCenters` (`k × d`, row-major).
  func run(initialCenters: [Double], maxIterations: Int, tolerance: Double)
    -> (labels: [Int32], centers: [Double], inertia: Double, iterations: Int, converged: Bool)
  {
    var centers = initialCenters
    var labels = [Int32](repeating: -1, count: n)
    var labelsOld = labels
    var strict = false
    var converged = false
    var iterations = 0
    for it in 0..<maxIterations {
      iterations = it + 1
      var sums: [Double]? = []
      var weights: [Double]? = []
      assign(centers: centers, labels: &labels, sums: &sums, weights: &weights)
      var s = sums!, w = weights!
      relocateEmpty(oldCenters: centers, sums: &s, weights: &w, labels: labels)
      // _average_centers: multiply by 1/weight; an empty cluster copies the heaviest one.
      var argmaxW = 0
      for c in 1..<max(1, k) where w[c] > w[argmaxW] { argmaxW = c }
      for c in 0..<k {
        if w[c] > 0 {
          let alpha = 1.0 / w[c]
          for j in 0..<d { s[c * d + j] *= alpha }
        } else {
          for j in 0..<d { s[c * d + j] = s[argmaxW * d + j] }
        }
      }
      // center_shift_tot = (center_shift**2).sum()
      var shifts = [Double](repeating: 0, count: k)
      centers.withUnsafeBufferPointer { op in
        s.withUnsafeBufferPointer { np in
          for c in 0..<k {
            let r = KMeansNumPySum.squaredDistanceUnrolled4(np.baseAddress! + c * d, op.baseAddress! + c * d, d)
            let shift = r.squareRoot()
            shifts[c] = shift * shift
          }
        }
      }
      centers = s
      if labels == labelsOld {
        strict = true
        converged = true
        break
      }
      if KMeansNumPySum.pairwise(shifts) <= tolerance {
        converged = true
        break
      }
      labelsOld = labels
    }
    if !strict {
      var none1: [Double]? = nil, none2: [Double]? = nil
      assign(centers: centers, labels: &labels, sums: &none1, weights: &none2)
    }
    let inertia = inertia(centers: centers, labels: labels)
    return (labels, centers, inertia, iterations, converged)
  }
}
