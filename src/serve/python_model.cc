#include "serve/python_model.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/files.h"
#include "core/hash.h"
#include "core/pyenv.h"
#include "core/strings.h"
#include "serve/python_worker.h"
#include "serve/sklearn_native.h"

namespace slipway::serve {

// src/serve/python/model_worker.py, compiled in (the build generates model_worker_source.cc).
extern const char kModelWorkerSource[];

namespace fs = std::filesystem;

namespace {

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

// Scaling, as KServe's predictor fields say: at least min_replicas workers, at most
// max_replicas, and in between one per scale_target requests in flight (queued or running, as
// the batcher counts them): a call that finds every worker busy starts another when the demand
// says so, else waits for one. A worker idle for idle_timeout goes while more than min_replicas
// run (down to none when min is 0: the next call starts one, a cold start).
struct Scaling {
  int min_replicas = 1, max_replicas = 1, scale_target = 1;
  std::chrono::milliseconds idle_timeout{60'000};
};

class PythonModel : public Model {
 public:
  PythonModel(WorkerLaunch launch, std::unique_ptr<PythonWorker> first, const Json& ready,
              std::unique_ptr<SklearnNative> native, std::chrono::milliseconds timeout,
              Scaling scaling)
      : launch_(std::move(launch)),
        native_(std::move(native)),
        timeout_(timeout),
        scaling_(scaling) {
    info_.kind = launch_.format;
    info_.platform = ready.value("platform", launch_.format);
    // A custom predictor's predict is the user's code: it is handed each request as sent.
    custom_ = launch_.format == "custom";
    info_.batchable = !custom_;
    info_.any_inputs = info_.any_outputs = true;
    info_.concurrency = scaling_.max_replicas;
    // A natively evaluated model answers in microseconds: on the thread that read the request.
    // (An input it leaves to the worker then waits there: rare, an error's path.)
    info_.run_inline = native_ != nullptr;
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
    idle_.push_back({std::move(first), Clock::now()});
    keeper_ = std::thread([this] { keep(); });
  }

  ~PythonModel() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    keeper_.join();
  }

  const ModelInfo& info() const override { return info_; }

  void set_demand(int requests_in_flight) override { demand_ = requests_in_flight; }

  void report_to(Metrics* metrics, const Labels& labels) override {
    metrics_ = metrics;
    labels_ = labels;
  }

  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& inputs,
                                    const Json& parameters) override {
    if (native_ && inputs.size() == 1)
      if (auto out = native_->predict(inputs[0])) return std::vector<Tensor>{std::move(*out)};
    auto worker = checkout();
    if (!worker.ok()) return worker.status();
    PythonWorker::Timing timing;
    auto out = (*worker)->infer(inputs, parameters, timeout_, &timing);
    if (metrics_ && timing.round_trip_seconds > 0) {
      metrics_->observe("slipway_worker_hop_seconds", labels_,
                        std::max(0.0, timing.round_trip_seconds - timing.model_seconds));
      metrics_->observe("slipway_worker_model_seconds", labels_, timing.model_seconds);
    }
    std::lock_guard<std::mutex> l(mu_);
    --busy_;
    // A broken worker is dropped (the keeper brings the pool back to its minimum).
    if (!(*worker)->broken()) idle_.push_back({std::move(*worker), Clock::now()});
    cv_.notify_all();
    return out;  // (a broken worker is killed and reaped as `worker` goes, after the lock)
  }

