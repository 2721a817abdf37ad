#include "tune/search_space.h"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <cstdio>

namespace slipway::tune {

const char* param_kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::kInt:
      return "int";
    case ParamKind::kDouble:
      return "double";
    case ParamKind::kDiscrete:
      return "discrete";
    case ParamKind::kCategorical:
      return "categorical";
  }
  return "?";
}

// How many distinct values the parameter can take (0 = a continuum): grid search enumerates these,
// and a sweep whose trial budget exceeds the product ends when the grid is exhausted.
std::uint64_t ParamSpec::cardinality() const {
  switch (kind) {
    case ParamKind::kCategorical:
      return choices.size();
    case ParamKind::kDiscrete:
      return numbers.size();
    case ParamKind::kInt:
      return static_cast<std::uint64_t>(std::floor((max - min) / std::max(1.0, step))) + 1;
    case ParamKind::kDouble:
      // The epsilon: (0.3 - 0) / 0.1 is 2.9999999999999996 in binary floating point.
      return step > 0 ? static_cast<std::uint64_t>(std::floor((max - min) / step + 1e-9)) + 1 : 0;
  }
  return 0;
}

namespace {

// [0, 1), never 1: a choice index of u * n must stay below n.
double clamp_unit(double u) { return std::clamp(u, 0.0, std::nextafter(1.0, 0.0)); }

// The standard normal's CDF and its inverse, and the probability mass of [-3σ, 3σ], where a
// normal prior is truncated.
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double normal_quantile(double q) { return -std::sqrt(2.0) * boost::math::erfc_inv(2 * q); }
const double kBelow3Sigma = normal_cdf(-3), kWithin3Sigma = normal_cdf(3) - normal_cdf(-3);

// A normal prior's warp of [0, 1]: uniform u → the position within [min, max] (0 at min, 1 at
// max) of the truncated normal's u-quantile; and back.
double normal_position(double u) {
  double z = normal_quantile(kBelow3Sigma + std::clamp(u, 0.0, 1.0) * kWithin3Sigma);
  return std::clamp((z + 3) / 6, 0.0, 1.0);
}
double normal_unit(double position) {
  return (normal_cdf(6 * position - 3) - kBelow3Sigma) / kWithin3Sigma;
}

// u → a number in [min, max], through the prior and the log warp; then snapped to the step grid.
double number_of(const ParamSpec& p, double u) {
  if (p.normal) u = normal_position(u);
  double v = p.log ? std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min)))
                   : p.min + u * (p.max - p.min);
  double step = p.kind == ParamKind::kInt ? std::max(1.0, p.step) : p.step;
  if (step > 0) v = p.min + std::round((v - p.min) / step) * step;
  return std::clamp(v, p.min, p.max);
}

double unit_of_number(const ParamSpec& p, double v) {
  if (p.max <= p.min) return 0.5;
  double position = p.log ? (std::log(v) - std::log(p.min)) / (std::log(p.max) - std::log(p.min))
                          : (v - p.min) / (p.max - p.min);
  return p.normal ? normal_unit(position) : position;
}

}  // namespace

Json SearchSpace::value_of(const ParamSpec& p, double u) const {
  u = clamp_unit(u);
  switch (p.kind) {
    case ParamKind::kCategorical:
      return p.choices[static_cast<size_t>(u * static_cast<double>(p.choices.size()))];
    case ParamKind::kDiscrete:
      return p.numbers[static_cast<size_t>(u * static_cast<double>(p.numbers.size()))];
    case ParamKind::kInt:
      return static_cast<std::int64_t>(std::llround(number_of(p, u)));
    case ParamKind::kDouble:
      return number_of(p, u);
  }
  return nullptr;
}

double SearchSpace::unit_of(const ParamSpec& p, const Json& value) const {
  switch (p.kind) {
    // A choice maps to the middle of its cell, so the round trip value_of(unit_of(x)) is x even
    // after a sampler nudges the point a little.
    case ParamKind::kCategorical: {
      std::string s = value.is_string() ? value.get<std::string>() : value.dump();
      auto it = std::find(p.choices.begin(), p.choices.end(), s);
      size_t i = it == p.choices.end() ? 0 : static_cast<size_t>(it - p.choices.begin());
      return (static_cast<double>(i) + 0.5) / static_cast<double>(p.choices.size());
    }
    case ParamKind::kDiscrete: {
      double v = value.is_number() ? value.get<double>() : 0.0;
      size_t best = 0;
      for (size_t i = 1; i < p.numbers.size(); ++i)
        if (std::fabs(p.numbers[i] - v) < std::fabs(p.numbers[best] - v)) best = i;
      return (static_cast<double>(best) + 0.5) / static_cast<double>(p.numbers.size());
    }
    case ParamKind::kInt:
    case ParamKind::kDouble:
      return clamp_unit(unit_of_number(p, value.is_number() ? value.get<double>() : p.min));
  }
  return 0.5;
}

