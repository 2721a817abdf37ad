#include "core/cstring_array.h"

namespace slipway {

CStringArray::CStringArray(std::vector<std::string> strings) : strings_(std::move(strings)) {
  ptrs_.reserve(strings_.size() + 1);
  for (auto& s : strings_) ptrs_.push_back(s.data());
  ptrs_.push_back(nullptr);
}

CStringArray CStringArray::environment(const std::map<std::string, std::string>& env) {
  std::vector<std::string> lines;
  lines.reserve(env.size());
  for (const auto& [k, v] : env) lines.push_back(k + "=" + v);
  return CStringArray(std::move(lines));
}

}  // namespace slipway
