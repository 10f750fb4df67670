import CohortLensCore

/// Pairwise distances between the rows of matrices.
public enum Pairwise {
  /// Squared Euclidean distances between all rows of `x`: `D_ij = ‖x_i‖² + ‖x_j‖² − 2·x_iᵀx_j`,
  /// evaluated on the **centred** rows `x_i − c` (``centered(_:)``: the offset columns' means
  /// subtracted).
  ///
  /// Computed with one `dsyrk` (the Gram matrix), as scikit-learn's
  /// `euclidean_distances(X, squared=True)` does with its dot-product trick: entries are
  /// clamped at 0 (cancellation can make them slightly negative), the diagonal is exactly 0
  /// and the result is exactly symmetric. Relative accuracy is ≈1e-9 for near points.
  ///
  /// **Deviation from scikit-learn**: scikit-learn applies the trick to the raw rows, whose
  /// rounding error is relative to `‖x_i‖²`; a common offset (a column of epoch milliseconds,
  /// x + 1.7e12) then cancels every digit of the distances, and a column of 1e308 overflows them.
  /// Distances do not change under a translation, so every column whose mean exceeds its spread is
  /// centred first (O(n·d)); a constant column becomes exactly 0. Columns already near the origin are
  /// left as they are (centring them would gain at most about a factor of two in accuracy), so on such
  /// data the result is bit-identical to the uncentred computation; with large offsets CohortLens is
  /// the accurate one.
  ///
  /// Squared distances beyond the `Double` range (centred entries of about 1e154 and more) are not
  /// representable; see ``largestCenteredEntry(_:)`` to detect such data first.
  ///
  /// - Complexity: O(n²·d) time, n² doubles of memory (plus one n × d copy).
  public static func squaredEuclidean(_ x: Matrix) -> Matrix {
    let xc = centered(x)
    let n = xc.rows
    var g = BLAS.syrk(xc)
    var norms = [Double](repeating: 0, count: n)
    for i in 0..<n { norms[i] = g.storage[i * n + i] }
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
  /// `n × m`, by the same GEMM trick (clamped at 0; no diagonal special case), after subtracting
  /// ``centringShift(_:)`` of `y` from both (see ``squaredEuclidean(_:)`` for why).
  public static func squaredEuclidean(_ x: Matrix, _ y: Matrix) -> Matrix {
    precondition(x.columns == y.columns, "squaredEuclidean: column counts differ")
    let shift = centringShift(y)
    let xc = shifted(x, by: shift), yc = shifted(y, by: shift)
    var g = BLAS.gemm(xc, yc, transposeB: .transpose, alpha: -2)
    let xn = rowSquaredNorms(xc), yn = rowSquaredNorms(yc)
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

  /// The column means of `x` (``StableMoments/columnCentres(_:rows:columns:)``: no overflow near
  /// ±1.8e308, a constant column's exact value).
  public static func columnCentres(_ x: Matrix) -> [Double] {
    x.storage.withUnsafeBufferPointer { StableMoments.columnCentres($0, rows: x.rows, columns: x.columns) }
  }

  /// What ``centered(_:)`` subtracts from each column: its mean (``columnCentres(_:)``) where the
  /// mean exceeds the column's spread, `mean² > variance` (population variance about that mean) —
  /// an offset column, a constant column (variance 0) — and 0 elsewhere. The dot-product form's
  /// rounding error is relative to `‖x_i‖²`, which centring only shrinks by a large factor when the
  /// offset dominates; near the origin the data are left untouched (bit-identical results).
  ///
  /// - Complexity: O(n·d).
  public static func centringShift(_ x: Matrix) -> [Double] {
    let n = x.rows, d = x.columns
    var shift = columnCentres(x)
    guard n > 0 else { return shift }
    var variance = [Double](repeating: 0, count: d)
    x.storage.withUnsafeBufferPointer { p in
      for i in 0..<n { for j in 0..<d { let e = p[i * d + j] - shift[j]; variance[j] += e * e } }
    }
    for j in 0..<d where !(shift[j] * shift[j] > variance[j] / Double(n)) { shift[j] = 0 }
    return shift
  }

  /// `x` with ``centringShift(_:)`` subtracted: the same pairwise distances (up to the rounding of the
  /// subtraction), every constant column exactly 0, columns near the origin unchanged.
  ///
  /// - Complexity: O(n·d), one copy of `x`.
  public static func centered(_ x: Matrix) -> Matrix {
    shifted(x, by: centringShift(x))
  }

  /// `x` with `shift[j]` subtracted from every entry of column j.
  static func shifted(_ x: Matrix, by shift: [Double]) -> Matrix {
    var out = x
    let d = x.columns
    out.storage.withUnsafeMutableBufferPointer { p in
      for i in 0..<x.rows { for j in 0..<d { p[i * d + j] -= shift[j] } }
    }
    return out
  }

  /// The entry of largest magnitude of the centred `x` (``centered(_:)``), as (row, column, magnitude),
  /// when squared Euclidean distances between the rows of `x` cannot be represented: when
  /// `4·max_i ‖x_i − c‖²` exceeds `Double.greatestFiniteMagnitude` (the dot-product form adds
  /// `‖a‖² + ‖b‖²` and `2|aᵀb|`, each at most that maximum). `nil` when they fit (always for finite
  /// data of magnitude below ≈ 4e153 / √d after centring).
  ///
  /// - Complexity: O(n·d).
  public static func largestCenteredEntry(_ x: Matrix) -> (row: Int, column: Int, magnitude: Double)? {
    let n = x.rows, d = x.columns
    guard n > 0, d > 0 else { return nil }
    let shift = centringShift(x)
    var largestNorm = 0.0
    var entry = (row: 0, column: 0, magnitude: 0.0)
    x.storage.withUnsafeBufferPointer { p in
      for i in 0..<n {
        var s = 0.0
        for j in 0..<d {
          let v = p[i * d + j] - shift[j]
          s += v * v
          if abs(v) > entry.magnitude || !v.isFinite { entry = (i, j, abs(v)) }
        }
        if !(s <= largestNorm) { largestNorm = s }
      }
    }
    return 4 * largestNorm <= Double.greatestFiniteMagnitude ? nil : entry
  }
}
