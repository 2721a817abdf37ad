// The Sobol sequence by Gray-code order, with the primitive polynomials and initial direction
// numbers of Joe and Kuo's new-joe-kuo-6.21201 table (dimensions 2..21; dimension 1 is van der
// Corput).
#include <array>
#include <cstdint>
#include <vector>

#include "tune/sampler.h"

namespace slipway::tune {

namespace {

struct DirectionSeed {
  int degree;                      // s: degree of the primitive polynomial
  std::uint32_t a;                 // its inner coefficients as bits
  std::array<std::uint32_t, 7> m;  // initial direction numbers m_1..m_s (odd, m_k < 2^k)
};

constexpr std::array<DirectionSeed, kSobolMaxDims - 1> kSeeds = {{
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
}};

constexpr int kBits = 32;

// V[d][k]: direction numbers left-aligned in 32 bits.
const std::vector<std::array<std::uint32_t, kBits>>& directions() {
  static const std::vector<std::array<std::uint32_t, kBits>> v = [] {
    std::vector<std::array<std::uint32_t, kBits>> out(kSobolMaxDims);
    for (int k = 0; k < kBits; ++k) out[0][static_cast<size_t>(k)] = 1u << (kBits - 1 - k);
    for (int d = 1; d < kSobolMaxDims; ++d) {
      const DirectionSeed& seed = kSeeds[static_cast<size_t>(d - 1)];
      const int s = seed.degree;
      auto& V = out[static_cast<size_t>(d)];
      for (int k = 0; k < s && k < kBits; ++k)
        V[static_cast<size_t>(k)] = seed.m[static_cast<size_t>(k)] << (kBits - 1 - k);
      for (int k = s; k < kBits; ++k) {
        std::uint32_t v = V[static_cast<size_t>(k - s)] ^ (V[static_cast<size_t>(k - s)] >> s);
        for (int j = 1; j < s; ++j)
          if ((seed.a >> (s - 1 - j)) & 1u) v ^= V[static_cast<size_t>(k - j)];
        V[static_cast<size_t>(k)] = v;
      }
    }
    return out;
  }();
  return v;
}

}  // namespace

std::vector<double> sobol_point(std::uint64_t index, int dims) {
  const auto& V = directions();
  std::vector<double> p(static_cast<size_t>(dims));
  // x_i = XOR of V[k] over the bits k of the Gray code of i.
  const std::uint64_t gray = index ^ (index >> 1);
  for (int d = 0; d < dims; ++d) {
    std::uint32_t x = 0;
    for (int k = 0; k < kBits; ++k)
      if ((gray >> k) & 1u) x ^= V[static_cast<size_t>(d)][static_cast<size_t>(k)];
    p[static_cast<size_t>(d)] = static_cast<double>(x) / 4294967296.0;
  }
  return p;
}

}  // namespace slipway::tune
