import CBlockKernel
import CLapack

/// Thin wrappers over CBLAS (OpenBLAS) for the row-major ``Matrix``.
///
/// All routines use `CblasRowMajor`. Threading is OpenBLAS's own (pthreads); see
/// ``BLASThreads`` for how CohortLens avoids stacking two thread pools.
public enum BLAS {
  /// Transposition flag for ``gemm(_:_:transposeA:transposeB:alpha:)``.
  public enum Transpose: Sendable { case none, transpose }

  /// General matrix product `C = α·op(A)·op(B)` (`cblas_dgemm`).
  ///
  /// - Complexity: O(m·n·k) floating-point operations.
  public static func gemm(
    _ a: Matrix, _ b: Matrix, transposeA: Transpose = .none, transposeB: Transpose = .none, alpha: Double = 1
  ) -> Matrix {
    let m = transposeA == .none ? a.rows : a.columns
    let k = transposeA == .none ? a.columns : a.rows
    let kb = transposeB == .none ? b.rows : b.columns
    let n = transposeB == .none ? b.columns : b.rows
    precondition(k == kb, "gemm: inner dimensions differ (\(k) vs \(kb))")
    var c = Matrix(rows: m, columns: n)
    if m == 0 || n == 0 { return c }
    if k == 0 { return c }
    a.storage.withUnsafeBufferPointer { pa in
      b.storage.withUnsafeBufferPointer { pb in
        c.storage.withUnsafeMutableBufferPointer { pc in
          cblas_dgemm(
            CblasRowMajor, transposeA == .none ? CblasNoTrans : CblasTrans,
            transposeB == .none ? CblasNoTrans : CblasTrans,
            Int32(m), Int32(n), Int32(k), alpha, pa.baseAddress, Int32(max(1, a.columns)),
            pb.baseAddress, Int32(max(1, b.columns)), 0, pc.baseAddress, Int32(max(1, n)))
        }
      }
    }
    return c
  }

  /// `C = A·Bᵀ` on raw row-major buffers (`cblas_dgemm`, β = 0, so `C` may be uninitialised):
  /// `A` is `m × k` (leading dimension `lda`), `B` is `n × k` (`ldb`), `C` is `m × n` (`ldc`).
  /// For callers that tile a large product themselves (e.g. from several threads with
  /// ``BLASThreads`` set to 1).
  ///
  /// - Complexity: O(m·n·k).
  public static func gemmTransposedB(
    m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
    if k == 0 {
      for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
      return
    }
    cblas_dgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0,
      c, Int32(ldc))
  }

  /// Gram matrix `C = α·A·Aᵀ` (`cblas_dsyrk`, upper triangle computed, then mirrored so the
  /// result is exactly symmetric).
  ///
  /// - Complexity: O(n²·d) for an `n × d` matrix, half of the equivalent GEMM.
  public static func syrk(_ a: Matrix, alpha: Double = 1) -> Matrix {
    let n = a.rows, d = a.columns
    var c = Matrix(rows: n, columns: n)
    if n == 0 { return c }
    if d > 0 {
      a.storage.withUnsafeBufferPointer { pa in
        c.storage.withUnsafeMutableBufferPointer { pc in
          cblas_dsyrk(
            CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(d), alpha, pa.baseAddress,
            Int32(max(1, d)), 0, pc.baseAddress, Int32(n))
        }
      }
    }
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) { c.storage[j * n + i] = c.storage[i * n + j] }
    }
    return c
  }

  /// Dot product `xᵀy` (`cblas_ddot`) of two equally long vectors.
  ///
  /// NumPy's `x.dot(y)` and `np.linalg.norm(x)` call the same OpenBLAS routine, so where both pick
  /// the same kernel for the CPU the sums are bit-identical (a sequential loop differs in the last
  /// bit for about 60 % of 1025 series measured). Above 10,000 elements a threaded OpenBLAS splits the
  /// sum over its threads (so does NumPy's), so the last bit then depends on the thread count; the
  /// `cohortlens` command runs BLAS on one thread (``BLASThreads/releaseWorkers()``).
  /// - Complexity: O(n).
  public static func dot(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>) -> Double {
    precondition(x.count == y.count, "dot: lengths differ")
    guard !x.isEmpty else { return 0 }
    return cblas_ddot(Int32(x.count), x.baseAddress, 1, y.baseAddress, 1)
  }

  /// `xᵀx` by ``dot(_:_:)``.
  public static func squaredNorm(_ x: [Double]) -> Double {
    x.withUnsafeBufferPointer { dot($0, $0) }
  }

  /// Matrix–vector product `y = A·x` (`cblas_dgemv`).
  public static func gemv(_ a: Matrix, _ x: [Double]) -> [Double] {
    precondition(a.columns == x.count, "gemv: dimensions differ")
    var y = [Double](repeating: 0, count: a.rows)
    if a.rows == 0 || a.columns == 0 { return y }
    a.storage.withUnsafeBufferPointer { pa in
      x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
          cblas_dgemv(
            CblasRowMajor, CblasNoTrans, Int32(a.rows), Int32(a.columns), 1, pa.baseAddress,
            Int32(a.columns), px.baseAddress, 1, 0, py.baseAddress, 1)
        }
      }
    }
    return y
  }
}

