// The NULL-terminated `char*` arrays that execve and posix_spawn take (argv, envp), holding their
// own copies of the strings for as long as the array lives.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace slipway {

class CStringArray {
 public:
  explicit CStringArray(std::vector<std::string> strings);
  // "NAME=VALUE" for each variable: an envp.
  static CStringArray environment(const std::map<std::string, std::string>& env);

  CStringArray(const CStringArray&) = delete;
  CStringArray& operator=(const CStringArray&) = delete;
  CStringArray(CStringArray&&) = default;

  char* const* data() const { return ptrs_.data(); }
  const char* front() const { return ptrs_.front(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> ptrs_;
};

}  // namespace slipway
