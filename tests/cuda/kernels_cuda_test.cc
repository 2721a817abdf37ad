// Every CUDA kernel against the CPU reference operators (kernels/cpu/reference_ops.h), on the GPU.
// Inputs are drawn already rounded to bf16, so both sides see identical operands and the only
// differences are the kernels' own: bf16 rounding of their outputs (relative 2^-9, one unit of
// bf16's 8-bit significand is 2^-8) and fp32 summation order. Tolerances are stated per check in
// those units. Without a GPU every test skips and says why.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {
namespace {

constexpr float kBf16Unit = 1.0f / 256;  // 2^-8: spacing of bf16 significands

float round_bf16(float x) { return __bfloat162float(__float2bfloat16_rn(x)); }

std::vector<float> random_bf16(size_t n, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = round_bf16(u(rng));
  return v;
}

DeviceBuffer<bf16> to_device(const std::vector<float>& x) {
  std::vector<bf16> h(x.size());
  for (size_t i = 0; i < x.size(); ++i) h[i] = __float2bfloat16_rn(x[i]);
  return DeviceBuffer<bf16>(h);
}

std::vector<float> to_host(const DeviceBuffer<bf16>& d) {
  auto h = d.download();
  std::vector<float> x(h.size());
  for (size_t i = 0; i < h.size(); ++i) x[i] = __bfloat162float(h[i]);
  return x;
}

double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : std::sqrt(s / static_cast<double>(x.size()));
}

// |got − want| ≤ units · 2^-8 · (|want| + rms(want)): relative for large values, and for values
// near zero relative to the tensor's scale (a sum of terms of that scale cannot do better).
void expect_close(const std::vector<float>& got, const std::vector<float>& want, float units,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const double floor = rms(want);
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], units * kBf16Unit * (std::fabs(want[i]) + floor))
        << what << " at " << i;
}

class GpuKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (device_count() == 0)
      GTEST_SKIP() << "no CUDA device here: the kernels are compiled but cannot run; run on a "
                      "machine with an NVIDIA GPU";
    SLIPWAY_CUDA_CHECK(cudaStreamCreate(&stream_));
  }
  void TearDown() override {
    if (stream_) cudaStreamDestroy(stream_);
  }
  void sync() { SLIPWAY_CUDA_CHECK(cudaStreamSynchronize(stream_)); }
  cudaStream_t stream_ = nullptr;
};

TEST_F(GpuKernels, LinearMatchesTheReference) {
  const int rows = 67, in = 96, out = 40;  // not multiples of the tile sizes
  auto x = random_bf16(static_cast<size_t>(rows) * in, 1),
       w = random_bf16(static_cast<size_t>(out) * in, 2), b = random_bf16(out, 3);
  auto dy = random_bf16(static_cast<size_t>(rows) * out, 4);
  std::vector<float> y(static_cast<size_t>(rows) * out), dx(x.size()), dw(w.size(), 0.5f),
      db(out, 0.25f);
  ref::linear_forward(x.data(), w.data(), b.data(), y.data(), rows, in, out);
  ref::linear_backward(dy.data(), x.data(), w.data(), dx.data(), dw.data(), db.data(), rows, in,
                       out);

  Blas blas(stream_);
  auto dx_d = to_device(x), dw_d = to_device(w), db_d = to_device(b), ddy = to_device(dy);
  DeviceBuffer<bf16> dy_out(y.size()), ddx(x.size());
  DeviceBuffer<float> gw(std::vector<float>(w.size(), 0.5f)), gb(std::vector<float>(out, 0.25f));
  blas.linear_forward(dx_d.data(), dw_d.data(), db_d.data(), dy_out.data(), rows, in, out);
  blas.linear_backward(ddy.data(), dx_d.data(), dw_d.data(), ddx.data(), gw.data(), gb.data(), rows,
                       in, out);
  sync();
  expect_close(to_host(dy_out), y, 1, "y (bf16 output)");
  expect_close(to_host(ddx), dx, 1, "dx (bf16 output)");
  // fp32 outputs: products of bf16 values are exact in fp32; only the summation order differs.
  expect_close(gw.download(), dw, 0.01f, "dw (fp32, accumulated onto 0.5)");
  expect_close(gb.download(), db, 0.01f, "db (fp32, accumulated onto 0.25)");
}

