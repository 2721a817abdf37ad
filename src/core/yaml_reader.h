// Reading a YAML configuration with errors that point at the file, line and column, reject unknown
// keys with a did-you-mean, and name the key whose value has the wrong type.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/strings.h"

namespace slipway {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }
  Status where(const YAML::Node& n, const std::string& msg) const {
    return InvalidInput(file_ + ":" + std::to_string(n.Mark().line + 1) + ":" +
                        std::to_string(n.Mark().column + 1) + ": " + msg);
  }
  Status keys(const YAML::Node& map, const std::vector<std::string>& allowed,
              const std::string& what) const {
    if (!map.IsMap()) return where(map, what + " must be a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string k = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        return where(it->first, "unknown key '" + k + "' in " + what + did_you_mean(k, allowed));
    }
    return Status::Ok();
  }
  template <typename T>
  Status get(const YAML::Node& map, const char* key, T* out, const std::string& what) const {
    const YAML::Node& cm = map;
    YAML::Node n = cm[key];
    if (!n) return Status::Ok();
    try {
      *out = n.as<T>();
    } catch (const YAML::Exception&) {
      return where(n, what + "." + key + ": '" + (n.IsScalar() ? n.Scalar() : std::string("...")) +
                          "' is not a valid value");
    }
    return Status::Ok();
  }

 private:
  std::string file_;
};

}  // namespace slipway
