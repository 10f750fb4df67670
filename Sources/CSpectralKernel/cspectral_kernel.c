// AVX2 kernels of the dense spectral steps (see include/cspectral_kernel.h, Sources/Clustering/Affinity.swift,
// VectorExp.swift and Laplacian.swift). Floating-point contraction is off and every lane performs the portable
// Swift code's operations in its order (explicit fused multiply-adds only in the Gram entries, where the Swift code
// has `addProduct`), so results are bit-identical to it (tests: SpectralKernelTests).
#include "cspectral_kernel.h"

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))
#define AVX2FMA __attribute__((target("avx2,fma")))

// VectorExp.exp, 4 lanes (see Sources/Clustering/VectorExp.swift for the algorithm and its accuracy).
//
// The clamps are single max/min instructions with the bound as the first operand: `_mm256_max_pd(lo, x)` is
// `lo > x ? lo : x`, which keeps a NaN `x` exactly like the Swift `replace(with: lo, where: x .< lo)`.
// The table entries (T_hi, T_lo) are adjacent, so each lane's pair is one 16-byte load, the four pairs then
// transposed into a T_hi and a T_lo vector (faster than two gathers: 1.53 vs 1.76 ns per value, one thread,
// 5e5 values, Zen 4 guest).
// The integer part works on mb = m + B with B = 2^40 + 1023 * 256 (one subtraction from t's bits: mb = t - (shifter - B)),
// which is positive (m lies in [-203200, 131200] after the clamp), so logical shifts act as arithmetic ones:
// mb & 127 == m & 127 (B is a multiple of 128), K = mb >> 7 == k + 2^33 + 2046, K1 = K >> 1 == k1 + 2^32 + 1023, and
// K - K1 == k2 + 2^32 + 1023; shifted left by 52 only their low 12 bits remain, where the 2^32 terms vanish, so
// s1 = K1 << 52 and s2 = (K - K1) << 52 are exactly the Swift code's (k1 + 1023) << 52 and (k2 + 1023) << 52.
// For a NaN argument m is garbage, but then the result is the NaN p (the first operand of both products), as in
// the Swift code (p itself only depends on m & 127, which is the same).
AVX2 static inline __m256d exp4(__m256d x, const double *table) {
  const __m256d shifter = _mm256_set1_pd(6755399441055744.0);
  x = _mm256_min_pd(_mm256_set1_pd(710.0), _mm256_max_pd(_mm256_set1_pd(-1100.0), x));
  __m256d t = _mm256_add_pd(_mm256_mul_pd(x, _mm256_set1_pd(184.66496523378731)), shifter);
  __m256d md = _mm256_sub_pd(t, shifter);
  const long long bias = (1LL << 40) + 1023LL * 256;
  __m256i m = _mm256_sub_epi64(_mm256_castpd_si256(t), _mm256_set1_epi64x(0x4338000000000000LL - bias));
  __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(md, _mm256_set1_pd(6.93147180369123816490e-01 / 128))),
                            _mm256_mul_pd(md, _mm256_set1_pd(1.90821492927058770002e-10 / 128)));
  __m256d q = _mm256_add_pd(_mm256_mul_pd(r, _mm256_set1_pd(1.0 / 720.0)), _mm256_set1_pd(1.0 / 120.0));
  q = _mm256_add_pd(_mm256_mul_pd(q, r), _mm256_set1_pd(1.0 / 24.0));
  q = _mm256_add_pd(_mm256_mul_pd(q, r), _mm256_set1_pd(1.0 / 6.0));
  q = _mm256_add_pd(_mm256_mul_pd(q, r), _mm256_set1_pd(0.5));
  __m256d s = _mm256_add_pd(r, _mm256_mul_pd(_mm256_mul_pd(r, r), q));
  // Byte offsets 16 * (m & 127) of the pairs.
  __m256i off = _mm256_slli_epi64(_mm256_and_si256(m, _mm256_set1_epi64x(127)), 4);
  __m128i off_lo = _mm256_castsi256_si128(off), off_hi = _mm256_extracti128_si256(off, 1);
  const char *tb = (const char *)table;
  __m128d p0 = _mm_loadu_pd((const double *)(tb + _mm_cvtsi128_si64(off_lo)));
  __m128d p1 = _mm_loadu_pd((const double *)(tb + _mm_extract_epi64(off_lo, 1)));
  __m128d p2 = _mm_loadu_pd((const double *)(tb + _mm_cvtsi128_si64(off_hi)));
  __m128d p3 = _mm_loadu_pd((const double *)(tb + _mm_extract_epi64(off_hi, 1)));
  __m256d a = _mm256_insertf128_pd(_mm256_castpd128_pd256(p0), p2, 1);  // T_hi0 T_lo0 T_hi2 T_lo2
  __m256d b = _mm256_insertf128_pd(_mm256_castpd128_pd256(p1), p3, 1);  // T_hi1 T_lo1 T_hi3 T_lo3
  __m256d th = _mm256_unpacklo_pd(a, b), tl = _mm256_unpackhi_pd(a, b);
  __m256d p = _mm256_add_pd(th, _mm256_add_pd(tl, _mm256_mul_pd(th, s)));
  __m256i k = _mm256_srli_epi64(m, 7), k1 = _mm256_srli_epi64(k, 1);
  __m256d s1 = _mm256_castsi256_pd(_mm256_slli_epi64(k1, 52));
  __m256d s2 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_sub_epi64(k, k1), 52));
  return _mm256_mul_pd(_mm256_mul_pd(p, s1), s2);
}

