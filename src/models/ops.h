// The operator sets models are written against: RefOps (the reference loops, any number type)
// and FastOps (float; OpenBLAS and OpenMP where they pay). A model template takes one of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "kernels/cpu/fast_ops.h"
#include "kernels/cpu/reference_ops.h"

namespace slipway::models {

struct ParamInfo {
  std::string name;
  size_t offset = 0, size = 0;
  bool decay = true;  // weight decay applies to matrices, not to biases
};

using GradReady = std::function<void(size_t offset, size_t size)>;

struct RefOps {
  template <typename T>
  static void linear_forward(const T* x, const T* w, const T* b, T* y, int r, int i, int o) {
    kernels::ref::linear_forward(x, w, b, y, r, i, o);
  }
  template <typename T>
  static void linear_backward(const T* dy, const T* x, const T* w, T* dx, T* dw, T* db, int r,
                              int i, int o) {
    kernels::ref::linear_backward(dy, x, w, dx, dw, db, r, i, o);
  }
  template <typename T>
  static void relu_forward(const T* x, T* y, size_t n) {
    kernels::ref::relu_forward(x, y, n);
  }
  template <typename T>
  static void relu_backward(const T* dy, const T* x, T* dx, size_t n) {
    kernels::ref::relu_backward(dy, x, dx, n);
  }
  template <typename T>
  static T softmax_xent(const T* l, const std::int32_t* y, T* dl, int r, int c, T s) {
    return kernels::ref::softmax_xent(l, y, dl, r, c, s);
  }
  template <typename T>
  static void add(const T* a, const T* b, T* y, size_t n) {
    kernels::ref::add(a, b, y, n);
  }
  template <typename T>
  static void gelu_forward(const T* x, T* y, size_t n) {
    kernels::ref::gelu_forward(x, y, n);
  }
  template <typename T>
  static void gelu_backward(const T* dy, const T* x, T* dx, size_t n) {
    kernels::ref::gelu_backward(dy, x, dx, n);
  }
  template <typename T>
  static void layernorm_forward(const T* x, const T* w, const T* b, T* y, T* m, T* r, int rows,
                                int C) {
    kernels::ref::layernorm_forward(x, w, b, y, m, r, rows, C);
  }
  template <typename T>
  static void layernorm_backward(const T* dy, const T* x, const T* w, const T* m, const T* r, T* dx,
                                 T* dw, T* db, int rows, int C) {
    kernels::ref::layernorm_backward(dy, x, w, m, r, dx, dw, db, rows, C);
  }
  template <typename T>
  static void attention_forward(const T* qkv, T* out, T* att, int B, int Tn, int C, int h) {
    kernels::ref::attention_forward(qkv, out, att, B, Tn, C, h);
  }
  template <typename T>
  static void attention_backward(const T* dout, const T* qkv, const T* att, T* dqkv, int B, int Tn,
                                 int C, int h) {
    kernels::ref::attention_backward(dout, qkv, att, dqkv, B, Tn, C, h);
  }
  template <typename T>
  static void embedding_forward(const std::int32_t* tok, const T* wte, const T* wpe, T* out, int B,
                                int Tn, int C) {
    kernels::ref::embedding_forward(tok, wte, wpe, out, B, Tn, C);
  }
  template <typename T>
  static void embedding_backward(const T* dout, const std::int32_t* tok, T* dwte, T* dwpe, int B,
                                 int Tn, int C) {
    kernels::ref::embedding_backward(dout, tok, dwte, dwpe, B, Tn, C);
  }
};

struct FastOps {
  static void linear_forward(const float* x, const float* w, const float* b, float* y, int r, int i,
                             int o) {
    kernels::fast::linear_forward(x, w, b, y, r, i, o);
  }
  static void linear_backward(const float* dy, const float* x, const float* w, float* dx, float* dw,
                              float* db, int r, int i, int o) {
    kernels::fast::linear_backward(dy, x, w, dx, dw, db, r, i, o);
  }
  static void relu_forward(const float* x, float* y, size_t n) {
    kernels::fast::relu_forward(x, y, n);
  }
  static void relu_backward(const float* dy, const float* x, float* dx, size_t n) {
    kernels::fast::relu_backward(dy, x, dx, n);
  }
  static float softmax_xent(const float* l, const std::int32_t* y, float* dl, int r, int c,
                            float s) {
    return kernels::fast::softmax_xent(l, y, dl, r, c, s);
  }
  static void add(const float* a, const float* b, float* y, size_t n) {
    kernels::fast::add(a, b, y, n);
  }
  static void gelu_forward(const float* x, float* y, size_t n) {
    kernels::fast::gelu_forward(x, y, n);
  }
  static void gelu_backward(const float* dy, const float* x, float* dx, size_t n) {
    kernels::fast::gelu_backward(dy, x, dx, n);
  }
  static void layernorm_forward(const float* x, const float* w, const float* b, float* y, float* m,
                                float* r, int rows, int C) {
    kernels::fast::layernorm_forward(x, w, b, y, m, r, rows, C);
  }
  static void layernorm_backward(const float* dy, const float* x, const float* w, const float* m,
                                 const float* r, float* dx, float* dw, float* db, int rows, int C) {
    kernels::fast::layernorm_backward(dy, x, w, m, r, dx, dw, db, rows, C);
  }
  static void attention_forward(const float* qkv, float* out, float* att, int B, int Tn, int C,
                                int h) {
    kernels::fast::attention_forward(qkv, out, att, B, Tn, C, h);
  }
  static void attention_backward(const float* dout, const float* qkv, const float* att, float* dqkv,
                                 int B, int Tn, int C, int h) {
    kernels::fast::attention_backward(dout, qkv, att, dqkv, B, Tn, C, h);
  }
  // The embeddings are gathers and scatters of whole rows: the reference code is the fast path.
  static void embedding_forward(const std::int32_t* tok, const float* wte, const float* wpe,
                                float* out, int B, int Tn, int C) {
    kernels::ref::embedding_forward(tok, wte, wpe, out, B, Tn, C);
  }
  static void embedding_backward(const float* dout, const std::int32_t* tok, float* dwte,
                                 float* dwpe, int B, int Tn, int C) {
    kernels::ref::embedding_backward(dout, tok, dwte, dwpe, B, Tn, C);
  }
};

}  // namespace slipway::models
