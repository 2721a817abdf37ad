// The trainer's operators on an NVIDIA GPU: the same contracts and layouts as
// kernels/cpu/reference_ops.h (row-major, a linear layer's W is [out][in], backward functions
// overwrite input gradients and accumulate parameter gradients), in bf16 activations with fp32
// arithmetic inside every kernel, fp32 master weights, gradients and optimizer state, and the loss
// in fp32. Every reduction has a fixed order, so a step is deterministic and resume bit-exact.
//
// All launches are asynchronous on the stream given; errors throw CudaError (cuda_check.h).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cuda/device_buffer.h"

namespace slipway::kernels::cuda {

using bf16 = __nv_bfloat16;

// GPUs this process can use; 0 where there is no driver or no device (never throws).
int device_count();

// Conversions between the fp32 master copy and bf16 working copies.
void to_bf16(const float* x, bf16* y, size_t n, cudaStream_t stream);
void to_float(const bf16* x, float* y, size_t n, cudaStream_t stream);

// y = a + b (y may alias a or b).
void add(const bf16* a, const bf16* b, bf16* y, size_t n, cudaStream_t stream);
// GELU, tanh form (GPT-2's).
void gelu_forward(const bf16* x, bf16* y, size_t n, cudaStream_t stream);
void gelu_backward(const bf16* dy, const bf16* x, bf16* dx, size_t n, cudaStream_t stream);

// mean and rstd ([rows]) are saved for the backward pass.
void layernorm_forward(const bf16* x, const bf16* w, const bf16* b, bf16* y, float* mean,
                       float* rstd, int rows, int C, cudaStream_t stream);
// dx is overwritten; dw and db (fp32) accumulate.
void layernorm_backward(const bf16* dy, const bf16* x, const bf16* w, const float* mean,
                        const float* rstd, bf16* dx, float* dw, float* db, int rows, int C,
                        cudaStream_t stream);

// out[b][t] = wte[tokens[b][t]] + wpe[t].
void embedding_forward(const std::int32_t* tokens, const bf16* wte, const bf16* wpe, bf16* out,
                       int B, int T, int C, cudaStream_t stream);

// The token positions of a batch grouped by token id (a counting sort on the host), so the
// embedding gradient sums each token's rows in one thread, in position order: no atomics, the
// same bits every run.
struct TokenGroups {
  std::vector<std::int32_t> ids;        // distinct token ids
  std::vector<std::int32_t> offsets;    // ids.size() + 1 offsets into positions
  std::vector<std::int32_t> positions;  // b·T + t, grouped by id, ascending within a group
  static TokenGroups of(const std::int32_t* tokens, size_t n, int vocab);
};
// The groups in device memory, uploaded once per step.
struct DeviceTokenGroups {
  DeviceBuffer<std::int32_t> ids, offsets, positions;
  void upload(const TokenGroups& g);
};
// dwte and dwpe (fp32) accumulate.
void embedding_backward(const bf16* dout, const DeviceTokenGroups& groups, int num_ids, float* dwte,
                        float* dwpe, int B, int T, int C, cudaStream_t stream);

// Per row: loss = logsumexp(logits) − logits[label] (fp32, into losses[row]); when dlogits is not
// null, dlogits = (softmax − onehot) · grad_scale. The sum of the losses is the caller's
// (a fixed-order reduction, sum_rows below).
void softmax_xent(const bf16* logits, const std::int32_t* labels, float* losses, bf16* dlogits,
                  int rows, int classes, float grad_scale, cudaStream_t stream);

// Σ x in double, in a fixed order (per-block partials summed on the host).
double sum(const float* x, size_t n, cudaStream_t stream);
// Σ x² in double, in a fixed order: the global gradient norm must not depend on launch timing.
double sum_squares(const float* x, size_t n, cudaStream_t stream);
void scale(float* x, size_t n, float s, cudaStream_t stream);
// db[o] += Σ_rows dy[r][o] (a linear layer's bias gradient), fixed order.
void bias_backward(const bf16* dy, float* db, int rows, int out, cudaStream_t stream);

// AdamW over the whole flat parameter vector (fp32 p, g, m, v), step counted from 1, weight decay
// where decay_mask[i] is 1; writes the bf16 working copy of the updated parameters.
void adamw(float* p, const float* g, float* m, float* v, bf16* p_bf16, size_t n, float lr,
           float beta1, float beta2, float eps, float weight_decay, std::int64_t step,
           const std::uint8_t* decay_mask, cudaStream_t stream);

// Matrix products through cuBLASLt (bf16 inputs, fp32 accumulation), and attention through
// cuBLAS batched products around a causal softmax kernel. One per stream; owns its handles and
// its workspace.
class Blas {
 public:
  explicit Blas(cudaStream_t stream);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  // y[rows×out] = x[rows×in] · w[out×in]ᵀ + b (b may be null).
  void linear_forward(const bf16* x, const bf16* w, const bf16* b, bf16* y, int rows, int in,
                      int out);
  // dx = dy · w (skipped when dx is null); dw += dyᵀ · x (fp32); db += Σ_rows dy (when db is not
  // null).
  void linear_backward(const bf16* dy, const bf16* x, const bf16* w, bf16* dx, float* dw, float* db,
                       int rows, int in, int out);

  // Causal multi-head attention, as the reference: qkv [B][T][3C]; out [B][T][C]; att saves the
  // probabilities [B][heads][T][T] (bf16) for the backward pass.
  void attention_forward(const bf16* qkv, bf16* out, bf16* att, int B, int T, int C, int heads);
  void attention_backward(const bf16* dout, const bf16* qkv, const bf16* att, bf16* dqkv, int B,
                          int T, int C, int heads);

  cudaStream_t stream() const { return stream_; }

 private:
  // Row-major C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C over `batch` matrices a stride
  // apart; C is bf16 or, with c_is_float, fp32.
  void batched_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const bf16* A,
                    int lda, long long stride_a, const bf16* B, int ldb, long long stride_b,
                    float beta, void* C, bool c_is_float, int ldc, long long stride_c, int batch);
  // Column-major D[m×n] = op(A) · op(B) + beta · D through cuBLASLt, D bf16 or fp32, with an
  // optional bias epilogue (bf16, one value per row of D).
  void lt_matmul(bool trans_a, bool trans_b, int m, int n, int k, const bf16* A, int lda,
                 const bf16* B, int ldb, float beta, void* D, bool d_is_float, int ldd,
                 const bf16* bias);

  cudaStream_t stream_;
  void* lt_ = nullptr;    // cublasLtHandle_t
  void* blas_ = nullptr;  // cublasHandle_t
  DeviceBuffer<std::uint8_t> workspace_;
  // Attention scratch, grown to the largest shape seen: q, k, v, o and their gradients in
  // [B][heads][T][head size]; scores (fp32) and score gradients (bf16) in [B][heads][T][T].
  DeviceBuffer<bf16> q_, k_, v_, o_, dq_, dk_, dv_, dscores_;
  DeviceBuffer<float> scores_;
};

}  // namespace slipway::kernels::cuda
