// Householder tridiagonalisation of a small dense symmetric matrix (see include/cblock_kernel.h,
// `cbk_tridiagonalize`, and Sources/LinearAlgebra/IterativeEigen.swift, `tridiagonalH`).
//
// The working matrix is LAPACK's column-major lower triangle, read here as the row-major upper triangle: row r of
// the trailing block (columns r..p-1) is contiguous. Step i applies the pending rank-2 update of step i-1 to row i,
// forms reflector i from it (dlarfg), then makes one pass over the rows r > i that applies the same pending update
// to them and accumulates y = T v_i (the symmetric product from the upper triangle: a dot product along row r for
// y_r, an axpy into y_c for c > r). So each element of the trailing triangle is read and written once per step,
// where LAPACK's dsytd2 reads it in dsymv and again in dsyr2; the flop count is LAPACK's (4/3 p^3).
//
// The pass takes the rows in blocks of 4 (r0..r0+3) and the columns in chunks of 4 from r0, so the first chunk of a
// block is its 4 x 4 diagonal block (the entries below the diagonal are computed too and masked out of the sums:
// they are the unused upper triangle of LAPACK's storage). Rows and columns run past p up to the next multiple of 4
// from r0; the caller pads the matrix with 3 zero rows and columns and the pending vectors are zero there, so the
// padding stays zero and adds nothing.
//
// Both paths perform the same IEEE operations in the same order (fused multiply-adds, 4-lane partial sums added
// (l0 + l2) + (l1 + l3)), so their results are bit-identical: the AVX2 path with the processor's FMA instruction and
// 256-bit vectors, the portable path with fma() (exact by C99; one instruction on arm64, a software routine on an
// x86-64 without FMA, where the caller keeps LAPACK instead).
#pragma STDC FP_CONTRACT OFF

#include "cblock_kernel.h"

#include <float.h>
#include <math.h>

// Every helper is inlined into the two entry points below, so that in the AVX2 one __builtin_fma is the processor's
// instruction and in the portable one the C library's fma.
#define CBK_INLINE static inline __attribute__((always_inline))

// dlamch('S') / dlamch('E') as in LAPACK's dlarfg: below it, beta and x are rescaled.
static const double kSafeMin = DBL_MIN / (DBL_EPSILON * 0.5);

CBK_INLINE double lane_total(const double *l) { return (l[0] + l[2]) + (l[1] + l[3]); }

// sum_j (x_j / m)^2 over x[0..<n] (m = 1: no division) in 4 lanes: lane l sums j = 4t + l by fused multiply-add,
// j ascending; the lanes are added (l0 + l2) + (l1 + l3).
CBK_INLINE double sum_squares(const double *x, long n, double m) {
  double l0 = 0, l1 = 0, l2 = 0, l3 = 0, t;
  long j = 0;
  if (m == 1) {
    for (; j + 4 <= n; j += 4) {
      l0 = __builtin_fma(x[j], x[j], l0);
      l1 = __builtin_fma(x[j + 1], x[j + 1], l1);
      l2 = __builtin_fma(x[j + 2], x[j + 2], l2);
      l3 = __builtin_fma(x[j + 3], x[j + 3], l3);
    }
    if (j < n) l0 = __builtin_fma(x[j], x[j], l0);
    if (j + 1 < n) l1 = __builtin_fma(x[j + 1], x[j + 1], l1);
    if (j + 2 < n) l2 = __builtin_fma(x[j + 2], x[j + 2], l2);
  } else {
    for (; j + 4 <= n; j += 4) {
      t = x[j] / m, l0 = __builtin_fma(t, t, l0);
      t = x[j + 1] / m, l1 = __builtin_fma(t, t, l1);
      t = x[j + 2] / m, l2 = __builtin_fma(t, t, l2);
      t = x[j + 3] / m, l3 = __builtin_fma(t, t, l3);
    }
    if (j < n) t = x[j] / m, l0 = __builtin_fma(t, t, l0);
    if (j + 1 < n) t = x[j + 1] / m, l1 = __builtin_fma(t, t, l1);
    if (j + 2 < n) t = x[j + 2] / m, l2 = __builtin_fma(t, t, l2);
  }
  return (l0 + l2) + (l1 + l3);
}

// sum_j x_j y_j over [0..<n] in 4 lanes as in sum_squares.
CBK_INLINE double dot4(const double *x, const double *y, long n) {
  double l0 = 0, l1 = 0, l2 = 0, l3 = 0;
  long j = 0;
  for (; j + 4 <= n; j += 4) {
    l0 = __builtin_fma(x[j], y[j], l0);
    l1 = __builtin_fma(x[j + 1], y[j + 1], l1);
    l2 = __builtin_fma(x[j + 2], y[j + 2], l2);
    l3 = __builtin_fma(x[j + 3], y[j + 3], l3);
  }
  if (j < n) l0 = __builtin_fma(x[j], y[j], l0);
  if (j + 1 < n) l1 = __builtin_fma(x[j + 1], y[j + 1], l1);
  if (j + 2 < n) l2 = __builtin_fma(x[j + 2], y[j + 2], l2);
  return (l0 + l2) + (l1 + l3);
}

