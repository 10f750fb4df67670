// The Euclidean silhouette's per-tile distance sums with AVX2 (see include/cscores_kernel.h and
// Sources/Clustering/ScoresSilhouette.swift). The Swift loop is compiled for baseline x86-64 (SSE2), so its square
// roots run two at a time; 256-bit `vsqrtpd` halves that cost on the reference machine (500,000 square roots:
// 0.60 ms with 128-bit, 0.30 ms with 256-bit vectors, 2-core AMD EPYC guest), and the square roots are most of the
// silhouette's time. Built without floating-point contraction (no fused multiply-add: there is no product here).
#include "cscores_kernel.h"

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

// (s0 + s1) + (s2 + s3) of the four partial sums over a[from ..< to] (lanes j = from + 4t + lane), the
// (to - from) mod 4 last terms added to s0 in order.
__attribute__((target("avx2"))) static inline double run_sum(const double *a, long from, long to) {
  __m256d acc = _mm256_setzero_pd();
  long t = from;
  for (; t + 4 <= to; t += 4) acc = _mm256_add_pd(acc, _mm256_loadu_pd(a + t));
  double lanes[4];
  _mm256_storeu_pd(lanes, acc);
  double s0 = lanes[0];
  for (; t < to; t++) s0 += a[t];
  return (s0 + lanes[1]) + (lanes[2] + lanes[3]);
}

__attribute__((target("avx2"))) static void tile_avx2(double *g, long rows, long cols, long r0, long c0,
                                                       const double *norms, const long *starts, long clusters,
                                                       double *sums, double *col_acc) {
  const long L = clusters;
  const double *nt = norms + c0;
  const __m256d zero = _mm256_setzero_pd();
  // first cluster of the tile's columns, and of the block's rows
  long k0 = 0;
  while (starts[k0 + 1] <= c0) k0++;
  long kr = 0;
  while (starts[kr + 1] <= r0) kr++;
  // columns beyond the diagonal square receive column sums
  long first = r0 + rows - c0;
  if (first < 0) first = 0;
  const int columns = first < cols;
  long runEnd = -1;  // end row (block coordinates) of the current row run
  for (long r = 0; r < rows; r++) {
    const long p = r0 + r;
    double *gr = g + r * cols;
    const double xx = norms[p];
    const __m256d xx4 = _mm256_set1_pd(xx);
    long j = 0;
    for (; j + 4 <= cols; j += 4) {
      __m256d v = _mm256_add_pd(_mm256_loadu_pd(gr + j), xx4);
      v = _mm256_add_pd(v, _mm256_loadu_pd(nt + j));
      // max(v, 0) with 0 for NaN (as maxpd with 0 as second operand, and as `v > 0 ? v : 0`)
      v = _mm256_sqrt_pd(_mm256_max_pd(v, zero));
      _mm256_storeu_pd(gr + j, v);
    }
    for (; j < cols; j++) {
      double v = (gr[j] + xx) + nt[j];
      gr[j] = __builtin_sqrt(v > 0 ? v : 0);
    }
    if (p >= c0 && p < c0 + cols) gr[p - c0] = 0;
    // row sums over the cluster runs of the tile's columns
    long kk = k0;
    j = 0;
    while (j < cols) {
      long end = (starts[kk + 1] < c0 + cols ? starts[kk + 1] : c0 + cols) - c0;
      sums[p * L + kk] += run_sum(gr, j, end);
      j = end;
      kk++;
    }
    if (!columns) continue;
    // column sums of the row run this row belongs to
    if (r >= runEnd) {
      // a new run starts: cluster kr, rows r ..< min(starts[kr + 1] - r0, rows)
      while (starts[kr + 1] <= p) kr++;
      long e = starts[kr + 1] - r0;
      runEnd = e < rows ? e : rows;
      for (long c = first; c < cols; c++) col_acc[c] = 0;
    }
    long c = first;
    for (; c + 4 <= cols; c += 4)
      _mm256_storeu_pd(col_acc + c, _mm256_add_pd(_mm256_loadu_pd(col_acc + c), _mm256_loadu_pd(gr + c)));
    for (; c < cols; c++) col_acc[c] += gr[c];
    if (r + 1 == runEnd) {
      for (long c2 = first; c2 < cols; c2++) sums[(c0 + c2) * L + kr] += col_acc[c2];
    }
  }
}

int csk_silhouette_tile_available(void) { return __builtin_cpu_supports("avx2"); }

int csk_silhouette_tile(double *g, long rows, long cols, long r0, long c0, const double *norms, const long *starts,
                        long clusters, double *sums, double *col_acc) {
  if (!csk_silhouette_tile_available()) return 0;
  tile_avx2(g, rows, cols, r0, c0, norms, starts, clusters, sums, col_acc);
  return 1;
}

#else

int csk_silhouette_tile_available(void) { return 0; }

int csk_silhouette_tile(double *g, long rows, long cols, long r0, long c0, const double *norms, const long *starts,
                        long clusters, double *sums, double *col_acc) {
  (void)g; (void)rows; (void)cols; (void)r0; (void)c0; (void)norms; (void)starts; (void)clusters; (void)sums;
  (void)col_acc;
  return 0;
}

#endif
