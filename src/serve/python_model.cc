#include "serve/python_model.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "core/files.h"
#include "core/hash.h"
#include "core/pyenv.h"
#include "serve/python_worker.h"

namespace slipway::serve {

// src/serve/python/model_worker.py, compiled in (the build generates model_worker_source.cc).
extern const char kModelWorkerSource[];

namespace fs = std::filesystem;

namespace {

// The worker script, written once per content into `dir` (several daemons may share it).
Result<fs::path> worker_script(const fs::path& dir) {
  const std::string text = kModelWorkerSource;
  const fs::path path = dir / ("model_worker-" + sha256_hex(text).substr(0, 12) + ".py");
  if (fs::exists(path)) return path;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Failed("cannot create " + dir.string() + ": " + ec.message());
  if (Status s = write_file_atomic(path, text); !s.ok()) return s;
  return path;
}

// The shape of a nested JSON array (its first elements' lengths); ragged data is refused when
// the tensor is built.
std::vector<std::int64_t> nested_shape(const Json& j) {
  std::vector<std::int64_t> shape;
  const Json* at = &j;
  while (at->is_array()) {
    shape.push_back(static_cast<std::int64_t>(at->size()));
    if (at->empty()) break;
    at = &(*at)[0];
  }
  return shape;
}

const Json* first_leaf(const Json& j) {
  const Json* at = &j;
  while (at->is_array() && !at->empty()) at = &(*at)[0];
  return at;
}

// Row-major data back into nested lists, as KServe's v1 `predictions` carries them.
Json nest(const Json& flat, const std::vector<std::int64_t>& shape, size_t dim, size_t* at) {
  if (dim + 1 >= shape.size()) {
    Json row = Json::array();
    const std::int64_t n = shape.empty() ? 1 : shape[dim];
    for (std::int64_t i = 0; i < n && *at < flat.size(); ++i) row.push_back(flat[(*at)++]);
    return shape.empty() ? row[0] : row;
  }
  Json out = Json::array();
  for (std::int64_t i = 0; i < shape[dim]; ++i) out.push_back(nest(flat, shape, dim + 1, at));
  return out;
}

class PythonModel : public Model {
 public:
  PythonModel(WorkerLaunch launch, std::unique_ptr<PythonWorker> worker, const Json& ready,
              std::chrono::milliseconds timeout)
      : launch_(std::move(launch)), worker_(std::move(worker)), timeout_(timeout) {
    info_.kind = launch_.format;
    info_.platform = ready.value("platform", launch_.format);
    info_.batchable = true;
    info_.any_inputs = info_.any_outputs = true;
    auto specs = [](const Json& list) {
      std::vector<TensorSpec> out;
      if (list.is_array())
        for (const auto& s : list)
          out.push_back({s.value("name", std::string()), s.value("datatype", std::string()),
                         s.value("shape", std::vector<std::int64_t>{})});
      return out;
    };
    info_.inputs = specs(ready.value("inputs", Json::array()));
    info_.outputs = specs(ready.value("outputs", Json::array()));
  }

  ~PythonModel() override {
    stopping_ = true;
    if (restarter_.joinable()) restarter_.join();
  }

  const ModelInfo& info() const override { return info_; }

  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& inputs,
                                    const Json& parameters) override {
    std::unique_lock<std::mutex> l(mu_);
    if (!worker_)
      return Unavailable("the model's worker process is restarting" +
                         (last_error_.empty() ? std::string() : " (" + last_error_ + ")"));
    auto out = worker_->infer(inputs, parameters, timeout_);
    if (worker_->broken()) {
      last_error_ = out.ok() ? "" : out.status().message();
      replace_worker();
    }
    return out;
  }

