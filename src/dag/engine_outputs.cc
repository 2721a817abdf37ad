// The engine's handling of artifacts and outputs: importing files given as inputs, collecting a
// finished attempt's outputs (parameters, artifacts, KFP executor output), and lineage edges.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/clock.h"
#include "core/files.h"
#include "core/hash.h"
#include "dag/engine.h"

namespace slipway::dag {

namespace fs = std::filesystem;

Result<Json> Engine::import_artifact(const std::string& path, const std::string& type) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFound("no such file or directory");
  std::int64_t mtime =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  // Reuse the digest of an unchanged file (same size and mtime), as make and Bazel do.
  auto known = store_.find_artifact_by_uri(path);
  store::ArtifactRecord a;
  if (known && known->mtime_ns == mtime && known->size == static_cast<std::int64_t>(st.st_size) &&
      !S_ISDIR(st.st_mode) && known->type == type) {
    a = *known;
  } else {
    auto d = digest_path(path);
    if (!d.ok()) return d.status();
    a.run_id = run_.id;
    a.task = "";
    a.name = fs::path(path).filename().string();
    a.type = type;
    a.uri = path;
    a.sha256 = d->sha256;
    a.size = static_cast<std::int64_t>(d->size);
    a.mtime_ns = mtime;
    a.metadata = Json{{"imported", true}};
    a.created_ms = now_ms();
    auto id = store_.insert_artifact(a);
    if (!id.ok()) return noted(id.status());
    a.id = *id;
  }
  return Json{
      {"artifact", true}, {"id", a.id}, {"type", type}, {"uri", a.uri}, {"sha256", a.sha256}};
}

Status add_input_lineage(store::Store& store, const std::string& run, const std::string& task,
                         const std::string& name, const Json& v) {
  if (is_artifact_value(v))
    return store.add_lineage({v["id"].get<std::int64_t>(), run, task, "input", name});
  if (v.is_array())
    for (const auto& e : v) SLIPWAY_RETURN_IF_ERROR(add_input_lineage(store, run, task, name, e));
  return Status::Ok();
}

// Where a KFP component put an output artifact: where slipway asked (`given`), unless its
// executor output names another place (a custom_path, or a URI it chose, as dsl.get_uri()
// returns for artifacts a function returns). Only places on this machine can be kept.
static Result<std::string> artifact_location(const Json& reported, const std::string& given) {
  std::string custom = reported.value("custom_path", "");
  std::string uri = custom.empty() ? reported.value("uri", "") : custom;
  if (uri.empty() || uri == given) return given;
  if (uri.rfind("file://", 0) == 0) uri = uri.substr(7);
  if (uri.empty() || uri[0] != '/')
    return InvalidInput("the component put it at '" + uri +
                        "', which is not a path on this machine; write it where the executor "
                        "input says (" +
                        given + ") or to a local path");
  return uri;
}

Status Engine::collect_outputs(Node& n, const CommandLine& cl) {
  Json outs = Json::object();
  // A KFP Python component may also report values and artifact metadata in an executor output.
  Json executor_output;
  if (!cl.output_paths.empty()) {
    auto text = read_file(
        executor_output_path(fs::path(cl.output_paths.begin()->second).parent_path().string()));
    if (text.ok()) executor_output = Json::parse(*text, nullptr, false);
    if (executor_output.is_discarded()) return Failed("the executor output file is not valid JSON");
  }
  for (const auto& o : n.comp->outputs) {
    std::string path = cl.output_paths.at(o.name);
    Json reported =
        executor_output.is_object()
            ? executor_output.value("parameterValues", Json::object()).value(o.name, Json())
            : Json();
    Json meta = Json::object();
    if (executor_output.is_object() && executor_output.contains("artifacts")) {
      const Json& a = executor_output["artifacts"].value(o.name, Json::object());
      if (a.contains("artifacts") && a["artifacts"].is_array() && !a["artifacts"].empty()) {
        const Json& reported_artifact = a["artifacts"][0];
        meta = reported_artifact.value("metadata", Json::object());
        if (o.type.is_artifact) {
          auto put = artifact_location(reported_artifact, path);
          if (!put.ok())
            return Failed("output artifact '" + o.name + "': " + put.status().message());
          path = *put;
        }
      }
    }
    if (!o.type.is_artifact && !reported.is_null()) {
      auto v = coerce_param(reported, o.type.param);
      if (!v.ok()) return Failed("output parameter '" + o.name + "': " + v.status().message());
      outs[o.name] = *v;
      continue;
    }
    if (o.type.is_artifact && !meta.empty() && ::access(path.c_str(), F_OK) != 0) {
      // KFP keeps metrics in an artifact's metadata and may write no file: keep them as the file.
      SLIPWAY_RETURN_IF_ERROR(write_file_atomic(path, dump_json(meta, 2)));
    }
    if (!o.type.is_artifact) {
      auto text = read_file(path);
      if (!text.ok())
        return Failed("the task did not write its output parameter '" + o.name + "' to " + path);
      std::string s = *text;
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      auto v = coerce_param(Json(s), o.type.param);
      if (!v.ok()) return Failed("output parameter '" + o.name + "': " + v.status().message());
      outs[o.name] = *v;
      continue;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return Failed("the task did not write its output artifact '" + o.name + "' to " + path);
    auto d = digest_path(path);
    if (!d.ok()) return d.status();
    store::ArtifactRecord a;
    a.run_id = run_.id;
    a.task = n.name;
    a.name = o.name;
    a.type = o.type.artifact;
    a.uri = path;
    a.sha256 = d->sha256;
    a.size = static_cast<std::int64_t>(d->size);
    a.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    a.created_ms = now_ms();
    if (o.type.artifact == "Metrics") {
      auto text = read_file(path);
      Json m = text.ok() ? Json::parse(*text, nullptr, false) : Json();
      if (!m.is_object())
        return Failed("metrics output '" + o.name + "' must be a JSON object of name: number (" +
                      path + ")");
      for (auto& [k, v] : m.items())
        if (v.is_number())
          SLIPWAY_RETURN_IF_ERROR(
              noted(store_.add_metric({run_.id, n.name, k, v.get<double>(), 0})));
      a.metadata = Json{{"metrics", m}};
    }
    for (auto& [k, v] : meta.items()) a.metadata[k] = v;
    auto id = store_.insert_artifact(a);
    if (!id.ok()) return noted(id.status());
    SLIPWAY_RETURN_IF_ERROR(noted(store_.add_lineage({*id, run_.id, n.name, "output", o.name})));
    outs[o.name] = Json{
        {"artifact", true}, {"id", *id}, {"type", a.type}, {"uri", a.uri}, {"sha256", a.sha256}};
    // KFP components read it downstream ({{$.inputs.artifacts['m'].metadata}}, executor input).
    if (!meta.empty())
      outs[o.name]["metadata"] = meta;
    else if (a.metadata.contains("metrics"))
      outs[o.name]["metadata"] = a.metadata["metrics"];
  }
  n.outputs = outs;
  return Status::Ok();
}

}  // namespace slipway::dag
