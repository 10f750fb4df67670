// Thin block product with a symmetric matrix by rows (see include/cblock_kernel.h and
// Sources/LinearAlgebra/IterativeEigen.swift, `multiplyByA`).
//
// Why not `cblas_dgemm`: for `Q^T A` with a block of m = 16 vectors, OpenBLAS 0.3.21 copies all of A into its packed
// panel layout on every call (`dgemm_itcopy`) before its multiply kernel runs. Reading the rows of the symmetric A
// directly avoids that copy. One product, standalone (clang -O2), 2 threads each on half the rows, m = 16, min of 40
// per run, five runs (2-core Zen 3 guest): kernel / dgemm time 0.62-0.89 at n = 1000, 0.77-0.86 at n = 2000,
// 0.78-0.91 at n = 4000; best times 0.78 -> 0.59 ms, 2.39 -> 2.05 ms, 10.1 -> 9.0 ms.
#include "cblock_kernel.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static inline double lane_sum(__m256d v) {
  // (s0 + s2) + (s1 + s3)
  __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
  __m128d s = _mm_add_pd(lo, hi);
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// The n mod 4 trailing terms of row `ar` against vector `qv`, added to `s` in order by fused multiply-add.
__attribute__((target("avx2,fma"))) static inline double tail(const double *ar, const double *qv, long j0, long n,
                                                               double s) {
  for (long j = j0; j < n; j++) s = __builtin_fma(ar[j], qv[j], s);
  return s;
}

