import CLapack
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
/// CohortLens parallelises some loops in Swift; when it does, it sets OpenBLAS to one thread
/// for the duration so that two thread pools never compete for the same cores
/// (`OPENBLAS_NUM_THREADS` in the environment is honoured at start-up by OpenBLAS itself).
public enum BLASThreads {
  /// Sets the number of threads OpenBLAS uses for subsequent calls (`openblas_set_num_threads`).
  public static func set(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
  }

  /// The number of threads OpenBLAS currently uses (`openblas_get_num_threads`).
  public static var current: Int { Int(openblas_get_num_threads()) }

  /// Stops OpenBLAS's idle worker threads (`blas_thread_shutdown_`, pthreads builds of OpenBLAS
  /// 0.3.x); the thread count set by ``set(_:)`` is kept.
  ///
  /// Why: the pthreads build starts its workers when the library is loaded, and after every
  /// multithreaded call each worker busy-waits (`sched_yield`) for about 2²⁸ cycles (~0.1 s)
  /// before it sleeps. A process that then runs its BLAS on one thread and parallelises in
  /// Swift (the spectral pipeline) loses a core to that spinning on a 2-core machine
  /// (measured: 21 % of `cluster`'s samples at n = 1000). OpenBLAS re-creates the workers by
  /// itself on the next call that uses more than one thread (`exec_blas` re-initialises the
  /// server when it is down; tested), so `OPENBLAS_NUM_THREADS` keeps its meaning and results
  /// are unchanged.
  ///
  /// No-op when the workers are already stopped or when the loaded OpenBLAS does not export
  /// the symbol (serial or OpenMP builds, other BLAS libraries). Call it only while no other
  /// thread is inside a BLAS routine: a worker given a job is told to exit instead (OpenBLAS
  /// has no idle check), so a concurrent multithreaded call would never return. Hence a
  /// program entry point calls it (`cohortlens cluster`, before any work), not library code
  /// that may run beside other BLAS users.
  ///
  /// - Complexity: one `pthread_join` per worker (microseconds).
  public static func stopIdleWorkers() {
    guard let stop = OpenBLASServer.shutdown, OpenBLASServer.isRunning else { return }
    _ = stop()
  }

  /// Whether OpenBLAS's worker threads are currently running (`blas_server_avail`); `false`
  /// when unknown (the symbol is not exported by the loaded BLAS).
  public static var workersRunning: Bool { OpenBLASServer.isRunning }
}

/// Symbols of the OpenBLAS pthreads thread server, looked up once at run time (`dlsym`), so
/// that builds against a BLAS without them still link and run.
private enum OpenBLASServer {
  typealias Shutdown = @convention(c) () -> Int32
  static let shutdown: Shutdown? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") else { return nil }
    return unsafeBitCast(symbol, to: Shutdown.self)
  }()
  nonisolated(unsafe) static let available: UnsafeMutablePointer<Int32>? = {
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_server_avail")?.assumingMemoryBound(to: Int32.self)
  }()
  static var isRunning: Bool { (available?.pointee ?? 0) != 0 }
}
