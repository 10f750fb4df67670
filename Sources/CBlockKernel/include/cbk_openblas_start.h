#ifndef CBK_OPENBLAS_START_H
#define CBK_OPENBLAS_START_H

/// OpenBLAS started on the calling thread, for a program that runs every BLAS call there (the `cohortlens` command).
///
/// The pthreads OpenBLAS starts its worker pool in its load-time initialiser (`gotoblas_init`, before `main`): with
/// the count taken from `OPENBLAS_NUM_THREADS` or the processor count, it creates count - 1 threads, each of which
/// maps its own 128 MiB buffer (`mmap` + `mbind`) and then busy-waits for work. The command stops that pool at once
/// (`BLASThreads.releaseWorkers()`), so on 2 cores it paid for a thread that never ran a BLAS call, and the join
/// waited until that thread had been scheduled, had mapped its buffer and had seen the stop (measured below).
///
/// When the executable defines the marker `cohortlens_blas_on_calling_thread` (only the `cohortlens` target does) and
/// OpenBLAS is linked statically (Linux release builds), an initialiser that runs before OpenBLAS's own (priority
/// 101, ahead of the unprioritised `.init_array` entries) sets OpenBLAS's thread counts to 1; `gotoblas_init` then
/// skips its CPU count and `blas_thread_init` creates no thread. `OPENBLAS_NUM_THREADS` is not read, as the command
/// ran on one BLAS thread whatever it said. When OpenBLAS is a shared library (debug builds, `swift test`) its
/// initialiser has already run (its server is up): nothing is changed. Programs without the marker (the test
/// bundles, library users) start OpenBLAS as before. Checked against OpenBLAS 0.3.21 (Debian 12,
/// libopenblas-pthread-dev): `gotoblas_init` calls `blas_get_cpu_number` only while `blas_cpu_number` is 0, and
/// `blas_thread_init` starts `blas_num_threads - 1` workers.
///
/// Measured (2-core Zen 4 guest shared with other builds, non-PIE static release binaries, old and new processes
/// interleaved): `cohortlens --version` 300 rounds, wall min / median 2.92 / 3.56 -> 2.83 / 3.45 ms, CPU median
/// 3.31 -> 3.19 ms; a whole n = 1000 `cluster` run changed within its noise. strace: the start-up clone3, 8 MiB stack,
/// 128 MiB mmap + mbind and the join are gone. O(1) at start-up.

/// The decision on OpenBLAS's three globals: when the server is not up yet (`*server_avail == 0`), sets
/// `*cpu_number` and `*num_threads` to 1 and returns 1; otherwise leaves them and returns 0. O(1).
int cbk_openblas_start_on_caller(int *cpu_number, int *num_threads, const int *server_avail);

/// 1 when this process's OpenBLAS was started on the calling thread by the initialiser above, else 0.
int cbk_openblas_started_on_caller(void);

#endif
