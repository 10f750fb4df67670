#ifndef COHORTLENS_CLAPACK_SHIM_H
#define COHORTLENS_CLAPACK_SHIM_H
// CBLAS and LAPACKE as shipped by Debian's libopenblas-dev (cblas.h, with openblas_set_num_threads)
// and liblapacke-dev (netlib LAPACKE running on OpenBLAS's LAPACK). Both LP64: lapack_int = int32_t.
#include <cblas.h>
#include <lapacke.h>

// OpenBLAS's own worker-pool shutdown (pthreads builds; not in cblas.h). Declared weak so that a build without
// it (the serial variant) links and leaves it NULL; works the same whether OpenBLAS is linked statically (release)
// or as a shared library (debug), unlike a dlsym lookup, which cannot see symbols of a static archive.
extern int blas_thread_shutdown_(void) __attribute__((weak));

/// Stops OpenBLAS's worker threads if this build has them; returns -1 when it has no such pool.
static inline int cohortlens_openblas_shutdown_workers(void) {
  return blas_thread_shutdown_ ? blas_thread_shutdown_() : -1;
}
#endif
