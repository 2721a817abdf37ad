// `slipway server`'s HTTP application: the REST API under /api/v1 (JSON) and the dashboard's
// static files, over the same store the CLI uses. Every /api/v1 request but /api/v1/healthz is
// authenticated (unless auth is off) and confined to its token's namespace.
//
// Thread-safe: each I/O thread opens its own connection to the store (SQLite in WAL mode lets
// them read while a driver writes).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "serve/http_types.h"

namespace slipway::api {

struct ApiOptions {
  std::filesystem::path home;     // the store ($SLIPWAY_HOME)
  std::filesystem::path web_dir;  // the dashboard's files (web/)
  bool auth = true;
  std::string version;
};

class ApiService : public serve::HttpHandler {
 public:
  explicit ApiService(ApiOptions options) : options_(std::move(options)) {}
  void handle(const serve::HttpRequest& req, serve::Reply reply) override;
  void set_draining() override { draining_ = true; }

 private:
  ApiOptions options_;
  std::atomic<bool> draining_{false};
};

}  // namespace slipway::api
