// SIMD kernel of the pairwise DTW engine (see include/cdtw_kernel.h and Sources/TimeSeries/DTWEngine.swift).
//
// Written with GCC/Clang vector extensions and compiled three times (AVX-512, AVX2, baseline SSE2); the variant
// is chosen once per call by __builtin_cpu_supports. Floating-point contraction is off, so every lane performs
// exactly the scalar kernel's operations: t = x - y; cost = t * t (d = 1) or cost = ((0 + t0*t0) + t1*t1) + ...;
// best = min(min(diag, up), left); cell = cost + best. For d > 1 the sum starts at t0*t0 instead of 0 + t0*t0: the
// same value, since t0*t0 >= +0 and 0 + v == v exactly for v >= +0 (one addition less per cell; the compiler may
// not drop it, as 0 + -0 would be +0). The query's value is broadcast as x - 0 (== x for every x, -0 included,
// which the compiler folds into a plain broadcast; 0 + x costs an addition per feature and turns -0 into +0).
// The additions and subtractions are the bottleneck (they share two ports; the products have two others), so the
// scalar addition per feature saved here counts: standalone kernel on a 2-core Zen 3 guest, 2.59-2.67 -> 2.25-2.30
// ns per cell at d = 25, 1.22 -> 1.06 at d = 11, 0.46 -> 0.40 at d = 3.
#include "cdtw_kernel.h"

#include <math.h>

#pragma clang fp contract(off)

// From this many features on, `cdtw_block16` runs its two blocks one after the other through the 8-lane kernel
// instead of interleaved: the feature sums dominate, the recurrence's latency no longer matters, and one block's
// band window ((2r + 1) * d * 64 bytes, 21 KB at d = 25, r = 6) stays in a 32 KB L1 data cache across rows where
// two blocks' windows do not. Measured on a 2-core Zen 3 guest, d = 25, L = 27, r = 6: 2.69 -> 2.60 ns per cell
// (best of 4 x 25 runs), plus the single-block calls that were latency-bound before.
#ifndef CDTW_SPLIT_FEATURES
#define CDTW_SPLIT_FEATURES 16
#endif

typedef double v8d __attribute__((vector_size(64), aligned(64)));
typedef double v8du __attribute__((vector_size(64), aligned(8)));
typedef long long v8l __attribute__((vector_size(64)));
typedef double v4d __attribute__((vector_size(32), aligned(32)));
typedef double v4du __attribute__((vector_size(32), aligned(8)));

#define VD v8d
#define VDU v8du
#define LANES 8

// a < b ? a : b per lane (no NaN can occur: inputs are finite, costs are >= 0 or +inf).
#define VMIN(a, b, out)                                                            \
  do {                                                                             \
    __typeof__(a) a_ = (a), b_ = (b);                                              \
    __typeof__(a_ < b_) m_ = a_ < b_;                                              \
    out = (__typeof__(a_))(((__typeof__(m_))a_ & m_) | ((__typeof__(m_))b_ & ~m_)); \
  } while (0)

// Four independent local costs of the query's row `xi` against four packed candidate columns p0..p3 (vector type
// T, unaligned-load type TU), each summed as ((t0*t0 + t1*t1) + ...) in feature order into c0..c3 (d >= 2; equal
// to the scalar (((0 + t0*t0) + t1*t1) + ...), see the top of this file).
#define COST_SUMS4(T, TU, p0, p1, p2, p3, c0, c1, c2, c3)  \
  do {                                                      \
    T xf = xi[0] - zero;                                    \
    T t0 = xf - *(const TU *)(p0);                          \
    T t1 = xf - *(const TU *)(p1);                          \
    T t2 = xf - *(const TU *)(p2);                          \
    T t3 = xf - *(const TU *)(p3);                          \
    c0 = t0 * t0;                                           \
    c1 = t1 * t1;                                           \
    c2 = t2 * t2;                                           \
    c3 = t3 * t3;                                           \
  } while (0);                                              \
  for (long f = 1; f < d; f++) {                            \
    T xf = xi[f] - zero;                                    \
    T t0 = xf - *(const TU *)((p0) + f * 8);                \
    T t1 = xf - *(const TU *)((p1) + f * 8);                \
    T t2 = xf - *(const TU *)((p2) + f * 8);                \
    T t3 = xf - *(const TU *)((p3) + f * 8);                \
    c0 = c0 + t0 * t0;                                      \
    c1 = c1 + t1 * t1;                                      \
    c2 = c2 + t2 * t2;                                      \
    c3 = c3 + t3 * t3;                                      \
  }

