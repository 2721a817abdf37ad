// Simple regret of slipway's samplers on the standard test functions (Branin, Hartmann6, a 4-D
// Rosenbrock, Ackley in 5 and 10 dimensions (on [-15, 30]^d: its minimum at 0 is off the centre,
// where Ax's first trial goes), Hartmann6 with Gaussian noise of sd 0.1, and a mixed
// space of two doubles, an integer and a categorical), mean and standard deviation over seeds,
// and the time one suggestion takes with 100, 300 and 1,000 trials of history. With noise, the
// regret is the true value at the best observed point: the configuration a user would keep.
// bench/hpo.sh runs it next to Optuna, scikit-optimize, BoTorch and Ax (hpo_peers*.py), which
// implement the same functions.
//   hpo_bench regret [--seeds N] [--evals N] [--algorithms a,b] [--functions f,g]
//   hpo_bench latency [--algorithms a,b] [--reps N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/strings.h"
#include "tune/sampler.h"

namespace {

using slipway::Json;

struct TestFunction {
  std::string name;
  std::vector<std::pair<double, double>> bounds;
  double minimum;
  std::function<double(const std::vector<double>&)> f;
  double noise = 0;     // sd of the Gaussian noise on each observation
  std::string params;   // the search space, when not one double per bound
};

double ackley(const std::vector<double>& x) {
  double sq = 0, cs = 0;
  for (double v : x) sq += v * v, cs += std::cos(2 * M_PI * v);
  const double n = static_cast<double>(x.size());
  return -20 * std::exp(-0.2 * std::sqrt(sq / n)) - std::exp(cs / n) + 20 + M_E;
}

// Two doubles in [0, 1], an integer in [0, 10] and a categorical of four (passed as its index):
// the minimum 0 at (0.3, 0.7, 6, "b").
double mixed(const std::vector<double>& x) {
  static const double penalty[4] = {0.4, 0.0, 0.2, 0.6};
  return std::pow(x[0] - 0.3, 2) + std::pow(x[1] - 0.7, 2) + 0.05 * std::pow(x[2] - 6, 2) +
         penalty[static_cast<int>(x[3])];
}

std::vector<TestFunction> functions() {
  const double pi = M_PI;
  TestFunction branin{"branin", {{-5, 10}, {0, 15}}, 0.397887357729738, [pi](const std::vector<double>& x) {
                        const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
                        return std::pow(x[1] - b * x[0] * x[0] + c * x[0] - 6, 2) + 10 * (1 - t) * std::cos(x[0]) + 10;
                      }, 0, ""};
  TestFunction hartmann6{"hartmann6", std::vector<std::pair<double, double>>(6, {0.0, 1.0}), -3.32236801141551, [](const std::vector<double>& x) {
                           static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
                           static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
                           static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                                          {2329, 4135, 8307, 3736, 1004, 9991},
                                                          {2348, 1451, 3522, 2883, 3047, 6650},
                                                          {4047, 8828, 8732, 5743, 1091, 381}};
                           double s = 0;
                           for (int i = 0; i < 4; ++i) {
                             double e = 0;
                             for (int j = 0; j < 6; ++j) e += A[i][j] * std::pow(x[static_cast<size_t>(j)] - P[i][j] * 1e-4, 2);
                             s -= alpha[i] * std::exp(-e);
                           }
                           return s;
                         }, 0, ""};
  TestFunction rosenbrock{"rosenbrock4", std::vector<std::pair<double, double>>(4, {-5.0, 10.0}), 0.0, [](const std::vector<double>& x) {
                            double s = 0;
                            for (size_t i = 0; i + 1 < x.size(); ++i) s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
                            return s;
                          }, 0, ""};
  TestFunction ackley5{"ackley5", std::vector<std::pair<double, double>>(5, {-15.0, 30.0}), 0.0, ackley, 0, ""};
  TestFunction ackley10{"ackley10", std::vector<std::pair<double, double>>(10, {-15.0, 30.0}), 0.0, ackley, 0, ""};
  TestFunction noisy = hartmann6;
  noisy.name = "hartmann6-noisy";
  noisy.noise = 0.1;
  TestFunction mixed_space{"mixed", {}, 0.0, mixed, 0,
                           "{x0: {type: double, min: 0, max: 1}, x1: {type: double, min: 0, max: 1}, n: {type: int, min: 0, max: 10}, "
                           "c: {type: categorical, values: [a, b, c, d]}}"};
  return {branin, hartmann6, rosenbrock, ackley5, ackley10, noisy, mixed_space};
}

slipway::tune::SweepSpec spec_for(const TestFunction& fn, const std::string& algorithm, std::uint64_t seed) {
  std::string params = fn.params.empty() ? "{" : fn.params;
  for (size_t i = 0; fn.params.empty() && i < fn.bounds.size(); ++i)
    params += (i ? ", " : "") + std::string("x") + std::to_string(i) + ": {type: double, min: " + std::to_string(fn.bounds[i].first) +
              ", max: " + std::to_string(fn.bounds[i].second) + "}";
  if (fn.params.empty()) params += "}";
  auto s = slipway::tune::parse_sweep("objective: {minimize: f}\nalgorithm: " + algorithm + "\nparameters: " + params + "\ntrial: {command: [run]}\n", "bench.yaml");
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().message().c_str());
    std::exit(2);
  }
  s->seed = seed;
  return *s;
}

