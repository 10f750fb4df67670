import CSpectralKernel
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
  /// - Complexity: O(n²) time (2 threads for n ≳ 1000). `w` is consumed: the Laplacian is built
  ///   in its storage, so passing the last reference (`consume w`) avoids any n × n copy.
  public init(adjacency w: consuming Matrix, kind: LaplacianKind = .normalized) throws {
    let degree = try Self.degrees(of: w)
    let scale = Self.sqrtDegrees(degree)
    self.kind = kind
    self.matrix = Self.operatorMatrix(
      w, nodes: Array(0..<degree.count), degrees: degree, sqrtDegree: scale, kind: kind, form: .laplacian)
    self.degrees = degree
    self.sqrtDegree = scale
  }

  /// Degrees `d_j = Σ_{i≠j} W_ij` (column sums, diagonal skipped, rows added in order as NumPy's
  /// axis-0 reduction), with the finiteness check of `W` folded in.
  ///
  /// One streaming pass: column blocks (two halves, ≤ 4096 wide) over 2 threads, each accumulated in
  /// 8-lane vectors row by row (so every `d_j` is the same left-to-right sum as SciPy's; the
  /// diagonal contributes `+0`). A NaN/±∞ off the diagonal makes its column's sum non-finite,
  /// so the full `O(n²)` finiteness scan only runs when some `d_j` (or `W_jj`) is not finite.
  ///
  /// - Throws: ``SpectralError`` for a non-square or non-finite `w`, a negative degree, or a
  ///   degree that overflows although every entry is finite (entries near 1e308; scaling `W`
  ///   by a constant leaves the normalised Laplacian unchanged, so the caller can divide).
  /// On x86-64 with AVX2 each half is summed by `csk_column_sums_skipping_diagonal` (CSpectralKernel: strips of
  /// 16 columns held in registers down all rows, the same additions per column in the same order).
  ///
  /// - Complexity: O(n²) time, one read of `W`; O(n) memory.
  public static func degrees(of w: Matrix) throws -> [Double] { try degrees(of: w, native: true) }

  /// ``degrees(of:)``; `native: false` forces the portable Swift column sums (tests compare the two).
  static func degrees(of w: Matrix, native: Bool) throws -> [Double] {
    let n = w.rows
    guard w.rows == w.columns else {
      throw SpectralError.invalidArgument("adjacency matrix must be square, got \(w.rows)×\(w.columns)")
    }
    if n == 0 { return [] }
    var degree = [Double](repeating: 0, count: n)
    w.storage.withUnsafeBufferPointer { p in
      let src = SpectralSharedRows(base: UnsafeMutablePointer(mutating: p.baseAddress!))
      degree.withUnsafeMutableBufferPointer { dp in
        let out = SpectralSharedRows(base: dp.baseAddress!)
        // Two column halves (one per thread) of ≤ 4096 columns: long contiguous row segments
        // stream well, and the partial sums (≤ 32 KiB) stay in L1/L2.
        let width = Swift.min(4096, Swift.max(8, ((n + 1) / 2 + 7) / 8 * 8))
        spectralForEachRow((n + width - 1) / width, costPerRow: width * n) { b in
          let columns = (b * width)..<Swift.min(n, (b + 1) * width)
          if native
            && csk_column_sums_skipping_diagonal(src.base, n, columns.lowerBound, columns.upperBound, out.base) != 0
          {
            return
          }
          columnSumsSkippingDiagonal(src.base, n: n, columns: columns, into: out.base)
        }
      }
    }
    var suspicious = degree.contains { !$0.isFinite }
    if !suspicious { suspicious = (0..<n).contains { !w.storage[$0 * n + $0].isFinite } }
    if suspicious && !w.spectralAllFinite {
      throw SpectralError.nonFiniteValues("adjacency matrix contains NaN or infinite values")
    }
    if suspicious, let node = degree.firstIndex(where: { !$0.isFinite }) {
      // Finite entries whose sum overflows: every degree-normalised quantity would be garbage
      // (D^{-1/2} = 0 turns the normalised Laplacian into I).
      throw SpectralError.invalidArgument(
        "the degree of node \(node) overflows (its affinities sum beyond \(Double.greatestFiniteMagnitude)); "
          + "divide the affinity matrix by a constant, e.g. its largest entry")
    }
    if let bad = degree.firstIndex(where: { $0 < 0 }) {
      throw SpectralError.invalidArgument("node \(bad) has negative degree \(degree[bad]); affinities must be non-negative")
    }
    return degree
  }

  /// `out[j] = Σ_{i=0}^{n−1} (i == j ? +0 : p[i·n + j])` for `j` in `columns`, rows
  /// added in order; the block's partial sums stay in a local 8-lane-vector array.
  @inline(__always)
  static func columnSumsSkippingDiagonal(
    _ p: UnsafeMutablePointer<Double>, n: Int, columns: Range<Int>, into out: UnsafeMutablePointer<Double>
  ) {
    typealias V = SIMD8<Double>
    let lo = columns.lowerBound, width = columns.count
    let chunks = width / 8
    withUnsafeTemporaryAllocation(of: V.self, capacity: Swift.max(1, chunks)) { acc in
      for c in 0..<chunks { acc[c] = V(repeating: 0) }
      var tail = [Double](repeating: 0, count: width - chunks * 8)
      for i in 0..<n {
        let row = UnsafeRawPointer(p + i * n + lo)
        for c in 0..<chunks {
          var v = row.loadUnaligned(fromByteOffset: c * 64, as: V.self)
          let d = i - lo - c * 8
          if d >= 0 && d < 8 { v[d] = 0 }
          acc[c] += v
        }
        if !tail.isEmpty {
          let rp = p + i * n
          for t in 0..<tail.count {
            let j = lo + chunks * 8 + t
            tail[t] += j == i ? 0 : rp[j]
          }
        }
      }
      for c in 0..<chunks {
        for l in 0..<8 { out[lo + c * 8 + l] = acc[c][l] }
      }
      for t in 0..<tail.count { out[lo + chunks * 8 + t] = tail[t] }
    }
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

  /// The Laplacian (or its shifted negation) restricted to `nodes` (rows and columns, in order);
  /// rows over 2 threads. Off-diagonal entries are bit-identical to SciPy's
  /// (`−(W_ij / s_j) / s_i`, or `−W_ij`).
  ///
  /// `w` is consumed: when `nodes` is every node, the result is built in `w`'s own storage
  /// (no new n × n allocation if the caller passed the last reference; otherwise copy-on-write
  /// makes one copy), else the submatrix is gathered into a new `|nodes|²` matrix.
  ///
  /// On x86-64 with AVX2 the rows of the full normalised case are scaled by `csk_scale_row` (CSpectralKernel,
  /// 4-lane divisions, the same two divisions per entry). Those divisions bound the time: one thread, 10⁶ entries,
  /// 0.61 ms with AVX2 or AVX-512 alike (Zen 4 guest).
  ///
  /// - Complexity: O(|nodes|²) time (vectorised, 2 divisions per entry when normalised).
  static func operatorMatrix(
    _ w: consuming Matrix, nodes: [Int], degrees deg: [Double], sqrtDegree scale: [Double], kind: LaplacianKind,
    form: OperatorForm, native: Bool = true
  ) -> Matrix {
    let n = w.rows, m = nodes.count
    let full = m == n
    if m == 0 { return Matrix(rows: 0, columns: 0) }
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
    if full {
      var out = w
      out.storage.withUnsafeMutableBufferPointer { op in
        scale.withUnsafeBufferPointer { sp in
          let dst = SpectralSharedRows(base: op.baseAddress!)
          let sc = SpectralSharedRows(base: UnsafeMutablePointer(mutating: sp.baseAddress!))
          spectralForEachRow(n, costPerRow: n * 4) { i in
            let row = dst.base + i * n
            switch kind {
            case .normalized:
              if !native || csk_scale_row(row, n, sc.base, sign, scale[i]) == 0 {
                scaleRowInPlace(row, n: n, scale: sc.base, sign: sign, divisor: scale[i])
              }
              row[i] = diagonal(deg[i] == 0 ? 0 : 1)
            case .unnormalized:
              if sign != 1 { for j in 0..<n { row[j] = sign * row[j] } }
              row[i] = diagonal(deg[i])
            }
          }
        }
      }
      return out
    }
    var out = Matrix(rows: m, columns: m)
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
            for c in 0..<m { let j = nodes[c]; drow[c] = sign * ((srow[j] / scale[j]) / si) }
            drow[r] = diagonal(deg[i] == 0 ? 0 : 1)
          case .unnormalized:
            for c in 0..<m { drow[c] = sign * srow[nodes[c]] }
            drow[r] = diagonal(deg[i])
          }
        }
      }
    }
    return out
  }

  /// `row[j] = sign · ((row[j] / scale[j]) / divisor)` for `j < n`, 8 lanes at a time (same
  /// operations, same order as the scalar formula, so bit-identical).
  @inline(__always)
  static func scaleRowInPlace(
    _ row: UnsafeMutablePointer<Double>, n: Int, scale: UnsafeMutablePointer<Double>, sign: Double, divisor: Double
  ) {
    typealias V = SIMD8<Double>
    let raw = UnsafeMutableRawPointer(row)
    let rs = UnsafeRawPointer(scale)
    var j = 0
    while j + 8 <= n {
      let v = raw.loadUnaligned(fromByteOffset: j * 8, as: V.self)
      let s = rs.loadUnaligned(fromByteOffset: j * 8, as: V.self)
      raw.storeBytes(of: sign * ((v / s) / divisor), toByteOffset: j * 8, as: V.self)
      j += 8
    }
    while j < n {
      row[j] = sign * ((row[j] / scale[j]) / divisor)
      j += 1
    }
  }

  /// Number of connected components of the graph with an edge wherever `W_ij ≠ 0`, `i ≠ j`
  /// (breadth-first search; isolated nodes are components of their own).
  ///
  /// Each dequeued node scans its row once, over the not-yet-visited nodes only (kept in a
  /// shrinking list), and the search stops as soon as every node is visited, so a connected
  /// dense graph (e.g. the full RBF graph) costs O(n) row entries per level, O(n) in the best case.
  ///
  /// - Complexity: O(n²) worst case (each row scanned at most once).
  public static func connectedComponents(_ w: Matrix) -> Int {
    let n = w.rows
    if n == 0 { return 0 }
    // Unvisited nodes, ascending; swap-free compaction keeps the order deterministic.
    var unvisited = Array(0..<n)
    var next = [Int]()
    next.reserveCapacity(n)
    var queue = [Int]()
    queue.reserveCapacity(n)
    var count = 0
    return w.storage.withUnsafeBufferPointer { p in
      while let start = unvisited.first {
        count += 1
        unvisited.removeFirst()
        queue.removeAll(keepingCapacity: true)
        queue.append(start)
        var head = 0
        while head < queue.count && !unvisited.isEmpty {
          let i = queue[head]
          head += 1
          let row = p.baseAddress! + i * n
          next.removeAll(keepingCapacity: true)
          for j in unvisited {
            if row[j] != 0 { queue.append(j) } else { next.append(j) }
          }
          swap(&unvisited, &next)
        }
      }
      return count
    }
  }
}
