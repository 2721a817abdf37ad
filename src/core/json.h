// JSON values: the one value type every component passes around (parameters, outputs, run
// options, stored documents), so it lives at the bottom of the graph.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace slipway {

using Json = nlohmann::json;

// JSON text that never throws: invalid UTF-8 in user input is replaced, not fatal.
inline std::string dump_json(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace slipway
