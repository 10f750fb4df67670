// Modified Gram-Schmidt step of the iterative eigensolver (see include/cblock_kernel.h, `cbk_mgs_subtract`).
#include "cblock_kernel.h"

// Portable path: for each row k in turn, c = q_k . z (in index order), then z -= c q_k.
static void mgs_subtract_portable(const double *q, long count, long n, double *z) {
  for (long k = 0; k < count; k++) {
    const double *qk = q + k * n;
    double c = 0;
    for (long i = 0; i < n; i++) c += qk[i] * z[i];
    for (long i = 0; i < n; i++) z[i] -= c * qk[i];
  }
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

// AVX2 path: the dot product in 16 lanes (4 accumulators of 4, j = 16t + lane, fused multiply-add), summed as
// ((a0 + a1) + (a2 + a3)) lane-wise then (s0 + s2) + (s1 + s3), then the n mod 16 remaining terms in order; the update
// z_i = z_i - c q_ki by one fused negative multiply-add per element.
__attribute__((target("avx2,fma"))) static void mgs_subtract_avx2(const double *q, long count, long n, double *z) {
  const long n16 = n & ~15L, n4 = n & ~3L;
  for (long k = 0; k < count; k++) {
    const double *qk = q + k * n;
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    for (long i = 0; i < n16; i += 16) {
      a0 = _mm256_fmadd_pd(_mm256_loadu_pd(qk + i), _mm256_loadu_pd(z + i), a0);
      a1 = _mm256_fmadd_pd(_mm256_loadu_pd(qk + i + 4), _mm256_loadu_pd(z + i + 4), a1);
      a2 = _mm256_fmadd_pd(_mm256_loadu_pd(qk + i + 8), _mm256_loadu_pd(z + i + 8), a2);
      a3 = _mm256_fmadd_pd(_mm256_loadu_pd(qk + i + 12), _mm256_loadu_pd(z + i + 12), a3);
    }
    __m256d s4 = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
    __m128d lo = _mm256_castpd256_pd128(s4), hi = _mm256_extractf128_pd(s4, 1);
    __m128d s2 = _mm_add_pd(lo, hi);
    double c = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
    for (long i = n16; i < n; i++) c = __builtin_fma(qk[i], z[i], c);
    const __m256d vc = _mm256_set1_pd(c);
    long i = 0;
    for (; i < n4; i += 4) {
      _mm256_storeu_pd(z + i, _mm256_fnmadd_pd(vc, _mm256_loadu_pd(qk + i), _mm256_loadu_pd(z + i)));
    }
    for (; i < n; i++) z[i] = __builtin_fma(-c, qk[i], z[i]);
  }
}

void cbk_mgs_subtract(const double *q, long count, long n, double *z) {
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    mgs_subtract_avx2(q, count, n, z);
  } else {
    mgs_subtract_portable(q, count, n, z);
  }
}

#else

void cbk_mgs_subtract(const double *q, long count, long n, double *z) { mgs_subtract_portable(q, count, n, z); }

#endif
