import CohortLensCore

/// Summation orders of NumPy, reproduced so that CohortLens' k-means and cluster scores round
/// exactly (or to within an ulp) as scikit-learn does.
enum KMeansNumPySum {
  /// NumPy's pairwise summation of a contiguous float64 array (`np.sum`, `np.add.reduce` along
  /// a contiguous axis): below 8 elements a plain loop; up to 128 elements eight interleaved
  /// partial sums combined as `((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))` plus the tail; above that
  /// the halves (split at a multiple of 8) are summed recursively.
  /// Reference: numpy/_core/src/umath/loops_utils.h.src, `pairwise_sum_DOUBLE`.
  static func pairwise(_ a: UnsafeBufferPointer<Double>) -> Double {
    pairwise(a.baseAddress!, a.count)
  }

  static func pairwise(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
    if n < 8 {
      var res = 0.0
      for i in 0..<n { res += a[i] }
      return res
    } else if n <= 128 {
      var r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7]
      var i = 8
      let end = n - n % 8
      while i < end {
        r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3]
        r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7]
        i += 8
      }
      var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
      while i < n { res += a[i]; i += 1 }
      return res
    } else {
      var n2 = n / 2
      n2 -= n2 % 8
      return pairwise(a, n2) + pairwise(a + n2, n - n2)
    }
  }

  /// `np.sum(values)` for an array.
  static func pairwise(_ values: [Double]) -> Double {
    if values.isEmpty { return 0 }
    return values.withUnsafeBufferPointer { pairwise($0) }
  }

  /// `X.mean(axis=0)` of a C-contiguous matrix: column sums accumulated row by row
  /// (NumPy's axis-0 reduction is sequential), then divided by the row count.
  ///
  /// Where NumPy's sum overflows (finite values near ±1.8e308: NumPy returns ±∞ or NaN), that column's
  /// mean is ``StableMoments/mean(_:count:stride:)`` instead (rescaled by a power of two, clamped to
  /// the column's range: a constant column gives its value). Other columns are bit-identical to NumPy.
  static func columnMeans(_ x: UnsafePointer<Double>, rows: Int, columns: Int) -> [Double] {
    var s = [Double](repeating: 0, count: columns)
    for i in 0..<rows {
      let r = x + i * columns
      for j in 0..<columns { s[j] += r[j] }
    }
    for j in 0..<columns {
      s[j] /= Double(rows)
      if !s[j].isFinite, rows > 0, let m = StableMoments.mean(x + j, count: rows, stride: columns) { s[j] = m }
    }
    return s
  }

  /// ``columnMeans(_:rows:columns:)`` clamped to each column's range: the same values except where the
  /// rounded sum lands outside it, so that a column of identical values has exactly that value as its
  /// mean (three copies of 0.4 sum to 1.2000000000000002, whose third is not 0.4). The cluster scores
  /// need this on centred data, where identical points no longer hold round numbers.
  static func columnMeansWithinRange(_ x: UnsafePointer<Double>, rows: Int, columns: Int) -> [Double] {
    var m = columnMeans(x, rows: rows, columns: columns)
    guard rows > 0 else { return m }
    for j in 0..<columns {
      var lo = x[j], hi = x[j]
      for i in 1..<rows { let v = x[i * columns + j]; lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
      m[j] = Swift.min(Swift.max(m[j], lo), hi)
    }
    return m
  }

  /// scikit-learn's `_euclidean_dense_dense(a, b, squared=True)` (Cython, unrolled by 4):
  /// `r += ((a0−b0)² + (a1−b1)² + (a2−b2)² + (a3−b3)²)` per block of four, then the tail.
  @inline(__always)
  static func squaredDistanceUnrolled4(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ d: Int) -> Double {
    var result = 0.0
    var p = 0
    for _ in 0..<(d / 4) {
      let e0 = a[p] - b[p], e1 = a[p + 1] - b[p + 1], e2 = a[p + 2] - b[p + 2], e3 = a[p + 3] - b[p + 3]
      result += (e0 * e0 + e1 * e1 + e2 * e2 + e3 * e3)
      p += 4
    }
    for q in p..<d { let e = a[q] - b[q]; result += e * e }
    return result
  }
}