// ||x||_2 of x[0..<n] from sum_squares; when that sum is not a finite normal number (tiny or huge entries) it is redone on x scaled by its largest |x_j|.
CBK_INLINE double norm2(const double *x, long n) {
  double s = sum_squares(x, n, 1);
  if (s >= DBL_MIN && s <= DBL_MAX) return sqrt(s);
  double m = 0;
  for (long j = 0; j < n; j++) {
    double a = fabs(x[j]);
    if (a > m || a != a) m = a;
  }
  if (m == 0 || m != m || m > DBL_MAX) return m;
  return m * sqrt(sum_squares(x, n, m));
}

// LAPACK's dlapy2: sqrt(x^2 + y^2) without unnecessary overflow.
CBK_INLINE double lapy2(double x, double y) {
  if (x != x) return x;
  if (y != y) return y;
  double xa = fabs(x), ya = fabs(y);
  double w = xa > ya ? xa : ya, z = xa < ya ? xa : ya;
  if (z == 0 || w > DBL_MAX) return w;
  double q = z / w;
  return w * sqrt(1 + q * q);
}

// LAPACK's dlarfg for the vector (alpha, x[0..<n]): H (alpha, x) = (beta, 0), H = I - tau (1, v)(1, v)^T. Scales x to
// v in place, returns tau, writes beta. tau = 0 (H = I, beta = alpha, x untouched) when x is zero; |beta| below
// dlamch('S')/dlamch('E') is handled by rescaling up to 20 times, as in LAPACK.
CBK_INLINE double larfg(double alpha, double *x, long n, double *beta_out) {
  double xnorm = n > 0 ? norm2(x, n) : 0;
  if (xnorm == 0) {
    *beta_out = alpha;
    return 0;
  }
  double beta = -copysign(lapy2(alpha, xnorm), alpha);
  int knt = 0;
  if (fabs(beta) < kSafeMin) {
    const double rsafmn = 1 / kSafeMin;
    do {
      knt++;
      for (long j = 0; j < n; j++) x[j] *= rsafmn;
      beta *= rsafmn;
      alpha *= rsafmn;
    } while (fabs(beta) < kSafeMin && knt < 20);
    xnorm = norm2(x, n);
    beta = -copysign(lapy2(alpha, xnorm), alpha);
  }
  double tau = (beta - alpha) / beta;
  double scale = 1 / (alpha - beta);
  for (long j = 0; j < n; j++) x[j] *= scale;
  for (int j = 0; j < knt; j++) beta *= kSafeMin;
  *beta_out = beta;
  return tau;
}

// The element s with the pending rank-2 update applied, s - v_r w_c - w_r v_c, as two fused multiply-adds.
CBK_INLINE double updated(double s, double vr, double wr, double vc, double wc) {
  return __builtin_fma(-wr, vc, __builtin_fma(-vr, wc, s));
}

