#ifndef CDTW_KERNEL_H
#define CDTW_KERNEL_H

/// Banded DTW of one query against 8 candidate series held in SIMD lanes (equal lengths).
///
/// `x`: the query, `n` steps x `d` features, row-major. `y`: 8 candidates of the same length, transposed:
/// value of candidate `lane` at step `t`, feature `f` at `y[(t * d + f) * 8 + lane]`. `r`: Sakoe-Chiba radius
/// (|i - j| <= r; pass a value >= n - 1 for the unconstrained DTW). `buffer`: 2 * (n + 1) * 8 doubles, 64-byte
/// aligned. `out[lane]`: sqrt of the cumulative cost, bit-identical to the scalar recurrence (same operation
/// order, no fused multiply-add, branchless minimum that picks like `a < b ? a : b`).
void cdtw_block8(const double *x, const double *y, long n, long d, long r, double *buffer, double *out);

/// Two blocks at once (`y` and `y2`, 16 candidates; independent recurrences interleaved to hide latency).
/// `buffer`: 6 * (n + 1) * 8 doubles, 64-byte aligned (for d > 1 the costs of a row are computed first, two
/// columns at a time, each still summed in feature order); `out`: 16 values (block `y` in 0..<8, `y2` in 8..<16).
void cdtw_block16(const double *x, const double *y, const double *y2, long n, long d, long r, double *buffer,
                  double *out);

#endif
