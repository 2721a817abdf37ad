// The transformer: every parameter's gradient against finite differences (in double, with the
// reference operators), the float fast path against the reference, and that it learns.
#include "models/gpt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace slipway {
namespace {

std::vector<std::int32_t> random_tokens(int B, int Tn, int V, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int32_t> t(static_cast<size_t>(B) * (Tn + 1));
  for (auto& x : t) x = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(V));
  return t;
}

TEST(Gpt, GradientsMatchFiniteDifferences) {
  models::GptShape s{7, 4, 2, 8, 2};  // vocab, context, layers, width, heads
  models::Gpt<double, models::RefOps> model(s);
  std::vector<double> p(model.num_params());
  model.init(p.data(), 1);
  // Larger than GPT-2's 0.02 so every path carries a measurable gradient.
  std::mt19937_64 rng(2);
  std::normal_distribution<double> n(0, 0.3);
  for (const auto& info : model.params())
    if (info.name.find("ln") == std::string::npos)
      for (size_t i = 0; i < info.size; ++i) p[info.offset + i] = n(rng);
  const int B = 2, Tn = 4;
  auto tokens = random_tokens(B, Tn, s.vocab, 3);
  std::vector<double> g(p.size(), 0);
  size_t reported = 0;
  model.forward_backward(tokens.data(), B, Tn, p.data(), g.data(), 1.0,
                         [&](size_t, size_t size) { reported += size; });
  EXPECT_EQ(reported, p.size())
      << "every parameter is reported final exactly once (the tied wte after the embedding)";
  const double h = 1e-5;
  double worst = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    double saved = p[i];
    p[i] = saved + h;
    double up = model.evaluate(tokens.data(), B, Tn, p.data());
    p[i] = saved - h;
    double down = model.evaluate(tokens.data(), B, Tn, p.data());
    p[i] = saved;
    double numeric = (up - down) / (2 * h);
    double err = std::fabs(g[i] - numeric) / std::max(1.0, std::fabs(numeric));
    worst = std::max(worst, err);
    std::string name;
    for (const auto& info : model.params())
      if (i >= info.offset && i < info.offset + info.size) name = info.name;
    ASSERT_LT(err, 1e-6) << name << " element " << i << ": analytic " << g[i] << " numeric "
                         << numeric;
  }
  RecordProperty("worst_relative_error", std::to_string(worst));
}

TEST(Gpt, FastPathMatchesTheReference) {
  models::GptShape s{32, 16, 2, 32, 4};
  models::Gpt<float, models::RefOps> ref(s);
  models::Gpt<float, models::FastOps> fast(s);
  std::vector<float> p(ref.num_params());
  ref.init(p.data(), 4);
  auto tokens = random_tokens(3, 16, s.vocab, 5);
  std::vector<float> g1(p.size(), 0), g2(p.size(), 0);
  float l1 = ref.forward_backward(tokens.data(), 3, 16, p.data(), g1.data(), 1.0f / 48);
  float l2 = fast.forward_backward(tokens.data(), 3, 16, p.data(), g2.data(), 1.0f / 48);
  EXPECT_NEAR(l1, l2, 1e-4f * std::fabs(l1));
  for (size_t i = 0; i < p.size(); ++i)
    ASSERT_NEAR(g1[i], g2[i], 1e-4f * (1 + std::fabs(g1[i]))) << i;
}

TEST(Gpt, LearnsARepeatingSequence) {
  // "abcdefgh" repeated: after a few hundred plain SGD steps the next character is predictable.
  models::GptShape s{8, 8, 1, 16, 2};
  models::Gpt<float, models::FastOps> model(s);
  std::vector<float> p(model.num_params()), g(p.size());
  model.init(p.data(), 6);
  std::vector<std::int32_t> tokens;
  for (int b = 0; b < 4; ++b)
    for (int t = 0; t <= 8; ++t) tokens.push_back((b + t) % 8);
  float first = model.evaluate(tokens.data(), 4, 8, p.data()) / 32;
  for (int step = 0; step < 300; ++step) {
    std::fill(g.begin(), g.end(), 0.0f);
    model.forward_backward(tokens.data(), 4, 8, p.data(), g.data(), 1.0f / 32);
    for (size_t i = 0; i < p.size(); ++i) p[i] -= 0.5f * g[i];
  }
  float last = model.evaluate(tokens.data(), 4, 8, p.data()) / 32;
  EXPECT_NEAR(first, std::log(8.0f), 0.2f) << "an untrained model is near uniform";
  EXPECT_LT(last, 0.1f) << "the model did not learn the sequence";
}

}  // namespace
}  // namespace slipway
