// KServe InferenceService files (serving.kserve.io/v1beta1), read as they are for `slipway serve
// -f` and `slipway models deploy -f`. Both predictor forms are read: the framework key
// (`predictor.sklearn: {storageUri}`) and `predictor.model: {modelFormat: {name}, storageUri}`.
//
// A custom predictor (`predictor.containers`, one container whose image was built from a Python
// file defining a kserve.Model subclass) reads as format `custom`: the serve config names the
// file each image was built from, and slipway runs that file.
//
// Every field is honoured, named in a warning (Kubernetes-only placement, kept for
// `--backend k8s`), or refused with FILE:LINE and the reason: a predictor this daemon cannot run
// (Triton's or Hugging Face's runtimes, TensorFlow, a runtime's container overridden), a
// transformer or explainer, a file that is not an InferenceService. Nothing is dropped silently.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::serve {

struct PredictorSpec {
  std::string format;            // sklearn, xgboost, lightgbm, onnx, pytorch, custom
  std::string image;             // custom: the container image (the serve config maps it to a file)
  std::string storage_uri;       // as written
  std::string protocol_version;  // v1, v2 or "" (both protocols are served either way)
  int min_replicas = 1, max_replicas = 1;
  int scale_target = 0;      // concurrent requests per worker before another starts (0: unset)
  std::string scale_metric;  // concurrency (rps is read as concurrency and warned about)
  std::optional<int> canary_traffic_percent;
  std::optional<int> batch_max_size, batch_max_latency_ms;  // predictor.batcher
  std::optional<int> timeout_seconds;
  std::string logger_mode, logger_url;  // all, request, response
  double cpu_limit = 0;                 // cores (resources.limits.cpu, else requests.cpu)
  std::int64_t memory_limit = 0;        // bytes (resources.limits.memory)
  std::vector<std::pair<std::string, std::string>> env;  // the model container's env
};

struct InferenceService {
  std::string name, namespace_;
  PredictorSpec predictor;
  std::string where;                  // FILE:LINE of the document
  std::vector<std::string> warnings;  // "FILE:LINE: field: why it is not applied here"
};

// Each document of the file. A document that cannot be served is an error naming FILE:LINE.
Result<std::vector<InferenceService>> read_inference_services(const std::string& path);

}  // namespace slipway::serve