// One block of candidates in lanes: LANES = 8 (VD = v8d) or 4 (VD = v4d: the first four lanes of an 8-lane packed
// block; the packed layout keeps its stride of 8 values per (step, feature)).
#define BODY                                                                                      \
  VD *prev = (VD *)buffer, *cur = prev + (n + 1), *costs = cur + (n + 1);                      \
  const VD zero = {0};                                                                          \
  const VD inf = zero + INFINITY;                                                                \
  prev[0] = zero;                                                                                 \
  for (long k = 1; k <= n; k++) prev[k] = inf;                                                    \
  for (long i = 0; i < n; i++) {                                                                  \
    long lo = i - r > 0 ? i - r : 0, hi = i + r < n - 1 ? i + r : n - 1;                          \
    cur[lo] = inf;                                                                                \
    if (d == 1) {                                                                                 \
      VD xi = x[i] - zero;                                                                       \
      for (long j = lo; j <= hi; j++) {                                                           \
        VD t = xi - *(const VDU *)(y + j * 8);                                                  \
        VD cost = t * t;                                                                         \
        VD m1, best;                                                                             \
        VMIN(prev[j], prev[j + 1], m1);                                                           \
        VMIN(m1, cur[j], best);                                                                   \
        cur[j + 1] = cost + best;                                                                 \
      }                                                                                           \
    } else {                                                                                      \
      /* Costs of the row first, four columns at a time (eight independent feature sums in flight, */ \
      /* each in feature order, see COST_SUMS4), then the recurrence. */                             \
      const double *xi = x + i * d;                                                               \
      long j = lo;                                                                                \
      for (; j + 3 <= hi; j += 4) {                                                               \
        const double *ya = y + j * d * 8, *yb = ya + d * 8, *yc = yb + d * 8, *yd = yc + d * 8;   \
        VD ca, cb, cc, cd;                                                                        \
        COST_SUMS4(VD, VDU, ya, yb, yc, yd, ca, cb, cc, cd);                                      \
        costs[j] = ca;                                                                            \
        costs[j + 1] = cb;                                                                        \
        costs[j + 2] = cc;                                                                        \
        costs[j + 3] = cd;                                                                        \
      }                                                                                           \
      for (; j <= hi; j++) {                                                                      \
        const double *ya = y + j * d * 8;                                                         \
        VD t0 = (xi[0] - zero) - *(const VDU *)ya;                                               \
        VD ca = t0 * t0;                                                                          \
        for (long f = 1; f < d; f++) {                                                            \
          VD ta = (xi[f] - zero) - *(const VDU *)(ya + f * 8);                                   \
          ca = ca + ta * ta;                                                                      \
        }                                                                                         \
        costs[j] = ca;                                                                            \
      }                                                                                           \
      VD left = inf;                                                                             \
      for (long j = lo; j <= hi; j++) {                                                           \
        VD m1, best;                                                                             \
        VMIN(prev[j], prev[j + 1], m1);                                                           \
        VMIN(m1, left, best);                                                                     \
        left = costs[j] + best;                                                                   \
        cur[j + 1] = left;                                                                        \
      }                                                                                           \
    }                                                                                             \
    if (hi + 2 <= n) cur[hi + 2] = inf;                                                           \
    VD *tmp = prev;                                                                              \
    prev = cur;                                                                                   \
    cur = tmp;                                                                                    \
  }                                                                                               \
  VD res = prev[n];                                                                              \
  for (int l = 0; l < LANES; l++) out[l] = sqrt(res[l]);


