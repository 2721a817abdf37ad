// The GPU GPT against the CPU GPT (models/gpt.h): same parameters in, same loss and gradients out
// up to bf16 precision; and the GPU step is deterministic (the basis of exact resume on GPU).
// Skips without a GPU.
#include "train/gpu/gpt_cuda.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "models/gpt.h"

namespace slipway {
namespace {

namespace cu = kernels::cuda;

class GptCudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cu::device_count() == 0)
      GTEST_SKIP() << "no CUDA device here: the GPU model is compiled but cannot run; run on a "
                      "machine with an NVIDIA GPU";
    SLIPWAY_CUDA_CHECK(cudaStreamCreate(&stream_));
  }
  void TearDown() override {
    if (stream_) cudaStreamDestroy(stream_);
  }
  cudaStream_t stream_ = nullptr;
};

std::vector<std::int32_t> random_tokens(int B, int T, int vocab, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int32_t> t(static_cast<size_t>(B) * (T + 1));
  for (auto& x : t) x = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(vocab));
  return t;
}

TEST_F(GptCudaTest, MatchesTheCpuModelToBf16Precision) {
  const models::GptShape s{32, 16, 2, 32, 4};
  const int B = 3, T = 16;
  models::Gpt<float, models::FastOps> cpu(s);
  train::GptCuda gpu(s, stream_);
  ASSERT_EQ(cpu.signature(), gpu.signature()) << "checkpoints must move between devices";
  std::vector<float> p(cpu.num_params());
  cpu.init(p.data(), 3);
  // Both sides start from the same bf16-representable weights.
  std::vector<cu::bf16> pb(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    pb[i] = __float2bfloat16_rn(p[i]);
    p[i] = __bfloat162float(pb[i]);
  }
  auto tokens = random_tokens(B, T, s.vocab, 4);
  std::vector<float> g_cpu(p.size(), 0.0f);
  const float scale = 1.0f / (B * T);
  float loss_cpu = cpu.forward_backward(tokens.data(), B, T, p.data(), g_cpu.data(), scale);
  cu::DeviceBuffer<cu::bf16> dp(pb);
  cu::DeviceBuffer<float> dg(std::vector<float>(p.size(), 0.0f));
  float loss_gpu = gpu.forward_backward(tokens.data(), B, T, dp.data(), dg.data(), scale);
  SLIPWAY_CUDA_CHECK(cudaStreamSynchronize(stream_));
  // Activations are rounded to bf16 (2^-9 relative) at every op, about a dozen deep on the way to
  // the loss: 1% of the loss bounds that with room, and a wrong op is off by far more.
  EXPECT_NEAR(loss_gpu, loss_cpu, 0.01 * loss_cpu);
  auto g_gpu = dg.download();
  // Gradients go through the same ops twice (forward and backward): 5% of each tensor's scale.
  for (const auto& info : cpu.params()) {
    double ss = 0;
    for (size_t i = info.offset; i < info.offset + info.size; ++i)
      ss += static_cast<double>(g_cpu[i]) * g_cpu[i];
    const double rms = std::sqrt(ss / static_cast<double>(info.size));
    for (size_t i = info.offset; i < info.offset + info.size; ++i)
      ASSERT_NEAR(g_gpu[i], g_cpu[i], 0.05 * (std::fabs(g_cpu[i]) + rms))
          << info.name << " element " << (i - info.offset);
  }
}

TEST_F(GptCudaTest, AStepIsTheSameBitsEveryTime) {
  const models::GptShape s{40, 24, 2, 48, 4};
  const int B = 4, T = 24;
  train::GptCuda gpu(s, stream_);
  std::vector<float> p(gpu.num_params());
  gpu.init(p.data(), 5);
  std::vector<cu::bf16> pb(p.size());
  for (size_t i = 0; i < p.size(); ++i) pb[i] = __float2bfloat16_rn(p[i]);
  cu::DeviceBuffer<cu::bf16> dp(pb);
  auto tokens = random_tokens(B, T, s.vocab, 6);
  std::vector<std::vector<float>> grads;
  std::vector<float> losses;
  for (int run = 0; run < 2; ++run) {
    cu::DeviceBuffer<float> dg(std::vector<float>(p.size(), 0.0f));
    losses.push_back(
        gpu.forward_backward(tokens.data(), B, T, dp.data(), dg.data(), 1.0f / (B * T)));
    SLIPWAY_CUDA_CHECK(cudaStreamSynchronize(stream_));
    grads.push_back(dg.download());
  }
  EXPECT_EQ(losses[0], losses[1]);
  EXPECT_EQ(grads[0], grads[1])
      << "no atomics, fixed reduction orders: a resumed run must compute the same bits";
}

}  // namespace
}  // namespace slipway
