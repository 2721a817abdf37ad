// `slipway serve`: the model serving daemon over a model repository (src/serve/).
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/pyenv.h"
#include "core/strings.h"
#include "core/yaml_reader.h"
#include "serve/http_client.h"
#include "serve/http_server.h"
#include "serve/inference_service.h"
#include "serve/isvc_repository.h"
#include "serve/repository.h"
#include "serve/service.h"

namespace slipway::cli {

namespace fs = std::filesystem;
using namespace slipway::serve;

namespace {

const char* kUsage =
    "slipway serve [--model-repo DIR | -f INFERENCESERVICE.yaml...] [--port P] [--host ADDR]\n"
    "              [--config FILE] [--port-file FILE] [--tls-cert FILE --tls-key FILE]\n"
    "  DIR defaults to $SLIPWAY_HOME/models; P 8080 (0: any free port, written to --port-file)\n"
    "  -f serves KServe InferenceService files as written, each under its metadata.name\n"
    "slipway serve check MODEL VERSION --instances JSON [--model-repo DIR] [--prediction-out FILE] "
    "[--timeout SECONDS]\n"
    "  waits until the daemon serving DIR has loaded the version (or serves it from a temporary "
    "one) and predicts over HTTP";

struct ServeConfig {
  ServerOptions server;
  RepositoryOptions repo;
  std::map<std::string, fs::path> pvcs;  // pvc://NAME/... in storageUri → a directory
  std::map<std::string, fs::path> custom_predictors;  // image → its kserve.Model file
  std::chrono::milliseconds poll_interval{1000};
  std::map<std::string, std::map<int, int>> traffic;  // model → version → percent, set at start
};

// The --config file: the server's limits, batching defaults, drift window and traffic splits.
Status read_config(const std::string& path, ServeConfig* c) {
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  YAML::Node doc;
  try {
    doc = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return InvalidInput(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!doc.IsMap())
    return InvalidInput(path + ": a serving config is a mapping (port, host, batching, models...)");
  static const std::set<std::string> known = {"port",
                                              "host",
                                              "tls_cert",
                                              "tls_key",
                                              "io_threads",
                                              "max_body_bytes",
                                              "max_header_bytes",
                                              "request_timeout_ms",
                                              "max_connections",
                                              "drain_timeout_ms",
                                              "batching",
                                              "drift_window",
                                              "poll_interval_ms",
                                              "models",
                                              "pvc",
                                              "python",
                                              "worker_timeout_ms",
                                              "scale_down_after_ms",
                                              "sklearn_native",
                                              "custom_predictors"};
  try {
    for (const auto& kv : doc)
      if (!known.count(kv.first.Scalar()))
        return InvalidInput(path + ":" + std::to_string(kv.first.Mark().line + 1) +
                            ": unknown key '" + kv.first.Scalar() + "'");
    if (doc["port"]) c->server.port = doc["port"].as<int>();
    if (doc["host"]) c->server.host = doc["host"].Scalar();
    if (doc["tls_cert"]) c->server.tls_cert = doc["tls_cert"].Scalar();
    if (doc["tls_key"]) c->server.tls_key = doc["tls_key"].Scalar();
    if (doc["io_threads"]) c->server.io_threads = doc["io_threads"].as<int>();
    if (doc["max_body_bytes"]) c->server.max_body_bytes = doc["max_body_bytes"].as<size_t>();
    if (doc["max_header_bytes"]) c->server.max_header_bytes = doc["max_header_bytes"].as<size_t>();
    if (doc["request_timeout_ms"])
      c->server.request_timeout = std::chrono::milliseconds(doc["request_timeout_ms"].as<int>());
    if (doc["max_connections"]) c->server.max_connections = doc["max_connections"].as<size_t>();
    if (doc["drain_timeout_ms"])
      c->server.drain_timeout = std::chrono::milliseconds(doc["drain_timeout_ms"].as<int>());
    if (YAML::Node b = doc["batching"]) {
      if (b["max_batch_size"]) c->repo.batch.max_batch_size = b["max_batch_size"].as<int>();
      if (b["max_queue_delay_ms"])
        c->repo.batch.max_queue_delay = std::chrono::microseconds(
            static_cast<std::int64_t>(b["max_queue_delay_ms"].as<double>() * 1000));
    }
    if (doc["drift_window"]) c->repo.drift_window = doc["drift_window"].as<size_t>();
    if (doc["poll_interval_ms"])
      c->poll_interval = std::chrono::milliseconds(doc["poll_interval_ms"].as<int>());
    // pvc: {claim: /dir}: where a storageUri's pvc://claim/... lives on this machine.
    if (YAML::Node pvc = doc["pvc"])
      for (const auto& kv : pvc) c->pvcs[kv.first.Scalar()] = kv.second.Scalar();
    // python: {format: /path/to/python}: run that format's workers under this interpreter as it
    // is (one that already has the framework) instead of a slipway-made environment.
    if (YAML::Node py = doc["python"])
      for (const auto& kv : py) {
        if (!known_format(kv.first.Scalar()) || kv.first.Scalar() == "slipway" ||
            kv.first.Scalar() == "xgboost")
          return InvalidInput(
              path + ":" + std::to_string(kv.first.Mark().line + 1) + ": python." +
              kv.first.Scalar() +
              ": the formats run by Python are sklearn, lightgbm, onnx, pytorch, custom");
        c->repo.python.python[kv.first.Scalar()] = kv.second.Scalar();
      }
    // custom_predictors: {IMAGE: FILE.py}: the Python file a custom predictor's image was built
    // from (relative to the config's folder).
    if (YAML::Node cp = doc["custom_predictors"])
      for (const auto& kv : cp) {
        fs::path f = kv.second.Scalar();
        if (f.is_relative()) f = fs::absolute(path).parent_path() / f;
        c->custom_predictors[kv.first.Scalar()] = f;
      }
    if (doc["scale_down_after_ms"])
      c->repo.python.idle_timeout = std::chrono::milliseconds(doc["scale_down_after_ms"].as<int>());
    if (doc["sklearn_native"]) c->repo.python.sklearn_native = doc["sklearn_native"].as<bool>();
    if (doc["worker_timeout_ms"])
      c->repo.python.timeout = std::chrono::milliseconds(doc["worker_timeout_ms"].as<int>());
    if (YAML::Node models = doc["models"])
      for (const auto& m : models)
        if (m.second["traffic"])
          for (const auto& v : m.second["traffic"])
            c->traffic[m.first.Scalar()][v.first.as<int>()] = v.second.as<int>();
  } catch (const YAML::Exception& e) {
    return InvalidInput(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (c->server.port < 0 || c->server.port > 65535)
    return InvalidInput(path + ": port " + std::to_string(c->server.port) + " is not 0..65535");
  if (c->repo.batch.max_batch_size < 1)
    return InvalidInput(path + ": batching.max_batch_size must be at least 1");
  return Status::Ok();
}

// Running daemons announce themselves in DIR/.serve/PID.json, so `serve check` finds the one
// serving a repository (a dot directory: the repository scan skips it).
fs::path announcement(const fs::path& root) {
  return root / ".serve" / (std::to_string(::getpid()) + ".json");
}

std::optional<int> running_daemon_port(const fs::path& root) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / ".serve", ec)) {
    auto text = read_file(e.path());
    Json j = text.ok() ? Json::parse(*text, nullptr, false) : Json();
    if (!j.is_object() || !j.contains("pid") || !j.contains("port")) continue;
    const auto pid = j["pid"].get<std::int64_t>();
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0) return j["port"].get<int>();
  }
  return std::nullopt;
}

int check(const Args& args) {
  po::options_description opts("serve check options");
  opts.add_options()("model", po::value<std::string>()->required(), "model name")(
      "version", po::value<int>()->required(), "model version")(
      "instances", po::value<std::string>()->required(), "KServe v1 instances (JSON list)")(
      "model-repo", po::value<std::string>(), "the model repository")(
      "prediction-out", po::value<std::string>(), "where to write the prediction (JSON)")(
      "timeout", po::value<double>()->default_value(30), "seconds to wait for the version");
  po::positional_options_description pos;
  pos.add("model", 1).add("version", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  const fs::path root = vm.count("model-repo") ? fs::path(vm["model-repo"].as<std::string>())
                                               : slipway_home() / "models";
  const std::string model = vm["model"].as<std::string>();
  const int version = vm["version"].as<int>();
  Json instances = Json::parse(vm["instances"].as<std::string>(), nullptr, false);
  if (!instances.is_array()) {
    std::fprintf(stderr, "slipway serve check: --instances must be a JSON list\n");
    return 2;
  }
  // A daemon already serving the repository must pick the version up by itself; otherwise a
  // temporary one on a free loopback port serves it for this one check.
  std::optional<int> port = running_daemon_port(root);
  const std::string served_by =
      port ? "the running daemon on port " + std::to_string(*port) : "a temporary daemon";
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<Repository> repo;
  std::unique_ptr<Service> service;
  std::unique_ptr<HttpServer> server;
  std::thread server_thread;
  if (!port) {
    metrics = std::make_unique<Metrics>();
    repo = std::make_unique<Repository>(root, RepositoryOptions{}, *metrics);
    repo->poll();
    service = std::make_unique<Service>(*repo, *metrics, "0.1.0");
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 1;
    server = std::make_unique<HttpServer>(*service, o);
    if (Status s = server->listen(); !s.ok()) {
      std::fprintf(stderr, "slipway serve check: %s\n", s.message().c_str());
      return 1;
    }
    port = server->port();
    server_thread = std::thread([&] { server->run(); });
  }
  auto stop = [&] {
    if (!server) return;
    server->shutdown();
    server_thread.join();
    repo->stop_all();
  };
  const std::string ready =
      "/v2/models/" + model + "/versions/" + std::to_string(version) + "/ready";
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<std::int64_t>(vm["timeout"].as<double>() * 1000));
  Result<HttpResult> r = Failed("not asked yet");
  while (true) {
    r = http_call("127.0.0.1", *port, "GET", ready);
    if ((r.ok() && r->status == 200) || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!r.ok() || r->status != 200) {
    stop();
    std::fprintf(stderr, "slipway serve check: %s version %d is not ready on %s: %s\n",
                 model.c_str(), version, served_by.c_str(),
                 r.ok() ? r->body.c_str() : r.status().message().c_str());
    return 1;
  }
  auto p = http_call("127.0.0.1", *port, "POST", "/v1/models/" + model + ":predict",
                     Json{{"instances", instances}}.dump());
  stop();
  if (!p.ok() || p->status != 200) {
    std::fprintf(stderr, "slipway serve check: the prediction failed: %s\n",
                 p.ok() ? p->body.c_str() : p.status().message().c_str());
    return 1;
  }
  Json out = Json::parse(p->body, nullptr, false);
  out["served_by"] = served_by;
  out["model"] = model;
  out["version"] = version;
  if (vm.count("prediction-out"))
    if (Status w = write_file_atomic(vm["prediction-out"].as<std::string>(), out.dump(2));
        !w.ok()) {
      std::fprintf(stderr, "slipway: --prediction-out: %s\n", w.message().c_str());
      return 1;
    }
  std::printf("%s version %d answered POST /v1/models/%s:predict on %s: %s\n", model.c_str(),
              version, model.c_str(), served_by.c_str(), p->body.c_str());
  return 0;
}

// -f: the InferenceServices become a repository of their own under $SLIPWAY_HOME/serve, one per
// set of files (so a restart with an edited file rolls out, or canaries, a new version). Returns
// each canary's traffic split.
Result<std::map<std::string, std::map<int, int>>> stage_files(const std::vector<std::string>& files,
                                                              const ServeConfig& config,
                                                              fs::path* root) {
  std::vector<InferenceService> services;
  std::vector<std::string> keys;
  for (const auto& f : files) {
    auto read = read_inference_services(f);
    if (!read.ok()) return read.status();
    for (auto& s : *read) services.push_back(std::move(s));
    keys.push_back(fs::weakly_canonical(fs::absolute(f)).string());
  }
  std::sort(keys.begin(), keys.end());
  *root = slipway_home() / "serve" / ("isvc-" + sha256_hex(join(keys, "\n")).substr(0, 12));
  StorageOptions storage;
  storage.base = fs::absolute(files.front()).parent_path();
  storage.pvcs = config.pvcs;
  storage.custom_predictors = config.custom_predictors;
  storage.registry = slipway_home() / "models";
  auto staged = stage_services(services, storage, *root);
  if (!staged.ok()) return staged.status();
  std::map<std::string, std::map<int, int>> canaries;
  for (const auto& s : *staged) {
    for (const auto& w : s.service.warnings)
      std::fprintf(stderr, "slipway serve: warning: %s\n", w.c_str());
    std::fprintf(stderr, "slipway serve: %s (%s) serves %s model %s as version %d%s\n",
                 s.service.name.c_str(), s.service.where.c_str(),
                 s.service.predictor.format.c_str(), s.storage.string().c_str(), s.version,
                 s.traffic.empty()
                     ? ""
                     : (" (canary: " + std::to_string(s.traffic.at(s.version)) + "%)").c_str());
    if (!s.traffic.empty()) canaries[s.service.name] = s.traffic;
  }
  return canaries;
}

}  // namespace

int cmd_serve(const Args& args) {
  if (!args.empty() && args[0] == "check") return check(Args(args.begin() + 1, args.end()));
  po::options_description opts("serve options");
  opts.add_options()("model-repo", po::value<std::string>(),
                     "the model repository (default $SLIPWAY_HOME/models)")(
      "filename,f", po::value<std::vector<std::string>>()->composing(),
      "a KServe InferenceService file to serve (repeatable)")(
      "port", po::value<int>(), "port to listen on (default 8080; 0: any free port)")(
      "host", po::value<std::string>(), "address to listen on (default 0.0.0.0)")(
      "config", po::value<std::string>(), "serving config (YAML)")(
      "port-file", po::value<std::string>(), "write the port listened on to this file")(
      "tls-cert", po::value<std::string>(), "serve HTTPS with this PEM certificate chain")(
      "tls-key", po::value<std::string>(), "the certificate's PEM private key");
  po::positional_options_description pos;
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  ServeConfig config;
  if (vm.count("config"))
    if (Status s = read_config(vm["config"].as<std::string>(), &config); !s.ok()) {
      std::fprintf(stderr, "slipway serve: %s\n", s.message().c_str());
      return 2;
    }
  if (vm.count("port")) config.server.port = vm["port"].as<int>();
  if (vm.count("host")) config.server.host = vm["host"].as<std::string>();
  if (vm.count("tls-cert")) config.server.tls_cert = vm["tls-cert"].as<std::string>();
  if (vm.count("tls-key")) config.server.tls_key = vm["tls-key"].as<std::string>();
  if (config.server.port < 0 || config.server.port > 65535) {
    std::fprintf(stderr, "slipway serve: port %d is not 0..65535\n", config.server.port);
    return 2;
  }
  config.repo.python.pyenvs = pyenvs_root(slipway_home());
  config.repo.python.script_dir = slipway_home() / "serve";
  if (vm.count("filename") && vm.count("model-repo")) {
    std::fprintf(stderr, "slipway serve: give --model-repo or -f, not both\n");
    return 2;
  }
  fs::path root = vm.count("model-repo") ? fs::path(vm["model-repo"].as<std::string>())
                                         : slipway_home() / "models";
  std::map<std::string, std::map<int, int>> canaries;
  if (vm.count("filename")) {
    auto staged = stage_files(vm["filename"].as<std::vector<std::string>>(), config, &root);
    if (!staged.ok()) {
      std::fprintf(stderr, "slipway serve: %s\n", staged.status().message().c_str());
      return staged.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
    }
    canaries = std::move(*staged);
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  if (!fs::is_directory(root)) {
    std::fprintf(stderr, "slipway serve: the model repository %s is not a directory%s\n",
                 root.string().c_str(), ec ? (": " + ec.message()).c_str() : "");
    return 2;
  }

  // The registry's production versions, refreshed by the watcher: an unversioned request goes to
  // "model X at stage production" when the registry names one.
  auto store = store::Store::open(slipway_home());
  std::mutex production_mu;
  std::map<std::string, int> production;
  auto refresh_production = [&] {
    if (!store.ok()) return;
    std::map<std::string, int> p;
    for (const auto& v : (*store)->list_model_versions())
      if (v.stage == "production") p[v.name] = v.version;
    std::lock_guard<std::mutex> l(production_mu);
    production = std::move(p);
  };
  refresh_production();
  config.repo.production_version = [&](const std::string& model) -> std::optional<int> {
    std::lock_guard<std::mutex> l(production_mu);
    auto it = production.find(model);
    return it == production.end() ? std::nullopt : std::optional<int>(it->second);
  };
  Metrics metrics;
  Repository repo(root, config.repo, metrics);
  repo.poll();
  for (const auto& [model, split] : canaries) config.traffic.emplace(model, split);
  for (const auto& [model, split] : config.traffic)
    if (Status s = repo.set_traffic(model, split); !s.ok()) {
      std::fprintf(stderr, "slipway serve: traffic of %s: %s\n", model.c_str(),
                   s.message().c_str());
      return 2;
    }
  Service service(repo, metrics, "0.1.0");
  HttpServer server(service, config.server);
  if (Status s = server.listen(); !s.ok()) {
    std::fprintf(stderr, "slipway serve: %s\n", s.message().c_str());
    return s.code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  if (!write_port_file(vm, server.port(), "slipway serve")) return 1;
  fs::create_directories(root / ".serve", ec);
  if (Status w = write_file_atomic(
          announcement(root),
          Json{{"pid", ::getpid()}, {"port", server.port()}, {"host", config.server.host}}.dump());
      !w.ok())
    // Not fatal: the announcement only lets `slipway models` find this daemon; serving goes on.
    std::fprintf(stderr, "slipway serve: warning: %s; `slipway models` will not find this daemon\n",
                 w.message().c_str());
  for (const auto& s : repo.index())
    std::fprintf(stderr, "  %s version %d: %s%s\n", s.model.c_str(), s.version, s.state.c_str(),
                 s.reason.empty() ? "" : (" (" + s.reason + ")").c_str());
  std::fprintf(
      stderr,
      "slipway serve: %s on %s://%s:%d (KServe v1 /v1/models, Open Inference Protocol /v2, "
      "/metrics)\n",
      root.string().c_str(), config.server.tls_cert.empty() ? "http" : "https",
      config.server.host.c_str(), server.port());

  // SIGTERM and SIGINT drain: no new connections, answer what is in flight, then exit 0.
  boost::asio::io_context signals_ioc;
  boost::asio::signal_set signals(signals_ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    std::fprintf(stderr, "slipway serve: %s: draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.shutdown();
  });
  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] { signals_ioc.run(); });
  std::thread watcher([&] {  // new version directories load, removed ones unload
    while (!stopping) {
      for (auto waited = std::chrono::milliseconds(0); waited < config.poll_interval && !stopping;
           waited += std::chrono::milliseconds(50))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (stopping) break;
      refresh_production();
      repo.poll();
    }
  });
  server.run();
  stopping = true;
  signals_ioc.stop();
  signal_thread.join();
  watcher.join();
  repo.stop_all();
  fs::remove(announcement(root), ec);
  std::fprintf(stderr, "slipway serve: stopped\n");
  return 0;
}

}  // namespace slipway::cli
