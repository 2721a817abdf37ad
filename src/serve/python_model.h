// Models that only Python can load (scikit-learn, LightGBM, ONNX through onnxruntime, TorchScript
// through torch), served by a worker process the daemon starts and supervises
// (python_worker.h). HTTP, both protocols, batching and metrics stay in the daemon; the worker
// runs batches. A worker that dies or hangs past the request timeout is replaced in the
// background; its model answers 503 meanwhile and every other model is untouched.
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
