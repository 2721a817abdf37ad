#include "serve/isvc_repository.h"

#include <set>

#include "core/files.h"
#include "core/json.h"
#include "ml/model_registry.h"

namespace slipway::serve {

namespace fs = std::filesystem;

namespace {

// The version directories of one service, ascending.
std::vector<int> versions_in(const fs::path& dir) {
  std::vector<int> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (auto v = ml::parse_version(it->path().filename().string())) out.push_back(*v);
  std::sort(out.begin(), out.end());
  return out;
}

// Whether a staged version was made from the same settings: everything but `storage`, which a
// single-file storageUri points at the version directory itself.
bool same_settings(const fs::path& version_dir, Json config) {
  auto text = read_file(version_dir / "config.json");
  Json j = text.ok() ? Json::parse(*text, nullptr, false) : Json();
  if (!j.is_object()) return false;
  j.erase("storage");
  config.erase("storage");
  return j == config;
}

// What the daemon needs of the predictor, in the repository's config.json.
Json version_config(const StagedService& s) {
  const PredictorSpec& p = s.service.predictor;
  Json c = {{"name", s.service.name},         {"format", p.format},
            {"storage", s.storage.string()},  {"source", s.storage.string()},
            {"storage_uri", p.storage_uri},   {"service", s.service.where},
            {"min_replicas", p.min_replicas}, {"max_replicas", p.max_replicas}};
  if (p.format == "custom") {
    c["image"] = p.image;
    c["predictor_file"] = s.predictor_file.string();
  }
  if (p.scale_target) c["scale_target"] = p.scale_target;
  if (p.batch_max_size) c["max_batch_size"] = *p.batch_max_size;
  // KServe's batcher waits up to maxLatency (default 500 ms) for a batch to fill.
  if (p.batch_max_size || p.batch_max_latency_ms)
    c["max_queue_delay_ms"] = p.batch_max_latency_ms.value_or(500);
  if (p.timeout_seconds) c["timeout_ms"] = *p.timeout_seconds * 1000;
  if (p.cpu_limit > 0) c["cpu_limit"] = p.cpu_limit;
  if (p.memory_limit > 0) c["memory_limit"] = p.memory_limit;
  if (!p.env.empty()) {
    c["env"] = Json::object();
    for (const auto& [k, v] : p.env) c["env"][k] = v;
  }
  if (!p.logger_mode.empty()) c["logger"] = {{"mode", p.logger_mode}, {"url", p.logger_url}};
  return c;
}

}  // namespace

Result<fs::path> resolve_storage_uri(const std::string& uri, const StorageOptions& o) {
  const size_t colon = uri.find("://");
  std::string scheme = colon == std::string::npos ? "" : uri.substr(0, colon);
  if (uri.rfind("models:/", 0) == 0) {
    std::string rest = uri.substr(8);
    while (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
    const std::string name = rest.substr(0, rest.find('/'));
    const std::string version =
        rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
    if (!ml::valid_model_name(name))
      return InvalidInput("storageUri " + uri + ": '" + name + "' is not a model name");
    std::vector<int> have = versions_in(o.registry / name);
    if (have.empty())
      return NotFound("storageUri " + uri + ": the registry (" + o.registry.string() +
                      ") has no model " + name + " (slipway models ls lists them)");
    int v = have.back();
    if (!version.empty()) {
      auto parsed = ml::parse_version(version);
      if (!parsed || std::find(have.begin(), have.end(), *parsed) == have.end())
        return NotFound("storageUri " + uri + ": model " + name + " has no version " + version);
      v = *parsed;
    }
    return o.registry / name / std::to_string(v);
  }
  fs::path path;
  if (scheme.empty()) {
    path = uri;
  } else if (scheme == "file") {
    path = uri.substr(7);
  } else if (scheme == "pvc") {
    const std::string rest = uri.substr(6);
    const std::string claim = rest.substr(0, rest.find('/'));
    auto it = o.pvcs.find(claim);
    if (it == o.pvcs.end())
      return InvalidInput("storageUri " + uri + ": the claim '" + claim +
                          "' is not mapped to a directory here; add `pvc: {" + claim +
                          ": /path/to/its/files}` to the serve config (--config)");
    path = it->second;
    if (rest.find('/') != std::string::npos) path /= rest.substr(rest.find('/') + 1);
  } else {
    const std::string fetch = scheme == "gs"   ? "gsutil cp -r " + uri + " DIR"
                              : scheme == "s3" ? "aws s3 cp --recursive " + uri + " DIR"
                              : scheme == "hf"
                                  ? "huggingface-cli download " + uri.substr(5) + " --local-dir DIR"
                                  : "download it to DIR";
    return InvalidInput("storageUri " + uri + ": slipway does not fetch " + scheme +
                        ":// storage; copy the model to this machine (" + fetch +
                        ") and set storageUri to DIR or file://DIR (a shared file system path "
                        "serves every node)");
  }
  if (path.is_relative()) path = o.base / path;
  std::error_code ec;
  if (!fs::exists(path, ec))
    return NotFound("storageUri " + uri + ": " + path.string() + " does not exist");
  return fs::weakly_canonical(path, ec);
}

Result<std::vector<StagedService>> stage_services(const std::vector<InferenceService>& services,
                                                  const StorageOptions& options,
                                                  const fs::path& root) {
  std::map<std::string, std::string> seen;
  for (const auto& s : services) {
    if (!ml::valid_model_name(s.name))
      return InvalidInput(s.where + ": metadata.name '" + s.name +
                          "' cannot name a served model (letters, digits, '_', '.', '-')");
    if (auto [it, fresh] = seen.emplace(s.name, s.where); !fresh)
      return InvalidInput(s.where + ": InferenceService " + s.name + " is also defined at " +
                          it->second + "; served names must be unique");
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Failed("cannot create " + root.string() + ": " + ec.message());
  std::vector<StagedService> out;
  for (const auto& svc : services) {
    StagedService s;
    s.service = svc;
    if (svc.predictor.format == "custom") {
      auto file = options.custom_predictors.find(svc.predictor.image);
      if (file == options.custom_predictors.end())
        return InvalidInput(svc.where + ": the custom predictor's image " + svc.predictor.image +
                            " is not mapped to the Python file it was built from; add "
                            "`custom_predictors: {" +
                            svc.predictor.image +
                            ": /path/to/model.py}` to the serve config (--config)");
      fs::path f = file->second.is_relative() ? options.base / file->second : file->second;
      if (!fs::is_regular_file(f, ec))
        return NotFound(svc.where + ": the custom predictor file " + f.string() + " (for image " +
                        svc.predictor.image + ") does not exist");
      s.predictor_file = fs::weakly_canonical(f, ec);
      s.storage = s.predictor_file.parent_path();
    } else {
      auto storage = resolve_storage_uri(svc.predictor.storage_uri, options);
      if (!storage.ok())
        return Status(storage.status().code(), svc.where + ": " + storage.status().message());
      s.storage = *storage;
    }
    const fs::path dir = root / svc.name;
    // A storageUri naming one file (KServe downloads it into the model directory): the version
    // directory links it under its layout's name.
    fs::path single_file;
    if (fs::is_regular_file(s.storage, ec)) single_file = s.storage;
    Json config = version_config(s);
    if (config.contains("logger")) {
      // KServe's logger posts CloudEvents to an HTTP sink; here the log is a file: the url's
      // when it names one, else one beside the repository.
      const std::string url = svc.predictor.logger_url;
      std::string path;
      if (url.rfind("file://", 0) == 0)
        path = url.substr(7);
      else if (!url.empty() && url[0] == '/')
        path = url;
      else
        path = (root / ".logs" / (svc.name + ".jsonl")).string();
      if (!url.empty() && path != url && path != url.substr(std::min<size_t>(7, url.size())))
        s.service.warnings.push_back(svc.where + ": logger.url " + url +
                                     ": slipway writes the request log to " + path +
                                     " (there is no HTTP event sink here)");
      config["logger"]["path"] = path;
    }
    const std::vector<int> have = versions_in(dir);
    int version = have.empty() ? 1 : have.back();
    if (have.empty() || !same_settings(dir / std::to_string(version), config)) {
      version = have.empty() ? 1 : have.back() + 1;
      const fs::path tmp = dir / (".tmp-" + std::to_string(version));
      fs::remove_all(tmp, ec);
      fs::create_directories(tmp, ec);
      if (ec) return Failed("cannot create " + tmp.string() + ": " + ec.message());
      if (!single_file.empty()) {
        auto layout = ml::published_name(single_file.string(), svc.predictor.format);
        if (!layout.ok())
          return Status(layout.status().code(), svc.where + ": " + layout.status().message());
        fs::create_symlink(single_file, tmp / layout->second, ec);
        if (ec) return Failed("cannot link " + single_file.string() + ": " + ec.message());
        config["storage"] = fs::absolute(dir / std::to_string(version)).string();
      }
      SLIPWAY_RETURN_IF_ERROR(write_file_atomic(tmp / "config.json", dump_json(config, 2)));
      fs::rename(tmp, dir / std::to_string(version), ec);
      if (ec)
        return Failed("cannot publish " + (dir / std::to_string(version)).string() + ": " +
                      ec.message());
    }
    s.version = version;
    // The previous version stays only as a canary's other side.
    std::vector<int> all = versions_in(dir);
    int previous = 0;
    for (int v : all)
      if (v < version) previous = v;
    const auto& canary = svc.predictor.canary_traffic_percent;
    for (int v : all) {
      const bool keep = v == version || (canary && v == previous && *canary < 100);
      if (!keep) fs::remove_all(dir / std::to_string(v), ec);
    }
    if (canary && previous && *canary < 100)
      s.traffic = {{version, *canary}, {previous, 100 - *canary}};
    out.push_back(std::move(s));
  }
  // Services the files no longer name stop being served.
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (ml::valid_model_name(name) && !seen.count(name)) fs::remove_all(it->path(), ec);
  }
  return out;
}

}  // namespace slipway::serve