__attribute__((target("avx2,fma"))) static void product_avx2(const double *a, long n, const double *q, long m,
                                                              double *out, long row_begin, long row_end) {
  const long n4 = n & ~3L;
  long i = row_begin;
  for (; i + 4 <= row_end; i += 4) {
    const double *a0 = a + i * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
    // Vectors in groups of 3 (4 x 3 tiles: 12 accumulators, 3 + 1 registers of operands); the
    // remainder as groups of 2 (m mod 3 = 2, or 4 = 2 + 2 when m mod 3 = 1), a single vector only for m = 1.
    const long triples = m % 3 == 1 && m >= 4 ? m / 3 - 1 : m / 3;
    long v = 0;
    for (; v < 3 * triples; v += 3) {
      const double *q0 = q + v * n, *q1 = q0 + n, *q2 = q1 + n;
      __m256d c00 = _mm256_setzero_pd(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
      __m256d c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
      for (long j = 0; j < n4; j += 4) {
        __m256d x0 = _mm256_loadu_pd(q0 + j), x1 = _mm256_loadu_pd(q1 + j), x2 = _mm256_loadu_pd(q2 + j);
        __m256d r = _mm256_loadu_pd(a0 + j);
        c00 = _mm256_fmadd_pd(r, x0, c00); c01 = _mm256_fmadd_pd(r, x1, c01); c02 = _mm256_fmadd_pd(r, x2, c02);
        r = _mm256_loadu_pd(a1 + j);
        c10 = _mm256_fmadd_pd(r, x0, c10); c11 = _mm256_fmadd_pd(r, x1, c11); c12 = _mm256_fmadd_pd(r, x2, c12);
        r = _mm256_loadu_pd(a2 + j);
        c20 = _mm256_fmadd_pd(r, x0, c20); c21 = _mm256_fmadd_pd(r, x1, c21); c22 = _mm256_fmadd_pd(r, x2, c22);
        r = _mm256_loadu_pd(a3 + j);
        c30 = _mm256_fmadd_pd(r, x0, c30); c31 = _mm256_fmadd_pd(r, x1, c31); c32 = _mm256_fmadd_pd(r, x2, c32);
      }
      double *o0 = out + v * n + i, *o1 = o0 + n, *o2 = o1 + n;
      o0[0] = tail(a0, q0, n4, n, lane_sum(c00)); o1[0] = tail(a0, q1, n4, n, lane_sum(c01)); o2[0] = tail(a0, q2, n4, n, lane_sum(c02));
      o0[1] = tail(a1, q0, n4, n, lane_sum(c10)); o1[1] = tail(a1, q1, n4, n, lane_sum(c11)); o2[1] = tail(a1, q2, n4, n, lane_sum(c12));
      o0[2] = tail(a2, q0, n4, n, lane_sum(c20)); o1[2] = tail(a2, q1, n4, n, lane_sum(c21)); o2[2] = tail(a2, q2, n4, n, lane_sum(c22));
      o0[3] = tail(a3, q0, n4, n, lane_sum(c30)); o1[3] = tail(a3, q1, n4, n, lane_sum(c31)); o2[3] = tail(a3, q2, n4, n, lane_sum(c32));
    }
    for (; v + 2 <= m; v += 2) {
      const double *q0 = q + v * n, *q1 = q0 + n;
      __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (long j = 0; j < n4; j += 4) {
        __m256d x0 = _mm256_loadu_pd(q0 + j), x1 = _mm256_loadu_pd(q1 + j);
        __m256d r = _mm256_loadu_pd(a0 + j);
        c00 = _mm256_fmadd_pd(r, x0, c00); c01 = _mm256_fmadd_pd(r, x1, c01);
        r = _mm256_loadu_pd(a1 + j);
        c10 = _mm256_fmadd_pd(r, x0, c10); c11 = _mm256_fmadd_pd(r, x1, c11);
        r = _mm256_loadu_pd(a2 + j);
        c20 = _mm256_fmadd_pd(r, x0, c20); c21 = _mm256_fmadd_pd(r, x1, c21);
        r = _mm256_loadu_pd(a3 + j);
        c30 = _mm256_fmadd_pd(r, x0, c30); c31 = _mm256_fmadd_pd(r, x1, c31);
      }
      double *o0 = out + v * n + i, *o1 = o0 + n;
      o0[0] = tail(a0, q0, n4, n, lane_sum(c00)); o1[0] = tail(a0, q1, n4, n, lane_sum(c01));
      o0[1] = tail(a1, q0, n4, n, lane_sum(c10)); o1[1] = tail(a1, q1, n4, n, lane_sum(c11));
      o0[2] = tail(a2, q0, n4, n, lane_sum(c20)); o1[2] = tail(a2, q1, n4, n, lane_sum(c21));
      o0[3] = tail(a3, q0, n4, n, lane_sum(c30)); o1[3] = tail(a3, q1, n4, n, lane_sum(c31));
    }
    for (; v < m; v++) {
      const double *q0 = q + v * n;
      __m256d c0 = _mm256_setzero_pd(), c1 = c0, c2 = c0, c3 = c0;
      for (long j = 0; j < n4; j += 4) {
        __m256d x0 = _mm256_loadu_pd(q0 + j);
        c0 = _mm256_fmadd_pd(_mm256_loadu_pd(a0 + j), x0, c0);
        c1 = _mm256_fmadd_pd(_mm256_loadu_pd(a1 + j), x0, c1);
        c2 = _mm256_fmadd_pd(_mm256_loadu_pd(a2 + j), x0, c2);
        c3 = _mm256_fmadd_pd(_mm256_loadu_pd(a3 + j), x0, c3);
      }
      double *o = out + v * n + i;
      o[0] = tail(a0, q0, n4, n, lane_sum(c0)); o[1] = tail(a1, q0, n4, n, lane_sum(c1));
      o[2] = tail(a2, q0, n4, n, lane_sum(c2)); o[3] = tail(a3, q0, n4, n, lane_sum(c3));
    }
  }
  // The last row_end - i < 4 rows, one at a time (the same operations per element as above).
  for (; i < row_end; i++) {
    const double *ar = a + i * n;
    for (long v = 0; v < m; v++) {
      const double *qv = q + v * n;
      __m256d c = _mm256_setzero_pd();
      for (long j = 0; j < n4; j += 4) c = _mm256_fmadd_pd(_mm256_loadu_pd(ar + j), _mm256_loadu_pd(qv + j), c);
      out[v * n + i] = tail(ar, qv, n4, n, lane_sum(c));
    }
  }
}

int cbk_symmetric_rows_product_available(void) {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int cbk_symmetric_rows_product(const double *a, long n, const double *q, long m, double *out, long row_begin,
                               long row_end) {
  if (!cbk_symmetric_rows_product_available()) return 0;
  product_avx2(a, n, q, m, out, row_begin, row_end);
  return 1;
}

#else

int cbk_symmetric_rows_product_available(void) { return 0; }

int cbk_symmetric_rows_product(const double *a, long n, const double *q, long m, double *out, long row_begin,
                               long row_end) {
  (void)a; (void)n; (void)q; (void)m; (void)out; (void)row_begin; (void)row_end;
  return 0;
}

#endif
