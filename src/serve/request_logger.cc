#include "serve/request_logger.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/clock.h"
#include "core/json.h"

namespace slipway::serve {

Result<std::unique_ptr<RequestLogger>> RequestLogger::open(const std::string& path,
                                                           const std::string& mode) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return Failed("cannot open the request log " + path + ": " + std::strerror(errno));
  return std::unique_ptr<RequestLogger>(new RequestLogger(f, path, mode));
}

RequestLogger::~RequestLogger() { std::fclose(file_); }

void RequestLogger::log(bool request, const std::string& id, const std::string& model, int version,
                        const std::string& body) {
  Json parsed = Json::parse(body, nullptr, false);
  Json record = {{"id", id},
                 {"type", request ? "org.kubeflow.serving.inference.request"
                                  : "org.kubeflow.serving.inference.response"},
                 {"time", iso8601_ms(now_ms())},
                 {"model", model},
                 {"version", std::to_string(version)}};
  if (!parsed.is_discarded())
    record["body"] = std::move(parsed);
  else
    record["body_bytes"] = body.size();  // binary tensor data is not copied into the log
  const std::string line = record.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> l(mu_);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    if (!warned_)
      std::fprintf(stderr, "slipway serve: warning: cannot write the request log %s: %s\n",
                   path_.c_str(), std::strerror(errno));
    warned_ = true;
  }
}

}  // namespace slipway::serve
