/// Pairwise distances between the rows of matrices.
public enum Pairwise {
  /// Squared Euclidean distances between all rows of `x`: `D_ij = ‖x_i‖² + ‖x_j‖² − 2·x_iᵀx_j`.
  ///
  /// Computed with one `dsyrk` (the Gram matrix), exactly as scikit-learn's
  /// `euclidean_distances(X, squared=True)` does with its dot-product trick: entries are
  /// clamped at 0 (cancellation can make them slightly negative), the diagonal is exactly 0
  /// and the result is exactly symmetric. Relative accuracy is ≈1e-9 for near points
  /// (the cost of the trick; sklearn has the same).
  ///
  /// - Complexity: O(n²·d) time, n² doubles of memory.
  public static func squaredEuclidean(_ x: Matrix) -> Matrix {
    let n = x.rows, d = x.columns
    var g = BLAS.syrk(x)
    var norms = [Double](repeating: 0, count: n)
    for i in 0..<n { norms[i] = g.storage[i * n + i] }
    _ = d
    g.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<n {
        let ni = norms[i]
        let base = i * n
        for j in 0..<n {
          let v = ni + norms[j] - 2 * p[base + j]
          p[base + j] = v > 0 ? v : 0
        }
        p[base + i] = 0
      }
    }
    return g
  }

  /// Squared Euclidean distances between the rows of `x` (`n × d`) and the rows of `y` (`m × d`),
  /// `n × m`, by the same GEMM trick (clamped at 0; no diagonal special case).
  public static func squaredEuclidean(_ x: Matrix, _ y: Matrix) -> Matrix {
    precondition(x.columns == y.columns, "squaredEuclidean: column counts differ")
    var g = BLAS.gemm(x, y, transposeB: .transpose, alpha: -2)
    let xn = rowSquaredNorms(x), yn = rowSquaredNorms(y)
    let m = y.rows
    g.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<x.rows {
        for j in 0..<m {
          let v = p[i * m + j] + xn[i] + yn[j]
          p[i * m + j] = v > 0 ? v : 0
        }
      }
    }
    return g
  }

  /// ‖x_i‖² for every row, summed in index order.
  public static func rowSquaredNorms(_ x: Matrix) -> [Double] {
    var out = [Double](repeating: 0, count: x.rows)
    for i in 0..<x.rows {
      var s = 0.0
      for j in 0..<x.columns { let v = x.storage[i * x.columns + j]; s += v * v }
      out[i] = s
    }
    return out
  }
}