TEST_F(GpuKernels, CausalAttentionMatchesTheReference) {
  const int B = 2, T = 37, C = 48, H = 3;
  auto qkv = random_bf16(static_cast<size_t>(B) * T * 3 * C, 5),
       dout = random_bf16(static_cast<size_t>(B) * T * C, 6);
  std::vector<float> out(dout.size()), att(static_cast<size_t>(B) * H * T * T), dqkv(qkv.size());
  ref::attention_forward(qkv.data(), out.data(), att.data(), B, T, C, H);
  ref::attention_backward(dout.data(), qkv.data(), att.data(), dqkv.data(), B, T, C, H);

  Blas blas(stream_);
  auto dqkv_in = to_device(qkv), ddout = to_device(dout);
  DeviceBuffer<bf16> dout_fwd(out.size()), datt(att.size()), dgrad(qkv.size());
  blas.attention_forward(dqkv_in.data(), dout_fwd.data(), datt.data(), B, T, C, H);
  blas.attention_backward(ddout.data(), dqkv_in.data(), datt.data(), dgrad.data(), B, T, C, H);
  sync();
  auto att_gpu = to_host(datt);
  expect_close(att_gpu, att, 1, "probabilities (bf16)");
  for (int bh = 0; bh < B * H; ++bh)
    for (int t = 0; t < T; ++t)
      for (int j = t + 1; j < T; ++j)
        ASSERT_EQ(att_gpu[(static_cast<size_t>(bh) * T + t) * T + j], 0.0f)
            << "masked score above the diagonal";
  // The output is a product of rounded probabilities: two roundings deep.
  expect_close(to_host(dout_fwd), out, 2, "output");
  // The gradient is four roundings deep (P, dS, and the products' outputs).
  expect_close(to_host(dgrad), dqkv, 4, "dqkv");
}

TEST_F(GpuKernels, LayerNormMatchesTheReference) {
  const int rows = 45, C = 200;
  auto x = random_bf16(static_cast<size_t>(rows) * C, 7, 3.0f), w = random_bf16(C, 8),
       b = random_bf16(C, 9), dy = random_bf16(x.size(), 10);
  std::vector<float> y(x.size()), mean(rows), rstd(rows), dx(x.size()), dw(C, 0.5f), db(C, 0.5f);
  ref::layernorm_forward(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), rows, C);
  ref::layernorm_backward(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), dx.data(),
                          dw.data(), db.data(), rows, C);

  auto dx_in = to_device(x), dw_in = to_device(w), db_in = to_device(b), ddy = to_device(dy);
  DeviceBuffer<bf16> dy_out(y.size()), ddx(x.size());
  DeviceBuffer<float> dmean(rows), drstd(rows), gw(std::vector<float>(C, 0.5f)),
      gb(std::vector<float>(C, 0.5f));
  layernorm_forward(dx_in.data(), dw_in.data(), db_in.data(), dy_out.data(), dmean.data(),
                    drstd.data(), rows, C, stream_);
  layernorm_backward(ddy.data(), dx_in.data(), dw_in.data(), dmean.data(), drstd.data(), ddx.data(),
                     gw.data(), gb.data(), rows, C, stream_);
  sync();
  expect_close(to_host(dy_out), y, 1, "y");
  expect_close(drstd.download(), rstd, 0.01f, "rstd (fp32)");
  expect_close(to_host(ddx), dx, 1, "dx");
  expect_close(gw.download(), dw, 0.01f, "dw (fp32)");
  expect_close(gb.download(), db, 0.01f, "db (fp32)");
}

