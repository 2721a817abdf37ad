// A REST request taken apart: the path's segments and the query's parameters, both URL-decoded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "serve/http_types.h"

namespace slipway::api {

std::string url_decode(const std::string& s);

struct ApiRequest {
  std::string method, path, body, authorization, content_type;
  std::vector<std::string> seg;  // "/api/v1/runs/x" → {"api", "v1", "runs", "x"}
  std::map<std::string, std::string> query;

  static ApiRequest from(const serve::HttpRequest& r);
  std::string param(const std::string& name, const std::string& fallback = "") const;
  // An integer query parameter within [lo, hi]; InvalidInput names the parameter otherwise.
  Result<long long> int_param(const std::string& name, long long fallback, long long lo,
                              long long hi) const;
};

}  // namespace slipway::api
