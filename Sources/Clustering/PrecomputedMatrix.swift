import CohortLensCore
import LinearAlgebra

/// A square matrix read from CSV, with the ids of its rows.
public struct LabeledSquareMatrix: Sendable {
  /// Ids of the rows (and, in the same order, of the columns).
  public var ids: [String]
  /// The `n × n` values, rows and columns in `ids` order.
  public var matrix: Matrix
}

/// Reads square similarity / distance matrices written as CSV: a header `id,<id₁>,…,<idₙ>` and
/// one row per id whose first cell is the id. Columns may be in any order; they are matched to
/// the rows by id, compared exactly as written (Unicode code points, no normalisation; each row id
/// must appear exactly once in the header).
public enum SquareMatrixReader {
  /// Reads and validates the matrix at `path`.
  ///
  /// Errors (with `file:line:column`): a header id missing among the rows or vice versa,
  /// duplicate ids, missing or non-numeric cells, non-finite or negative values, and a row or
  /// column whose off-diagonal entries sum beyond ``degreeLimit`` (the node's degree would
  /// overflow, and every degree-normalised quantity with it).
  ///
  /// - Complexity: O(n²).
  public static func read(path: String) throws -> LabeledSquareMatrix {
    let table = try Table.read(path: path)
    let names = table.columnNames
    guard names.count >= 2 else {
      throw InputError(file: path, line: table.headerLine, column: nil,
        message: "a square matrix needs a header 'id,<id1>,…,<idn>' and one row per id",
        hint: "write the matrix with its ids in the first column and the header")
    }
    let rowIds = try table.ids(names[0])
    let headerIds = Array(names.dropFirst())
    let n = rowIds.count
    guard headerIds.count == n else {
      throw InputError(file: path, line: table.headerLine, column: nil,
        message: "the matrix has \(n) rows but \(headerIds.count) value columns",
        hint: "a square matrix needs one column per row id, in the header")
    }
    // Ids compared exactly as written (code points, ``ExactText``), as the feature table's ids: a
    // precomposed and a decomposed "é" are two learners, not one id written twice.
    var rowOfId: [ExactText: Int] = [:]
    for (i, s) in rowIds.enumerated() { rowOfId[ExactText(s)] = i }
    var seenHeader = Set<ExactText>()
    var columnOrder = [Int](repeating: 0, count: n)
    for (j, h) in headerIds.enumerated() {
      guard seenHeader.insert(ExactText(h)).inserted else {
        let at = table.headerLocation(column: j + 1)
        throw InputError(file: path, line: at.line, column: at.column,
          message: "id \(MessageText.quoted(h)) appears twice in the header", hint: "each id must head exactly one column")
      }
      guard let i = rowOfId[ExactText(h)] else {
        let at = table.headerLocation(column: j + 1)
        throw InputError(file: path, line: at.line, column: at.column,
          message: "header id \(MessageText.quoted(h)) has no row", hint: "the header ids and the first-column ids must be the same set")
      }
      columnOrder[i] = j
    }
    var m = Matrix(rows: n, columns: n)
    for (target, j) in columnOrder.enumerated() {
      let values = try table.numbers(at: j + 1, hints: Self.cellHints)
      for i in 0..<n {
        guard let v = values[i] else {
          throw InputError(table: table, row: i, column: j + 1,
            message: "missing value in the matrix (row \(MessageText.quoted(rowIds[i])), column \(MessageText.quoted(headerIds[j])))",
            hint: "a precomputed matrix must be complete")
        }
        guard v >= 0 else {
          throw InputError(table: table, row: i, column: j + 1,
            message: "negative value \(v) (row \(MessageText.quoted(rowIds[i])), column \(MessageText.quoted(headerIds[j])))",
            hint: "similarities and distances are ≥ 0; for an affinity use e.g. exp(-gamma·d²), not correlations")
        }
        m[i, target] = v
      }
    }
    try checkDegrees(m, table: table, rowIds: rowIds, columnOrder: columnOrder)
    return LabeledSquareMatrix(ids: rowIds, matrix: m)
  }

  /// What fixes a non-numeric or non-finite entry: the matrix has no columns to leave out and no missing
  /// entries, so the cell itself must be corrected.
  static let cellHints = Table.NumberHints(
    notANumber: "every entry of a precomputed matrix is a number ≥ 0 (a similarity); correct the cell",
    notFinite: "every entry of a precomputed matrix is a finite number ≥ 0 and none may be missing; correct the cell")

  /// Largest off-diagonal row or column sum accepted, `Double.greatestFiniteMagnitude / 4`
  /// (≈ 4.5e307): the degrees of the symmetrised matrix `0.5·(A + Aᵀ)` are then finite, with room
  /// for the rounding of the sums. Similarities are normally in [0, 1], so only a matrix on an
  /// absurd scale reaches it.
  public static let degreeLimit = Double.greatestFiniteMagnitude / 4

  /// Throws, at the cell of the row's (or column's) largest entry, when an off-diagonal row or
  /// column sum of `m` exceeds ``degreeLimit``. O(n²).
  static func checkDegrees(_ m: Matrix, table: Table, rowIds: [String], columnOrder: [Int]) throws {
    let n = m.rows
    var rowSums = [Double](repeating: 0, count: n), columnSums = [Double](repeating: 0, count: n)
    m.storage.withUnsafeBufferPointer { p in
      for i in 0..<n {
        for j in 0..<n where j != i {
          rowSums[i] += p[i * n + j]
          columnSums[j] += p[i * n + j]
        }
      }
    }
    let limit = degreeLimit
    guard let worst = (0..<n).first(where: { !(rowSums[$0] <= limit) || !(columnSums[$0] <= limit) }) else { return }
    let alongRow = !(rowSums[worst] <= limit)
    // The largest entry of that row (or column), to point at.
    var (bestI, bestJ, best) = (worst, worst, -1.0)
    for t in 0..<n where t != worst {
      let (i, j) = alongRow ? (worst, t) : (t, worst)
      if m[i, j] > best { (bestI, bestJ, best) = (i, j, m[i, j]) }
    }
    let which = alongRow ? "row \(MessageText.quoted(rowIds[worst]))" : "column \(MessageText.quoted(rowIds[worst]))"
    throw InputError(table: table, row: bestI, column: columnOrder[bestJ] + 1,
      message: "the \(which) of the matrix sums to more than 4.5e307 (a quarter of the largest double; entries up to \(best)): the degree of "
        + "node \(MessageText.quoted(rowIds[worst])) would overflow and the Laplacian with it",
      hint: "divide the whole matrix by a constant, e.g. by its largest entry: the normalized Laplacian, "
        + "the embedding's clusters and every score stay the same")
  }
}
