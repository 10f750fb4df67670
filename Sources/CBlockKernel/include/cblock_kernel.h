#ifndef CBLOCK_KERNEL_H
#define CBLOCK_KERNEL_H

#include "cbk_openblas_start.h"
#include "cbk_team.h"

/// Block product with a symmetric matrix, by rows: `out[v * n + i] = sum_{j < n} a[i * n + j] * q[v * n + j]` for the
/// rows `row_begin <= i < row_end` of `a` (`n x n`, row-major) and the `m` vectors `q[v * n ..< (v + 1) * n]`.
/// For a symmetric `a` this is `(Q^T A)[v, i]`, the product `cblas_dgemm` computes by columns, but it streams the rows
/// of `a` once, without the packed copy of `a` that a thin (`m <= 32`) `dgemm` makes on every call.
///
/// Each `out` element is one fixed sequence of operations: four lane sums over `j = 4t + lane` by fused multiply-add
/// (j ascending), added pairwise `(s0 + s2) + (s1 + s3)`, then the `n mod 4` remaining terms in order,
/// each by fused multiply-add. It does not
/// depend on `row_begin`/`row_end` or on the other rows and vectors, so splitting the rows over threads gives the same
/// bits. Register tiles of 4 rows x 3 vectors (12 accumulators, 7 loads per 12 fused multiply-adds); the `m mod 3`
/// remaining vectors in tiles of 4 rows x 2 (`m = 16` as 4 x 3 + 2 x 2), a tile of 4 x 1 only for `m = 1`.
///
/// Returns 1 when the product was computed (x86-64 with AVX2 and FMA), 0 when this processor lacks them; then nothing
/// was written and the caller must use `cblas_dgemm`.
int cbk_symmetric_rows_product(const double *a, long n, const double *q, long m, double *out, long row_begin,
                               long row_end);

/// One modified Gram-Schmidt step: for each of the `count` rows `q_k` (`q[k * n ..< (k + 1) * n]`, orthonormal) in
/// turn, `c = q_k . z` then `z -= c q_k` (`z` has `n` entries). One call replaces `count` pairs of `ddot` / `daxpy`
/// calls (the solver orthonormalises blocks of up to ~30 vectors of length n this way). On x86-64 with AVX2 and FMA the
/// dot product runs in 16 lanes summed in a fixed order and the update by fused multiply-add; elsewhere in index
/// order. Deterministic on a given processor; does not use threads.
void cbk_mgs_subtract(const double *q, long count, long n, double *z);

/// Householder tridiagonalisation of the symmetric `p x p` matrix held in `a` as LAPACK's `dsytrd` with uplo 'L'
/// (column-major, leading dimension `lda`) computes it, in its output format: `d[0..<p]`, `e[0..<p-1]`, `tau[0..<p-1]`
/// and the reflectors below the subdiagonal of `a` (`e` on the subdiagonal, `d` on the diagonal), so `dsterf`,
/// `dstein` and `dormtr` take the result as it is. Only the lower triangle (column-major) is read; the strict upper
/// triangle is overwritten with scratch values. `a` must have `lda >= p + 3` and `p + 3` columns, the 3 rows and
/// columns past `p` zero (padding the kernel's 4-wide blocks run into; they stay zero). `work`: `4 * (p + 4)` doubles.
///
/// Method: LAPACK's unblocked dsytd2 and dlarfg (sign of beta, rescaling of tiny beta, tau = 0 for a zero column),
/// with the rank-2 update of step i fused into the symmetric product of step i+1 (one pass over the trailing
/// triangle per step). `path`: 0 chooses AVX2 + FMA when the processor has them, else the portable path; 1 forces
/// the portable path, 2 the AVX2 path (only where `cbk_tridiagonalize_avx2_available()`). Both paths give the same
/// bits (the portable one uses fma(), a software routine on x86-64 processors without FMA, ~60x slower). Single
/// thread, deterministic.
void cbk_tridiagonalize(long p, double *a, long lda, double *d, double *e, double *tau, double *work, int path);

/// 1 when `cbk_tridiagonalize`'s AVX2 path runs on this processor (x86-64 with AVX2 and FMA), else 0.
int cbk_tridiagonalize_avx2_available(void);

/// 1 when `cbk_symmetric_rows_product` computes on this processor, else 0.
int cbk_symmetric_rows_product_available(void);

#endif
