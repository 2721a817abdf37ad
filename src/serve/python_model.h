// Models that only Python can load (scikit-learn, LightGBM, ONNX through onnxruntime, TorchScript
// through torch), served by worker processes the daemon starts and supervises
// (python_worker.h). HTTP, both protocols, batching and metrics stay in the daemon; each worker
// runs one batch at a time. The pool scales between the version's min_replicas and max_replicas
// (config.json, from the InferenceService), down to none when min is 0. A worker that dies or
// hangs past the request timeout is killed: the call that found it answers 503, the pool is
// brought back to its minimum, and every other model is untouched.
//
// Each format's worker runs in a reused virtual environment with the packages it needs
// (core/pyenv.h, as KFP Python components do), or under an interpreter the serve config names
// for that format (a site's module-loaded Python that already has torch, say).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "serve/model.h"

namespace slipway::serve {

struct PythonRuntimeOptions {
  std::filesystem::path pyenvs;               // the venvs' root (core/pyenv.h)
  std::map<std::string, std::string> python;  // format → an interpreter to use as it is
  std::filesystem::path script_dir;           // where model_worker.py is written out
  std::chrono::milliseconds timeout{60'000};  // one batch, at most
  // How long a worker over the version's min_replicas stays idle before it is stopped (the
  // version's config.json may set scale_down_after_ms).
  std::chrono::milliseconds idle_timeout{60'000};
  // scikit-learn's linear models and trees evaluated in the daemon (sklearn_native.h); false
  // keeps every call in the worker (to measure it, or to rule the native path out).
  bool sklearn_native = true;
};

// The formats a Python worker serves, and the pip packages each needs.
bool python_format(const std::string& format);
std::vector<std::string> worker_packages(const std::string& format);

// Starts a worker for the model in `dir` and waits until it has loaded; the loader's own error
// when it cannot. The version's config.json may set timeout_ms, cpu_limit, memory_limit and env.
Result<std::unique_ptr<Model>> make_python_model(const std::string& format,
                                                 const std::filesystem::path& dir,
                                                 const PythonRuntimeOptions& options,
                                                 const Json& config);

}  // namespace slipway::serve
