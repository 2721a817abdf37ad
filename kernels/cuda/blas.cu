// Linear layers through cuBLASLt: bf16 operands, fp32 accumulation, the bias fused into the
// forward product's epilogue, weight gradients accumulated in fp32 by the product itself.
#include <cublasLt.h>
#include <cublas_v2.h>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {
namespace {

constexpr size_t kWorkspaceBytes = 32u << 20;  // what cuBLASLt's heuristics may use on Hopper

cublasLtHandle_t lt(void* h) { return static_cast<cublasLtHandle_t>(h); }
cublasHandle_t blas(void* h) { return static_cast<cublasHandle_t>(h); }

// Owns the descriptors of one cuBLASLt call.
struct LtCall {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  ~LtCall() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

}  // namespace

Blas::Blas(cudaStream_t stream) : stream_(stream) {
  cublasLtHandle_t l = nullptr;
  SLIPWAY_CUBLAS_CHECK(cublasLtCreate(&l));
  lt_ = l;
  cublasHandle_t b = nullptr;
  SLIPWAY_CUBLAS_CHECK(cublasCreate(&b));
  blas_ = b;
  SLIPWAY_CUBLAS_CHECK(cublasSetStream(b, stream));
  workspace_.resize(kWorkspaceBytes);
}

Blas::~Blas() {
  if (blas_) cublasDestroy(blas(blas_));
  if (lt_) cublasLtDestroy(lt(lt_));
}

void Blas::lt_matmul(bool trans_a, bool trans_b, int m, int n, int k, const bf16* A, int lda,
                     const bf16* B, int ldb, float beta, void* D, bool d_is_float, int ldd,
                     const bf16* bias) {
  LtCall c;
  SLIPWAY_CUBLAS_CHECK(cublasLtMatmulDescCreate(&c.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  cublasOperation_t ta = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                    tb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  SLIPWAY_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(c.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
  SLIPWAY_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(c.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
  if (bias) {
    cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
    cudaDataType_t bias_type = CUDA_R_16BF;
    SLIPWAY_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(c.op, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                                        &epilogue, sizeof epilogue));
    SLIPWAY_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(c.op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE,
                                                        &bias_type, sizeof bias_type));
    SLIPWAY_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(c.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                        &bias, sizeof bias));
  }
  // Stored shapes (column-major): op(X) is rows × cols of the product, X itself the transpose when
  // the op transposes.
  SLIPWAY_CUBLAS_CHECK(
      cublasLtMatrixLayoutCreate(&c.a, CUDA_R_16BF, trans_a ? k : m, trans_a ? m : k, lda));
  SLIPWAY_CUBLAS_CHECK(
      cublasLtMatrixLayoutCreate(&c.b, CUDA_R_16BF, trans_b ? n : k, trans_b ? k : n, ldb));
  SLIPWAY_CUBLAS_CHECK(
      cublasLtMatrixLayoutCreate(&c.d, d_is_float ? CUDA_R_32F : CUDA_R_16BF, m, n, ldd));
  SLIPWAY_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&c.pref));
  size_t ws = workspace_.size();
  SLIPWAY_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      c.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  SLIPWAY_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(lt(lt_), c.op, c.a, c.b, c.d, c.d, c.pref, 1,
                                                      &heuristic, &found));
  if (found == 0)
    throw_cuda_error("cublasLtMatmulAlgoGetHeuristic",
                     "no algorithm for a " + std::to_string(m) + "x" + std::to_string(n) + "x" +
                         std::to_string(k) + " product",
                     __FILE__, __LINE__);
  const float alpha = 1.0f;
  SLIPWAY_CUBLAS_CHECK(cublasLtMatmul(lt(lt_), c.op, &alpha, A, c.a, B, c.b, &beta, D, c.d, D, c.d,
                                      &heuristic.algo, workspace_.data(), ws, stream_));
}

void Blas::linear_forward(const bf16* x, const bf16* w, const bf16* b, bf16* y, int rows, int in,
                          int out) {
  // Row-major y = x·wᵀ is column-major yᵀ[out×rows] = w'ᵀ · x' with w' = wᵀ [in×out] and x' = xᵀ
  // [in×rows].
  lt_matmul(true, false, out, rows, in, w, in, x, in, 0.0f, y, false, out, b);
}

void Blas::linear_backward(const bf16* dy, const bf16* x, const bf16* w, bf16* dx, float* dw,
                           float* db, int rows, int in, int out) {
  // dxᵀ[in×rows] = w'[in×out] · dy'[out×rows]
  if (dx) lt_matmul(false, false, in, rows, out, w, in, dy, out, 0.0f, dx, false, in, nullptr);
  // dw'[in×out] += x'[in×rows] · dy'ᵀ[rows×out], accumulated in fp32
  lt_matmul(false, true, in, out, rows, x, in, dy, out, 1.0f, dw, true, in, nullptr);
  if (db) bias_backward(dy, db, rows, out, stream_);
}

void Blas::batched_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const bf16* A,
                        int lda, long long stride_a, const bf16* B, int ldb, long long stride_b,
                        float beta, void* C, bool c_is_float, int ldc, long long stride_c,
                        int batch) {
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, and a row-major matrix is its
  // transpose in column-major: swap the operands, keep the flags.
  SLIPWAY_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      blas(blas_), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M,
      K, &alpha, B, CUDA_R_16BF, ldb, stride_b, A, CUDA_R_16BF, lda, stride_a, &beta, C,
      c_is_float ? CUDA_R_32F : CUDA_R_16BF, ldc, stride_c, batch, CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT));
}

}  // namespace slipway::kernels::cuda
