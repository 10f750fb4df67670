#ifndef COHORTLENS_CLAPACK_SHIM_H
#define COHORTLENS_CLAPACK_SHIM_H
// CBLAS and LAPACKE as shipped by Debian's libopenblas-dev (cblas.h, with openblas_set_num_threads)
// and liblapacke-dev (netlib LAPACKE running on OpenBLAS's LAPACK). Both LP64: lapack_int = int32_t.
#include <cblas.h>
#include <lapacke.h>
#endif
