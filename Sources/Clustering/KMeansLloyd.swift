import CLapack
import LinearAlgebra

/// Lloyd iterations of scikit-learn's `_kmeans_single_lloyd` / `lloyd_iter_chunked_dense`
/// on centred data, with scikit-learn's floating-point order (see ``KMeans``).
///
/// The engine is immutable and shared by the threads that run k-means restarts; each thread brings
/// its own ``Workspace`` (the buffers one run needs), so an iteration allocates nothing.
struct KMeansLloydEngine: @unchecked Sendable {
  static let chunkSize = 256
  let x: Matrix
  let n: Int
  let d: Int
  let k: Int
  /// OpenMP threads whose static schedule is reproduced.
  let threads: Int
  /// Per-chunk copies of the `chunk × d` rows (BLAS input), made once per fit.
  private let chunks: [Matrix]
  /// `staticSchedule(chunks.count, threads: min(threads, chunks.count))`.
  private let chunkSchedule: [Range<Int>]
  /// `staticSchedule(n, threads: threads)`.
  private let rowSchedule: [Range<Int>]

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
    chunkSchedule = Self.staticSchedule(chunks.count, threads: min(threads, chunks.count))
    rowSchedule = Self.staticSchedule(n, threads: threads)
  }

  /// The outcome of one run: labels, centres (`k × d`), inertia, Lloyd iterations, convergence.
  typealias Run = (labels: [Int32], centers: [Double], inertia: Double, iterations: Int, converged: Bool)

  /// The buffers of one run: reused from iteration to iteration and from run to run.
  struct Workspace {
    /// `−2·X_chunk·Cᵀ` of one chunk (`chunkSize × k`).
    var g: [Double]
    /// ‖c‖² of every centre.
    var centerNorms: [Double]
    /// Per reference thread: centre sums and counts.
    var localSums: [Double]
    var localWeights: [Double]
    /// The squared centre shifts of one iteration.
    var shifts: [Double]

    init(k: Int, d: Int) {
      g = [Double](repeating: 0, count: KMeansLloydEngine.chunkSize * k)
      centerNorms = [Double](repeating: 0, count: k)
      localSums = [Double](repeating: 0, count: k * d)
      localWeights = [Double](repeating: 0, count: k)
      shifts = [Double](repeating: 0, count: k)
    }
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

  /// One E-step (and the centre sums of the M-step when `update`): assigns `labels` by argmin of
  /// ‖c‖² − 2x·c and, with `update`, sets `sums` (`k × d`) and `weights` (`k`) to the per-cluster sums
  /// and counts, accumulated chunk by chunk in the reference threads' static schedule (each thread's
  /// partial sums added in thread order).
  func assign(
    centers: [Double], labels: inout [Int32], sums: inout [Double], weights: inout [Double], update: Bool,
    workspace w: inout Workspace
  ) {
    let k = self.k, d = self.d
    for c in 0..<k {
      var s = 0.0
      for j in 0..<d { let v = centers[c * d + j]; s += v * v }
      w.centerNorms[c] = s
    }
    if update {
      for c in 0..<(k * d) { sums[c] = 0 }
      for c in 0..<k { weights[c] = 0 }
    }
    for range in chunkSchedule {
      if update {
        for c in 0..<(k * d) { w.localSums[c] = 0 }
        for c in 0..<k { w.localWeights[c] = 0 }
      }
      for ci in range {
        let chunk = chunks[ci]
        // (‖c‖² added below) − 2·X_chunk·Cᵀ, as scikit-learn's dgemm with β = 1
        chunk.storage.withUnsafeBufferPointer { pa in
          centers.withUnsafeBufferPointer { pb in
            w.g.withUnsafeMutableBufferPointer { pc in
              cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(chunk.rows), Int32(k), Int32(d), -2,
                pa.baseAddress, Int32(d), pb.baseAddress, Int32(d), 0, pc.baseAddress, Int32(k))
            }
          }
        }
        assignChunk(start: ci * Self.chunkSize, rows: chunk.rows, labels: &labels, workspace: &w, update: update)
      }
      if update {
        for c in 0..<k {
          weights[c] += w.localWeights[c]
          for j in 0..<d { sums[c * d + j] += w.localSums[c * d + j] }
        }
      }
    }
  }

  /// Labels (first minimum on ties) and sums for one chunk of rows starting at `start`.
  private func assignChunk(start: Int, rows: Int, labels: inout [Int32], workspace w: inout Workspace, update: Bool) {
    let k = self.k, d = self.d
    x.storage.withUnsafeBufferPointer { xp in
      w.g.withUnsafeBufferPointer { gp in
        w.centerNorms.withUnsafeBufferPointer { cnp in
          labels.withUnsafeMutableBufferPointer { lp in
            w.localSums.withUnsafeMutableBufferPointer { sp in
              w.localWeights.withUnsafeMutableBufferPointer { wp in
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
        for range in rowSchedule {
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

  /// One k-means run from `initialCenters` (`k × d`, row-major), with the scratch of `workspace`.
  func run(initialCenters: [Double], maxIterations: Int, tolerance: Double, workspace w: inout Workspace)
    -> Run
  {
    let k = self.k, d = self.d
    var centers = initialCenters
    // the next centres (the sums, then their means); swapped with `centers` after each step
    var next = [Double](repeating: 0, count: k * d)
    var weights = [Double](repeating: 0, count: k)
    var labels = [Int32](repeating: -1, count: n)
    // the previous step's labels; swapped with `labels` (which the next step overwrites entirely)
    var labelsOld = labels
    var strict = false
    var converged = false
    var iterations = 0
    for it in 0..<maxIterations {
      iterations = it + 1
      assign(centers: centers, labels: &labels, sums: &next, weights: &weights, update: true, workspace: &w)
      relocateEmpty(oldCenters: centers, sums: &next, weights: &weights, labels: labels)
      // _average_centers: multiply by 1/weight; an empty cluster copies the heaviest one.
      var argmaxW = 0
      for c in 1..<max(1, k) where weights[c] > weights[argmaxW] { argmaxW = c }
      for c in 0..<k {
        if weights[c] > 0 {
          let alpha = 1.0 / weights[c]
          for j in 0..<d { next[c * d + j] *= alpha }
        } else {
          for j in 0..<d { next[c * d + j] = next[argmaxW * d + j] }
        }
      }
      // center_shift_tot = (center_shift**2).sum()
      centers.withUnsafeBufferPointer { op in
        next.withUnsafeBufferPointer { np in
          for c in 0..<k {
            let r = KMeansNumPySum.squaredDistanceUnrolled4(np.baseAddress! + c * d, op.baseAddress! + c * d, d)
            let shift = r.squareRoot()
            w.shifts[c] = shift * shift
          }
        }
      }
      swap(&centers, &next)
      if labels == labelsOld {
        strict = true
        converged = true
        break
      }
      if KMeansNumPySum.pairwise(w.shifts) <= tolerance {
        converged = true
        break
      }
      swap(&labels, &labelsOld)
    }
    if !strict {
      // a last E-step (it overwrites every label) makes the labels match the centres
      assign(centers: centers, labels: &labels, sums: &next, weights: &weights, update: false, workspace: &w)
    }
    let inertia = inertia(centers: centers, labels: labels)
    return (labels, centers, inertia, iterations, converged)
  }
}
