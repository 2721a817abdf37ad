// /apis/v2beta1/recurringruns: create (cron or periodic trigger, start and end time,
// max_concurrency, no_catchup, enabled or not), get, list, enable, disable, delete. They are
// slipway's schedules; the runs they fire carry recurring_run_id.
#include "api/kfp_api.h"
#include "api/kfp_list.h"
#include "api/kfp_wire.h"
#include "core/clock.h"

namespace slipway::api::kfp {

namespace {

Result<std::int64_t> int64_field(const Json& j, const std::string& name) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (!s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos)
      return std::stoll(s);
  }
  return InvalidInput(name + " must be a whole number, not " + j.dump());
}

Status read_window(const Json& w, const char* which, runs::NewSchedule* n) {
  if (w.contains("start_time") && !w["start_time"].is_null()) {
    auto ms =
        parse_timestamp(w["start_time"].get<std::string>(), std::string(which) + ".start_time");
    if (!ms.ok()) return ms.status();
    n->start_ms = *ms;
  }
  if (w.contains("end_time") && !w["end_time"].is_null()) {
    auto ms = parse_timestamp(w["end_time"].get<std::string>(), std::string(which) + ".end_time");
    if (!ms.ok()) return ms.status();
    n->end_ms = *ms;
  }
  return Status::Ok();
}

Status read_trigger(const Json& t, runs::NewSchedule* n) {
  if (!t.is_object()) return InvalidInput("a recurring run needs a trigger");
  SLIPWAY_RETURN_IF_ERROR(check_fields(t, "trigger", {"cron_schedule", "periodic_schedule"}));
  const bool cron = t.contains("cron_schedule") && t["cron_schedule"].is_object();
  const bool periodic = t.contains("periodic_schedule") && t["periodic_schedule"].is_object();
  if (cron == periodic)
    return InvalidInput("the trigger needs exactly one of cron_schedule and periodic_schedule");
  if (cron) {
    const Json& c = t["cron_schedule"];
    SLIPWAY_RETURN_IF_ERROR(check_fields(c, "cron_schedule", {"cron", "start_time", "end_time"}));
    const std::string text = c.value("cron", "");
    auto converted = kfp_cron(text);
    if (!converted.ok()) return converted.status();
    n->cron = converted->cron;
    n->every = converted->every;
    n->trigger_as_written = text;
    return read_window(c, "cron_schedule", n);
  }
  const Json& p = t["periodic_schedule"];
  SLIPWAY_RETURN_IF_ERROR(
      check_fields(p, "periodic_schedule", {"interval_second", "start_time", "end_time"}));
  auto secs = int64_field(p.value("interval_second", Json()), "periodic_schedule.interval_second");
  if (!secs.ok()) return secs.status();
  n->every = std::to_string(*secs) + "s";
  return read_window(p, "periodic_schedule", n);
}

Response create(Ctx& c) {
  auto body = body_object(c.req);
  if (!body.ok()) return error(body.status());
  if (Status st = check_fields(
          *body, "recurring_run",
          {"recurring_run_id", "display_name", "description", "pipeline_version_id",
           "pipeline_spec", "pipeline_version_reference", "runtime_config", "service_account",
           "max_concurrency", "trigger", "mode", "created_at", "updated_at", "status", "error",
           "no_catchup", "namespace", "experiment_id"});
      !st.ok())
    return error(st);
  runs::NewSchedule n;
  n.name = body->value("display_name", "");
  if (n.name.empty()) return error(InvalidInput("a recurring run needs a display_name"));
  n.description = body->value("description", "");
  if (Status st = read_trigger(body->value("trigger", Json()), &n); !st.ok()) return error(st);
  if (body->contains("max_concurrency") && !(*body)["max_concurrency"].is_null()) {
    auto mc = int64_field((*body)["max_concurrency"], "max_concurrency");
    if (!mc.ok()) return error(mc.status());
    n.max_concurrency = static_cast<int>(std::min<std::int64_t>(*mc, 1'000'000));
  }
  const std::string mode = body->value("mode", "ENABLE");
  if (mode != "ENABLE" && mode != "DISABLE" && mode != "MODE_UNSPECIFIED")
    return error(InvalidInput("mode is ENABLE or DISABLE, not '" + mode + "'"));
  n.enabled = mode != "DISABLE";
  n.catch_up = !body->value("no_catchup", false);  // KFP catches up unless told not to
  auto params = runtime_parameters(*body);
  if (!params.ok()) return error(params.status());
  n.run.params = *params;
  auto src = pipeline_source(c, *body);
  if (!src.ok()) return error(src.status());
  auto where = placement(c, *body);
  if (!where.ok()) return error(where.status());
  n.run.source = src->text;
  n.run.file = src->file;
  n.run.pipeline_version_id = src->version_id;
  n.run.experiment = where->experiment;
  n.run.ns = where->ns;
  n.run.no_cache = true;  // a recurring run exists to run again
  auto s = runs::create_schedule(c.store, n, now_ms());
  if (!s.ok()) return error(s.status());
  return ok(recurring_run_json(c.store, *s));
}