// Lanes 0 ..< count (0 < count < 4) of a mask for maskload/maskstore.
AVX2 static inline __m256i head_mask(long count) {
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), _mm256_setr_epi64x(0, 1, 2, 3));
}

// exp(neg_gamma * max(0, (-2 * g + ni) + nj)) of 4 Gram entries; `_mm256_max_pd(0, v)` is `0 > v ? 0 : v`, the
// Swift `v.replace(with: 0, where: v .< 0)` (NaN and -0 kept).
AVX2 static inline __m256d rbf4(__m256d g, __m256d ni, __m256d nj, __m256d neg_gamma, const double *table) {
  __m256d v = _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(-2.0), g), ni);
  v = _mm256_max_pd(_mm256_setzero_pd(), _mm256_add_pd(v, nj));
  return exp4(_mm256_mul_pd(v, neg_gamma), table);
}

// Mirror onto the lower triangle: p[j, i] = p[i, j] for row_lo <= i < min(j, row_hi), col_lo <= j < col_hi.
// 4 x 4 tiles wholly below the diagonal are transposed in registers; the rest element by element.
AVX2 static void mirror_block_avx2(double *p, long n, long row_lo, long row_hi, long col_lo, long col_hi) {
  long j = col_lo > row_lo + 1 ? col_lo : row_lo + 1;
  for (; j + 4 <= col_hi; j += 4) {
    // Destination rows j .. j + 3: whole tiles for i + 4 <= min(j, row_hi), the rest of each row after them.
    long full = j < row_hi ? j - row_lo : row_hi - row_lo;
    long i_end_full = row_lo + (full & ~3L);
    double *d0 = p + j * n, *d1 = d0 + n, *d2 = d1 + n, *d3 = d2 + n;
    long i = row_lo;
    for (; i < i_end_full; i += 4) {
      __m256d r0 = _mm256_loadu_pd(p + i * n + j), r1 = _mm256_loadu_pd(p + (i + 1) * n + j);
      __m256d r2 = _mm256_loadu_pd(p + (i + 2) * n + j), r3 = _mm256_loadu_pd(p + (i + 3) * n + j);
      __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
      __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
      _mm256_storeu_pd(d0 + i, _mm256_permute2f128_pd(t0, t2, 0x20));
      _mm256_storeu_pd(d1 + i, _mm256_permute2f128_pd(t1, t3, 0x20));
      _mm256_storeu_pd(d2 + i, _mm256_permute2f128_pd(t0, t2, 0x31));
      _mm256_storeu_pd(d3 + i, _mm256_permute2f128_pd(t1, t3, 0x31));
    }
    for (long jj = j; jj < j + 4; jj++) {
      long i_end = jj < row_hi ? jj : row_hi;
      double *dst = p + jj * n;
      for (long ii = i; ii < i_end; ii++) dst[ii] = p[ii * n + jj];
    }
  }
  for (; j < col_hi; j++) {
    long i_end = j < row_hi ? j : row_hi;
    double *dst = p + j * n;
    for (long i = row_lo; i < i_end; i++) dst[i] = p[i * n + j];
  }
}

