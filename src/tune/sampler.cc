#include "tune/sampler.h"

#include <random>
#include <set>

#include "tune/pbt.h"

namespace slipway::tune {

std::uint64_t trial_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + index + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

namespace {

class RandomSampler : public Sampler {
 public:
  RandomSampler(std::uint64_t seed, size_t dims) : seed_(seed), dims_(dims) {}
  std::vector<std::vector<double>> suggest(const std::vector<Observation>& history,
                                           int n) override {
    std::vector<std::vector<double>> out;
    for (int k = 0; k < n; ++k) {
      std::mt19937_64 rng(trial_seed(seed_, history.size() + static_cast<size_t>(k)));
      std::uniform_real_distribution<double> u(0.0, 1.0);
      std::vector<double> p(dims_);
      for (auto& x : p) x = u(rng);
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  std::uint64_t seed_;
  size_t dims_;
};

// Every point of the grid once, in order; points already tried (after a resume) are skipped.
class GridSampler : public Sampler {
 public:
  GridSampler(const SearchSpace& space, std::vector<Json> points) {
    for (const auto& p : points) points_.push_back(space.encode(p));
  }
  std::vector<std::vector<double>> suggest(const std::vector<Observation>& history,
                                           int n) override {
    std::set<std::vector<double>> tried;
    for (const auto& h : history) tried.insert(h.u);
    std::vector<std::vector<double>> out;
    for (const auto& p : points_) {
      if (static_cast<int>(out.size()) >= n) break;
      if (!tried.count(p)) out.push_back(p);
    }
    return out;
  }

 private:
  std::vector<std::vector<double>> points_;
};

// Sobol points from index 1 (index 0 is the cube's corner), scrambled by a seeded random shift
// modulo 1 so different seeds give different, equally uniform designs.
class SobolSampler : public Sampler {
 public:
  SobolSampler(std::uint64_t seed, int dims) : dims_(dims) {
    std::mt19937_64 rng(trial_seed(seed, 0xC0B0));
    std::uniform_real_distribution<double> u(0.0, 1.0);
    shift_.resize(static_cast<size_t>(dims));
    for (auto& s : shift_) s = u(rng);
  }
  std::vector<std::vector<double>> suggest(const std::vector<Observation>& history,
                                           int n) override {
    std::vector<std::vector<double>> out;
    for (int k = 0; k < n; ++k) {
      auto p = sobol_point(history.size() + static_cast<size_t>(k) + 1, dims_);
      for (size_t d = 0; d < p.size(); ++d) p[d] = std::fmod(p[d] + shift_[d], 1.0);
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  int dims_;
  std::vector<double> shift_;
};

}  // namespace

Result<std::unique_ptr<Sampler>> make_sampler(const SweepSpec& spec) {
  const std::string& name = spec.algorithm.name;
  const size_t dims = spec.space.dims();
  if (name == "random") return std::unique_ptr<Sampler>(new RandomSampler(spec.seed, dims));
  if (name == "grid") {
    auto points = spec.space.grid(1'000'000);
    if (!points.ok()) return points.status();
    return std::unique_ptr<Sampler>(new GridSampler(spec.space, std::move(*points)));
  }
  if (name == "sobol") {
    if (dims > static_cast<size_t>(kSobolMaxDims))
      return InvalidInput("sobol supports up to " + std::to_string(kSobolMaxDims) +
                          " parameters; this sweep has " + std::to_string(dims));
    return std::unique_ptr<Sampler>(new SobolSampler(spec.seed, static_cast<int>(dims)));
  }
  if (name == "tpe") return make_tpe_sampler(spec, false);
  if (name == "multivariate-tpe") return make_tpe_sampler(spec, true);
  if (name == "bayesianoptimization") return make_gp_sampler(spec);
  if (name == "cmaes") return make_cma_es_sampler(spec);
  // asha and hyperband decide budgets and promotions; new configurations are drawn by
  // `settings.sampler` (default random, as in the papers).
  if (name == "asha" || name == "hyperband") {
    SweepSpec inner = spec;
    inner.algorithm.name = spec.algorithm.setting("sampler", "random");
    if (inner.algorithm.name == "asha" || inner.algorithm.name == "hyperband" ||
        inner.algorithm.name == "grid")
      return InvalidInput("settings.sampler of " + name +
                          " must be random, sobol, tpe, multivariate-tpe or bayesianoptimization");
    return make_sampler(inner);
  }
  // pbt decides generations, exploits and explores (pbt.h); its first generation is drawn by
  // `settings.sampler` (default random, as Katib's).
  if (name == "pbt") {
    auto settings = pbt_settings(spec);
    if (!settings.ok()) return settings.status();
    SweepSpec inner = spec;
    inner.algorithm.name = spec.algorithm.setting("sampler", "random");
    if (inner.algorithm.name != "random" && inner.algorithm.name != "sobol")
      return InvalidInput("settings.sampler of pbt must be random or sobol");
    return make_sampler(inner);
  }
  return InvalidInput("algorithm '" + name + "' is not known");
}

}  // namespace slipway::tune