  Result<std::vector<Tensor>> from_instances(const Json& instances, Json*) const override {
    const Json* leaf = first_leaf(instances);
    Tensor t;
    if (custom_ || leaf->is_object()) {
      // Rows as {"column": value} objects (KServe's tabular servers make a DataFrame of them).
      t.name = "input-0";
      t.datatype = "BYTES";
      t.shape = {static_cast<std::int64_t>(instances.size())};
      for (const auto& row : instances) {
        if (!custom_ && !row.is_object())
          return InvalidInput("instances mix objects and other values; send one kind of row");
        t.strings.push_back(row.dump());
      }
      t.parameters = {{"content_type", "json_rows"}};
      if (custom_) t.parameters["protocol"] = "v1";
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
    if (t.is_bytes() && t.parameters.value("content_type", "") == "json_rows") {
      Json rows = Json::array();
      for (const auto& s : t.strings) rows.push_back(Json::parse(s, nullptr, false));
      return rows;
    }
    Json flat = tensor_to_json(t)["data"];
    size_t at = 0;
    return nest(flat, t.shape, 0, &at);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Idle {
    std::unique_ptr<PythonWorker> worker;
    Clock::time_point since;
  };

  int workers() const { return static_cast<int>(idle_.size()) + busy_ + starting_; }

  // An idle worker, else a new one when the pool may grow, else the next one to come free.
  Result<std::unique_ptr<PythonWorker>> checkout() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      if (!idle_.empty()) {
        auto w = std::move(idle_.back().worker);  // the most recently used: warm caches
        idle_.pop_back();
        ++busy_;
        return w;
      }
      // KServe's rule: as many workers as requests in flight over the scale target.
      const int wanted =
          std::clamp((demand_.load() + scaling_.scale_target - 1) / scaling_.scale_target,
                     std::max(1, scaling_.min_replicas), scaling_.max_replicas);
      if (workers() == 0 || workers() < wanted) {
        ++starting_;
        l.unlock();
        Json ready;
        auto w = PythonWorker::start(launch_, &ready);
        l.lock();
        --starting_;
        if (!w.ok()) {
          cv_.notify_all();
          return Unavailable("the model's worker process could not be started: " +
                             w.status().message());
        }
        ++busy_;
        return std::move(*w);
      }
      if (stopping_) {
        return Unavailable("the model version is being unloaded");
      }
      cv_.wait(l);
    }
  }

  // Keeps the pool between its bounds: back up to min_replicas after a worker died (the model
  // answers 503 for the call that found it dead, then cold-starts), and idle workers over the
  // minimum stopped.
  void keep() {
    std::unique_lock<std::mutex> l(mu_);
    while (!stopping_) {
      cv_.wait_for(l, std::chrono::milliseconds(500));
      if (stopping_) break;
      std::vector<std::unique_ptr<PythonWorker>> retire;
      const auto now = Clock::now();
      while (workers() > scaling_.min_replicas && !idle_.empty() &&
             now - idle_.front().since >= scaling_.idle_timeout) {
        retire.push_back(std::move(idle_.front().worker));
        idle_.erase(idle_.begin());
      }
      if (workers() < scaling_.min_replicas) {
        ++starting_;
        l.unlock();
        retire.clear();
        Json ready;
        auto w = PythonWorker::start(launch_, &ready);
        l.lock();
        --starting_;
        if (w.ok()) {
          idle_.push_back({std::move(*w), Clock::now()});
          cv_.notify_all();
        } else {
          std::fprintf(stderr, "slipway serve: cannot restart a %s worker for %s: %s\n",
                       launch_.format.c_str(), launch_.model_dir.c_str(),
                       w.status().message().c_str());
        }
        continue;
      }
      l.unlock();
      retire.clear();  // killed and reaped outside the lock
      l.lock();
    }
  }

  WorkerLaunch launch_;
  std::unique_ptr<SklearnNative> native_;  // the model evaluated in the daemon, when it can be
  bool custom_ = false;
  ModelInfo info_;
  std::chrono::milliseconds timeout_;
  Scaling scaling_;
  Metrics* metrics_ = nullptr;
  Labels labels_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Idle> idle_;  // oldest first
  int busy_ = 0, starting_ = 0;
  std::atomic<int> demand_{0};
  bool stopping_ = false;
  std::thread keeper_;
};

}  // namespace

