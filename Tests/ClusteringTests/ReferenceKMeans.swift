import CohortLensCore
import Foundation
import LinearAlgebra

@testable import Clustering

// The k-means of CohortLens before its restarts ran on several threads with reused buffers (allocations per
// step, one run after another): the reference the current ``KMeans`` must equal bit for bit.

enum ReferenceKMeans {
  static func fit(_ x: Matrix, clusters: Int, initCount: Int = 10, maxIterations: Int = 300, tolerance: Double = 1e-4, referenceThreads: Int = 2, random: inout NumPyRandomState) -> KMeansResult {
    let n = x.rows, d = x.columns, k = clusters
    precondition(n >= k, "KMeans: n_samples=\(n) should be >= n_clusters=\(k)")
    precondition(d >= 1, "KMeans needs at least one column")

    let tol = KMeans.scaledTolerance(x, tolerance)
    let mean = x.storage.withUnsafeBufferPointer {
      KMeansNumPySum.columnMeans($0.baseAddress!, rows: n, columns: d)
    }
    var xc = x
    xc.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<n { for j in 0..<d { p[i * d + j] -= mean[j] } }
    }
    let norms = Pairwise.rowSquaredNorms(xc)
    let engine = ReferenceLloydEngine(x: xc, threads: referenceThreads, k: k)
    // The BLAS calls here are thin (k or L ≤ ~10 columns); OpenBLAS's thread pool only adds
    // synchronisation, so it runs single-threaded for the duration.
    let savedThreads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(savedThreads) }

    var best: (labels: [Int32], centers: [Double], inertia: Double, iterations: Int, converged: Bool)?
    for _ in 0..<initCount {
      let initial = kMeansPlusPlus(xc, norms: norms, k: k, random: &random)
      let run = engine.run(initialCenters: initial, maxIterations: maxIterations, tolerance: tol)
      if let b = best {
        if run.inertia < b.inertia - KMeans.nearTie * abs(b.inertia) && !KMeans.isSameClustering(run.labels, b.labels, k) {
          best = run
        }
      } else {
        best = run
      }
    }
    let b = best!
    var centers = Matrix(rows: k, columns: d, storage: b.centers)
    for c in 0..<k { for j in 0..<d { centers.storage[c * d + j] += mean[j] } }
    return KMeansResult(
      labels: b.labels.map { Int($0) }, centers: centers, inertia: b.inertia,
      iterations: b.iterations, converged: b.converged)
  }

  /// Squared distances from the given rows of `x` to all rows, as scikit-learn's
  /// `_euclidean_distances(X[rows], X, Y_norm_squared=norms, squared=True)`:
  /// `max(0, (−2·x_r·x_i + ‖x_r‖²) + ‖x_i‖²)`, one row per requested index.
  static func squaredDistances(from rows: [Int], _ x: Matrix, norms: [Double]) -> Matrix {
    let sub = x.selectingRows(rows)
    var g = BLAS.gemm(sub, x, transposeB: .transpose, alpha: -2)
    let n = x.rows
    g.storage.withUnsafeMutableBufferPointer { p in
      for (r, idx) in rows.enumerated() {
        let xx = norms[idx]
        for i in 0..<n {
          let v = (p[r * n + i] + xx) + norms[i]
          p[r * n + i] = v > 0 ? v : 0
        }
      }
    }
    return g
  }

  /// k-means++ seeding with local trials (`_kmeans_plusplus`, unit sample weights); returns the
  /// `k × d` initial centres (row-major).
  static func kMeansPlusPlus(_ x: Matrix, norms: [Double], k: Int, random: inout NumPyRandomState) -> [Double] {
    let n = x.rows, d = x.columns
    let trials = 2 + Int(log(Double(k)))
    var centers = [Double](repeating: 0, count: k * d)
    let p = [Double](repeating: 1.0 / Double(n), count: n)
    let first = random.choice(n, p: p)
    for j in 0..<d { centers[j] = x.storage[first * d + j] }
    var closest = squaredDistances(from: [first], x, norms: norms).storage
    let ones = [Double](repeating: 1, count: n)
    var currentPot = BLAS.gemv(Matrix(rows: 1, columns: n, storage: closest), ones)[0]
    var cumsum = [Double](repeating: 0, count: n)
    if k < 2 { return centers }
    for c in 1..<k {
      var s = 0.0
      for i in 0..<n { s += closest[i]; cumsum[i] = s }
      var candidates = [Int](repeating: 0, count: trials)
      for t in 0..<trials {
        let v = random.randomSample() * currentPot
        // searchsorted(side='left'): first index with cumsum[i] >= v
        var lo = 0, hi = n
        while lo < hi {
          let mid = (lo + hi) / 2
          if cumsum[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        candidates[t] = min(lo, n - 1)
      }
      var dist = squaredDistances(from: candidates, x, norms: norms)
      dist.storage.withUnsafeMutableBufferPointer { q in
        for t in 0..<trials {
          for i in 0..<n where closest[i] < q[t * n + i] { q[t * n + i] = closest[i] }
        }
      }
      let pots = BLAS.gemv(dist, ones)
      // The first candidate whose potential is within `nearTie` of the smallest (see the type's documentation).
      let smallest = pots.min()!
      let bestT = pots.firstIndex { $0 <= smallest + KMeans.nearTie * abs(smallest) }!
      currentPot = pots[bestT]
      closest = Array(dist.storage[(bestT * n)..<((bestT + 1) * n)])
      let idx = candidates[bestT]
      for j in 0..<d { centers[c * d + j] = x.storage[idx * d + j] }
    }
    return centers
  }
}

struct ReferenceLloydEngine {
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
    let schedule = KMeansLloydEngine.staticSchedule(chunks.count, threads: min(threads, chunks.count))
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
        for range in KMeansLloydEngine.staticSchedule(n, threads: threads) {
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