// Two blocks of 8 candidates at once (16 independent recurrences): hides the min/add latency of the
// left-neighbour dependency. Buffer: 6 * (n + 1) * 8 doubles (rows and, for d > 1, the row's costs).
#define BODY16                                                                                    \
  v8d *prev = (v8d *)buffer, *cur = prev + (n + 1);                                               \
  v8d *prev2 = cur + (n + 1), *cur2 = prev2 + (n + 1);                                            \
  v8d *costs = cur2 + (n + 1), *costs2 = costs + (n + 1);                                         \
  const v8d zero = {0, 0, 0, 0, 0, 0, 0, 0};                                                      \
  const v8d inf = zero + INFINITY;                                                                \
  prev[0] = zero;                                                                                 \
  prev2[0] = zero;                                                                                \
  for (long k = 1; k <= n; k++) {                                                                 \
    prev[k] = inf;                                                                                \
    prev2[k] = inf;                                                                               \
  }                                                                                               \
  for (long i = 0; i < n; i++) {                                                                  \
    long lo = i - r > 0 ? i - r : 0, hi = i + r < n - 1 ? i + r : n - 1;                          \
    cur[lo] = inf;                                                                                \
    cur2[lo] = inf;                                                                               \
    if (d == 1) {                                                                                 \
      v8d xi = x[i] - zero;                                                                       \
      v8d left = inf, left2 = inf;                                                                \
      for (long j = lo; j <= hi; j++) {                                                           \
        v8d t = xi - *(const v8du *)(y + j * 8);                                                  \
        v8d t2 = xi - *(const v8du *)(y2 + j * 8);                                                \
        v8d cost = t * t, cost2 = t2 * t2;                                                        \
        v8d m1, m2, best, best2;                                                                  \
        VMIN(prev[j], prev[j + 1], m1);                                                           \
        VMIN(prev2[j], prev2[j + 1], m2);                                                         \
        VMIN(m1, left, best);                                                                     \
        VMIN(m2, left2, best2);                                                                   \
        left = cost + best;                                                                       \
        left2 = cost2 + best2;                                                                    \
        cur[j + 1] = left;                                                                        \
        cur2[j + 1] = left2;                                                                      \
      }                                                                                           \
    } else {                                                                                      \
      /* Costs of the row first, two columns at a time (four independent feature sums in flight); \
         each sum is still (((0 + t0*t0) + t1*t1) + ...) in feature order. */                     \
      const double *xi = x + i * d;                                                               \
      long j = lo;                                                                                \
      for (; j + 1 <= hi; j += 2) {                                                               \
        const double *ya = y + j * d * 8, *yb = ya + d * 8;                                       \
        const double *ya2 = y2 + j * d * 8, *yb2 = ya2 + d * 8;                                   \
        v8d ca, cb, ca2, cb2;                                                                     \
        COST_SUMS4(v8d, v8du, ya, yb, ya2, yb2, ca, cb, ca2, cb2);                                \
        costs[j] = ca;                                                                            \
        costs[j + 1] = cb;                                                                        \
        costs2[j] = ca2;                                                                          \
        costs2[j + 1] = cb2;                                                                      \
      }                                                                                           \
      if (j == hi) {                                                                              \
        const double *ya = y + j * d * 8, *ya2 = y2 + j * d * 8;                                  \
        v8d x0 = xi[0] - zero;                                                                    \
        v8d t0 = x0 - *(const v8du *)ya, t02 = x0 - *(const v8du *)ya2;                           \
        v8d ca = t0 * t0, ca2 = t02 * t02;                                                        \
        for (long f = 1; f < d; f++) {                                                            \
          v8d xf = xi[f] - zero;                                                                  \
          v8d ta = xf - *(const v8du *)(ya + f * 8);                                              \
          v8d ta2 = xf - *(const v8du *)(ya2 + f * 8);                                            \
          ca = ca + ta * ta;                                                                      \
          ca2 = ca2 + ta2 * ta2;                                                                  \
        }                                                                                         \
        costs[j] = ca;                                                                            \
        costs2[j] = ca2;                                                                          \
      }                                                                                           \
      v8d left = inf, left2 = inf;                                                                \
      for (long j = lo; j <= hi; j++) {                                                           \
        v8d m1, m2, best, best2;                                                                  \
        VMIN(prev[j], prev[j + 1], m1);                                                           \
        VMIN(prev2[j], prev2[j + 1], m2);                                                         \
        VMIN(m1, left, best);                                                                     \
        VMIN(m2, left2, best2);                                                                   \
        left = costs[j] + best;                                                                   \
        left2 = costs2[j] + best2;                                                                \
        cur[j + 1] = left;                                                                        \
        cur2[j + 1] = left2;                                                                      \
      }                                                                                           \
    }                                                                                             \
    if (hi + 2 <= n) {                                                                            \
      cur[hi + 2] = inf;                                                                          \
      cur2[hi + 2] = inf;                                                                         \
    }                                                                                             \
    v8d *tmp = prev;                                                                              \
    prev = cur;                                                                                   \
    cur = tmp;                                                                                    \
    tmp = prev2;                                                                                  \
    prev2 = cur2;                                                                                 \
    cur2 = tmp;                                                                                   \
  }                                                                                               \
  v8d res = prev[n], res2 = prev2[n];                                                             \
  for (int l = 0; l < 8; l++) {                                                                   \
    out[l] = sqrt(res[l]);                                                                        \
    out[8 + l] = sqrt(res2[l]);                                                                   \
  }

