// The CPU fast path of the trainer's operators (float): OpenBLAS sgemm for the matrix products,
// OpenMP for the elementwise work. Same contracts as reference_ops.h, which tests hold them to.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slipway::kernels::fast {

void linear_forward(const float* x, const float* w, const float* b, float* y, int rows, int in,
                    int out);
void linear_backward(const float* dy, const float* x, const float* w, float* dx, float* dw,
                     float* db, int rows, int in, int out);
void relu_forward(const float* x, float* y, size_t n);
void relu_backward(const float* dy, const float* x, float* dx, size_t n);
float softmax_xent(const float* logits, const std::int32_t* labels, float* dlogits, int rows,
                   int classes, float grad_scale);
void adamw(float* p, const float* g, float* m, float* v, size_t n, float lr, float beta1,
           float beta2, float eps, float weight_decay, std::int64_t step,
           const std::uint8_t* decay_mask);
// GELU (tanh form) with tanh from one expf: libm's tanhf dominated the step time.
void gelu_forward(const float* x, float* y, size_t n);
void gelu_backward(const float* dy, const float* x, float* dx, size_t n);
// Causal attention as matrix products per (batch, head): S = QKᵀ, masked softmax, O = PV.
// Same layouts as the reference (qkv [B][T][3C], att [B][heads][T][T]).
void attention_forward(const float* qkv, float* out, float* att, int B, int T, int C, int heads);
void attention_backward(const float* dout, const float* qkv, const float* att, float* dqkv, int B,
                        int T, int C, int heads);

void layernorm_forward(const float* x, const float* w, const float* b, float* y, float* mean,
                       float* rstd, int rows, int C);
void layernorm_backward(const float* dy, const float* x, const float* w, const float* mean,
                        const float* rstd, float* dx, float* dw, float* db, int rows, int C);
// y = a + b (y may alias a or b): the residual connections.
void add(const float* a, const float* b, float* y, size_t n);

// Accumulated in double: the global gradient norm must not depend on how many ranks summed it.
double sum_squares(const float* x, size_t n);
void scale(float* x, size_t n, float s);

// Threads the fast path may use (OpenBLAS and OpenMP); 0 leaves the libraries' defaults.
void set_threads(int n);

}  // namespace slipway::kernels::fast
