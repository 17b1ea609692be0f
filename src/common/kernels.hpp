// The arithmetic of the CPU inference paths (transformer/inference, vq/decoder_inference), on plain float
// arrays: a few rows at a time (one position per stream and guidance branch), where LibTorch's
// per-operator overhead costs more than the arithmetic.
//
// Every output element is computed in one fixed order that does not depend on how many rows are
// processed together, so a row gives bit-identical results alone or batched with other streams.
#pragma once
#include <cstdint>
#include <vector>

namespace mogo::kernels {

// y[m*ldy + n] = b[n] + sum_k x[m,k] W[n,k] for m < M, n < N (W row-major [N,K], as
// torch::nn::Linear keeps it; b may be null; ldy >= N lets callers fill a slice of wider rows).
// x and y must not overlap.
void linear(const float* x, int64_t M, const float* W, const float* b, int64_t N, int64_t K, float* y, int64_t ldy);

// A weight matrix W [N,K] (+ bias) packed once for linear(): blocks of 8 outputs whose 8-float
// chunks of K are interleaved, so that a pass over the matrix reads memory strictly in order (the
// row-major layout makes 8 concurrent streams, which the prefetchers follow at a fraction of the
// bandwidth). Outputs are padded to a multiple of 8 with zero rows. Needs K % 8 == 0; other
// shapes keep the row-major layout.
//
// When every weight is a float16 value (a model file stored as float16, the shipped models) and
// the CPU converts float16 in registers (F16C), the packed copy is kept as float16: the same
// numbers, half the bytes to stream per step (the cost of a generation step is mostly reading the
// weights).
struct PackedLinear {
  int64_t N = 0, K = 0;
  bool interleaved = false;
  std::vector<float> w, b;   // b empty: no bias; w empty when h holds the weights
  std::vector<uint16_t> h;   // float16 weights (interleaved), or empty
  PackedLinear() = default;
  PackedLinear(const float* W, const float* bias, int64_t N, int64_t K);
  bool half() const { return !h.empty(); }
  int64_t bytes() const {
    return static_cast<int64_t>(w.size() * sizeof(float) + h.size() * sizeof(uint16_t) + b.size() * sizeof(float));
  }
};
// y[m*ldy + n] = b[n] + sum_k x[m,k] W[n,k] for m < M, n < N (the same sums as the unpacked linear).
void linear(const float* x, int64_t M, const PackedLinear& W, float* y, int64_t ldy);

// In place over M rows of width D: (x - mean) / sqrt(var + eps) * gamma + beta (biased variance).
void layer_norm(float* x, int64_t M, int64_t D, const float* gamma, const float* beta, float eps);

// In place: x * Phi(x), the exact (erf) GELU.
void gelu(float* x, int64_t n);

// y[i] += x[i].
void add(float* y, const float* x, int64_t n);

// Dot product of two vectors of length n, in the same order as linear's.
float dot(const float* a, const float* b, int64_t n);

// y[i] += a * x[i].
void axpy(float* y, float a, const float* x, int64_t n);

// True when the vectorised (AVX2 + FMA) versions run on this CPU.
bool vectorised();

}  // namespace mogo::kernels