// The pass of one step over the rows lo..p-1 (see the top of the file): applies the pending update (v, w) to the
// trailing triangle and adds y = T vi to y (zero on entry). Per block r0..r0+3 and chunk c..c+3, for each column c+l:
// each row k updates x (every lane) and then, rows in order, its lane sum acc[k][l] += x' vi_c and y_c += x'' vi_r,
// where x' = x on and right of the diagonal (c + l >= r) and x'' = x right of it (c + l > r), +0 elsewhere. After the
// block, y_r = y_r + lane_total(acc[r]).
CBK_INLINE void pass_portable(double *a, long lda, long lo, long p, const double *v, const double *w, const double *vi,
                              double *y) {
  for (long r0 = lo; r0 < p; r0 += 4) {
    double acc[4][4] = {{0}};
    const long end = r0 + ((p - r0 + 3) & ~3L);
    for (long c = r0; c < end; c += 4) {
      for (long l = 0; l < 4; l++) {
        double yc = y[c + l];
        for (long k = 0; k < 4; k++) {
          const long r = r0 + k;
          double *e = a + r * lda + c + l;
          const double x = updated(*e, v[r], w[r], v[c + l], w[c + l]);
          *e = x;
          const double xd = c > r0 || l >= k ? x : 0, xy = c > r0 || l > k ? x : 0;
          acc[k][l] = __builtin_fma(xd, vi[c + l], acc[k][l]);
          yc = __builtin_fma(xy, vi[r], yc);
        }
        y[c + l] = yc;
      }
    }
    for (long k = 0; k < 4; k++) y[r0 + k] = y[r0 + k] + lane_total(acc[k]);
  }
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define CBK_TRIDIAG_AVX2 1

__attribute__((target("avx2,fma"))) static inline double lane_total_avx2(__m256d v) {
  __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
  __m128d s = _mm_add_pd(lo, hi);  // (l0 + l2), (l1 + l3)
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// The same operations as pass_portable, 4 lanes at a time.
__attribute__((target("avx2,fma"))) static void pass_avx2(double *a, long lda, long lo, long p, const double *v,
                                                           const double *w, const double *vi, double *y) {
  // Lane masks of the diagonal chunk: on[k] keeps lanes l >= k, right[k] lanes l > k.
  const __m256d all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1)), none = _mm256_setzero_pd();
  const __m256d on1 = _mm256_blend_pd(all, none, 0x1), on2 = _mm256_blend_pd(all, none, 0x3),
                on3 = _mm256_blend_pd(all, none, 0x7);
  for (long r0 = lo; r0 < p; r0 += 4) {
    double *a0 = a + r0 * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    const __m256d nv0 = _mm256_set1_pd(-v[r0]), nv1 = _mm256_set1_pd(-v[r0 + 1]), nv2 = _mm256_set1_pd(-v[r0 + 2]),
                  nv3 = _mm256_set1_pd(-v[r0 + 3]);
    const __m256d nw0 = _mm256_set1_pd(-w[r0]), nw1 = _mm256_set1_pd(-w[r0 + 1]), nw2 = _mm256_set1_pd(-w[r0 + 2]),
                  nw3 = _mm256_set1_pd(-w[r0 + 3]);
    const __m256d b0 = _mm256_set1_pd(vi[r0]), b1 = _mm256_set1_pd(vi[r0 + 1]), b2 = _mm256_set1_pd(vi[r0 + 2]),
                  b3 = _mm256_set1_pd(vi[r0 + 3]);
    const long end = r0 + ((p - r0 + 3) & ~3L);
    __m256d c0, c1, c2, c3;
    {
      // Diagonal chunk.
      const long c = r0;
      const __m256d vc = _mm256_loadu_pd(v + c), wc = _mm256_loadu_pd(w + c), vic = _mm256_loadu_pd(vi + c);
      const __m256d x0 = _mm256_fmadd_pd(nw0, vc, _mm256_fmadd_pd(nv0, wc, _mm256_loadu_pd(a0 + c)));
      const __m256d x1 = _mm256_fmadd_pd(nw1, vc, _mm256_fmadd_pd(nv1, wc, _mm256_loadu_pd(a1 + c)));
      const __m256d x2 = _mm256_fmadd_pd(nw2, vc, _mm256_fmadd_pd(nv2, wc, _mm256_loadu_pd(a2 + c)));
      const __m256d x3 = _mm256_fmadd_pd(nw3, vc, _mm256_fmadd_pd(nv3, wc, _mm256_loadu_pd(a3 + c)));
      _mm256_storeu_pd(a0 + c, x0);
      _mm256_storeu_pd(a1 + c, x1);
      _mm256_storeu_pd(a2 + c, x2);
      _mm256_storeu_pd(a3 + c, x3);
      c0 = _mm256_fmadd_pd(x0, vic, none);
      c1 = _mm256_fmadd_pd(_mm256_and_pd(x1, on1), vic, none);
      c2 = _mm256_fmadd_pd(_mm256_and_pd(x2, on2), vic, none);
      c3 = _mm256_fmadd_pd(_mm256_and_pd(x3, on3), vic, none);
      __m256d yc = _mm256_loadu_pd(y + c);
      yc = _mm256_fmadd_pd(_mm256_and_pd(x0, on1), b0, yc);
      yc = _mm256_fmadd_pd(_mm256_and_pd(x1, on2), b1, yc);
      yc = _mm256_fmadd_pd(_mm256_and_pd(x2, on3), b2, yc);
      yc = _mm256_fmadd_pd(none, b3, yc);
      _mm256_storeu_pd(y + c, yc);
    }
    for (long c = r0 + 4; c < end; c += 4) {
      const __m256d vc = _mm256_loadu_pd(v + c), wc = _mm256_loadu_pd(w + c), vic = _mm256_loadu_pd(vi + c);
      const __m256d x0 = _mm256_fmadd_pd(nw0, vc, _mm256_fmadd_pd(nv0, wc, _mm256_loadu_pd(a0 + c)));
      const __m256d x1 = _mm256_fmadd_pd(nw1, vc, _mm256_fmadd_pd(nv1, wc, _mm256_loadu_pd(a1 + c)));
      const __m256d x2 = _mm256_fmadd_pd(nw2, vc, _mm256_fmadd_pd(nv2, wc, _mm256_loadu_pd(a2 + c)));
      const __m256d x3 = _mm256_fmadd_pd(nw3, vc, _mm256_fmadd_pd(nv3, wc, _mm256_loadu_pd(a3 + c)));
      _mm256_storeu_pd(a0 + c, x0);
      _mm256_storeu_pd(a1 + c, x1);
      _mm256_storeu_pd(a2 + c, x2);
      _mm256_storeu_pd(a3 + c, x3);
      c0 = _mm256_fmadd_pd(x0, vic, c0);
      c1 = _mm256_fmadd_pd(x1, vic, c1);
      c2 = _mm256_fmadd_pd(x2, vic, c2);
      c3 = _mm256_fmadd_pd(x3, vic, c3);
      __m256d yc = _mm256_loadu_pd(y + c);
      yc = _mm256_fmadd_pd(x0, b0, yc);
      yc = _mm256_fmadd_pd(x1, b1, yc);
      yc = _mm256_fmadd_pd(x2, b2, yc);
      yc = _mm256_fmadd_pd(x3, b3, yc);
      _mm256_storeu_pd(y + c, yc);
    }
    y[r0] = y[r0] + lane_total_avx2(c0);
    y[r0 + 1] = y[r0 + 1] + lane_total_avx2(c1);
    y[r0 + 2] = y[r0 + 2] + lane_total_avx2(c2);
    y[r0 + 3] = y[r0 + 3] + lane_total_avx2(c3);
  }
}
#endif

