// OpenBLAS started on the calling thread for the `cohortlens` command (see include/cbk_openblas_start.h).
#include "cbk_openblas_start.h"

#include <stddef.h>

int cbk_openblas_start_on_caller(int *cpu_number, int *num_threads, const int *server_avail) {
  if (cpu_number == NULL || num_threads == NULL || server_avail == NULL || *server_avail != 0) return 0;
  *cpu_number = 1;
  *num_threads = 1;
  return 1;
}

#if defined(__linux__)
// OpenBLAS's globals (driver/others/memory.c, blas_server.c), weak so that a build without them links and sees NULL.
extern int blas_cpu_number __attribute__((weak));
extern int blas_num_threads __attribute__((weak));
extern int blas_server_avail __attribute__((weak));
// Defined only by the `cohortlens` executable (CohortLens.swift).
extern void cohortlens_blas_on_calling_thread(void) __attribute__((weak));

// Written once, by the initialiser below, before `main` and before any thread exists; read-only afterwards.
static int started_on_caller = 0;

__attribute__((constructor(101))) static void cbk_openblas_start(void) {
  if (cohortlens_blas_on_calling_thread == NULL) return;
  started_on_caller = cbk_openblas_start_on_caller(&blas_cpu_number, &blas_num_threads, &blas_server_avail);
}

int cbk_openblas_started_on_caller(void) { return started_on_caller; }
#else
int cbk_openblas_started_on_caller(void) { return 0; }
#endif
