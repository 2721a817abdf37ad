// /api/v1/{whoami, namespaces, experiments, sweeps, models, topology}: what the dashboard lists
// beside runs.
#include "api/handlers.h"
#include "core/clock.h"
#include "ml/model_registry.h"
#include "topo/topology_svg.h"
#include "tune/controller.h"
#include "tune/sweep_spec.h"

namespace slipway::api {

namespace {

Response experiments(Ctx& c) {
  if (c.req.method == "POST") {
    auto body = body_object(c.req);
    if (!body.ok()) return error(body.status());
    std::string name = body->value("name", "");
    if (name.empty() || name.size() > 200)
      return error(InvalidInput("the body needs \"name\": 1 to 200 characters"));
    auto ns = namespace_for(c.who, body->value("namespace", ""), false);
    if (!ns.ok()) return error(ns.status());
    Status st = c.store.ensure_experiment(name, ns->empty() ? "default" : *ns,
                                          body->value("description", ""));
    if (!st.ok()) return error(st);
    return json_ok(Json{{"name", name}, {"namespace", *ns}}, 201);
  }
  if (c.req.method != "GET") return method_not_allowed(c.req, "GET or POST");
  auto ns = namespace_for(c.who, c.req.param("namespace"), true);
  if (!ns.ok()) return error(ns.status());
  Json arr = Json::array();
  for (const auto& e : c.store.list_experiments(*ns))
    arr.push_back({{"id", e.id},
                   {"name", e.name},
                   {"namespace", e.ns},
                   {"archived", e.archived},
                   {"description", e.description},
                   {"created_ms", e.created_ms}});
  return json_ok(Json{{"experiments", arr}});
}

Response sweeps(Ctx& c) {
  if (c.req.method != "GET") return method_not_allowed(c.req, "GET");
  const auto& s = c.req.seg;
  if (s.size() == 3) {
    auto ns = namespace_for(c.who, c.req.param("namespace"), true);
    if (!ns.ok()) return error(ns.status());
    Json arr = Json::array();
    for (const auto& sw : c.store.list_sweeps(1000)) {
      if (!ns->empty() && sw.ns != *ns) continue;
      arr.push_back({{"id", sw.id},
                     {"name", sw.name},
                     {"namespace", sw.ns},
                     {"state", sw.state},
                     {"backend", sw.backend},
                     {"created_ms", sw.created_ms},
                     {"finished_ms", sw.finished_ms},
                     {"message", sw.message}});
    }
    return json_ok(Json{{"sweeps", arr}});
  }
  if (s.size() != 4) return not_found(c.req);
  auto sw = c.store.get_sweep(s[3]);
  if (sw.ok() && !c.who.can_access(sw->ns)) return error(NotFound("no sweep " + s[3]));
  if (!sw.ok()) return error(sw.status());
  auto spec = tune::parse_sweep(sw->source, sw->file);
  if (!spec.ok()) return error(spec.status());
  auto trials = c.store.list_trials(sw->id);
  Json doc = tune::sweep_document(*sw, *spec, trials);
  doc["namespace"] = sw->ns;
  // Best so far, in trial order: what the dashboard's convergence chart draws.
  Json best = Json::array();
  std::optional<double> b;
  for (const auto& t : trials) {
    if (t.has_result() &&
        (!b || (spec->objective.maximize ? *t.objective > *b : *t.objective < *b)))
      b = t.objective;
    best.push_back(b ? Json(*b) : Json(nullptr));
  }
  doc["best_so_far"] = best;
  // Each trial's point in the unit cube: the parallel-coordinates axes, categorical ones included.
  for (size_t i = 0; i < trials.size(); ++i) doc["trials"][i]["point"] = trials[i].point;
  Json names = Json::array();
  for (const auto& p : spec->space.params) names.push_back(p.name);
  doc["parameter_names"] = names;
  return json_ok(doc);
}

Response models(Ctx& c) {
  if (c.req.method != "GET") return method_not_allowed(c.req, "GET");
  const auto& s = c.req.seg;
  if (s.size() > 4) return not_found(c.req);
  std::string name = s.size() == 4 ? s[3] : "";
  Json versions = Json::array();
  for (const auto& v : c.store.list_model_versions(name)) {
    if (!c.who.can_access(v.ns)) continue;
    Json j = ml::model_version_json(v);
    j["namespace"] = v.ns;
    versions.push_back(j);
  }
  if (s.size() == 3) return json_ok(Json{{"versions", versions}});
  if (versions.empty()) return error(NotFound("no model " + name + " is registered"));
  Json history = Json::array();
  for (const auto& e : c.store.stage_history(name))
    history.push_back(
        {{"version", e.version}, {"stage", e.stage}, {"reason", e.reason}, {"at_ms", e.at_ms}});
  return json_ok(Json{{"name", name}, {"versions", versions}, {"history", history}});
}

Response topology(Ctx& c) {
  if (c.req.method != "GET") return method_not_allowed(c.req, "GET");
  auto topo = topo::load_topology();
  if (!topo.ok()) return error(topo.status());
  if (c.req.param("format", "svg") == "json") return json_ok(topo::topology_json(*topo));
  return {200, "image/svg+xml", topo::topology_svg(*topo), {}};
}

}  // namespace

Response catalog_route(Ctx& c) {
  const auto& s = c.req.seg;
  const std::string& family = s[2];
  if (family == "whoami" && s.size() == 3)
    return json_ok(
        Json{{"namespace", c.who.ns}, {"admin", c.who.admin}, {"token", c.who.token_id}});
  if (family == "namespaces" && s.size() == 3) {
    Json arr = Json::array();
    for (const auto& ns : c.store.list_namespaces())
      if (c.who.can_access(ns)) arr.push_back(ns);
    return json_ok(Json{{"namespaces", arr}});
  }
  if (family == "experiments" && s.size() == 3) return experiments(c);
  if (family == "sweeps") return sweeps(c);
  if (family == "models") return models(c);
  if (family == "topology" && s.size() == 3) return topology(c);
  return not_found(c.req);
}

}  // namespace slipway::api