// LB_Kim and LB_Keogh (candidate against the query's envelope) for 8 candidates in lanes.
#define LOWER_BOUNDS                                                                              \
  const v8d zero = {0, 0, 0, 0, 0, 0, 0, 0};                                                      \
  long total = n * d;                                                                             \
  v8d first = zero, last = zero;                                                                  \
  for (long f = 0; f < d; f++) {                                                                  \
    v8d t = (x[f] - zero) - *(const v8du *)(y + f * 8);                                           \
    first = first + t * t;                                                                        \
    v8d u = (x[total - d + f] - zero) - *(const v8du *)(y + (total - d + f) * 8);                 \
    last = last + u * u;                                                                          \
  }                                                                                               \
  v8d k = n > 1 ? first + last : first;                                                           \
  v8d lim = *(const v8du *)limits, lq_ = zero + limit_q;                                          \
  v8l gt_ = lim < lq_;                                                                            \
  lim = (v8d)(((v8l)lq_ & gt_) | ((v8l)lim & ~gt_));                                              \
  v8l kimOut = k > lim;                                                                           \
  int kimMask = 0;                                                                                \
  for (int l = 0; l < 8; l++) kimMask |= (kimOut[l] != 0) << l;                                   \
  *kim_pruned = kimMask;                                                                          \
  if (kimMask == 0xff) return 0;                                                                  \
  v8d acc = zero, acc2 = zero;                                                                    \
  long v = 0;                                                                                     \
  for (; v + 1 < total; v += 2) {                                                                 \
    if ((v & 7) == 6 && ALL_ABOVE(acc + acc2, lim)) break;                                             \
    ENVELOPE_TERM(*(const v8du *)(y + v * 8), upper[v], lower[v], acc);                           \
    ENVELOPE_TERM(*(const v8du *)(y + (v + 1) * 8), upper[v + 1], lower[v + 1], acc2);            \
  }                                                                                               \
  if (v < total) {                                                                                \
    ENVELOPE_TERM(*(const v8du *)(y + v * 8), upper[v], lower[v], acc);                           \
  }                                                                                               \
  acc = acc + acc2;                                                                               \
  v8l keoghOut = acc > lim;                                                                       \
  if (yupper) {                                                                                   \
    /* The reverse LB_Keogh: the query against each candidate's envelope (every row is matched). */ \
    int open_ = 0;                                                                                \
    for (int l = 0; l < 8; l++) open_ |= (kimOut[l] == 0 && keoghOut[l] == 0);                    \
    if (open_) {                                                                                  \
      v8d rev = zero, rev2 = zero;                                                                \
      long w = 0;                                                                                 \
      for (; w + 1 < total; w += 2) {                                                             \
        if ((w & 7) == 6 && ALL_TRUE((v8l)(kimOut | keoghOut | ((rev + rev2) > lim)))) break;          \
        ENVELOPE_TERM(x[w] - zero, *(const v8du *)(yupper + w * 8), *(const v8du *)(ylower + w * 8), rev); \
        ENVELOPE_TERM(x[w + 1] - zero, *(const v8du *)(yupper + (w + 1) * 8),                     \
                      *(const v8du *)(ylower + (w + 1) * 8), rev2);                               \
      }                                                                                           \
      if (w < total) {                                                                            \
        ENVELOPE_TERM(x[w] - zero, *(const v8du *)(yupper + w * 8), *(const v8du *)(ylower + w * 8), rev); \
      }                                                                                           \
      rev = rev + rev2;                                                                           \
      keoghOut = keoghOut | (rev > lim);                                                          \
    }                                                                                             \
  }                                                                                               \
  int survivors = 0;                                                                              \
  for (int l = 0; l < 8; l++) survivors |= (kimOut[l] == 0 && keoghOut[l] == 0) << l;             \
  return survivors;

