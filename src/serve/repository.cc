#include "serve/repository.h"

#include <algorithm>

#include "core/files.h"
#include "ml/model_registry.h"

namespace slipway::serve {

namespace fs = std::filesystem;

namespace {

// The error_code forms throughout: the watcher thread polls a directory that other nodes write,
// and an exception there would end the daemon.
std::optional<int> version_dir(const fs::directory_entry& e) {
  std::error_code ec;
  return e.is_directory(ec) ? ml::parse_version(e.path().filename().string()) : std::nullopt;
}

fs::file_time_type mtime_of(const fs::path& p) {
  std::error_code ec;
  auto t = fs::last_write_time(p, ec);
  return ec ? fs::file_time_type{} : t;
}

// What a failed version is retried on: its checkpoint, else its config.json (which names the
// model's files elsewhere), changing.
fs::file_time_type version_mtime(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "model.h5", ec) ? mtime_of(dir / "model.h5")
                                          : mtime_of(dir / "config.json");
}

}  // namespace

Repository::Repository(fs::path root, RepositoryOptions options, Metrics& metrics)
    : root_(std::move(root)), options_(std::move(options)), metrics_(metrics) {}

Repository::~Repository() { stop_all(); }

void Repository::poll() {
  std::lock_guard<std::mutex> one_at_a_time(
      poll_mu_);  // the watcher and the API's load may both poll
  std::map<std::string, std::map<int, fs::path>> present;
  // A listing that fails (an NFS or Lustre hiccup, a remount) says nothing about what is there:
  // this poll is skipped, so every loaded version keeps serving, and the next poll looks again.
  // Reading it as "empty" would unload every model on a transient error.
  std::error_code ec;
  for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const fs::directory_entry& m = *it;
    const std::string name = m.path().filename().string();
    std::error_code dir_ec;
    if (!m.is_directory(dir_ec) || !ml::valid_model_name(name)) continue;
    std::error_code ec2;
    for (auto v = fs::directory_iterator(m.path(), ec2); !ec2 && v != fs::directory_iterator();
         v.increment(ec2))
      if (auto number = version_dir(*v)) present[name][*number] = v->path();
    if (ec2) return;
  }
  if (ec) return;
  std::vector<std::tuple<std::string, int, fs::path>> to_load;
  std::vector<std::pair<std::string, int>> to_unload;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, versions] : present) {
      if (unloaded_.count(name)) continue;
      const auto have = loaded_.find(name);
      for (const auto& [v, dir] : versions) {
        if (have != loaded_.end() && have->second.count(v)) continue;
        // A version that failed to load is tried again only when its model.h5 changes: a broken
        // file is reported once (index() shows the reason), not reloaded every poll.
        auto f = failed_.find({name, v});
        if (f != failed_.end() && f->second.second == version_mtime(dir) &&
            f->second.second != fs::file_time_type{})
          continue;
        to_load.emplace_back(name, v, dir);
      }
    }
    for (const auto& [name, versions] : loaded_)
      for (const auto& [v, lv] : versions)
        if (!present.count(name) || !present[name].count(v)) to_unload.emplace_back(name, v);
  }
  for (const auto& [name, v] : to_unload) unload_version(name, v);
  for (const auto& [name, v, dir] : to_load) load_version(name, v, dir);
}