std::vector<double> values_of(const slipway::tune::SweepSpec& s, const std::vector<double>& u) {
  Json v = s.space.decode(u);
  std::vector<double> x;
  for (const auto& p : s.space.params) {
    if (p.kind == slipway::tune::ParamKind::kCategorical)
      x.push_back(static_cast<double>(std::find(p.choices.begin(), p.choices.end(), v[p.name].get<std::string>()) - p.choices.begin()));
    else
      x.push_back(v[p.name].get<double>());
  }
  return x;
}

int regret(int seeds, int evals, const std::vector<std::string>& algorithms, const std::vector<std::string>& names) {
  const std::vector<int> marks = {20, 50, 100};
  for (const auto& fn : functions()) {
    if (std::find(names.begin(), names.end(), fn.name) == names.end()) continue;
    for (const auto& alg : algorithms) {
      std::vector<std::vector<double>> at(marks.size());
      for (int seed = 1; seed <= seeds; ++seed) {
        auto spec = spec_for(fn, alg, static_cast<std::uint64_t>(seed));
        auto sampler = slipway::tune::make_sampler(spec);
        std::vector<slipway::tune::Observation> hist;
        std::mt19937_64 noise_rng(static_cast<std::uint64_t>(seed) * 7919);
        std::normal_distribution<double> noise(0.0, 1.0);
        double best_seen = INFINITY, best_true = INFINITY;
        for (int i = 1; i <= evals; ++i) {
          auto points = (*sampler)->suggest(hist, 1);
          if (points.empty()) break;
          auto u = points[0];
          const double truth = fn.f(values_of(spec, u));
          const double y = truth + fn.noise * noise(noise_rng);
          if (y < best_seen) best_seen = y, best_true = truth;
          hist.push_back({u, y, true});
          for (size_t m = 0; m < marks.size(); ++m)
            if (i == marks[m]) at[m].push_back(best_true - fn.minimum);
        }
      }
      std::printf("{\"function\": \"%s\", \"sampler\": \"slipway %s\", \"seeds\": %d", fn.name.c_str(), alg.c_str(), seeds);
      for (size_t m = 0; m < marks.size(); ++m) {
        if (marks[m] > evals || at[m].empty()) continue;
        double mean = 0, sq = 0;
        for (double r : at[m]) mean += r / static_cast<double>(at[m].size());
        for (double r : at[m]) sq += (r - mean) * (r - mean);
        std::printf(", \"regret_%d\": %.6g, \"sd_%d\": %.4g", marks[m], mean, marks[m], std::sqrt(sq / static_cast<double>(at[m].size())));
        if (marks[m] != 50) continue;
        // Each seed's regret: where a few seeds stuck in a local minimum make the mean, they show it.
        std::printf(", \"seeds_50\": [");
        for (size_t k = 0; k < at[m].size(); ++k) std::printf("%s%.4g", k ? ", " : "", at[m][k]);
        std::printf("]");
      }
      std::printf("}\n");
      std::fflush(stdout);
    }
  }
  return 0;
}

// Median and mean time of one suggestion given `trials` finished trials over 4 parameters (the
// mean counts the suggestions that refit a model, which some samplers do every few trials).
int latency(const std::vector<std::string>& algorithms, int reps) {
  TestFunction four = functions()[2];
  for (const std::string& alg : algorithms)
    for (int trials : {100, 300, 1000}) {
      auto spec = spec_for(four, alg, 1);
      auto sampler = slipway::tune::make_sampler(spec);
      std::mt19937_64 rng(7);
      std::uniform_real_distribution<double> u(0.0, 1.0);
      std::vector<slipway::tune::Observation> hist;
      for (int i = 0; i < trials; ++i) {
        std::vector<double> p(4);
        for (auto& v : p) v = u(rng);
        hist.push_back({p, four.f(values_of(spec, p)), true});
      }
      std::vector<double> times;
      for (int rep = 0; rep < reps; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        auto s = (*sampler)->suggest(hist, 1);
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        hist.push_back({s[0], four.f(values_of(spec, s[0])), true});
      }
      std::sort(times.begin(), times.end());
      const double mean = std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
      std::printf("{\"sampler\": \"slipway %s\", \"trials\": %d, \"params\": 4, \"suggest_ms\": %.4g, \"mean_ms\": %.4g}\n", alg.c_str(), trials, times[times.size() / 2], mean);
      std::fflush(stdout);
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: hpo_bench regret [--seeds N] [--evals N] [--algorithms a,b] [--functions f,g] | latency [--algorithms a,b] [--reps N]\n");
    return 2;
  }
  std::string mode = argv[1];
  int seeds = 10, evals = 100, reps = 15;
  std::vector<std::string> algorithms = {"random", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes"};
  std::vector<std::string> names;
  for (const auto& f : functions()) names.push_back(f.name);
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--seeds") seeds = std::stoi(v);
    else if (k == "--evals") evals = std::stoi(v);
    else if (k == "--algorithms") algorithms = slipway::split(v, ',');
    else if (k == "--functions") names = slipway::split(v, ',');
    else if (k == "--reps") reps = std::stoi(v);
  }
  return mode == "latency" ? latency(algorithms, reps) : regret(seeds, evals, algorithms, names);
}
