// An InferenceService's `logger` (mode all|request|response): each request and/or response of a
// served version appended as one JSON line to a file, with the fields of KServe's logger
// CloudEvents (id, type org.kubeflow.serving.inference.request|response, the model and its
// version, the time) and the body. Thread-safe; a write that fails is counted and reported once,
// and never fails the request it logs.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"

namespace slipway::serve {

class RequestLogger {
 public:
  static Result<std::unique_ptr<RequestLogger>> open(const std::string& path,
                                                     const std::string& mode);
  ~RequestLogger();

  bool logs_requests() const { return mode_ != "response"; }
  bool logs_responses() const { return mode_ != "request"; }
  // `body` is logged as JSON when it parses, else as text (binary tensor data: its size).
  void log(bool request, const std::string& id, const std::string& model, int version,
           const std::string& body);

 private:
  RequestLogger(std::FILE* f, std::string path, std::string mode)
      : file_(f), path_(std::move(path)), mode_(std::move(mode)) {}
  std::mutex mu_;
  std::FILE* file_;
  std::string path_, mode_;
  bool warned_ = false;
};

}  // namespace slipway::serve
