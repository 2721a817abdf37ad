#include "spec/pipeline_spec.h"

#include <algorithm>
#include <cmath>

#include "core/param_type.h"
#include "core/units.h"

namespace slipway::spec {

Status set_resource(Resources* r, const std::string& what, const std::string& text) {
  if (what == "cpu") {
    auto m = parse_millicpus(text);
    if (!m.ok()) return m.status();
    r->millicpus = *m;
  } else if (what == "memory") {
    auto m = parse_memory_bytes(text);
    if (!m.ok()) return m.status();
    r->memory_bytes = *m;
  } else if (what == "gpus") {
    auto g = coerce_param(Json(text), ParamType::kInt);
    if (!g.ok() || *g < 0 || *g > 1024)
      return InvalidInput("a GPU count is a whole number from 0 to 1024, not '" + text + "'");
    r->gpus = g->get<int>();
  } else {
    return InvalidInput("no resource '" + what + "' (cpu, memory, gpus)");
  }
  return Status::Ok();
}

std::string SourceLoc::to_string() const {
  std::string s = file.empty() ? "<input>" : file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  return s;
}

const IoDecl* Component::input(const std::string& n) const {
  for (const auto& d : inputs)
    if (d.name == n) return &d;
  return nullptr;
}

const IoDecl* Component::output(const std::string& n) const {
  for (const auto& d : outputs)
    if (d.name == n) return &d;
  return nullptr;
}

std::int64_t RetryPolicy::delay_before(int next_attempt) const {
  if (next_attempt <= 1) return 0;
  double d = static_cast<double>(backoff_ms) * std::pow(factor, next_attempt - 2);
  return std::min<std::int64_t>(max_backoff_ms, static_cast<std::int64_t>(d));
}

const IoDecl* PipelineSpec::param(const std::string& n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

const Task* PipelineSpec::task(const std::string& n) const {
  for (const auto& t : tasks)
    if (t.name == n) return &t;
  return nullptr;
}

const Component* PipelineSpec::component_of(const Task& t) const {
  auto it = components.find(t.component);
  return it == components.end() ? nullptr : &it->second;
}

// A task's own unnamed loop gets an id no loop name can equal (names are identifiers).
static std::string own_loop_id(const Task& t) { return t.loop.empty() ? "task " + t.name : t.loop; }

std::vector<LoopLevel> loop_chain(const Task& t) {
  if (!t.for_each) return {};
  std::vector<LoopLevel> chain = t.outer_loops;
  chain.push_back({own_loop_id(t), *t.for_each, t.parallelism, t.for_each_loc});
  return chain;
}

size_t common_loop_depth(const Task& a, const Task& b) {
  if (!a.for_each || !b.for_each) return 0;
  auto id = [](const Task& t, size_t i) {
    return i < t.outer_loops.size() ? t.outer_loops[i].id : own_loop_id(t);
  };
  size_t na = a.outer_loops.size() + 1, nb = b.outer_loops.size() + 1, k = 0;
  while (k < na && k < nb && id(a, k) == id(b, k)) ++k;
  return k;
}

}  // namespace slipway::spec
