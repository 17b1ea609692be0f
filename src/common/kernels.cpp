#include "common/kernels.hpp"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MOGO_X86_KERNELS 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace mogo::kernels {

namespace {

// Portable versions: the reference order is lanes of 8 summed at the end, as the vector code does,
// so results only differ by the FMA's single rounding.
float dot_portable(const float* a, const float* b, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) lane[j] += a[k + j] * b[k + j];
  float s = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
  for (; k < n; ++k) s += a[k] * b[k];
  return s;
}

void linear_portable(const float* x, int64_t M, const float* W, const float* b, int64_t N, int64_t K, float* y,
                     int64_t ldy) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) y[m * ldy + n] = dot_portable(x + m * K, W + n * K, K) + (b ? b[n] : 0.0f);
}

#ifdef MOGO_X86_KERNELS
__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  // ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), as dot_portable
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // l0+l4 .. l3+l7
  __m128 pairs = _mm_add_ps(s, _mm_movehl_ps(s, s));                              // (0+2, 1+3)
  return _mm_cvtss_f32(pairs) + _mm_cvtss_f32(_mm_shuffle_ps(pairs, pairs, 1));
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc);
  float s = hsum(acc);
  for (; k < n; ++k) s += a[k] * b[k];
  return s;
}

// Four outputs share each load of x; every (m, n) accumulates exactly as dot_avx2 does.
__attribute__((target("avx2,fma"))) void linear_avx2(const float* x, int64_t M, const float* W, const float* b,
                                                     int64_t N, int64_t K, float* y, int64_t ldy) {
  const int64_t K8 = K - K % 8;
  int64_t n = 0;
  for (; n + 4 <= N; n += 4) {
    const float *w0 = W + n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
    for (int64_t m = 0; m < M; ++m) {
      const float* xm = x + m * K;
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int64_t k = 0; k < K8; k += 8) {
        const __m256 v = _mm256_loadu_ps(xm + k);
        a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0 + k), a0);
        a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w1 + k), a1);
        a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w2 + k), a2);
        a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w3 + k), a3);
      }
      float s[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
      const float* w[4] = {w0, w1, w2, w3};
      for (int j = 0; j < 4; ++j) {
        for (int64_t k = K8; k < K; ++k) s[j] += xm[k] * w[j][k];
        y[m * ldy + n + j] = s[j] + (b ? b[n + j] : 0.0f);
      }
    }
  }
  for (; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) y[m * ldy + n] = dot_avx2(x + m * K, W + n * K, K) + (b ? b[n] : 0.0f);
}

// The packed layout is read in blocks of eight outputs (below: four outputs of up to three rows at
// a time); every (m, n) accumulates chunk by chunk exactly as dot_avx2 does, whatever M is. Weights stored as
// float16 are widened in registers (F16C): the same values when they were float16 to begin with
// (the model file's storage), at half the memory traffic.
template <bool kHalf>
__attribute__((target("avx2,fma,f16c"))) inline __m256 weight_chunk(const void* w, int64_t i) {
  if constexpr (kHalf) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(w) + i)));
  } else {
    return _mm256_loadu_ps(static_cast<const float*>(w) + i);
  }
}

// R rows x 4 outputs of a block at once: each weight chunk is loaded (and widened) once for R
// rows. 3 rows use 12 accumulators, 3 inputs and a weight: the 16 vector registers. Every (m, n)
// still accumulates lane by lane in chunk order, then hsum: the same bits for any M.
template <bool kHalf, int R>
__attribute__((target("avx2,fma,f16c"))) inline void packed_tile(const float* x, int64_t K, const void* w, int64_t j0,
                                                                 float out[R][4]) {
  __m256 acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < 4; ++j) acc[r][j] = _mm256_setzero_ps();
  for (int64_t c = 0; c < K / 8; ++c) {
    __m256 v[R];
    for (int r = 0; r < R; ++r) v[r] = _mm256_loadu_ps(x + r * K + c * 8);
    for (int j = 0; j < 4; ++j) {
      const __m256 wj = weight_chunk<kHalf>(w, c * 64 + (j0 + j) * 8);
      for (int r = 0; r < R; ++r) acc[r][j] = _mm256_fmadd_ps(v[r], wj, acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < 4; ++j) out[r][j] = hsum(acc[r][j]);
}

template <bool kHalf, int R>
__attribute__((target("avx2,fma,f16c"))) inline void packed_rows(const float* x, const PackedLinear& P, const void* w,
                                                                 int64_t n0, int64_t outputs, float* y, int64_t ldy) {
  for (int64_t j0 = 0; j0 < 8; j0 += 4) {
    float s[R][4];
    packed_tile<kHalf, R>(x, P.K, w, j0, s);
    for (int r = 0; r < R; ++r)
      for (int64_t j = j0; j < std::min<int64_t>(j0 + 4, outputs); ++j)
        y[r * ldy + n0 + j] = s[r][j - j0] + (P.b.empty() ? 0.0f : P.b[n0 + j]);
  }
}

template <bool kHalf>
__attribute__((target("avx2,fma,f16c"))) inline void packed_row(const float* x, const PackedLinear& P, const void* w, int64_t n0,
                                                                int64_t outputs, float* y) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (int64_t c = 0; c < P.K / 8; ++c) {
    const __m256 v = _mm256_loadu_ps(x + c * 8);
    const int64_t i = c * 64;
    a0 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i), a0);
    a1 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i + 8), a1);
    a2 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i + 16), a2);
    a3 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i + 24), a3);
    a4 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i + 32), a4);
    a5 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i + 40), a5);
    a6 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i + 48), a6);
    a7 = _mm256_fmadd_ps(v, weight_chunk<kHalf>(w, i + 56), a7);
  }
  const float s[8] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3), hsum(a4), hsum(a5), hsum(a6), hsum(a7)};
  for (int64_t j = 0; j < outputs; ++j) y[n0 + j] = s[j] + (P.b.empty() ? 0.0f : P.b[n0 + j]);
}