bool python_format(const std::string& format) {
  return format == "sklearn" || format == "lightgbm" || format == "onnx" || format == "pytorch" ||
         format == "custom";
}

std::vector<std::string> worker_packages(const std::string& format) {
  if (format == "sklearn") return {"numpy", "pandas", "scikit-learn", "joblib"};
  if (format == "lightgbm") return {"numpy", "pandas", "lightgbm"};
  if (format == "onnx") return {"numpy", "onnxruntime"};
  if (format == "pytorch") return {"numpy", "torch"};
  if (format == "custom") return {"numpy", "kserve"};
  return {"numpy"};
}

Result<std::unique_ptr<Model>> make_python_model(const std::string& format, const fs::path& dir,
                                                 const PythonRuntimeOptions& options,
                                                 const Json& config) {
  WorkerLaunch launch;
  launch.format = format;
  launch.model_dir = dir;
  launch.name = config.value("name", std::string());
  if (format == "custom") {
    if (!config.contains("predictor_file") || !config["predictor_file"].is_string())
      return InvalidInput("config.json: a custom predictor needs predictor_file (its Python file)");
    launch.predictor_file = config["predictor_file"].get<std::string>();
  }
  if (!options.sklearn_native) launch.env.emplace_back("SLIPWAY_SERVE_NATIVE", "0");
  launch.cpus = config.value("cpu_limit", 0.0);
  launch.memory_bytes = config.value("memory_limit", std::int64_t{0});
  if (config.contains("env") && config["env"].is_object())
    for (const auto& [k, v] : config["env"].items())
      launch.env.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  std::chrono::milliseconds timeout = options.timeout;
  if (config.contains("timeout_ms") && config["timeout_ms"].is_number_integer())
    timeout = std::chrono::milliseconds(config["timeout_ms"].get<std::int64_t>());
  auto script = write_script_once(options.script_dir, "model_worker", kModelWorkerSource);
  if (!script.ok()) return script.status();
  launch.script = *script;
  if (auto it = options.python.find(format); it != options.python.end()) {
    launch.python = it->second;
  } else {
    std::vector<std::string> packages = worker_packages(format);
    // A custom predictor's own requirements.txt, beside its file, joins its environment.
    if (!launch.predictor_file.empty())
      if (auto req = read_file(launch.predictor_file.parent_path() / "requirements.txt"); req.ok())
        for (const auto& line : split(*req, '\n'))
          if (std::string spec = trim(line.substr(0, line.find('#'))); !spec.empty())
            packages.push_back(spec);
    auto env = ensure_pyenv(options.pyenvs, packages);
    if (!env.ok()) return env.status();
    launch.python = (*env / "bin" / "python").string();
  }
  Json ready;
  std::string exported;
  auto worker = PythonWorker::start(launch, &ready, &exported);
  if (!worker.ok()) return worker.status();
  std::unique_ptr<SklearnNative> native;
  if (ready.contains("native")) {
    auto parsed = SklearnNative::parse(ready["native"], exported);
    if (parsed.ok())
      native = std::move(*parsed);
    else  // served by its worker as any other model
      std::fprintf(stderr, "slipway serve: %s: %s\n", dir.c_str(),
                   parsed.status().message().c_str());
  }
  Scaling scaling;
  scaling.min_replicas = std::max(0, config.value("min_replicas", 1));
  scaling.max_replicas = std::max({1, scaling.min_replicas, config.value("max_replicas", 1)});
  scaling.scale_target = std::max(1, config.value("scale_target", 1));
  scaling.idle_timeout = std::chrono::milliseconds(
      config.value("scale_down_after_ms", static_cast<std::int64_t>(options.idle_timeout.count())));
  return std::unique_ptr<Model>(new PythonModel(std::move(launch), std::move(*worker), ready,
                                                std::move(native), timeout, scaling));
}

}  // namespace slipway::serve