KeyMap recurring_keys(Ctx& c) {
  using K = KeyColumn::Kind;
  auto experiment_name = [&c](const std::string& id) -> Result<store::SqlValue> {
    auto e = visible_experiment(c, id);
    if (!e.ok()) return e.status();
    return store::SqlValue{e->name};
  };
  auto enabled = [](const std::string& s) -> Result<store::SqlValue> {
    if (s == "ENABLE" || s == "ENABLED") return store::SqlValue{std::int64_t{1}};
    if (s == "DISABLE" || s == "DISABLED") return store::SqlValue{std::int64_t{0}};
    return InvalidInput("mode is ENABLE or DISABLE (status ENABLED or DISABLED), not '" + s + "'");
  };
  return {{"recurring_run_id", {"id"}},
          {"id", {"id"}},
          {"display_name", {"name"}},
          {"name", {"name"}},
          {"description", {"description"}},
          {"namespace", {"namespace"}},
          {"experiment_id", {"experiment", K::kCustom, experiment_name}},
          {"mode", {"enabled", K::kCustom, enabled}},
          {"status", {"enabled", K::kCustom, enabled}},
          {"created_at", {"created_ms", K::kTime}},
          {"updated_at", {"updated_ms", K::kTime}}};
}

Response list(Ctx& c) {
  auto ns = namespace_for(c.who, c.req.param("namespace"), /*listing=*/true);
  if (!ns.ok()) return error(ns.status());
  auto q = list_query(c.req, recurring_keys(c));
  if (!q.ok()) return error(q.status());
  if (Status st = filter_by_experiment(c, &*q); !st.ok()) return error(st);
  auto page = c.store.query_schedules(*q, *ns);
  if (!page.ok()) return error(page.status());
  auto to_json = [&c](const store::ScheduleRecord& s) { return recurring_run_json(c.store, s); };
  return ok(list_response(*q, *page, "recurringRuns", to_json));
}

}  // namespace

Response recurring_runs_route(Ctx& c, const KfpPath& p) {
  const std::string& m = c.req.method;
  if (p.path.size() == 1) return collection(c, create, list);
  if (p.path.size() != 2) return error(NotFound("no such endpoint: " + c.req.path));
  auto s = c.store.get_schedule(p.path[1]);
  if (s.ok() && !c.who.can_access(s->ns))
    return error(NotFound("no recurring run with id '" + p.path[1] + "'"));
  if (!s.ok()) return error(s.status());
  if (!p.verb.empty()) {
    if (m != "POST") return not_allowed(c.req, "POST");
    if (p.verb != "enable" && p.verb != "disable")
      return error(NotFound("recurring runs have no method ':" + p.verb + "' (enable, disable)"));
    if (Status st = c.store.set_schedule_enabled(s->id, p.verb == "enable"); !st.ok())
      return error(st);
    return ok(Json::object());
  }
  if (m == "GET") return ok(recurring_run_json(c.store, *s));
  if (m == "DELETE") {
    if (Status st = c.store.delete_schedule(s->id); !st.ok()) return error(st);
    return ok(Json::object());
  }
  return not_allowed(c.req, "GET or DELETE");
}

}  // namespace slipway::api::kfp
