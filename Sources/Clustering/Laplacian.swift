import LinearAlgebra

/// Which graph Laplacian spectral clustering uses.
public enum LaplacianKind: String, CaseIterable, Sendable {
  /// `L_sym = I − D^{-1/2} W D^{-1/2}` (SciPy `csgraph.laplacian(W, normed=True)`); the
  /// embedding is then `D^{-1/2}·x`, i.e. eigenvectors of `L_rw` (Shi & Malik), as scikit-learn.
  case normalized
  /// `L = D − W` (SciPy `csgraph.laplacian(W, normed=False)`; scikit-learn
  /// `spectral_embedding(norm_laplacian=False)`).
  case unnormalized
}

/// A graph Laplacian exactly as SciPy 1.17.1 `scipy.sparse.csgraph.laplacian` computes it for a
/// dense input (`scipy/sparse/csgraph/_laplacian.py::_laplacian_dense`).
///
/// - Self-loops are ignored: the diagonal of `W` is treated as 0.
/// - Degrees are column sums `d_j = Σ_{i≠j} W_ij` (row sums for symmetric `W`), summed in row
///   order.
/// - ``LaplacianKind/normalized``: `s_j = √d_j`, or 1 for an isolated node (`d_j = 0`);
///   `L_ij = −(W_ij / s_j) / s_i` off the diagonal, `L_ii = 1`, or 0 for an isolated node.
/// - ``LaplacianKind/unnormalized``: `L_ij = −W_ij`, `L_ii = d_i`.
public struct GraphLaplacian: Sendable {
  /// Which Laplacian ``matrix`` is.
  public let kind: LaplacianKind
  /// The `n × n` Laplacian.
  public let matrix: Matrix
  /// Degrees `d_i` (diagonal of `W` ignored).
  public let degrees: [Double]
  /// SciPy's `return_diag` output for `normed=True`: `√d_i`, 1 for isolated nodes.
  public let sqrtDegree: [Double]

  /// Indices of isolated nodes (degree 0).
  public var isolatedNodes: [Int] { degrees.indices.filter { degrees[$0] == 0 } }

  /// The Laplacian of the adjacency matrix `w` (square, finite, non-negative degrees).
  ///
  /// - Throws: ``SpectralError`` for a non-square or non-finite `w` or a negative degree.
  /// - Complexity: O(n²) time (2 threads for n ≳ 1000), one n × n copy.
  public init(adjacency w: Matrix, kind: LaplacianKind = .normalized) throws {
    let n = w.rows
    guard w.rows == w.columns else {
      throw SpectralError.invalidArgument("adjacency matrix must be square, got \(w.rows)×\(w.columns)")
    }
    guard w.spectralAllFinite else {
      throw SpectralError.nonFiniteValues("adjacency matrix contains NaN or infinite values")
    }
    var m = w
    var degree = [Double](repeating: 0, count: n)
    let workCost = n  // per row / per column
    m.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<n { p[i * n + i] = 0 }
      // Column sums in row order (NumPy's axis-0 reduction order); columns split over 2 threads.
      let src = SpectralSharedRows(base: p.baseAddress!)
      degree.withUnsafeMutableBufferPointer { dp in
        let out = SpectralSharedRows(base: dp.baseAddress!)
        let blocks = (n + 255) / 256
        spectralForEachRow(blocks, costPerRow: 256 * workCost) { b in
          let lo = b * 256, hi = min(n, lo + 256)
          for i in 0..<n {
            let row = src.base + i * n
            for j in lo..<hi { out.base[j] += row[j] }
          }
        }
      }
    }
    if let bad = degree.firstIndex(where: { $0 < 0 }) {
      throw SpectralError.invalidArgument("node \(bad) has negative degree \(degree[bad]); affinities must be non-negative")
    }
    let scale = degree.map { $0 == 0 ? 1.0 : $0.squareRoot() }
    let deg = degree
    m.storage.withUnsafeMutableBufferPointer { p in
      let rows = SpectralSharedRows(base: p.baseAddress!)
      switch kind {
      case .normalized:
        spectralForEachRow(n, costPerRow: workCost) { i in
          let r = rows.base + i * n
          let si = scale[i]
          for j in 0..<n { r[j] = -((r[j] / scale[j]) / si) }
          r[i] = deg[i] == 0 ? 0 : 1
        }
      case .unnormalized:
        spectralForEachRow(n, costPerRow: workCost) { i in
          let r = rows.base + i * n
          for j in 0..<n { r[j] = -r[j] }
          r[i] = deg[i]
        }
      }
    }
    self.kind = kind
    self.matrix = m
    self.degrees = degree
    self.sqrtDegree = scale
  }

  /// Number of connected components of the graph with an edge wherever `W_ij ≠ 0`, `i ≠ j`
  /// (breadth-first search; isolated nodes are components of their own).
  ///
  /// - Complexity: O(n²).
  public static func connectedComponents(_ w: Matrix) -> Int {
    let n = w.rows
    var seen = [Bool](repeating: false, count: n)
    var queue = [Int]()
    queue.reserveCapacity(n)
    var count = 0
    for start in 0..<n where !seen[start] {
      count += 1
      seen[start] = true
      queue.removeAll(keepingCapacity: true)
      queue.append(start)
      var head = 0
      while head < queue.count {
        let i = queue[head]
        head += 1
        for j in 0..<n where !seen[j] && j != i && w.storage[i * n + j] != 0 {
          seen[j] = true
          queue.append(j)
        }
      }
    }
    return count
  }
}