int cbk_tridiagonalize_avx2_available(void) {
#ifdef CBK_TRIDIAG_AVX2
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

CBK_INLINE void reduce(long p, double *a, long lda, double *d, double *e, double *tau, double *work, int avx2) {
  // Pending update (v, w) of the previous step, the new reflector vi (with its leading 1) and y = T vi, each with
  // 4 zero entries past p.
  const long q = p + 4;
  double *v = work, *w = work + q, *vi = work + 2 * q, *y = work + 3 * q;
  for (long j = 0; j < 4 * q; j++) work[j] = 0;
  for (long i = 0; i < p; i++) {
    // Row i of the trailing triangle with the pending update applied: d_i, then the column to reduce.
    double *row = a + i * lda;
    for (long c = i; c < p; c++) row[c] = updated(row[c], v[i], w[i], v[c], w[c]);
    d[i] = row[i];
    if (i == p - 1) break;
    double beta;
    const double t = larfg(row[i + 1], row + i + 2, p - i - 2, &beta);
    e[i] = beta;
    tau[i] = t;
    row[i + 1] = beta;
    const long lo = i + 1;
    vi[lo] = 1;
    for (long c = i + 2; c < p; c++) vi[c] = row[c];
    for (long c = lo; c < p; c++) y[c] = 0;
#ifdef CBK_TRIDIAG_AVX2
    if (avx2) {
      pass_avx2(a, lda, lo, p, v, w, vi, y);
    } else {
      pass_portable(a, lda, lo, p, v, w, vi, y);
    }
#else
    (void)avx2;
    pass_portable(a, lda, lo, p, v, w, vi, y);
#endif
    // LAPACK's dsytd2: x = tau T vi, alpha = -tau/2 (x . vi), w = x + alpha vi; the next pending update is (vi, w),
    // zero when tau = 0. The dot product in 4 lanes over c - lo.
    for (long c = lo; c < p; c++) y[c] = t * y[c];
    const double alpha = -0.5 * t * dot4(y + lo, vi + lo, p - lo);
    for (long c = lo; c < p; c++) {
      v[c] = vi[c];
      w[c] = __builtin_fma(alpha, vi[c], y[c]);
    }
  }
}

static void reduce_portable(long p, double *a, long lda, double *d, double *e, double *tau, double *work) {
  reduce(p, a, lda, d, e, tau, work, 0);
}

#ifdef CBK_TRIDIAG_AVX2
__attribute__((target("avx2,fma"))) static void reduce_avx2(long p, double *a, long lda, double *d, double *e,
                                                             double *tau, double *work) {
  reduce(p, a, lda, d, e, tau, work, 1);
}
#endif

void cbk_tridiagonalize(long p, double *a, long lda, double *d, double *e, double *tau, double *work, int path) {
  if (p <= 0) return;
#ifdef CBK_TRIDIAG_AVX2
  if (path == 2 || (path == 0 && cbk_tridiagonalize_avx2_available())) {
    reduce_avx2(p, a, lda, d, e, tau, work);
    return;
  }
#else
  (void)path;
#endif
  reduce_portable(p, a, lda, d, e, tau, work);
}
