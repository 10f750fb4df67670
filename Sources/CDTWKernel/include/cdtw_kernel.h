#ifndef CDTW_KERNEL_H
#define CDTW_KERNEL_H

/// Banded DTW of one query against 8 candidate series held in SIMD lanes (equal lengths).
///
/// `x`: the query, `n` steps x `d` features, row-major. `y`: 8 candidates of the same length, transposed:
/// value of candidate `lane` at step `t`, feature `f` at `y[(t * d + f) * 8 + lane]`. `r`: Sakoe-Chiba radius
/// (|i - j| <= r; pass a value >= n - 1 for the unconstrained DTW). `buffer`: 3 * (n + 1) * 8 doubles, 64-byte
/// aligned (two rows and, for d > 1, the costs of a row, computed first four columns at a time, each summed in
/// feature order). `out[lane]`: sqrt of the cumulative cost, bit-identical to the scalar recurrence (same operation
/// order, no fused multiply-add, branchless minimum that picks like `a < b ? a : b`).
void cdtw_block8(const double *x, const double *y, long n, long d, long r, double *buffer, double *out);

/// The first four lanes of an 8-lane packed block (`y` as for `cdtw_block8`; pass `y + 4` for lanes 4..<8): for a
/// block whose wanted candidates all lie in one half (a group's last block of at most 4 series, or the query's own
/// block when its first later candidate is in the upper half). `buffer`: 3 * (n + 1) * 4 doubles,
/// 32-byte aligned. `out[0..<4]`: the same values, bit for bit, as `cdtw_block8` gives in those lanes.
void cdtw_block4(const double *x, const double *y, long n, long d, long r, double *buffer, double *out);

/// Two blocks at once (`y` and `y2`, 16 candidates; independent recurrences interleaved to hide latency).
/// `buffer`: 6 * (n + 1) * 8 doubles, 64-byte aligned (for d > 1 the costs of a row are computed first, two
/// columns at a time, each still summed in feature order); `out`: 16 values (block `y` in 0..<8, `y2` in 8..<16).
/// From `CDTW_SPLIT_FEATURES` (16) features on, the two blocks run one after the other through `cdtw_block8`,
/// whose band window then stays in the L1 data cache.
void cdtw_block16(const double *x, const double *y, const double *y2, long n, long d, long r, double *buffer,
                  double *out);

/// Lower bounds of the squared DTW cost of the query `x` against 8 candidates held in SIMD lanes (`y` transposed as
/// for `cdtw_block8`, all of length `n`, `d` features). `upper`/`lower`: the query's Sakoe-Chiba envelope
/// (`n * d` values each, row-major: max/min of `x` over steps `|i - t| <= r`, per feature).
/// `kim[lane]`: LB_Kim, the first and last cells `c(0,0) + c(n-1,n-1)` (just `c(0,0)` when n = 1);
/// `keogh[lane]`: LB_Keogh of the candidate against the query's envelope, `sum_{t,f} e^2` with
/// `e = max(y - upper, lower - y, 0)` (every column of the grid is matched to some row of its band).
/// Both are exact lower bounds in real arithmetic; compare them with a small relative slack.
/// `yupper`/`ylower` (or NULL): the candidates' envelopes, transposed like `y`; if given, the reverse LB_Keogh
/// (the query against each candidate's envelope; every row is matched) is also tested, for blocks where some
/// lane survived the first two bounds (its discards are counted with LB_Keogh's).
/// Returns the survivor mask: bit `lane` set iff neither bound exceeds `max(limit_q, limits[lane])`.
/// `*kim_pruned`: mask of the lanes discarded by LB_Kim (LB_Keogh is skipped when that is all 8 lanes).
int cdtw_lower_bounds8(const double *x, const double *upper, const double *lower, const double *y, const double *yupper,
                       const double *ylower, long n, long d, double limit_q, const double *limits, int *kim_pruned);

#endif
