// What the HTTP transport hands to an application and takes back: one request, one response, and
// the handler interface that the serving daemon's Service and the server's API implement.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace slipway::serve {

struct HttpRequest {
  std::string method, target, body;
  std::string authorization;  // the Authorization header, "" when absent
  std::string content_type;   // the Content-Type header, "" when absent
  // The OIP binary tensor data extension's Inference-Header-Content-Length: how many leading
  // bytes of the body are JSON ("" when absent: all of it).
  std::string inference_header_length;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>>
      headers;  // extra headers (Content-Disposition, Cache-Control)
};

// Called exactly once per request, from any thread.
using Reply = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void handle(const HttpRequest& req, Reply reply) = 0;
  // The server has begun a graceful shutdown: readiness probes should start failing.
  virtual void set_draining() {}
};

}  // namespace slipway::serve