void Repository::load_version(const std::string& model, int version, const fs::path& dir) {
  const std::string where = model + " version " + std::to_string(version);
  auto fail = [&](const std::string& reason) {
    std::lock_guard<std::mutex> l(mu_);
    failed_[{model, version}] = {reason, version_mtime(dir)};
  };
  Json config = Json::object();
  if (fs::exists(dir / "config.json")) {
    auto text = read_file((dir / "config.json").string());
    config = text.ok() ? Json::parse(*text, nullptr, false) : Json();
    if (!config.is_object()) return fail((dir / "config.json").string() + " is not a JSON object");
  }
  // Loading (reading weights, building the model) runs outside mu_: requests to the versions
  // already loaded are not held up by a slow load.
  auto impl = load_model(dir, config, options_.python);
  if (!impl.ok()) return fail(impl.status().message());
  auto lv = std::make_shared<LoadedVersion>();
  lv->model = model;
  lv->version = version;
  lv->impl = std::shared_ptr<Model>(std::move(*impl));
  lv->config = config;
  BatchPolicy policy = options_.batch;
  if (config.contains("max_batch_size") && config["max_batch_size"].is_number_integer())
    policy.max_batch_size = std::max(1, config["max_batch_size"].get<int>());
  if (config.contains("max_queue_delay_ms") && config["max_queue_delay_ms"].is_number())
    policy.max_queue_delay = std::chrono::microseconds(
        static_cast<std::int64_t>(config["max_queue_delay_ms"].get<double>() * 1000));
  const Labels labels = {{"model", model}, {"version", std::to_string(version)}};
  Metrics* metrics = &metrics_;
  lv->impl->report_to(metrics, labels);
  lv->batcher = std::make_unique<Batcher>(lv->impl, policy, [metrics, labels](int rows, int) {
    metrics->observe("slipway_inference_batch_size", labels, rows);
  });
  if (config.contains("reference")) {
    auto stats = ml::feature_stats_from_json(config["reference"]);
    if (!stats.ok()) return fail(where + ": " + stats.status().message());
    lv->drift = std::make_unique<DriftMonitor>(std::move(*stats), options_.drift_window);
  }
  if (config.contains("logger") && config["logger"].is_object()) {
    auto logger = RequestLogger::open(config["logger"].value("path", std::string()),
                                      config["logger"].value("mode", std::string("all")));
    if (!logger.ok()) return fail(logger.status().message());
    lv->logger = std::move(*logger);
  }
  metrics_.set("slipway_model_version_ready", labels, 1);
  std::shared_ptr<LoadedVersion> replaced;
  {
    std::lock_guard<std::mutex> l(mu_);
    failed_.erase({model, version});
    auto& slot = loaded_[model][version];
    replaced = std::move(slot);
    slot = std::move(lv);
  }
  if (replaced)
    replaced->batcher
        ->stop();  // a reload: the old instance finishes its queue, new requests go to the new one
}

void Repository::unload_version(const std::string& model, int version) {
  std::shared_ptr<LoadedVersion> lv;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto m = loaded_.find(model);
    if (m == loaded_.end() || !m->second.count(version)) return;
    lv = m->second[version];
    m->second.erase(version);
    if (m->second.empty()) loaded_.erase(m);
    auto t = traffic_.find(model);
    if (t != traffic_.end() && t->second.count(version))
      traffic_.erase(t);  // a split naming a gone version no longer holds
  }
  lv->batcher->stop();  // finishes what it queued; requests in flight keep the version alive
  const Labels labels = {{"model", model}, {"version", std::to_string(version)}};
  for (const char* family : {"slipway_model_version_ready", "slipway_model_feature_psi",
                             "slipway_worker_hop_seconds", "slipway_worker_model_seconds"})
    metrics_.forget(family, labels);
}

Status Repository::load(const std::string& model) {
  if (!ml::valid_model_name(model)) return InvalidInput("'" + model + "' is not a model name");
  if (!fs::is_directory(root_ / model))
    return NotFound("model '" + model + "' is not in the repository " + root_.string());
  std::vector<std::pair<int, fs::path>>
      reload;  // the repository extension's load of a loaded model reloads it from disk
  {
    std::lock_guard<std::mutex> l(mu_);
    unloaded_.erase(model);
    for (auto it = failed_.begin(); it != failed_.end();)
      it = it->first.first == model ? failed_.erase(it) : std::next(it);
    if (auto m = loaded_.find(model); m != loaded_.end())
      for (const auto& [v, lv] : m->second)
        reload.emplace_back(v, root_ / model / std::to_string(v));
  }
  {
    std::lock_guard<std::mutex> one_at_a_time(poll_mu_);
    for (const auto& [v, dir] : reload) load_version(model, v, dir);
  }
  poll();
  std::lock_guard<std::mutex> l(mu_);
  if (loaded_.count(model)) return Status::Ok();
  for (const auto& [key, f] : failed_)
    if (key.first == model)
      return Failed("model '" + model + "' version " + std::to_string(key.second) +
                    " failed to load: " + f.first);
  return NotFound("model '" + model + "' has no version directory (DIR/" + model +
                  "/1/ with model.h5)");
}

Status Repository::unload(const std::string& model) {
  std::vector<int> versions;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!loaded_.count(model) && !fs::is_directory(root_ / model))
      return NotFound("model '" + model + "' is not in the repository");
    unloaded_.insert(model);
    for (const auto& [v, lv] : loaded_[model]) versions.push_back(v);
    if (loaded_[model].empty()) loaded_.erase(model);
  }
  for (int v : versions) unload_version(model, v);
  return Status::Ok();
}

