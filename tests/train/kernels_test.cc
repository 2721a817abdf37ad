// The CPU fast path (OpenBLAS, OpenMP) against the reference operators, and the MLP's gradients
// against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/cpu/fast_ops.h"
#include "kernels/cpu/reference_ops.h"
#include "models/mlp.h"

namespace slipway {
namespace {

std::vector<float> random_vec(size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// float32 dot products of length k differ by reassociation: bound by k·eps·|terms|.
void expect_close(const std::vector<float>& a, const std::vector<float>& b, float tol,
                  const char* what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], tol * (1.0f + std::fabs(b[i]))) << what << " at " << i;
}

TEST(CpuKernels, LinearMatchesTheReference) {
  const int rows = 37, in = 53, out = 29;  // odd sizes: no lucky alignment
  auto x = random_vec(static_cast<size_t>(rows) * in, 1),
       w = random_vec(static_cast<size_t>(out) * in, 2), b = random_vec(out, 3);
  auto dy = random_vec(static_cast<size_t>(rows) * out, 4);
  std::vector<float> y_ref(static_cast<size_t>(rows) * out), y_fast(y_ref.size());
  kernels::ref::linear_forward(x.data(), w.data(), b.data(), y_ref.data(), rows, in, out);
  kernels::fast::linear_forward(x.data(), w.data(), b.data(), y_fast.data(), rows, in, out);
  const float tol = 64 * in * 1.2e-7f;
  expect_close(y_fast, y_ref, tol, "y");
  std::vector<float> dx_ref(x.size()), dx_fast(x.size()), dw_ref(w.size(), 0.5f),
      dw_fast(w.size(), 0.5f), db_ref(out, 0.25f), db_fast(out, 0.25f);
  kernels::ref::linear_backward(dy.data(), x.data(), w.data(), dx_ref.data(), dw_ref.data(),
                                db_ref.data(), rows, in, out);
  kernels::fast::linear_backward(dy.data(), x.data(), w.data(), dx_fast.data(), dw_fast.data(),
                                 db_fast.data(), rows, in, out);
  expect_close(dx_fast, dx_ref, tol, "dx");
  expect_close(dw_fast, dw_ref, 64 * rows * 1.2e-7f, "dw (accumulated onto 0.5)");
  expect_close(db_fast, db_ref, 64 * rows * 1.2e-7f, "db (accumulated onto 0.25)");
}

TEST(CpuKernels, ElementwiseAndOptimizerMatchTheReference) {
  const size_t n = 100003;
  auto x = random_vec(n, 5), dy = random_vec(n, 6);
  std::vector<float> a(n), b(n);
  kernels::ref::relu_forward(x.data(), a.data(), n);
  kernels::fast::relu_forward(x.data(), b.data(), n);
  EXPECT_EQ(a, b);
  kernels::ref::relu_backward(dy.data(), x.data(), a.data(), n);
  kernels::fast::relu_backward(dy.data(), x.data(), b.data(), n);
  EXPECT_EQ(a, b);
  auto p1 = random_vec(n, 7), g = random_vec(n, 8);
  auto p2 = p1;
  std::vector<float> m1(n, 0), v1(n, 0), m2(n, 0), v2(n, 0);
  std::vector<std::uint8_t> mask(n, 1);
  mask[3] = 0;
  for (std::int64_t step = 1; step <= 3; ++step) {
    kernels::ref::adamw(p1.data(), g.data(), m1.data(), v1.data(), n, 0.01f, 0.9f, 0.999f, 1e-8f,
                        0.1f, step, mask.data());
    kernels::fast::adamw(p2.data(), g.data(), m2.data(), v2.data(), n, 0.01f, 0.9f, 0.999f, 1e-8f,
                         0.1f, step, mask.data());
  }
  expect_close(p2, p1, 1e-6f, "adamw");
  EXPECT_NEAR(kernels::fast::sum_squares(g.data(), n),
              kernels::ref::sum_squares<double>(std::vector<double>(g.begin(), g.end()).data(), n),
              1e-6);
}

TEST(CpuKernels, CausalAttentionMatchesTheReferenceAcrossQueryBlocks) {
  // T = 150: two full query blocks of 64 and a partial one, so the block edges and the masked
  // triangle are all exercised; two heads of 8.
  const int B = 2, T = 150, C = 16, H = 2;
  auto qkv = random_vec(static_cast<size_t>(B) * T * 3 * C, 12),
       dout = random_vec(static_cast<size_t>(B) * T * C, 13);
  std::vector<float> out_ref(dout.size()), out_fast(dout.size()),
      att_ref(static_cast<size_t>(B) * H * T * T), att_fast(att_ref.size(), 7.0f);
  kernels::ref::attention_forward(qkv.data(), out_ref.data(), att_ref.data(), B, T, C, H);
  kernels::fast::attention_forward(qkv.data(), out_fast.data(), att_fast.data(), B, T, C, H);
  expect_close(att_fast, att_ref, 1e-5f, "probabilities");  // exact zeros above the diagonal
  expect_close(out_fast, out_ref, 1e-5f, "output");
  std::vector<float> dqkv_ref(qkv.size()), dqkv_fast(qkv.size(), 3.0f);
  kernels::ref::attention_backward(dout.data(), qkv.data(), att_ref.data(), dqkv_ref.data(), B, T,
                                   C, H);
  kernels::fast::attention_backward(dout.data(), qkv.data(), att_ref.data(), dqkv_fast.data(), B, T,
                                    C, H);
  expect_close(dqkv_fast, dqkv_ref, 1e-4f, "dqkv");
}

TEST(CpuKernels, LayerNormGeluAndResidualMatchTheReference) {
  const int rows = 9, C = 67;
  const size_t n = static_cast<size_t>(rows) * C;
  auto x = random_vec(n, 14), w = random_vec(C, 15), b = random_vec(C, 16), dy = random_vec(n, 17);
  std::vector<float> y1(n), y2(n), m1(rows), m2(rows), r1(rows), r2(rows);
  kernels::ref::layernorm_forward(x.data(), w.data(), b.data(), y1.data(), m1.data(), r1.data(),
                                  rows, C);
  kernels::fast::layernorm_forward(x.data(), w.data(), b.data(), y2.data(), m2.data(), r2.data(),
                                   rows, C);
  expect_close(y2, y1, 1e-5f, "layernorm y");
  expect_close(r2, r1, 1e-5f, "layernorm rstd");
  std::vector<float> dx1(n), dx2(n), dw1(C, 0.5f), dw2(C, 0.5f), db1(C, 0.5f), db2(C, 0.5f);
  kernels::ref::layernorm_backward(dy.data(), x.data(), w.data(), m1.data(), r1.data(), dx1.data(),
                                   dw1.data(), db1.data(), rows, C);
  kernels::fast::layernorm_backward(dy.data(), x.data(), w.data(), m1.data(), r1.data(), dx2.data(),
                                    dw2.data(), db2.data(), rows, C);
  expect_close(dx2, dx1, 1e-5f, "layernorm dx");
  expect_close(dw2, dw1, 1e-5f, "layernorm dw (accumulated onto 0.5)");
  expect_close(db2, db1, 1e-5f, "layernorm db (accumulated onto 0.5)");
  // GELU over a range wide enough to reach tanh's saturation on both sides.
  std::vector<float> big(n);
  for (size_t i = 0; i < n; ++i) big[i] = 12.0f * x[i];
  kernels::ref::gelu_forward(big.data(), y1.data(), n);
  kernels::fast::gelu_forward(big.data(), y2.data(), n);
  expect_close(y2, y1, 1e-6f, "gelu");
  kernels::ref::gelu_backward(dy.data(), big.data(), dx1.data(), n);
  kernels::fast::gelu_backward(dy.data(), big.data(), dx2.data(), n);
  // Near saturation 1 − tanh² cancels: a one-ulp difference in tanh (2.4e-7 relative) is
  // multiplied by ½·x·du/dx, up to ~100 at |x| = 12.
  expect_close(dx2, dx1, 3e-5f, "gelu backward");
  kernels::ref::add(x.data(), dy.data(), y1.data(), n);
  kernels::fast::add(x.data(), dy.data(), y2.data(), n);
  EXPECT_EQ(y1, y2);
}

TEST(CpuKernels, SoftmaxCrossEntropyIsStableAndRight) {
  // Two rows, one with huge logits that would overflow a naive exp.
  std::vector<double> logits = {1, 2, 3, 1000, 0, -1000};
  std::vector<std::int32_t> labels = {2, 0};
  std::vector<double> d(6);
  double loss = kernels::ref::softmax_xent(logits.data(), labels.data(), d.data(), 2, 3, 1.0);
  double expected0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  EXPECT_NEAR(loss, expected0 + 0.0, 1e-12);
  EXPECT_NEAR(d[3], 0.0, 1e-12);  // softmax 1 - onehot 1
  EXPECT_NEAR(d[0] + d[1] + d[2], 0.0, 1e-12);
}

TEST(Mlp, GradientsMatchFiniteDifferences) {
  // In double, with the reference operators: every parameter's analytic gradient against a
  // central difference. Inputs avoid ReLU kinks (pre-activations far from 0 is not guaranteed,
  // so a tiny step keeps the chance of crossing one negligible and the tolerance catches it).
  models::Mlp<double, models::RefOps> model(5, {7, 6}, 4);
  std::vector<double> p(model.num_params());
  model.init(p.data(), 42);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-1, 1);
  const int rows = 6;
  std::vector<double> x(rows * 5);
  for (auto& v : x) v = u(rng);
  std::vector<std::int32_t> y = {0, 1, 2, 3, 1, 2};
  std::vector<double> g(p.size(), 0);
  std::vector<std::pair<size_t, size_t>> ready;
  model.forward_backward(x.data(), y.data(), rows, p.data(), g.data(), 1.0 / rows,
                         [&](size_t o, size_t s) {
                           ready.push_back({o, s});
                         });
  const double h = 1e-6;
  for (size_t i = 0; i < p.size(); ++i) {
    std::vector<double> scratch(p.size());
    double saved = p[i];
    p[i] = saved + h;
    double up =
        model.forward_backward(x.data(), y.data(), rows, p.data(), scratch.data(), 1.0) / rows;
    p[i] = saved - h;
    double down =
        model.forward_backward(x.data(), y.data(), rows, p.data(), scratch.data(), 1.0) / rows;
    p[i] = saved;
    std::string name;
    for (const auto& info : model.params())
      if (i >= info.offset && i < info.offset + info.size) name = info.name;
    EXPECT_NEAR(g[i], (up - down) / (2 * h), 1e-6) << name << " element " << i;
  }
  // Every parameter was reported final exactly once, from the last layer backwards.
  size_t covered = 0;
  for (auto [o, s] : ready) covered += s;
  EXPECT_EQ(covered, p.size());
  EXPECT_GT(ready.front().first, ready.back().first);
}

TEST(Mlp, FastPathTrainsLikeTheReference) {
  models::Mlp<float, models::RefOps> ref(4, {16}, 3);
  models::Mlp<float, models::FastOps> fast(4, {16}, 3);
  ASSERT_EQ(ref.signature(), fast.signature());
  std::vector<float> p(ref.num_params());
  ref.init(p.data(), 3);
  auto x = random_vec(32 * 4, 11);
  std::vector<std::int32_t> y(32);
  for (int i = 0; i < 32; ++i) y[static_cast<size_t>(i)] = i % 3;
  std::vector<float> g1(p.size(), 0), g2(p.size(), 0);
  float l1 = ref.forward_backward(x.data(), y.data(), 32, p.data(), g1.data(), 1.0f / 32);
  float l2 = fast.forward_backward(x.data(), y.data(), 32, p.data(), g2.data(), 1.0f / 32);
  EXPECT_NEAR(l1, l2, 1e-4f * std::fabs(l1));
  expect_close(g2, g1, 1e-4f, "gradients");
}

}  // namespace
}  // namespace slipway
