#ifndef CSCORES_KERNEL_H
#define CSCORES_KERNEL_H

/// One tile of the Euclidean silhouette's distance sums (see `ClusterScores.silhouetteSamples` in
/// Sources/Clustering/ScoresSilhouette.swift, whose portable Swift loop this reproduces operation for operation).
///
/// On entry `g` (`rows x cols`, row stride `cols`) holds `-2 X_block X_tile^T` for the points
/// `r0 ..< r0 + rows` (rows of the block) and `c0 ..< c0 + cols` (columns of the tile), points grouped by cluster:
/// cluster `k` holds the points `starts[k] ..< starts[k + 1]` (`clusters + 1` entries, every cluster non-empty).
/// Each entry becomes the distance `sqrt(max(0, (g + norms[p]) + norms[c0 + j]))` (0 on the diagonal `p = c0 + j`);
/// then, for every row `p`, each cluster run of the tile's columns is added to `sums[p * clusters + k]` as a sum with
/// four partial sums `(s0 + s1) + (s2 + s3)` over `j = from + 4t + lane` (the `(to - from) mod 4` last terms added to
/// `s0` in order); and for every column `j >= r0 + rows - c0` (beyond the diagonal square) the distances of each
/// cluster run of the block's rows are summed in row order (from 0) and added to `sums[(c0 + j) * clusters + k]`.
/// `col_acc` is scratch of `cols` doubles.
///
/// Every value is the same sequence of IEEE operations as the Swift loop (no contraction), so the results are
/// bit-identical to it. Returns 1 when the tile was processed (x86-64 with AVX2), 0 when this processor lacks AVX2;
/// then nothing was written and the caller runs the Swift loop.
int csk_silhouette_tile(double *g, long rows, long cols, long r0, long c0, const double *norms, const long *starts,
                        long clusters, double *sums, double *col_acc);

/// 1 when `csk_silhouette_tile` computes on this processor, else 0.
int csk_silhouette_tile_available(void);

#endif