Json SearchSpace::decode(const std::vector<double>& u) const {
  Json out = Json::object();
  for (size_t i = 0; i < params.size(); ++i)
    out[params[i].name] = value_of(params[i], i < u.size() ? u[i] : 0.5);
  return out;
}

std::vector<double> SearchSpace::encode(const Json& values) const {
  std::vector<double> u(params.size(), 0.5);
  for (size_t i = 0; i < params.size(); ++i)
    if (values.contains(params[i].name)) u[i] = unit_of(params[i], values[params[i].name]);
  return u;
}

std::string SearchSpace::format(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_number()) {
    double v = value.get<double>();
    char buf[40];
    for (int precision = 6; precision <= 17;
         ++precision) {  // the shortest form that reads back exactly
      std::snprintf(buf, sizeof buf, "%.*g", precision, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
  }
  return value.dump();
}

Result<std::vector<Json>> SearchSpace::grid(std::uint64_t limit) const {
  std::vector<std::vector<Json>> axes;
  std::uint64_t total = 1;
  for (const auto& p : params) {
    std::uint64_t n = p.cardinality();
    if (n == 0)
      return InvalidInput(
          "grid search needs a finite set of values: parameter '" + p.name +
          "' is a continuous double; give it feasibleSpace.step (or list its values as discrete)");
    std::vector<Json> axis;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (p.kind == ParamKind::kCategorical)
        axis.push_back(p.choices[i]);
      else if (p.kind == ParamKind::kDiscrete)
        axis.push_back(p.numbers[i]);
      else {
        double v = p.min + static_cast<double>(i) *
                               (p.kind == ParamKind::kInt ? std::max(1.0, p.step) : p.step);
        if (p.kind == ParamKind::kInt)
          axis.push_back(static_cast<std::int64_t>(std::llround(v)));
        else
          axis.push_back(v);
      }
    }
    total *= n;
    if (total > limit)
      return InvalidInput("the grid has more than " + std::to_string(limit) +
                          " points; coarsen the steps or use another algorithm");
    axes.push_back(std::move(axis));
  }
  std::vector<Json> points;
  std::vector<size_t> idx(axes.size(), 0);
  for (std::uint64_t k = 0; k < total; ++k) {
    Json point = Json::object();
    for (size_t d = 0; d < axes.size(); ++d) point[params[d].name] = axes[d][idx[d]];
    points.push_back(std::move(point));
    for (size_t d = axes.size(); d-- > 0;) {  // the last parameter varies fastest
      if (++idx[d] < axes[d].size()) break;
      idx[d] = 0;
    }
  }
  return points;
}

Status SearchSpace::validate() const {
  if (params.empty()) return InvalidInput("the sweep has no parameters to search");
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamSpec& p = params[i];
    for (size_t j = 0; j < i; ++j)
      if (params[j].name == p.name)
        return InvalidInput("parameter '" + p.name + "' is defined twice");
    const std::string where = "parameter '" + p.name + "' (" + param_kind_name(p.kind) + ")";
    if (p.kind == ParamKind::kCategorical && p.choices.empty())
      return InvalidInput(where + " has an empty list");
    if (p.kind == ParamKind::kDiscrete && p.numbers.empty())
      return InvalidInput(where + " has an empty list");
    if (p.kind == ParamKind::kInt || p.kind == ParamKind::kDouble) {
      if (!(p.min <= p.max))
        return InvalidInput(where + ": min " + std::to_string(p.min) + " is above max " +
                            std::to_string(p.max));
      if (p.step < 0) return InvalidInput(where + ": step must not be negative");
      if (p.log && p.min <= 0)
        return InvalidInput(where + ": a log scale needs min > 0, got " + std::to_string(p.min));
      if (p.kind == ParamKind::kInt && (p.min != std::floor(p.min) || p.max != std::floor(p.max)))
        return InvalidInput(where + ": min and max must be whole numbers");
    }
  }
  return Status::Ok();
}

}  // namespace slipway::tune