TEST_F(GpuKernels, GeluAndResidualMatchTheReference) {
  const size_t n = 10007;
  auto x = random_bf16(n, 11, 6.0f), dy = random_bf16(n, 12), other = random_bf16(n, 13);
  std::vector<float> y(n), dx(n), sum(n);
  ref::gelu_forward(x.data(), y.data(), n);
  ref::gelu_backward(dy.data(), x.data(), dx.data(), n);
  ref::add(x.data(), other.data(), sum.data(), n);
  auto dxi = to_device(x), ddy = to_device(dy), dother = to_device(other);
  DeviceBuffer<bf16> dyo(n), ddx(n), dsum(n);
  gelu_forward(dxi.data(), dyo.data(), n, stream_);
  gelu_backward(ddy.data(), dxi.data(), ddx.data(), n, stream_);
  add(dxi.data(), dother.data(), dsum.data(), n, stream_);
  sync();
  expect_close(to_host(dyo), y, 1, "gelu");
  expect_close(to_host(ddx), dx, 1, "gelu backward");
  expect_close(to_host(dsum), sum, 1, "residual add");
}

TEST_F(GpuKernels, SoftmaxCrossEntropyMatchesTheReference) {
  const int rows = 19, classes = 1003;
  auto logits = random_bf16(static_cast<size_t>(rows) * classes, 14, 8.0f);
  std::vector<std::int32_t> labels(rows);
  for (int r = 0; r < rows; ++r) labels[static_cast<size_t>(r)] = (r * 97) % classes;
  std::vector<float> dlogits(logits.size());
  const float scale = 1.0f / rows;
  float loss =
      ref::softmax_xent(logits.data(), labels.data(), dlogits.data(), rows, classes, scale);
  auto dl = to_device(logits);
  DeviceBuffer<std::int32_t> dlabels(labels);
  DeviceBuffer<float> losses(rows);
  DeviceBuffer<bf16> dgrad(logits.size());
  softmax_xent(dl.data(), dlabels.data(), losses.data(), dgrad.data(), rows, classes, scale,
               stream_);
  double total = sum(losses.data(), rows, stream_);
  sync();
  EXPECT_NEAR(total, loss, 1e-5 * std::fabs(loss)) << "the loss is fp32 end to end";
  expect_close(to_host(dgrad), dlogits, 1, "dlogits");
}

TEST_F(GpuKernels, EmbeddingMatchesTheReferenceAndIsDeterministic) {
  const int B = 3, T = 21, C = 40, V = 17;
  std::vector<std::int32_t> tokens(static_cast<size_t>(B) * T);
  for (size_t i = 0; i < tokens.size(); ++i)
    tokens[i] = static_cast<std::int32_t>((i * 7 + i / 5) % 11);  // repeats, and unused ids
  auto wte = random_bf16(static_cast<size_t>(V) * C, 15),
       wpe = random_bf16(static_cast<size_t>(T) * C, 16);
  auto dout = random_bf16(static_cast<size_t>(B) * T * C, 17);
  std::vector<float> out(dout.size()), dwte(wte.size(), 0.5f), dwpe(wpe.size(), 0.5f);
  ref::embedding_forward(tokens.data(), wte.data(), wpe.data(), out.data(), B, T, C);
  ref::embedding_backward(dout.data(), tokens.data(), dwte.data(), dwpe.data(), B, T, C);

  DeviceBuffer<std::int32_t> dtok(tokens);
  auto dwte_in = to_device(wte), dwpe_in = to_device(wpe), ddout = to_device(dout);
  DeviceBuffer<bf16> dout_fwd(out.size());
  embedding_forward(dtok.data(), dwte_in.data(), dwpe_in.data(), dout_fwd.data(), B, T, C, stream_);
  auto groups = TokenGroups::of(tokens.data(), tokens.size(), V);
  DeviceTokenGroups dgroups;
  dgroups.upload(groups);
  std::vector<std::vector<float>> runs;
  for (int run = 0; run < 2; ++run) {
    DeviceBuffer<float> gte(std::vector<float>(wte.size(), 0.5f)),
        gpe(std::vector<float>(wpe.size(), 0.5f));
    embedding_backward(ddout.data(), dgroups, static_cast<int>(groups.ids.size()), gte.data(),
                       gpe.data(), B, T, C, stream_);
    sync();
    if (run == 0) {
      expect_close(gte.download(), dwte, 0.01f, "dwte (fp32)");
      expect_close(gpe.download(), dwpe, 0.01f, "dwpe (fp32)");
    }
    runs.push_back(gte.download());
  }
  EXPECT_EQ(runs[0], runs[1]) << "the embedding gradient must be the same bits every run";
  expect_close(to_host(dout_fwd), out, 1, "embedding output");
}

