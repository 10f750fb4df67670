import CLapack

/// Eigenpairs of a real symmetric matrix, eigenvalues ascending.
public struct EigenDecomposition: Sendable {
  /// Eigenvalues in ascending order.
  public var values: [Double]
  /// `n × m` row-major matrix whose column `j` is the unit-norm eigenvector for `values[j]`.
  public var vectors: Matrix

  public init(values: [Double], vectors: Matrix) {
    self.values = values
    self.vectors = vectors
  }
}

/// Failure of a LAPACK routine.
public struct LinearAlgebraError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Dense symmetric eigensolvers (LAPACK `dsyevr`, MRRR).
public enum SymmetricEigen {
  /// All eigenvalues (and, if `vectors` is true, eigenvectors) of the symmetric matrix `a`
  /// (`LAPACKE_dsyevr`, range 'A'; the lower triangle is read).
  ///
  /// - Complexity: O(n³); ≈1.4 s for n = 2000 on one core (OpenBLAS 0.3.21).
  public static func all(_ a: Matrix, vectors: Bool = true) throws -> EigenDecomposition {
    try syevr(a, range: nil, vectors: vectors)
  }

  /// The `count` smallest eigenpairs of the symmetric matrix `a` (`dsyevr`, range 'I', il = 1,
  /// iu = count). Most of the cost is the Householder tridiagonalisation (O(n³)); asking for
  /// few vectors saves only the back-transformation (≈3× at n = 2000).
  public static func lowest(_ a: Matrix, count: Int, vectors: Bool = true) throws -> EigenDecomposition {
    precondition(count >= 1 && count <= a.rows, "lowest: count must be in 1...n")
    return try syevr(a, range: 1...count, vectors: vectors)
  }

  /// The `count` largest eigenpairs of `a`, returned in ascending order.
  public static func highest(_ a: Matrix, count: Int, vectors: Bool = true) throws -> EigenDecomposition {
    precondition(count >= 1 && count <= a.rows, "highest: count must be in 1...n")
    return try syevr(a, range: (a.rows - count + 1)...a.rows, vectors: vectors)
  }

  static func syevr(_ a: Matrix, range: ClosedRange<Int>?, vectors wantVectors: Bool) throws -> EigenDecomposition {
    precondition(a.rows == a.columns, "eigendecomposition needs a square matrix")
    let n = a.rows
    if n == 0 { return EigenDecomposition(values: [], vectors: Matrix(rows: 0, columns: 0)) }
    var work = a.storage
    let mWanted = range.map { $0.count } ?? n
    var found: Int32 = 0
    var w = [Double](repeating: 0, count: n)
    var z = [Double](repeating: 0, count: wantVectors ? n * mWanted : 1)
    var isuppz = [Int32](repeating: 0, count: 2 * max(1, n))
    let jobz: CChar = wantVectors ? CChar(UInt8(ascii: "V")) : CChar(UInt8(ascii: "N"))
    let rangeFlag: CChar = range == nil ? CChar(UInt8(ascii: "A")) : CChar(UInt8(ascii: "I"))
    let il = Int32(range?.lowerBound ?? 1), iu = Int32(range?.upperBound ?? n)
    // One BLAS thread: results independent of OPENBLAS_NUM_THREADS (see BLASThreads.withSingleThread).
    let info = BLASThreads.withSingleThread {
      LAPACKE_dsyevr(
        LAPACK_ROW_MAJOR, jobz, rangeFlag, CChar(UInt8(ascii: "L")), Int32(n), &work, Int32(n), 0, 0, il, iu,
        0, &found, &w, &z, Int32(wantVectors ? mWanted : 1), &isuppz)
    }
    if info > 0 {
      // dsyevr's internal failure (its inverse iteration can fail on a large cluster of equal
      // eigenvalues, e.g. the affinity of identical learners): divide and conquer instead.
      return try syevdSelecting(a, range: range, vectors: wantVectors)
    }
    if info != 0 {
      throw LinearAlgebraError("LAPACKE_dsyevr failed (info = \(info)) on a \(n)×\(n) matrix")
    }
    let m = Int(found)
    let vectors: Matrix
    if wantVectors {
      // z is n × mWanted row-major; keep the first m columns.
      if m == mWanted {
        vectors = Matrix(rows: n, columns: m, storage: z)
      } else {
        var v = Matrix(rows: n, columns: m)
        for i in 0..<n { for j in 0..<m { v[i, j] = z[i * mWanted + j] } }
        vectors = v
      }
    } else {
      vectors = Matrix(rows: n, columns: 0)
    }
    return EigenDecomposition(values: Array(w[0..<m]), vectors: vectors)
  }

  /// The fallback of ``syevr(_:range:vectors:)``: all eigenpairs by `LAPACKE_dsyevd` (divide and
  /// conquer, which has no convergence failure on clustered eigenvalues), then the columns of
  /// `range` (1-based indices in ascending order). O(n³).
  static func syevdSelecting(_ a: Matrix, range: ClosedRange<Int>?, vectors wantVectors: Bool) throws -> EigenDecomposition {
    let n = a.rows
    var work = a.storage
    var w = [Double](repeating: 0, count: n)
    let jobz: CChar = wantVectors ? CChar(UInt8(ascii: "V")) : CChar(UInt8(ascii: "N"))
    let info = BLASThreads.withSingleThread {
      LAPACKE_dsyevd(LAPACK_ROW_MAJOR, jobz, CChar(UInt8(ascii: "L")), Int32(n), &work, Int32(n), &w)
    }
    if info != 0 {
      throw LinearAlgebraError("LAPACKE_dsyevr and LAPACKE_dsyevd failed (info = \(info)) on a \(n)×\(n) matrix")
    }
    let r = range ?? 1...n
    let columns = Array((r.lowerBound - 1)..<r.upperBound)
    let vectors: Matrix
    if wantVectors {
      var v = Matrix(rows: n, columns: columns.count)
      for i in 0..<n { for (c, j) in columns.enumerated() { v[i, c] = work[i * n + j] } }
      vectors = v
    } else {
      vectors = Matrix(rows: n, columns: 0)
    }
    return EigenDecomposition(values: columns.map { w[$0] }, vectors: vectors)
  }
}