// Stores the 8 values (lo: columns j .. j + 3, hi: j + 4 .. j + 7) of one row, only columns < col_hi.
AVX2 static inline void store8(double *q, long avail, __m256d lo, __m256d hi) {
  if (avail >= 8) {
    _mm256_storeu_pd(q, lo);
    _mm256_storeu_pd(q + 4, hi);
  } else {
    const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i av = _mm256_set1_epi64x(avail);
    _mm256_maskstore_pd(q, _mm256_cmpgt_epi64(av, lanes), lo);
    _mm256_maskstore_pd(q + 4, _mm256_cmpgt_epi64(av, _mm256_add_epi64(lanes, _mm256_set1_epi64x(4))), hi);
  }
}

// Gram entries of rows i0 .. i0 + R - 1 (R = 4 or 1), columns j_lo ..< col_hi in steps of 8, written into p:
// g = x_i0 * x_j0, then g = fma(x_ik, x_jk, g) for k = 1 ..< d in order (+0 when d = 0), from the row-major x and the
// transposed xt (readable 8 columns past col_hi: padding). Columns j_lo .. i are written too (scratch). 4 rows x 8
// columns per step: 8 accumulators, per k two loads of xt and four broadcasts of x.
#define GRAM_ROWS(R)                                                                                                  \
  AVX2FMA static void gram_rows##R(double *p, long n, const double *x, long d, const double *xt, long ldxt, long i0,    \
                                long j_lo, long col_hi) {                                                             \
    const double *xi = x + i0 * d;                                                                                    \
    for (long j = j_lo; j < col_hi; j += 8) {                                                                         \
      __m256d a[R], b[R];                                                                                             \
      if (d > 0) {                                                                                                    \
        const double *c = xt + j;                                                                                     \
        __m256d u = _mm256_loadu_pd(c), v = _mm256_loadu_pd(c + 4);                                                   \
        for (int r = 0; r < R; r++) {                                                                                 \
          __m256d s = _mm256_set1_pd(xi[r * d]);                                                                      \
          a[r] = _mm256_mul_pd(s, u);                                                                                 \
          b[r] = _mm256_mul_pd(s, v);                                                                                 \
        }                                                                                                             \
        for (long k = 1; k < d; k++) {                                                                                \
          c += ldxt;                                                                                                  \
          u = _mm256_loadu_pd(c);                                                                                     \
          v = _mm256_loadu_pd(c + 4);                                                                                 \
          for (int r = 0; r < R; r++) {                                                                               \
            __m256d s = _mm256_set1_pd(xi[r * d + k]);                                                                \
            a[r] = _mm256_fmadd_pd(s, u, a[r]);                                                                       \
            b[r] = _mm256_fmadd_pd(s, v, b[r]);                                                                       \
          }                                                                                                           \
        }                                                                                                             \
      } else {                                                                                                        \
        for (int r = 0; r < R; r++) a[r] = b[r] = _mm256_setzero_pd();                                               \
      }                                                                                                               \
      for (int r = 0; r < R; r++) store8(p + (i0 + r) * n + j, col_hi - j, a[r], b[r]);                             \
    }                                                                                                                 \
  }
GRAM_ROWS(4)
GRAM_ROWS(1)
#undef GRAM_ROWS

