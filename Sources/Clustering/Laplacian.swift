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
    let degree = try Self.degrees(of: w)
    let scale = Self.sqrtDegrees(degree)
    self.kind = kind
    self.matrix = Self.operatorMatrix(
      w, nodes: Array(0..<w.rows), degrees: degree, sqrtDegree: scale, kind: kind, form: .laplacian)
    self.degrees = degree
    self.sqrtDegree = scale
  }

  /// Degrees `d_j = Σ_{i≠j} W_ij` (column sums, diagonal skipped, rows added in order as NumPy's
  /// axis-0 reduction; column blocks over 2 threads).
  ///
  /// - Throws: ``SpectralError`` for a non-square or non-finite `w` or a negative degree.
  public static func degrees(of w: Matrix) throws -> [Double] {
    let n = w.rows
    guard w.rows == w.columns else {
      throw SpectralError.invalidArgument("adjacency matrix must be square, got \(w.rows)×\(w.columns)")
    }
    guard w.spectralAllFinite else {
      throw SpectralError.nonFiniteValues("adjacency matrix contains NaN or infinite values")
    }
    if n == 0 { return [] }
    var degree = [Double](repeating: 0, count: n)
    w.storage.withUnsafeBufferPointer { p in
      let src = SpectralSharedRows(base: UnsafeMutablePointer(mutating: p.baseAddress!))
      degree.withUnsafeMutableBufferPointer { dp in
        let out = SpectralSharedRows(base: dp.baseAddress!)
        let width = 256
        spectralForEachRow((n + width - 1) / width, costPerRow: width * n) { b in
          let lo = b * width, hi = Swift.min(n, lo + width)
          for i in 0..<n {
            let row = src.base + i * n
            // Adding +0 for the (zeroed) diagonal keeps SciPy's exact summation.
            for j in lo..<hi { out.base[j] += j == i ? 0 : row[j] }
          }
        }
      }
    }
    if let bad = degree.firstIndex(where: { $0 < 0 }) {
      throw SpectralError.invalidArgument("node \(bad) has negative degree \(degree[bad]); affinities must be non-negative")
    }
    return degree
  }

  /// SciPy's `dd`: `√d`, 1 where `d = 0`.
  static func sqrtDegrees(_ degree: [Double]) -> [Double] { degree.map { $0 == 0 ? 1.0 : $0.squareRoot() } }

  /// What ``operatorMatrix(_:nodes:degrees:sqrtDegree:kind:form:)`` builds.
  enum OperatorForm {
    /// The Laplacian itself (SciPy's).
    case laplacian
    /// `c·I − L` with the diagonal replaced by `c − L_ii` (normalised: `c = 1`, giving
    /// `D^{-1/2} W D^{-1/2}` with zero diagonal).
    case shifted(Double)
  }

  /// The Laplacian (or its shifted negation) restricted to `nodes` (rows and columns, in order),
  /// straight from `W` without an intermediate full copy; rows over 2 threads. Off-diagonal
  /// entries are bit-identical to SciPy's (`−(W_ij / s_j) / s_i`, or `−W_ij`).
  static func operatorMatrix(
    _ w: Matrix, nodes: [Int], degrees deg: [Double], sqrtDegree scale: [Double], kind: LaplacianKind,
    form: OperatorForm
  ) -> Matrix {
    let n = w.rows, m = nodes.count
    let full = m == n
    var out = Matrix(rows: m, columns: m)
    if m == 0 { return out }
    // Laplacian: off-diagonal −(…), diagonal L_ii. Shifted: off-diagonal +(…), diagonal c − L_ii.
    let sign: Double
    let diagonal: @Sendable (Double) -> Double
    switch form {
    case .laplacian:
      sign = -1
      diagonal = { $0 }
    case .shifted(let c):
      sign = 1
      diagonal = { c - $0 }
    }
    w.storage.withUnsafeBufferPointer { wp in
      let src = SpectralSharedRows(base: UnsafeMutablePointer(mutating: wp.baseAddress!))
      out.storage.withUnsafeMutableBufferPointer { op in
        let dst = SpectralSharedRows(base: op.baseAddress!)
        spectralForEachRow(m, costPerRow: m) { r in
          let i = nodes[r]
          let srow = src.base + i * n
          let drow = dst.base + r * m
          switch kind {
          case .normalized:
            let si = scale[i]
            if full {
              for j in 0..<m { drow[j] = sign * ((srow[j] / scale[j]) / si) }
            } else {
              for c in 0..<m { let j = nodes[c]; drow[c] = sign * ((srow[j] / scale[j]) / si) }
            }
            drow[r] = diagonal(deg[i] == 0 ? 0 : 1)
          case .unnormalized:
            if full {
              for j in 0..<m { drow[j] = sign * srow[j] }
            } else {
              for c in 0..<m { drow[c] = sign * srow[nodes[c]] }
            }
            drow[r] = diagonal(deg[i])
          }
        }
      }
    }
    return out
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
