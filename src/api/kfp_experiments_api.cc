// /apis/v2beta1/experiments: create, get, list (filter, sort, pages), archive, unarchive, delete.
#include "api/kfp_api.h"
#include "api/kfp_list.h"
#include "api/kfp_wire.h"

namespace slipway::api::kfp {

namespace {

const KeyMap& experiment_keys() {
  static const KeyMap kKeys = {
      {"experiment_id", {"id"}},
      {"display_name", {"name"}},
      {"name", {"name"}},
      {"id", {"id"}},
      {"description", {"description"}},
      {"namespace", {"namespace"}},
      {"created_at", {"created_ms", KeyColumn::Kind::kTime}},
      {"storage_state", {"archived", KeyColumn::Kind::kCustom, storage_state_value}}};
  return kKeys;
}

Response create(Ctx& c) {
  auto body = body_object(c.req);
  if (!body.ok()) return error(body.status());
  if (Status st = check_fields(*body, "experiment",
                               {"display_name", "description", "namespace", "experiment_id",
                                "storage_state", "created_at", "last_run_created_at"});
      !st.ok())
    return error(st);
  const std::string name = body->value("display_name", "");
  if (name.empty()) return error(InvalidInput("an experiment needs a display_name"));
  auto ns = namespace_for(c.who, body->value("namespace", ""), /*listing=*/false);
  if (!ns.ok()) return error(ns.status());
  auto e = c.store.create_experiment(name, ns->empty() ? "default" : *ns,
                                     body->value("description", ""));
  if (!e.ok()) return error(e.status());
  return ok(experiment_json(*e));
}

Response list(Ctx& c) {
  auto ns = namespace_for(c.who, c.req.param("namespace"), /*listing=*/true);
  if (!ns.ok()) return error(ns.status());
  auto q = list_query(c.req, experiment_keys());
  if (!q.ok()) return error(q.status());
  auto page = c.store.query_experiments(*q, *ns);
  if (!page.ok()) return error(page.status());
  return ok(list_response(*q, *page, "experiments", experiment_json));
}

}  // namespace

Response experiments_route(Ctx& c, const KfpPath& p) {
  const std::string& m = c.req.method;
  if (p.path.size() == 1) return collection(c, create, list);
  if (p.path.size() != 2) return error(NotFound("no such endpoint: " + c.req.path));
  auto e = visible_experiment(c, p.path[1]);
  if (!e.ok()) return error(e.status());
  if (p.verb.empty()) {
    if (m == "GET") return ok(experiment_json(*e));
    if (m == "DELETE") {
      if (Status st = c.store.delete_experiment(e->id); !st.ok()) return error(st);
      return ok(Json::object());
    }
    return not_allowed(c.req, "GET or DELETE");
  }
  if (m != "POST") return not_allowed(c.req, "POST");
  if (p.verb != "archive" && p.verb != "unarchive")
    return error(NotFound("experiments have no method ':" + p.verb + "' (archive, unarchive)"));
  if (Status st = c.store.set_experiment_archived(e->id, p.verb == "archive"); !st.ok())
    return error(st);
  return ok(Json::object());
}

}  // namespace slipway::api::kfp
