// A small blocking HTTP/1.1 client (Boost.Beast) for slipway's own calls to a serving daemon:
// `slipway serve check`, the CLI's --server mode, and the tests. One request per connection.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace slipway::serve {

struct HttpResult {
  int status = 0;
  std::string body;
};

Result<HttpResult> http_call(const std::string& host, int port, const std::string& method,
                             const std::string& target, const std::string& body = "",
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000),
                             const std::string& authorization = "");

}  // namespace slipway::serve