// max(a, b, 0) per lane as two selects `p > q ? p : q` (compiled to vmaxpd; no NaN can occur).
#define VMAX0(a, b, out)                                                                          \
  do {                                                                                            \
    v8d a_ = (a), b_ = (b);                                                                       \
    v8l m_ = a_ > b_;                                                                             \
    v8d c_ = (v8d)(((v8l)a_ & m_) | ((v8l)b_ & ~m_));                                             \
    v8l z_ = c_ > zero;                                                                           \
    out = (v8d)((v8l)c_ & z_);                                                                    \
  } while (0)

// acc += max(value - up, lo - value, 0)^2 per lane (one LB_Keogh term).
#define ENVELOPE_TERM(value, up, lo, acc)                                                         \
  do {                                                                                            \
    v8d v_ = (value), e_;                                                                         \
    VMAX0(v_ - (up), (lo) - v_, e_);                                                              \
    acc = acc + e_ * e_;                                                                          \
  } while (0)

// 1 if every lane of `acc` exceeds `lim` (the block is decided; the rest of a bound is not needed).
#define ALL_TRUE(m) ((m)[0] & (m)[1] & (m)[2] & (m)[3] & (m)[4] & (m)[5] & (m)[6] & (m)[7])
#define ALL_ABOVE(acc, lim) ALL_TRUE((v8l)((acc) > (lim)))

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx2")))
static int bounds8_avx512(const double *x, const double *upper, const double *lower, const double *y, const double *yupper,
                           const double *ylower, long n, long d, double limit_q, const double *limits, int *kim_pruned) {
  LOWER_BOUNDS
}
__attribute__((target("avx2")))
static int bounds8_avx2(const double *x, const double *upper, const double *lower, const double *y, const double *yupper,
                         const double *ylower, long n, long d, double limit_q, const double *limits, int *kim_pruned) {
  LOWER_BOUNDS
}
#endif
static int bounds8_base(const double *x, const double *upper, const double *lower, const double *y, const double *yupper,
                         const double *ylower, long n, long d, double limit_q, const double *limits, int *kim_pruned) {
  LOWER_BOUNDS
}

