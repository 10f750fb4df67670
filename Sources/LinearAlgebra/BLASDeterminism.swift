import CLapack

extension BLASThreads {
  /// Runs `body` with OpenBLAS on one thread, then restores the previous thread count.
  ///
  /// Why: OpenBLAS's threaded kernels split work by thread, and the last bits of a result can
  /// depend on the split: reductions (`ddot` above 10,000 elements, `dsymv`/`dsyr2k` inside
  /// `dsytrd`, hence `dsyevr`) change their summation order, and thin `dgemm` products change
  /// which elements fall into edge tiles. Measured on OpenBLAS 0.3.21: `cluster` JSON differed
  /// between `OPENBLAS_NUM_THREADS=1` and `2` in the eigenvalues' last digits (dense solver) and
  /// in the silhouette / Davies–Bouldin / inertia of k ≥ 3 (iterative solver). The dense and the
  /// projected eigensolvers wrap their LAPACK calls and dot products in this; the spectral
  /// embedding and the k sweep run wholly on one BLAS thread, so `cluster` output is
  /// byte-identical for any thread count (tested). Cost: those steps use one core for BLAS (the
  /// k sweep already ran its k values on separate cores).
  ///
  /// Not for concurrently running workers that each want a different count: the setting is
  /// process-wide.
  @inline(__always)
  public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
    let previous = current
    if previous == 1 { return try body() }
    set(1)
    defer { set(previous) }
    return try body()
  }
}