// Row i of a block after its Gram entries are in place: p[i, j] = rbf(g) for max(col_lo, i + 1) <= j < col_hi, and
// p[i, i] = 1 when the diagonal is in the block.
AVX2 static inline void rbf_row(double *p, long n, const double *norms, __m256d ng, const double *table, long i,
                                long col_lo, long col_hi) {
  double *row = p + i * n;
  const __m256d ni = _mm256_set1_pd(norms[i]);
  if (col_lo <= i && i < col_hi) row[i] = 1;
  long j = col_lo > i + 1 ? col_lo : i + 1;
  for (; j + 4 <= col_hi; j += 4) {
    _mm256_storeu_pd(row + j, rbf4(_mm256_loadu_pd(row + j), ni, _mm256_loadu_pd(norms + j), ng, table));
  }
  if (j < col_hi) {
    __m256i mask = head_mask(col_hi - j);
    __m256d e = rbf4(_mm256_maskload_pd(row + j, mask), ni, _mm256_maskload_pd(norms + j, mask), ng, table);
    _mm256_maskstore_pd(row + j, mask, e);
  }
}

AVX2FMA static void rbf_gram_block_avx2(double *p, long n, const double *x, long d, const double *xt, long ldxt,
                                     const double *norms, double neg_gamma, const double *table, long row_lo,
                                     long row_hi, long col_lo, long col_hi) {
  const __m256d ng = _mm256_set1_pd(neg_gamma);
  long i = row_lo;
  for (; i + 4 <= row_hi; i += 4) {
    long j_lo = col_lo > i ? col_lo : i;
    if (j_lo < col_hi) gram_rows4(p, n, x, d, xt, ldxt, i, j_lo, col_hi);
    for (long r = i; r < i + 4; r++) rbf_row(p, n, norms, ng, table, r, col_lo, col_hi);
  }
  for (; i < row_hi; i++) {
    long j_lo = col_lo > i ? col_lo : i;
    if (j_lo < col_hi) gram_rows1(p, n, x, d, xt, ldxt, i, j_lo, col_hi);
    rbf_row(p, n, norms, ng, table, i, col_lo, col_hi);
  }
  mirror_block_avx2(p, n, row_lo, row_hi, col_lo, col_hi);
}

AVX2 static void exp_avx2(double *p, long count, const double *table) {
  long k = 0;
  for (; k + 4 <= count; k += 4) _mm256_storeu_pd(p + k, exp4(_mm256_loadu_pd(p + k), table));
  if (k < count) {
    __m256i mask = head_mask(count - k);
    _mm256_maskstore_pd(p + k, mask, exp4(_mm256_maskload_pd(p + k, mask), table));
  }
}

// Columns in strips of 16 (4 accumulators in registers), all rows in order per strip; the diagonal lane is replaced
// by +0 and still added, as in the Swift code.
AVX2 static void column_sums_avx2(const double *p, long n, long col_lo, long col_hi, double *out) {
  const __m256d zero = _mm256_setzero_pd();
  const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);
  long c = col_lo;
  for (; c + 16 <= col_hi; c += 16) {
    __m256d a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    const double *q = p + c;
    for (long i = 0; i < n; i++, q += n) {
      __m256d v0 = _mm256_loadu_pd(q), v1 = _mm256_loadu_pd(q + 4), v2 = _mm256_loadu_pd(q + 8),
              v3 = _mm256_loadu_pd(q + 12);
      long d = i - c;
      if (d >= 0 && d < 16) {
        __m256i dl = _mm256_set1_epi64x(d);
        v0 = _mm256_blendv_pd(v0, zero, _mm256_castsi256_pd(_mm256_cmpeq_epi64(lanes, dl)));
        v1 = _mm256_blendv_pd(v1, zero, _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_add_epi64(lanes, _mm256_set1_epi64x(4)), dl)));
        v2 = _mm256_blendv_pd(v2, zero, _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_add_epi64(lanes, _mm256_set1_epi64x(8)), dl)));
        v3 = _mm256_blendv_pd(v3, zero, _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_add_epi64(lanes, _mm256_set1_epi64x(12)), dl)));
      }
      a0 = _mm256_add_pd(a0, v0); a1 = _mm256_add_pd(a1, v1);
      a2 = _mm256_add_pd(a2, v2); a3 = _mm256_add_pd(a3, v3);
    }
    _mm256_storeu_pd(out + c, a0); _mm256_storeu_pd(out + c + 4, a1);
    _mm256_storeu_pd(out + c + 8, a2); _mm256_storeu_pd(out + c + 12, a3);
  }
  for (; c < col_hi; c += 4) {
    long w = col_hi - c < 4 ? col_hi - c : 4;
    __m256i mask = head_mask(w);
    if (w == 4) mask = _mm256_set1_epi64x(-1);
    __m256d a = zero;
    const double *q = p + c;
    for (long i = 0; i < n; i++, q += n) {
      __m256d v = _mm256_maskload_pd(q, mask);
      long d = i - c;
      if (d >= 0 && d < 4) v = _mm256_blendv_pd(v, zero, _mm256_castsi256_pd(_mm256_cmpeq_epi64(lanes, _mm256_set1_epi64x(d))));
      a = _mm256_add_pd(a, v);
    }
    _mm256_maskstore_pd(out + c, mask, a);
  }
}

