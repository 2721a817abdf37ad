// The cmaes algorithm as a sampler. A sampler is a function of the history, so the strategy is
// replayed from it on every suggestion: the history's trials, in order, fill generation after
// generation of popsize trials, and a generation is told to CMA-ES when all its trials have
// finished. A generation's trials are all drawn from its own distribution, so a new generation
// waits for the last trial of the one before (the controller then leaves a slot idle); a failed
// trial leaves the history, and its generation draws a replacement. Points live in the unit cube
// (integer, discrete and categorical parameters take the cell the point falls in).
//
// Settings (Katib's and Optuna's names): sigma, the initial step size as a fraction of each
// parameter's range (default 1/6: the range is ±3σ around its middle, where the search starts);
// popsize (default 4 + ⌊3 ln n⌋, raised to the sweep's parallel trial count so no slot waits
// within a generation); restart_strategy none, ipop (restart with twice the population when
// CMA-ES stops making progress) or bipop (alternating large and small populations, Hansen 2009);
// inc_popsize (default 2).
#include <cmath>
#include <random>
#include <string>

#include "tune/cma_es.h"
#include "tune/sampler.h"

namespace slipway::tune {

namespace {

class CmaEsSampler : public Sampler {
 public:
  CmaEsSampler(std::uint64_t seed, size_t dims, double sigma0, int popsize0, std::string restart,
               int inc_popsize)
      : seed_(seed),
        dims_(dims),
        sigma0_(sigma0),
        popsize0_(popsize0),
        restart_(std::move(restart)),
        inc_popsize_(inc_popsize) {}

  std::vector<std::vector<double>> suggest(const std::vector<Observation>& history,
                                           int n) override {
    CmaEs es(std::vector<double>(dims_, 0.5), sigma0_, popsize0_);
    Regimes regimes;
    std::vector<const Observation*> pool;  // the current generation's trials, in order
    for (const Observation& o : history) {
      pool.push_back(&o);
      std::vector<std::pair<std::vector<double>, double>> done;
      for (const Observation* p : pool)
        if (p->finished) done.emplace_back(p->u, p->loss);
      if (static_cast<int>(done.size()) < es.popsize()) continue;
      done.resize(static_cast<size_t>(es.popsize()));
      es.tell(std::move(done));
      pool.clear();
      if (restart_ != "none" && es.should_stop()) es = restarted(es, regimes);
    }
    std::vector<std::vector<double>> out;
    for (int k = 0; k < n && static_cast<int>(pool.size() + out.size()) < es.popsize(); ++k) {
      std::mt19937_64 rng(trial_seed(seed_, history.size() + static_cast<size_t>(k)));
      out.push_back(es.ask(rng));
    }
    return out;
  }

 private:
  // BIPOP's bookkeeping: evaluations spent in each regime, and restarts so far.
  struct Regimes {
    int restarts = 0;
    long small_evals = 0, large_evals = 0;
    bool small = false;  // the first run is the default, large regime
  };

  CmaEs restarted(const CmaEs& stopped, Regimes& r) const {
    const long evals = static_cast<long>(stopped.popsize()) * stopped.generation();
    (r.small ? r.small_evals : r.large_evals) += evals;
    ++r.restarts;
    std::mt19937_64 rng(trial_seed(seed_, 0xC3A0000ull + static_cast<std::uint64_t>(r.restarts)));
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> mean(dims_);
    for (auto& m : mean) m = unit(rng);
    const double grown = std::pow(inc_popsize_, r.restarts);
    double sigma = sigma0_;
    int popsize = static_cast<int>(popsize0_ * grown);
    if (restart_ == "bipop") {
      r.small = r.small_evals < r.large_evals;
      if (r.small) {
        const double u1 = unit(rng), u2 = unit(rng);
        popsize = static_cast<int>(std::floor(popsize0_ * std::pow(grown / 2, u1 * u1)));
        sigma = sigma0_ * std::pow(10.0, -2.0 * u2);
      }
    }
    return CmaEs(std::move(mean), sigma, std::max(popsize, popsize0_ / 2));
  }

  std::uint64_t seed_;
  size_t dims_;
  double sigma0_;
  int popsize0_;
  std::string restart_;
  int inc_popsize_;
};

}  // namespace

Result<std::unique_ptr<Sampler>> make_cma_es_sampler(const SweepSpec& spec) {
  const size_t dims = spec.space.dims();
  if (dims < 1) return InvalidInput("cmaes needs at least one parameter");
  double sigma = 1.0 / 6;
  int popsize = 0, inc = 2;
  const std::string restart = spec.algorithm.setting("restart_strategy", "none");
  try {
    sigma = std::stod(spec.algorithm.setting("sigma", "0.16666666666666666"));
    popsize = std::stoi(spec.algorithm.setting("popsize", "0"));
    inc = std::stoi(spec.algorithm.setting("inc_popsize", "2"));
  } catch (const std::exception&) {
    return InvalidInput(
        "cmaes settings sigma, popsize and inc_popsize must be numbers (sigma a fraction of "
        "each parameter's range, e.g. 0.2)");
  }
  if (!(sigma > 0 && sigma <= 1))
    return InvalidInput(
        "cmaes setting sigma must be in (0, 1]: a fraction of each parameter's "
        "range; it is " +
        spec.algorithm.setting("sigma", ""));
  if (popsize < 0 || popsize == 1) return InvalidInput("cmaes setting popsize must be 2 or more");
  if (inc < 2) return InvalidInput("cmaes setting inc_popsize must be 2 or more");
  if (restart != "none" && restart != "ipop" && restart != "bipop")
    return InvalidInput("cmaes setting restart_strategy must be none, ipop or bipop; it is '" +
                        restart + "'");
  if (popsize == 0) popsize = CmaEs(std::vector<double>(dims, 0.5), sigma).popsize();
  popsize = std::max(popsize, spec.parallel);
  return std::unique_ptr<Sampler>(new CmaEsSampler(spec.seed, dims, sigma, popsize, restart, inc));
}

}  // namespace slipway::tune
