#include "api/kfp_api.h"

#include "api/kfp_wire.h"

namespace slipway::api::kfp {

KfpPath kfp_path(const ApiRequest& r) {
  KfpPath p;
  p.path.assign(r.seg.begin() + 2, r.seg.end());
  if (!p.path.empty()) {
    std::string& last = p.path.back();
    if (size_t colon = last.rfind(':'); colon != std::string::npos) {
      p.verb = last.substr(colon + 1);
      last.resize(colon);
    }
  }
  return p;
}

Response route(Ctx& c) {
  KfpPath p = kfp_path(c.req);
  if (p.path.empty()) return error(NotFound("no such endpoint: " + c.req.path));
  const std::string& family = p.path[0];
  if (family == "experiments") return experiments_route(c, p);
  if (family == "pipelines") return pipelines_route(c, p);
  if (family == "runs") return runs_route(c, p);
  if (family == "recurringruns") return recurring_runs_route(c, p);
  return error(NotFound("no such endpoint: " + c.req.method + " " + c.req.path +
                        " (slipway serves KFP's experiments, pipelines, runs, recurringruns and "
                        "healthz; docs/server.md lists them)"));
}

Response collection(Ctx& c, Response (*create)(Ctx&), Response (*list)(Ctx&)) {
  if (c.req.method == "POST") return create(c);
  if (c.req.method == "GET") return list(c);
  return not_allowed(c.req, "GET or POST");
}

Result<store::ExperimentRecord> visible_experiment(Ctx& c, const std::string& id) {
  auto e = c.store.get_experiment(id);
  if (e.ok() && e->name != "Default" && !c.who.can_access(e->ns))
    return NotFound("no experiment with id '" + id + "'");
  return e;
}

Result<PipelineSource> pipeline_source(Ctx& c, const Json& body) {
  const bool inline_spec = body.contains("pipeline_spec") && !body["pipeline_spec"].is_null();
  const Json* ref =
      body.contains("pipeline_version_reference") && body["pipeline_version_reference"].is_object()
          ? &body["pipeline_version_reference"]
          : nullptr;
  std::string version_id = body.value("pipeline_version_id", "");
  if (ref) {
    if (Status st = check_fields(*ref, "pipeline_version_reference",
                                 {"pipeline_id", "pipeline_version_id"});
        !st.ok())
      return st;
    if (!ref->value("pipeline_version_id", "").empty())
      version_id = ref->value("pipeline_version_id", "");
  }
  if (inline_spec == (ref != nullptr || !version_id.empty()))
    return InvalidInput(
        "give the pipeline either inline (pipeline_spec) or by reference "
        "(pipeline_version_reference), not " +
        std::string(inline_spec ? "both" : "neither"));
  PipelineSource src;
  if (inline_spec) {
    if (!body["pipeline_spec"].is_object())
      return InvalidInput("pipeline_spec must be the compiled pipeline as a JSON object");
    src.text = pipeline_spec_text(body["pipeline_spec"]);
    src.file = "pipeline.yaml";
    return src;
  }
  store::PipelineVersionRecord version;
  if (!version_id.empty()) {
    auto v = c.store.get_pipeline_version(version_id);
    if (!v.ok()) return v.status();
    version = *v;
  } else {
    auto v = c.store.latest_pipeline_version(ref->value("pipeline_id", ""));
    if (!v.ok()) return v.status();
    version = *v;
  }
  auto pipeline = c.store.get_pipeline(version.pipeline_id);
  if (!pipeline.ok() || !c.who.can_access(pipeline->ns))
    return NotFound("no pipeline version with id '" + version.id + "'");
  if (ref && !ref->value("pipeline_id", "").empty() &&
      ref->value("pipeline_id", "") != version.pipeline_id)
    return InvalidInput("pipeline version " + version.id + " belongs to pipeline " +
                        version.pipeline_id + ", not " + ref->value("pipeline_id", ""));
  src.text = version.source;
  src.file = pipeline->name + ".yaml";
  src.version_id = version.id;
  return src;
}

Result<Json> runtime_parameters(const Json& body) {
  if (!body.contains("runtime_config") || body["runtime_config"].is_null()) return Json::object();
  const Json& rc = body["runtime_config"];
  if (!rc.is_object()) return InvalidInput("runtime_config must be an object");
  SLIPWAY_RETURN_IF_ERROR(check_fields(rc, "runtime_config", {"parameters", "pipeline_root"}));
  if (!rc.value("pipeline_root", "").empty())
    return InvalidInput("runtime_config.pipeline_root '" + rc.value("pipeline_root", "") +
                        "' cannot be honoured: slipway keeps a run's artifacts under its own run "
                        "root ($SLIPWAY_HOME/runs/RUN); leave pipeline_root out");
  if (!rc.contains("parameters") || rc["parameters"].is_null()) return Json::object();
  if (!rc["parameters"].is_object())
    return InvalidInput("runtime_config.parameters must be an object of NAME: value");
  return rc["parameters"];
}

Status filter_by_experiment(Ctx& c, store::ListQuery* q) {
  const std::string id = c.req.param("experiment_id");
  if (id.empty() || !c.req.param("page_token").empty()) return Status::Ok();
  auto e = visible_experiment(c, id);
  if (!e.ok()) return e.status();
  q->where.push_back({"experiment", "=", {e->name}});
  return Status::Ok();
}

Result<Placement> placement(Ctx& c, const Json& body) {
  if (!body.value("service_account", "").empty())
    return InvalidInput("service_account '" + body.value("service_account", "") +
                        "' names a Kubernetes service account, which runs this server starts "
                        "(on the local backend) cannot take; leave it out");
  std::string id = body.value("experiment_id", "");
  if (id.empty()) id = c.req.param("experiment_id");
  Placement p{"Default", ""};
  if (!id.empty()) {
    auto e = visible_experiment(c, id);
    if (!e.ok()) return e.status();
    p.experiment = e->name;
    if (e->name != "Default") p.ns = e->ns;
  }
  if (p.ns.empty()) {
    auto ns = namespace_for(c.who, body.value("namespace", ""), /*listing=*/false);
    if (!ns.ok()) return ns.status();
    p.ns = ns->empty() ? "default" : *ns;
  }
  return p;
}

}  // namespace slipway::api::kfp