AVX2 static void scale_row_avx2(double *row, long n, const double *scale, double sign, double divisor) {
  const __m256d sg = _mm256_set1_pd(sign), dv = _mm256_set1_pd(divisor);
  long j = 0;
  for (; j + 4 <= n; j += 4) {
    __m256d v = _mm256_div_pd(_mm256_div_pd(_mm256_loadu_pd(row + j), _mm256_loadu_pd(scale + j)), dv);
    _mm256_storeu_pd(row + j, _mm256_mul_pd(sg, v));
  }
  for (; j < n; j++) row[j] = sign * ((row[j] / scale[j]) / divisor);
}

int csk_available(void) { return __builtin_cpu_supports("avx2"); }

int csk_rbf_gram_block(double *p, long n, const double *x, long d, const double *xt, long ldxt, const double *norms,
                       double neg_gamma, const double *table, long row_lo, long row_hi, long col_lo, long col_hi) {
  if (!csk_available() || !__builtin_cpu_supports("fma")) return 0;
  rbf_gram_block_avx2(p, n, x, d, xt, ldxt, norms, neg_gamma, table, row_lo, row_hi, col_lo, col_hi);
  return 1;
}

int csk_exp(double *p, long count, const double *table) {
  if (!csk_available()) return 0;
  exp_avx2(p, count, table);
  return 1;
}

int csk_column_sums_skipping_diagonal(const double *p, long n, long col_lo, long col_hi, double *out) {
  if (!csk_available()) return 0;
  column_sums_avx2(p, n, col_lo, col_hi, out);
  return 1;
}

int csk_scale_row(double *row, long n, const double *scale, double sign, double divisor) {
  if (!csk_available()) return 0;
  scale_row_avx2(row, n, scale, sign, divisor);
  return 1;
}

#else

int csk_available(void) { return 0; }
int csk_rbf_gram_block(double *p, long n, const double *x, long d, const double *xt, long ldxt, const double *norms,
                       double neg_gamma, const double *table, long row_lo, long row_hi, long col_lo, long col_hi) {
  (void)p; (void)n; (void)x; (void)d; (void)xt; (void)ldxt; (void)norms; (void)neg_gamma; (void)table;
  (void)row_lo; (void)row_hi; (void)col_lo; (void)col_hi;
  return 0;
}
int csk_exp(double *p, long count, const double *table) { (void)p; (void)count; (void)table; return 0; }
int csk_column_sums_skipping_diagonal(const double *p, long n, long col_lo, long col_hi, double *out) {
  (void)p; (void)n; (void)col_lo; (void)col_hi; (void)out;
  return 0;
}
int csk_scale_row(double *row, long n, const double *scale, double sign, double divisor) {
  (void)row; (void)n; (void)scale; (void)sign; (void)divisor;
  return 0;
}

#endif