TEST_F(GpuKernels, AdamWNormAndScaleMatchTheReference) {
  const size_t n = 100003;
  auto p = random_bf16(n, 18), g = random_bf16(n, 19);
  std::vector<float> m(n, 0), v(n, 0);
  std::vector<std::uint8_t> mask(n, 1);
  mask[5] = 0;
  DeviceBuffer<float> dp(p), dg(g), dm(m), dv(v);
  DeviceBuffer<std::uint8_t> dmask(mask);
  DeviceBuffer<bf16> copy(n);
  for (std::int64_t step = 1; step <= 3; ++step) {
    ref::adamw(p.data(), g.data(), m.data(), v.data(), n, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, step,
               mask.data());
    adamw(dp.data(), dg.data(), dm.data(), dv.data(), copy.data(), n, 0.01f, 0.9f, 0.999f, 1e-8f,
          0.1f, step, dmask.data(), stream_);
  }
  sync();
  auto got = dp.download();
  for (size_t i = 0; i < n; ++i)
    ASSERT_NEAR(got[i], p[i], 1e-6f * (1 + std::fabs(p[i]))) << "adamw at " << i;
  auto rounded = to_host(copy);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(rounded[i], round_bf16(got[i])) << "bf16 working copy at " << i;
  double want = 0;
  for (float x : g) want += static_cast<double>(x) * x;
  double first = sum_squares(dg.data(), n, stream_), second = sum_squares(dg.data(), n, stream_);
  EXPECT_NEAR(first, want, 1e-12 * want);
  EXPECT_EQ(first, second) << "the gradient norm must be the same bits every call";
  scale(dg.data(), n, 0.5f, stream_);
  sync();
  EXPECT_EQ(dg.download()[7], g[7] * 0.5f);
}

TEST(GpuHost, TokenGroupsListEveryPositionOnceByTokenInOrder) {
  // Host code (the counting sort behind the deterministic embedding gradient): runs everywhere.
  std::vector<std::int32_t> tokens = {5, 1, 5, 0, 1, 5, 3};
  auto g = TokenGroups::of(tokens.data(), tokens.size(), 8);
  EXPECT_EQ(g.ids, (std::vector<std::int32_t>{0, 1, 3, 5}));
  EXPECT_EQ(g.offsets, (std::vector<std::int32_t>{0, 1, 3, 4, 7}));
  EXPECT_EQ(g.positions, (std::vector<std::int32_t>{3, 1, 4, 6, 0, 2, 5}));
  auto empty = TokenGroups::of(tokens.data(), 0, 8);
  EXPECT_TRUE(empty.ids.empty());
  EXPECT_EQ(empty.offsets, (std::vector<std::int32_t>{0}));
}

TEST(GpuDevice, CountIsZeroOrMoreAndNeverThrows) {
  // Runs everywhere: on a machine without a driver this is the path every GPU test's skip takes.
  int n = -1;
  EXPECT_NO_THROW(n = device_count());
  EXPECT_GE(n, 0);
}

}  // namespace
}  // namespace slipway::kernels::cuda
