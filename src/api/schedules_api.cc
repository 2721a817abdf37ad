// /api/v1/schedules: recurring runs — list, create, show, enable, disable, delete.
#include "api/handlers.h"
#include "core/clock.h"
#include "runs/run_control.h"

namespace slipway::api {

namespace {

Response create(Ctx& c) {
  auto body = body_object(c.req);
  if (!body.ok()) return error(body.status());
  if (!body->contains("pipeline") || !(*body)["pipeline"].is_string())
    return error(InvalidInput(
        "the body needs \"pipeline\": the pipeline file's text, and \"cron\" or \"every\""));
  auto ns = namespace_for(c.who, body->value("namespace", ""), false);
  if (!ns.ok()) return error(ns.status());
  runs::NewSchedule n;
  n.run.source = (*body)["pipeline"].get<std::string>();
  n.run.file = body->value("file", "pipeline.yaml");
  n.run.params = body->value("params", Json::object());
  n.run.experiment = body->value("experiment", "Default");
  n.run.backend = body->value("backend", "local");
  n.run.no_cache = !body->value("cache", false);
  n.run.ns = ns->empty() ? "default" : *ns;
  n.name = body->value("name", "");
  n.cron = body->value("cron", "");
  n.every = body->value("every", "");
  n.start_ms = body->value("start_ms", std::int64_t{0});
  n.max_concurrency = body->value("max_concurrency", 1);
  n.catch_up = body->value("catch_up", false);
  n.enabled = body->value("enabled", true);
  auto s = runs::create_schedule(c.store, n, now_ms());
  if (!s.ok()) return error(s.status());
  return json_ok(runs::schedule_json(*s, now_ms()), 201);
}

}  // namespace

Response schedules_route(Ctx& c) {
  const auto& s = c.req.seg;
  const std::string& m = c.req.method;
  if (s.size() == 3) {
    if (m == "POST") return create(c);
    if (m != "GET") return method_not_allowed(c.req, "GET or POST");
    auto ns = namespace_for(c.who, c.req.param("namespace"), true);
    if (!ns.ok()) return error(ns.status());
    Json arr = Json::array();
    for (const auto& x : c.store.list_schedules(*ns))
      arr.push_back(runs::schedule_json(x, now_ms()));
    return json_ok(Json{{"schedules", arr}});
  }
  if (s.size() > 5) return not_found(c.req);
  auto sched = c.store.get_schedule(s[3]);
  if (sched.ok() && !c.who.can_access(sched->ns)) return error(NotFound("no schedule " + s[3]));
  if (!sched.ok()) return error(sched.status());
  if (s.size() == 4) {
    if (m == "GET") return json_ok(runs::schedule_json(*sched, now_ms()));
    if (m == "DELETE") {
      if (Status st = c.store.delete_schedule(sched->id); !st.ok()) return error(st);
      return json_ok(Json{{"id", sched->id}, {"deleted", true}});
    }
    return method_not_allowed(c.req, "GET or DELETE");
  }
  if (s[4] != "enable" && s[4] != "disable") return not_found(c.req);
  if (m != "POST") return method_not_allowed(c.req, "POST");
  if (Status st = c.store.set_schedule_enabled(sched->id, s[4] == "enable"); !st.ok())
    return error(st);
  sched->enabled = s[4] == "enable";
  return json_ok(runs::schedule_json(*sched, now_ms()));
}

}  // namespace slipway::api
