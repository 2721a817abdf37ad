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

// Where a request goes. With `tls` the connection is HTTPS: the server's certificate must chain
// to `ca_file` (a PEM bundle) when one is given, else to the system's CAs, and name `host`.
struct HttpEndpoint {
  std::string host;
  int port = 0;
  bool tls = false;
  std::string ca_file;
};

Result<HttpResult> http_call(const HttpEndpoint& to, const std::string& method,
                             const std::string& target, const std::string& body = "",
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000),
                             const std::string& authorization = "");

// Plain HTTP to host:port.
inline Result<HttpResult> http_call(
    const std::string& host, int port, const std::string& method, const std::string& target,
    const std::string& body = "",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000),
    const std::string& authorization = "") {
  return http_call(HttpEndpoint{host, port, false, ""}, method, target, body, timeout,
                   authorization);
}

}  // namespace slipway::serve
