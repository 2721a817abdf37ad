// /apis/v2beta1/runs: create (inline pipeline_spec or a pipeline version, with
// runtime_config.parameters), get (with run_details.task_details), list (by experiment, filter,
// sort, page token), terminate, retry, archive, unarchive, delete.
#include "api/kfp_api.h"
#include "api/kfp_list.h"
#include "api/kfp_wire.h"
#include "core/clock.h"

namespace slipway::api::kfp {

namespace {

KeyMap run_keys(Ctx& c) {
  using K = KeyColumn::Kind;
  auto experiment_name = [&c](const std::string& id) -> Result<store::SqlValue> {
    auto e = visible_experiment(c, id);
    if (!e.ok()) return e.status();
    return store::SqlValue{e->name};
  };
  auto state = [](const std::string& s) -> Result<store::SqlValue> {
    auto st = slipway_run_state(s);
    if (!st.ok()) return st.status();
    return store::SqlValue{*st};
  };
  return {{"run_id", {"id"}},
          {"id", {"id"}},
          {"display_name", {"display_name"}},
          {"name", {"display_name"}},
          {"description", {"description"}},
          {"created_at", {"created_ms", K::kTime}},
          {"scheduled_at", {"created_ms", K::kTime}},
          {"finished_at", {"finished_ms", K::kTime}},
          {"state", {"state", K::kCustom, state}},
          {"storage_state", {"archived", K::kCustom, storage_state_value}},
          {"experiment_id", {"experiment", K::kCustom, experiment_name}},
          {"namespace", {"namespace"}},
          {"recurring_run_id", {"schedule_id"}},
          {"pipeline_version_id", {"pipeline_version_id"}}};
}

Response create(Ctx& c) {
  auto body = body_object(c.req);
  if (!body.ok()) return error(body.status());
  if (Status st = check_fields(
          *body, "run",
          {"experiment_id", "display_name", "description", "pipeline_spec",
           "pipeline_version_reference", "pipeline_version_id", "runtime_config", "service_account",
           "run_id", "storage_state", "state", "created_at", "scheduled_at", "finished_at",
           "recurring_run_id", "state_history", "run_details", "error"});
      !st.ok())
    return error(st);
  runs::NewRun spec;
  auto params = runtime_parameters(*body);
  if (!params.ok()) return error(params.status());
  spec.params = *params;
  auto src = pipeline_source(c, *body);
  if (!src.ok()) return error(src.status());
  auto where = placement(c, *body);
  if (!where.ok()) return error(where.status());
  spec.source = src->text;
  spec.file = src->file;
  spec.pipeline_version_id = src->version_id;
  spec.experiment = where->experiment;
  spec.ns = where->ns;
  spec.display_name = body->value("display_name", "");
  spec.description = body->value("description", "");
  auto run = start_run(c.store, spec);
  if (!run.ok()) return error(run.status());
  return ok(run_json(c.store, *run, /*details=*/false));
}

Response list(Ctx& c) {
  auto ns = namespace_for(c.who, c.req.param("namespace"), /*listing=*/true);
  if (!ns.ok()) return error(ns.status());
  KeyMap keys = run_keys(c);
  auto q = list_query(c.req, keys);
  if (!q.ok()) return error(q.status());
  if (Status st = filter_by_experiment(c, &*q); !st.ok()) return error(st);
  auto page = c.store.query_runs(*q, *ns);
  if (!page.ok()) return error(page.status());
  auto to_json = [&c](const store::RunRecord& r) { return run_json(c.store, r, false); };
  return ok(list_response(*q, *page, "runs", to_json));
}

Response act(Ctx& c, const store::RunRecord& run, const std::string& verb) {
  if (verb == "archive" || verb == "unarchive") {
    if (Status st = c.store.set_run_archived(run.id, verb == "archive"); !st.ok()) return error(st);
    return ok(Json::object());
  }
  if (verb == "terminate") {
    if (runs::terminal_run_state(run.state))
      return error(Conflict("run " + run.id + " has already ended (" + run_state(run) + ")"));
    auto out = control_run_action(c.store, run, "cancel");
    if (!out.ok()) return error(out.status());
    return ok(Json::object());
  }
  if (verb == "retry") {
    if (run.state == "SUCCEEDED")
      return error(Conflict("run " + run.id + " succeeded; there is nothing to retry"));
    auto out = control_run_action(c.store, run, "retry");
    if (!out.ok()) return error(out.status());
    return ok(Json::object());
  }
  return error(
      NotFound("runs have no method ':" + verb + "' (terminate, retry, archive, unarchive)"));
}

}  // namespace

Response runs_route(Ctx& c, const KfpPath& p) {
  const std::string& m = c.req.method;
  if (p.path.size() == 1) return collection(c, create, list);
  if (p.path.size() != 2) return error(NotFound("no such endpoint: " + c.req.path));
  auto run = visible_run(c, p.path[1]);
  if (!run.ok()) return error(run.status());
  if (!p.verb.empty()) return m == "POST" ? act(c, *run, p.verb) : not_allowed(c.req, "POST");
  if (m == "GET") return ok(run_json(c.store, *run, /*details=*/true));
  if (m == "DELETE") {
    if (Status st = c.store.delete_run(run->id); !st.ok()) return error(st);
    return ok(Json::object());
  }
  return not_allowed(c.req, "GET or DELETE");
}

}  // namespace slipway::api::kfp