int cdtw_lower_bounds8(const double *x, const double *upper, const double *lower, const double *y, const double *yupper,
                       const double *ylower, long n, long d, double limit_q, const double *limits, int *kim_pruned) {
#if defined(__x86_64__) && defined(__clang__)
  if (__builtin_cpu_supports("avx512f")) {
    return bounds8_avx512(x, upper, lower, y, yupper, ylower, n, d, limit_q, limits, kim_pruned);
  }
  if (__builtin_cpu_supports("avx2")) {
    return bounds8_avx2(x, upper, lower, y, yupper, ylower, n, d, limit_q, limits, kim_pruned);
  }
#endif
  return bounds8_base(x, upper, lower, y, yupper, ylower, n, d, limit_q, limits, kim_pruned);
}

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx2")))
static void block8_avx512(const double *x, const double *y, long n, long d, long r, double *buffer, double *out) {
  BODY
}
__attribute__((target("avx2")))
static void block8_avx2(const double *x, const double *y, long n, long d, long r, double *buffer, double *out) {
  BODY
}

__attribute__((target("avx512f,avx512dq,avx512vl,avx2")))
static void block16_avx512(const double *x, const double *y, const double *y2, long n, long d, long r, double *buffer,
                           double *out) {
  BODY16
}
__attribute__((target("avx2")))
static void block16_avx2(const double *x, const double *y, const double *y2, long n, long d, long r, double *buffer,
                         double *out) {
  BODY16
}
#endif

static void block16_base(const double *x, const double *y, const double *y2, long n, long d, long r, double *buffer,
                         double *out) {
  BODY16
}

static void block8_base(const double *x, const double *y, long n, long d, long r, double *buffer, double *out) {
  BODY
}

#undef VD
#undef VDU
#undef LANES
#define VD v4d
#define VDU v4du
#define LANES 4
#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx2")))
static void block4_avx2(const double *x, const double *y, long n, long d, long r, double *buffer, double *out) {
  BODY
}
#endif
static void block4_base(const double *x, const double *y, long n, long d, long r, double *buffer, double *out) {
  BODY
}
#undef VD
#undef VDU
#undef LANES

void cdtw_block4(const double *x, const double *y, long n, long d, long r, double *buffer, double *out) {
#if defined(__x86_64__) && defined(__clang__)
  if (__builtin_cpu_supports("avx2")) {
    block4_avx2(x, y, n, d, r, buffer, out);
    return;
  }
#endif
  block4_base(x, y, n, d, r, buffer, out);
}

void cdtw_block8(const double *x, const double *y, long n, long d, long r, double *buffer, double *out) {
#if defined(__x86_64__) && defined(__clang__)
  if (__builtin_cpu_supports("avx512f")) {
    block8_avx512(x, y, n, d, r, buffer, out);
    return;
  }
  if (__builtin_cpu_supports("avx2")) {
    block8_avx2(x, y, n, d, r, buffer, out);
    return;
  }
#endif
  block8_base(x, y, n, d, r, buffer, out);
}

void cdtw_block16(const double *x, const double *y, const double *y2, long n, long d, long r, double *buffer,
                  double *out) {
  if (d >= CDTW_SPLIT_FEATURES) {
    cdtw_block8(x, y, n, d, r, buffer, out);
    cdtw_block8(x, y2, n, d, r, buffer, out + 8);
    return;
  }
#if defined(__x86_64__) && defined(__clang__)
  if (__builtin_cpu_supports("avx512f")) {
    block16_avx512(x, y, y2, n, d, r, buffer, out);
    return;
  }
  if (__builtin_cpu_supports("avx2")) {
    block16_avx2(x, y, y2, n, d, r, buffer, out);
    return;
  }
#endif
  block16_base(x, y, y2, n, d, r, buffer, out);
}