template <bool kHalf>
__attribute__((target("avx2,fma,f16c"))) void packed_linear_avx2(const float* x, int64_t M, const PackedLinear& P,
                                                                 float* y, int64_t ldy) {
  const int64_t K = P.K, blocks = (P.N + 7) / 8;
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t n0 = blk * 8, outputs = std::min<int64_t>(8, P.N - n0);
    const void* w = kHalf ? static_cast<const void*>(P.h.data() + blk * 8 * K) : P.w.data() + blk * 8 * K;
    int64_t m = 0;
    // Batches of three or more rows (the server's streams): three rows per weight load. One or
    // two rows (a stream alone, with guidance): a row at a time over all eight outputs, which
    // streams a large matrix from memory faster (paper size: 57 against 68-77 ms a step).
    if (M >= 3)
      for (; m + 3 <= M; m += 3) packed_rows<kHalf, 3>(x + m * K, P, w, n0, outputs, y + m * ldy, ldy);
    for (; m < M; ++m) packed_row<kHalf>(x + m * K, P, w, n0, outputs, y + m * ldy);
  }
}

// float16 copies of W when every value survives the round trip (F16C), else empty.
__attribute__((target("avx2,fma,f16c"))) std::vector<uint16_t> exact_halves(const std::vector<float>& w) {
  std::vector<uint16_t> h(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    h[i] = _cvtss_sh(w[i], _MM_FROUND_TO_NEAREST_INT);
    if (_cvtsh_ss(h[i]) != w[i]) return {};
  }
  return h;
}

__attribute__((target("avx2,fma"))) void axpy_avx2(float* y, float a, const float* x, int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

bool detect() {
  __builtin_cpu_init();
  // F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does not know "f16c".
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
}
const bool kVectorised = detect();
#else
const bool kVectorised = false;
#endif

}  // namespace

bool vectorised() { return kVectorised; }

PackedLinear::PackedLinear(const float* W, const float* bias, int64_t N_, int64_t K_)
    : N(N_), K(K_), interleaved(K_ % 8 == 0) {
  if (bias) b.assign(bias, bias + N);
  if (!interleaved) {
    w.assign(W, W + N * K);
    return;
  }
  const int64_t blocks = (N + 7) / 8;
  w.assign(static_cast<size_t>(blocks * 8 * K), 0.0f);
  // w[blk][c][j][i] = W[blk*8 + j][c*8 + i]
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) w[((n / 8) * (K / 8) + k / 8) * 64 + (n % 8) * 8 + k % 8] = W[n * K + k];
#ifdef MOGO_X86_KERNELS
  if (kVectorised) h = exact_halves(w);
  if (!h.empty()) std::vector<float>().swap(w);
#endif
}

void linear(const float* x, int64_t M, const PackedLinear& P, float* y, int64_t ldy) {
  const float* bias = P.b.empty() ? nullptr : P.b.data();
#ifdef MOGO_X86_KERNELS
  if (kVectorised && P.interleaved && !P.h.empty()) return packed_linear_avx2<true>(x, M, P, y, ldy);
  if (kVectorised && P.interleaved) return packed_linear_avx2<false>(x, M, P, y, ldy);
  if (kVectorised) return linear_avx2(x, M, P.w.data(), bias, P.N, P.K, y, ldy);
#endif
  if (!P.interleaved) return linear_portable(x, M, P.w.data(), bias, P.N, P.K, y, ldy);
  // Portable reading of the interleaved layout, in dot_portable's order.
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < P.N; ++n) {
      float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      const float* w = P.w.data() + (n / 8) * 8 * P.K + (n % 8) * 8;
      for (int64_t c = 0; c < P.K / 8; ++c)
        for (int i = 0; i < 8; ++i) lane[i] += x[m * P.K + c * 8 + i] * w[c * 64 + i];
      y[m * ldy + n] = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7])) +
                       (bias ? bias[n] : 0.0f);
    }
}

void linear(const float* x, int64_t M, const float* W, const float* b, int64_t N, int64_t K, float* y, int64_t ldy) {
#ifdef MOGO_X86_KERNELS
  if (kVectorised) return linear_avx2(x, M, W, b, N, K, y, ldy);
#endif
  linear_portable(x, M, W, b, N, K, y, ldy);
}

float dot(const float* a, const float* b, int64_t n) {
#ifdef MOGO_X86_KERNELS
  if (kVectorised) return dot_avx2(a, b, n);
#endif
  return dot_portable(a, b, n);
}

void axpy(float* y, float a, const float* x, int64_t n) {
#ifdef MOGO_X86_KERNELS
  if (kVectorised) return axpy_avx2(y, a, x, n);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void layer_norm(float* x, int64_t M, int64_t D, const float* gamma, const float* beta, float eps) {
  for (int64_t m = 0; m < M; ++m) {
    float* r = x + m * D;
    double mean = 0, var = 0;  // double: D terms summed without drift
    for (int64_t i = 0; i < D; ++i) mean += r[i];
    mean /= static_cast<double>(D);
    for (int64_t i = 0; i < D; ++i) var += (r[i] - mean) * (r[i] - mean);
    var /= static_cast<double>(D);
    const float scale = static_cast<float>(1.0 / std::sqrt(var + eps)), shift = static_cast<float>(mean);
    for (int64_t i = 0; i < D; ++i) r[i] = (r[i] - shift) * scale * gamma[i] + beta[i];
  }
}

void gelu(float* x, int64_t n) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace mogo::kernels
