// A sweep's search space: named parameters of four kinds (Katib's: int, double, discrete,
// categorical), each with its bounds or values, optionally log-scaled, and with a uniform or a
// normal prior (Katib's feasibleSpace.distribution). Samplers work in the unit cube: every
// parameter maps to [0, 1) and back, log-warped where it is log-scaled and warped by the normal's
// quantiles where its prior is normal, so uniform draws in the cube follow the prior and a
// sampler never needs to know the kinds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace slipway::tune {

enum class ParamKind { kInt, kDouble, kDiscrete, kCategorical };

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kDouble;
  double min = 0, max = 0, step = 0;  // int and double (step 0: continuous double, 1 for int)
  bool log = false;                   // sample log(value) uniformly
  // Katib's normal and logNormal: a normal (of the value, or of its log) centred on the middle of
  // [min, max] with σ a sixth of the range, as Katib's suggestion services set it (min and max at
  // ±3σ); truncated there, so no trial leaves the range its author wrote.
  bool normal = false;
  std::vector<double> numbers;       // discrete
  std::vector<std::string> choices;  // categorical

  // How many distinct values the parameter has (0: continuous).
  std::uint64_t cardinality() const;
  bool is_numeric_ordered() const { return kind != ParamKind::kCategorical; }
};

const char* param_kind_name(ParamKind k);

class SearchSpace {
 public:
  std::vector<ParamSpec> params;

  size_t dims() const { return params.size(); }
  // u in [0, 1) per parameter → values {name: number or string}.
  Json decode(const std::vector<double>& u) const;
  // Values → the centre of their cell in [0, 1) (the inverse of decode up to the grid).
  std::vector<double> encode(const Json& values) const;
  // One parameter's value from u, and back.
  Json value_of(const ParamSpec& p, double u) const;
  double unit_of(const ParamSpec& p, const Json& value) const;
  // The value as a trial command sees it: numbers in their shortest exact form, choices as is.
  static std::string format(const Json& value);
  // Every combination, for grid search; empty with an error when a continuous parameter has no
  // step or the grid is larger than `limit`.
  Result<std::vector<Json>> grid(std::uint64_t limit) const;
  // Checks bounds, steps and lists; the message names the parameter.
  Status validate() const;
};

}  // namespace slipway::tune
