/// A dense, row-major matrix of `Double`.
///
/// Element `(i, j)` is stored at `storage[i * columns + j]`. Row-major storage matches the
/// way CohortLens reads tables (one learner per row) and is passed to BLAS/LAPACK with
/// `CblasRowMajor` / `LAPACK_ROW_MAJOR`, so no transposition copies are made.
///
/// `Matrix` is a value type with copy-on-write storage (`[Double]`) and is `Sendable`.
public struct Matrix: Sendable, Equatable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// Row-major elements, `rows * columns` of them.
  public var storage: [Double]

  /// A `rows × columns` matrix with every element equal to `value`.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.storage = Array(repeating: value, count: rows * columns)
  }

  /// A matrix over existing row-major `storage`; `storage.count` must equal `rows * columns`.
  public init(rows: Int, columns: Int, storage: [Double]) {
    precondition(storage.count == rows * columns, "storage has \(storage.count) elements, expected \(rows * columns)")
    self.rows = rows
    self.columns = columns
    self.storage = storage
  }

  /// A matrix from an array of equally long rows.
  public init(rowArrays: [[Double]]) {
    let c = rowArrays.first?.count ?? 0
    precondition(rowArrays.allSatisfy { $0.count == c }, "all rows must have the same length")
    self.init(rows: rowArrays.count, columns: c, storage: rowArrays.flatMap { $0 })
  }

  /// The `n × n` identity.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, columns: n)
    for i in 0..<n { m.storage[i * n + i] = 1 }
    return m
  }

  /// Element `(i, j)`.
  @inlinable
  public subscript(_ i: Int, _ j: Int) -> Double {
    get { storage[i * columns + j] }
    set { storage[i * columns + j] = newValue }
  }

  /// Row `i` as an array.
  public func row(_ i: Int) -> [Double] {
    Array(storage[(i * columns)..<((i + 1) * columns)])
  }

  /// Column `j` as an array.
  public func column(_ j: Int) -> [Double] {
    (0..<rows).map { storage[$0 * columns + j] }
  }

  /// The transpose (a copy).
  public var transposed: Matrix {
    var t = Matrix(rows: columns, columns: rows)
    for i in 0..<rows {
      for j in 0..<columns { t.storage[j * rows + i] = storage[i * columns + j] }
    }
    return t
  }

  /// The matrix made of the given columns, in order.
  public func selectingColumns(_ indices: [Int]) -> Matrix {
    var m = Matrix(rows: rows, columns: indices.count)
    for i in 0..<rows {
      for (k, j) in indices.enumerated() { m.storage[i * indices.count + k] = storage[i * columns + j] }
    }
    return m
  }

  /// The matrix made of the given rows, in order.
  public func selectingRows(_ indices: [Int]) -> Matrix {
    var s = [Double]()
    s.reserveCapacity(indices.count * columns)
    for i in indices { s.append(contentsOf: storage[(i * columns)..<((i + 1) * columns)]) }
    return Matrix(rows: indices.count, columns: columns, storage: s)
  }

  /// `true` when the matrix is square and `|a_ij − a_ji| ≤ atol + rtol·|a_ji|` for all i, j
  /// (NumPy's `allclose(A, A.T)`, as used by scikit-learn's `check_symmetric`: atol 1e-10, rtol 1e-5).
  public func isSymmetric(absoluteTolerance atol: Double = 1e-10, relativeTolerance rtol: Double = 1e-5) -> Bool {
    guard rows == columns else { return false }
    for i in 0..<rows {
      for j in (i + 1)..<max(i + 1, columns) {
        let a = storage[i * columns + j], b = storage[j * columns + i]
        if !(abs(a - b) <= atol + rtol * abs(b)) || !(abs(b - a) <= atol + rtol * abs(a)) { return false }
      }
    }
    return true
  }

  /// `0.5·(A + Aᵀ)`, scikit-learn's repair for a non-symmetric affinity.
  public var symmetrized: Matrix {
    precondition(rows == columns, "symmetrized needs a square matrix")
    var m = self
    for i in 0..<rows {
      for j in (i + 1)..<max(i + 1, columns) {
        let v = 0.5 * (storage[i * columns + j] + storage[j * columns + i])
        m.storage[i * columns + j] = v
        m.storage[j * columns + i] = v
      }
    }
    return m
  }
}