/// Control of OpenBLAS's own thread pool.
///
/// CohortLens parallelises its loops in Swift; the library sets OpenBLAS to one thread around them
/// so that two thread pools never compete for the same cores (`OPENBLAS_NUM_THREADS` in the
/// environment is honoured at start-up by OpenBLAS itself). The `cohortlens` command goes further
/// and calls ``releaseWorkers()`` at start-up: its BLAS calls all run on the calling thread.
public enum BLASThreads {
  /// Sets the number of threads OpenBLAS uses for subsequent calls (`openblas_set_num_threads`).
  ///
  /// Setting the count it already has is a no-op, so that a pool stopped by
  /// ``releaseWorkers()`` is not re-created (OpenBLAS re-creates it on every
  /// `openblas_set_num_threads` call).
  public static func set(_ count: Int) {
    let wanted = max(1, count)
    if wanted == current { return }
    openblas_set_num_threads(Int32(wanted))
  }

  /// Puts OpenBLAS on the calling thread for the rest of the process and stops its worker threads.
  ///
  /// Why: the pthreads build of OpenBLAS starts its workers when the library is loaded, and each idle
  /// worker busy-waits (`sched_yield`) for about 2²⁸ cycles (≈ 0.1 s) before it sleeps. In a
  /// short command on two cores that is a whole core spinning while CohortLens's own threads (DTW
  /// tiles, the split eigensolver product, silhouettes) want it: measured at 20–24 % of all CPU
  /// samples of `cohortlens dtw` (d = 25, N = 300) and `cluster` (n = 1000). Every CohortLens kernel
  /// that runs in parallel does so in Swift, and the spectral steps already run BLAS on one thread
  /// for determinism, so nothing loses a BLAS thread it used.
  ///
  /// Calls `openblas_set_num_threads(1)`, then OpenBLAS's `blas_thread_shutdown_` (a weak reference,
  /// so builds without it, such as the serial variant, are left as they are; unlike a `dlsym` lookup it
  /// also finds the function in the statically linked release binary). With the
  /// count at 1, later BLAS and LAPACK calls run on the caller without re-creating the pool.
  /// Call it once, before any BLAS work and while no other thread is inside BLAS (the CLI does at
  /// start-up). O(number of OpenBLAS threads).
  ///
  /// In the `cohortlens` release binary (OpenBLAS linked statically) there is no pool to stop: an initialiser that
  /// runs before OpenBLAS's own starts it with one thread (CBlockKernel, `cbk_openblas_start.h`;
  /// ``startedOnCallingThread``), so no worker is created, maps its 128 MiB buffer and is joined here (measured
  /// figures in `cbk_openblas_start.h`: `--version` CPU median 3.31 → 3.19 ms on the 2-core Zen 4 guest).
  public static func releaseWorkers() {
    openblas_set_num_threads(1)
    _ = cohortlens_openblas_shutdown_workers()
  }

  /// Whether this process's OpenBLAS was started on the calling thread, without a worker pool (the `cohortlens`
  /// release binary; see ``releaseWorkers()``). False in debug builds and in programs that do not ask for it.
  public static var startedOnCallingThread: Bool { cbk_openblas_started_on_caller() != 0 }

  /// The number of threads OpenBLAS currently uses (`openblas_get_num_threads`).
  public static var current: Int { Int(openblas_get_num_threads()) }
}
