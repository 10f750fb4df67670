#ifndef CSPECTRAL_KERNEL_H
#define CSPECTRAL_KERNEL_H

/// AVX2 kernels of the dense spectral-clustering steps (Sources/Clustering: Affinity.swift, Laplacian.swift). Each
/// performs, per element, exactly the floating-point operations of the portable Swift code it replaces, in the same
/// order (a fused multiply-add only where the Swift code has `addProduct`), so the results are bit-identical; only
/// the vector width differs. Every function returns 1 when it computed (x86-64 with AVX2, and FMA for
/// `csk_rbf_gram_block`), 0 when this processor lacks them: then nothing was written and the caller runs its
/// portable code.

/// 1 when the kernels below compute on this processor, else 0.
int csk_available(void);

/// One block of the RBF affinity (`Affinity.rbfBand`), Gram entries included: for rows `row_lo <= i < row_hi` of
/// the `n x n` row-major `p` and columns `col_lo <= j < col_hi`: `p[i, i] = 1` when the diagonal is in the block;
/// for `j > i`, `g = x[i, 0] * x[j, 0]`, then `g = fma(x[i, k], x[j, k], g)` for k = 1 ..< d in order (`g = +0` when
/// `d = 0`; the Swift code's `addProduct`) and `p[i, j] = exp(neg_gamma * max(0, (-2 * g + norms[i]) + norms[j]))`
/// (a negative sum replaced by +0, NaN kept) with the table-driven `VectorExp.exp` (`table`: its 256 doubles); then
/// the block's strict upper part is copied onto the lower triangle, `p[j, i] = p[i, j]` for `i < j`.
/// `x`: `n x d` row-major; `xt`: its transpose, `d` rows of stride `ldxt`, and `norms`, both readable (any finite
/// values) up to 8 entries past `col_hi`. Entries of rows `row_lo ..< row_hi` left of the diagonal in columns
/// `>= row_lo` may be overwritten with scratch values before the mirror of this or a later column block (in
/// increasing `col_lo`) rewrites them.
int csk_rbf_gram_block(double *p, long n, const double *x, long d, const double *xt, long ldxt, const double *norms,
                       double neg_gamma, const double *table, long row_lo, long row_hi, long col_lo, long col_hi);

/// `p[k] = VectorExp.exp(p[k])` for `k < count` (the same function as `csk_rbf_gram_block` uses; for tests).
int csk_exp(double *p, long count, const double *table);

/// Column sums with the diagonal skipped (`GraphLaplacian.columnSumsSkippingDiagonal`):
/// `out[j] = sum over i = 0 ..< n, in order, of (i == j ? +0 : p[i * n + j])`, starting from +0, for
/// `col_lo <= j < col_hi`.
int csk_column_sums_skipping_diagonal(const double *p, long n, long col_lo, long col_hi, double *out);

/// `row[j] = sign * ((row[j] / scale[j]) / divisor)` for `j < n` (`GraphLaplacian.scaleRowInPlace`).
int csk_scale_row(double *row, long n, const double *scale, double sign, double divisor);

#endif