std::vector<VersionStatus> Repository::index() const {
  std::vector<VersionStatus> out;
  std::lock_guard<std::mutex> l(mu_);
  std::error_code ec;
  for (const auto& m : fs::directory_iterator(root_, ec)) {
    const std::string name = m.path().filename().string();
    if (!m.is_directory() || !ml::valid_model_name(name)) continue;
    std::error_code ec2;
    for (const auto& v : fs::directory_iterator(m.path(), ec2)) {
      const auto number = version_dir(v);
      if (!number) continue;
      const int version = *number;
      VersionStatus s{name, version, "UNAVAILABLE", ""};
      auto lm = loaded_.find(name);
      if (lm != loaded_.end() && lm->second.count(version))
        s.state = "READY";
      else if (auto f = failed_.find({name, version}); f != failed_.end())
        s.state = "FAILED", s.reason = f->second.first;
      else if (unloaded_.count(name))
        s.reason = "unloaded";
      else
        s.reason = "not loaded yet";
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.model, a.version) < std::tie(b.model, b.version);
  });
  return out;
}

std::optional<int> Repository::default_version(const std::string& model) const {
  auto m = loaded_.find(model);
  if (m == loaded_.end() || m->second.empty()) return std::nullopt;
  if (options_.production_version)
    if (auto p = options_.production_version(model); p && m->second.count(*p)) return p;
  return m->second.rbegin()->first;
}

Result<std::shared_ptr<LoadedVersion>> Repository::route(const std::string& model,
                                                         std::optional<int> version) {
  std::lock_guard<std::mutex> l(mu_);
  auto m = loaded_.find(model);
  if (m == loaded_.end() || m->second.empty()) {
    if (fs::is_directory(root_ / model) && ml::valid_model_name(model)) {
      std::string why;
      if (unloaded_.count(model))
        why = " (it was unloaded; POST /v2/repository/models/" + model + "/load)";
      for (const auto& [key, f] : failed_)
        if (key.first == model && (!version || key.second == *version))
          why = ": version " + std::to_string(key.second) + " failed to load: " + f.first;
      return Unavailable("model '" + model + "' is not ready" + why);
    }
    return NotFound("model '" + model + "' is not in the repository");
  }
  if (version) {
    auto v = m->second.find(*version);
    if (v == m->second.end())
      return NotFound("model '" + model + "' has no ready version " + std::to_string(*version));
    return v->second;
  }
  if (auto t = traffic_.find(model); t != traffic_.end()) {
    int pick = static_cast<int>(std::uniform_int_distribution<int>(0, 99)(rng_));
    for (const auto& [v, pct] : t->second) {
      if (pick < pct && m->second.count(v)) return m->second[v];
      pick -= pct;
    }
  }
  auto d = default_version(model);
  return m->second[*d];
}

std::vector<int> Repository::ready_versions(const std::string& model) const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<int> out;
  if (auto m = loaded_.find(model); m != loaded_.end())
    for (const auto& [v, lv] : m->second) out.push_back(v);
  return out;
}

Status Repository::set_traffic(const std::string& model, const std::map<int, int>& percent) {
  std::lock_guard<std::mutex> l(mu_);
  if (percent.empty()) {
    traffic_.erase(model);
    return Status::Ok();
  }
  auto m = loaded_.find(model);
  if (m == loaded_.end()) return NotFound("model '" + model + "' is not loaded");
  int total = 0;
  for (const auto& [v, pct] : percent) {
    if (!m->second.count(v))
      return InvalidInput("model '" + model + "' has no ready version " + std::to_string(v));
    if (pct < 0 || pct > 100)
      return InvalidInput("version " + std::to_string(v) + ": " + std::to_string(pct) +
                          "% is not between 0 and 100");
    total += pct;
  }
  if (total != 100)
    return InvalidInput("the traffic split sums to " + std::to_string(total) + "%, not 100%");
  traffic_[model] = percent;
  return Status::Ok();
}

std::map<int, int> Repository::traffic(const std::string& model) const {
  std::lock_guard<std::mutex> l(mu_);
  auto t = traffic_.find(model);
  return t == traffic_.end() ? std::map<int, int>{} : t->second;
}

void Repository::stop_all() {
  std::vector<std::shared_ptr<LoadedVersion>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, versions] : loaded_)
      for (const auto& [v, lv] : versions) all.push_back(lv);
  }
  for (auto& lv : all) lv->batcher->stop();
}

}  // namespace slipway::serve