  Result<std::vector<Tensor>> from_instances(const Json& instances, Json*) const override {
    const Json* leaf = first_leaf(instances);
    Tensor t;
    if (leaf->is_object()) {
      // Rows as {"column": value} objects (KServe's tabular servers make a DataFrame of them).
      t.name = "input-0";
      t.datatype = "BYTES";
      t.shape = {static_cast<std::int64_t>(instances.size())};
      for (const auto& row : instances) {
        if (!row.is_object())
          return InvalidInput("instances mix objects and other values; send one kind of row");
        t.strings.push_back(row.dump());
      }
      t.parameters = {{"content_type", "json_rows"}};
      return std::vector<Tensor>{std::move(t)};
    }
    Json spec = {{"name", "input-0"},
                 {"datatype", leaf->is_string()    ? "BYTES"
                              : leaf->is_boolean() ? "BOOL"
                                                   : "FP64"},
                 {"shape", nested_shape(instances)},
                 {"data", instances}};
    auto tensor = tensor_from_json(spec);
    if (!tensor.ok())
      return InvalidInput("instances: " + tensor.status().message() +
                          " (rows must all have the same length)");
    return std::vector<Tensor>{std::move(*tensor)};
  }

  Json to_predictions(const std::vector<Tensor>& outputs) const override {
    if (outputs.empty()) return Json::array();
    const Tensor& t = outputs[0];
    Json flat = tensor_to_json(t)["data"];
    size_t at = 0;
    return nest(flat, t.shape, 0, &at);
  }

 private:
  // Called with mu_ held: the broken worker goes now (it is killed), a new one loads in the
  // background; requests meanwhile get 503.
  void replace_worker() {
    worker_.reset();
    if (restarter_.joinable()) restarter_.join();
    restarter_ = std::thread([this] {
      for (int attempt = 0; !stopping_; ++attempt) {
        Json ready;
        auto w = PythonWorker::start(launch_, &ready);
        std::lock_guard<std::mutex> l(mu_);
        if (w.ok()) {
          worker_ = std::move(*w);
          last_error_.clear();
          return;
        }
        last_error_ = w.status().message();
        // A model that no longer loads is retried, slowly.
        for (int i = 0; i < 10 * std::min(attempt + 1, 30) && !stopping_; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }

  WorkerLaunch launch_;
  ModelInfo info_;
  std::mutex mu_;
  std::unique_ptr<PythonWorker> worker_;
  std::string last_error_;
  std::chrono::milliseconds timeout_;
  std::thread restarter_;
  std::atomic<bool> stopping_{false};
};

}  // namespace

bool python_format(const std::string& format) {
  return format == "sklearn" || format == "lightgbm" || format == "onnx" || format == "pytorch";
}

std::vector<std::string> worker_packages(const std::string& format) {
  if (format == "sklearn") return {"numpy", "pandas", "scikit-learn", "joblib"};
  if (format == "lightgbm") return {"numpy", "pandas", "lightgbm"};
  if (format == "onnx") return {"numpy", "onnxruntime"};
  if (format == "pytorch") return {"numpy", "torch"};
  return {"numpy"};
}

Result<std::unique_ptr<Model>> make_python_model(const std::string& format, const fs::path& dir,
                                                 const PythonRuntimeOptions& options,
                                                 const Json& config) {
  WorkerLaunch launch;
  launch.format = format;
  launch.model_dir = dir;
  launch.cpus = config.value("cpu_limit", 0.0);
  launch.memory_bytes = config.value("memory_limit", std::int64_t{0});
  if (config.contains("env") && config["env"].is_object())
    for (const auto& [k, v] : config["env"].items())
      launch.env.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  std::chrono::milliseconds timeout = options.timeout;
  if (config.contains("timeout_ms") && config["timeout_ms"].is_number_integer())
    timeout = std::chrono::milliseconds(config["timeout_ms"].get<std::int64_t>());
  auto script = worker_script(options.script_dir);
  if (!script.ok()) return script.status();
  launch.script = *script;
  if (auto it = options.python.find(format); it != options.python.end()) {
    launch.python = it->second;
  } else {
    auto env = ensure_pyenv(options.pyenvs, worker_packages(format));
    if (!env.ok()) return env.status();
    launch.python = (*env / "bin" / "python").string();
  }
  Json ready;
  auto worker = PythonWorker::start(launch, &ready);
  if (!worker.ok()) return worker.status();
  return std::unique_ptr<Model>(
      new PythonModel(std::move(launch), std::move(*worker), ready, timeout));
}

}  // namespace slipway::serve
