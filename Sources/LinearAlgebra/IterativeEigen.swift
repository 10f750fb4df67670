/// Iterative symmetric eigensolver for the largest eigenpairs of a dense symmetric matrix.
///
/// Placeholder body (dense `dsyevr`); replaced by the block Krylov implementation.
public enum IterativeEigen {
  /// The `count` largest eigenpairs of the symmetric matrix `a`, eigenvalues ascending,
  /// residual ‖Av − λv‖ ≤ `tolerance`·‖A‖ for every pair.
  public static func largest(
    _ a: Matrix, count: Int, tolerance: Double = 1e-10, maxIterations: Int = 500, seed: UInt64 = 0
  ) throws -> EigenDecomposition {
    try SymmetricEigen.highest(a, count: count)
  }
}
