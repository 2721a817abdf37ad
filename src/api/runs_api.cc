// /api/v1/runs: list (paged), submit, show, cancel, retry, resume, the DAG, task logs (read from
// an offset, so a client follows a log by asking again from next_offset), metrics, artifacts;
// and /api/v1/compare.
#include <fstream>

#include "api/handlers.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/subprocess.h"
#include "runs/run_control.h"
#include "runs/run_view.h"

namespace slipway::api {

namespace {

constexpr size_t kLogChunk = 1u << 20;

Json run_summary(const store::RunRecord& r) {
  return {{"id", r.id},
          {"pipeline", r.pipeline},
          {"experiment", r.experiment},
          {"namespace", r.ns},
          {"state", r.state},
          {"backend", r.backend},
          {"schedule_id", r.schedule_id},
          {"created", iso8601_ms(r.created_ms)},
          {"created_ms", r.created_ms},
          {"started_ms", r.started_ms},
          {"finished_ms", r.finished_ms},
          {"duration_ms", r.finished_ms && r.started_ms ? r.finished_ms - r.started_ms : 0},
          {"message", r.message}};
}

// page_token is "<created_ms>_<id>" of the last run of the previous page.
Status parse_page_token(const std::string& token, store::RunFilter* f) {
  if (token.empty()) return Status::Ok();
  size_t us = token.find('_');
  try {
    if (us == std::string::npos || us == 0) throw std::invalid_argument("no separator");
    f->before_ms = std::stoll(token.substr(0, us));
    f->before_id = token.substr(us + 1);
  } catch (const std::exception&) {
    return InvalidInput("page_token '" + token +
                        "' is not one this server gave out; start again without it");
  }
  return Status::Ok();
}

Response list_runs(Ctx& c) {
  auto ns = namespace_for(c.who, c.req.param("namespace"), /*listing=*/true);
  if (!ns.ok()) return error(ns.status());
  auto size = c.req.int_param("page_size", 50, 1, 1000);
  if (!size.ok()) return error(size.status());
  store::RunFilter f;
  f.ns = *ns;
  f.state = c.req.param("state");
  f.experiment = c.req.param("experiment");
  f.pipeline = c.req.param("pipeline");
  f.schedule_id = c.req.param("schedule");
  f.limit = static_cast<int>(*size) + 1;  // one more tells whether another page follows
  f.with_source = false;
  if (Status st = parse_page_token(c.req.param("page_token"), &f); !st.ok()) return error(st);
  auto runs = c.store.list_runs(f);
  Json out = {{"runs", Json::array()}};
  for (size_t i = 0; i < runs.size() && i < static_cast<size_t>(*size); ++i)
    out["runs"].push_back(run_summary(runs[i]));
  if (runs.size() > static_cast<size_t>(*size)) {
    const store::RunRecord& last = runs[static_cast<size_t>(*size) - 1];
    out["next_page_token"] = std::to_string(last.created_ms) + "_" + last.id;
  }
  return json_ok(out);
}

Response submit_run(Ctx& c) {
  auto body = body_object(c.req);
  if (!body.ok()) return error(body.status());
  runs::NewRun spec;
  if (body->contains("pipeline_path")) {
    // A file on the server's disk: admins only, since reading it would show a member other files.
    if (!c.who.admin)
      return error(
          NotFound("pipeline_path is for admin tokens; send the pipeline's text as \"pipeline\""));
    spec.file = body->value("pipeline_path", "");
    auto text = read_file(spec.file);
    if (!text.ok()) return error(InvalidInput(text.status().message()));
    spec.source = *text;
  } else {
    if (!body->contains("pipeline") || !(*body)["pipeline"].is_string())
      return error(InvalidInput(
          "the body needs \"pipeline\": the pipeline file's text (native YAML or KFP IR)"));
    spec.source = (*body)["pipeline"].get<std::string>();
    spec.file = body->value("file", "pipeline.yaml");
  }
  auto ns = namespace_for(c.who, body->value("namespace", ""), /*listing=*/false);
  if (!ns.ok()) return error(ns.status());
  spec.ns = ns->empty() ? "default" : *ns;
  spec.params = body->value("params", Json::object());
  spec.experiment = body->value("experiment", "Default");
  spec.backend = body->value("backend", "local");
  spec.no_cache = body->value("no_cache", false);
  auto run = start_run(c.store, spec);
  if (!run.ok()) return error(run.status());
  return json_ok(run_summary(*run), 201);
}

Response control_run(Ctx& c, const store::RunRecord& run, const std::string& verb) {
  auto out = control_run_action(c.store, run, verb);
  if (!out.ok()) return error(out.status());
  return json_ok(*out, out->contains("message") ? 200 : 202);
}

Response dag(Ctx& c, const store::RunRecord& run) {
  auto dot = runs::run_dot(c.store, run);
  if (!dot.ok()) return error(dot.status());
  if (c.req.param("format", "svg") == "dot") return {200, "text/vnd.graphviz", *dot, {}};
  // Graphviz lays the DAG out; the dashboard only shows the picture.
  auto svg = run_command({"dot", "-Tsvg"}, 20'000, *dot);
  if (!svg.ok() || svg->exit_code != 0)
    return error(Unavailable("Graphviz could not lay out the DAG (install graphviz): " +
                             (svg.ok() ? svg->err : svg.status().message())));
  return {200, "image/svg+xml", svg->out, {{"Cache-Control", "no-store"}}};
}

Response task_logs(Ctx& c, const store::RunRecord& run, const std::string& task) {
  auto attempt_no = c.req.int_param("attempt", 0, 0, 1'000'000);
  auto offset = c.req.int_param("offset", 0, 0, 1LL << 50);
  if (!attempt_no.ok()) return error(attempt_no.status());
  if (!offset.ok()) return error(offset.status());
  std::string stream = c.req.param("stream", "out");
  if (stream != "out" && stream != "err") return error(InvalidInput("stream must be out or err"));
  auto t = c.store.get_task(run.id, task);
  if (!t.ok()) {
    // A run whose driver has not yet laid out its tasks: nothing to read yet, keep following.
    if (t.status().code() != ErrorCode::kNotFound || runs::terminal_run_state(run.state))
      return error(t.status());
    return json_ok(Json{{"run", run.id},
                        {"task", task},
                        {"task_state", "PENDING"},
                        {"stream", stream},
                        {"attempts", 0},
                        {"offset", *offset},
                        {"attempt", 0},
                        {"data", ""},
                        {"next_offset", *offset},
                        {"complete", false}});
  }
  auto attempts = c.store.list_attempts(run.id, task);
  Json out = {{"run", run.id},
              {"task", task},
              {"task_state", t->state},
              {"stream", stream},
              {"attempts", attempts.size()},
              {"offset", *offset}};
  if (attempts.empty()) {
    // Not started yet (follow keeps asking) or never will (skipped, cached, upstream failed).
    bool final = t->state != "PENDING" && t->state != "RUNNING";
    out.update({{"attempt", 0},
                {"data", ""},
                {"next_offset", *offset},
                {"complete", final},
                {"message", !final      ? ""
                            : t->cached ? "task " + task + " did not run: " + t->message
                                        : "task " + task + " did not run (" + t->state + ")"}});
    return json_ok(out);
  }
  const store::AttemptRecord* a = &attempts.back();
  if (*attempt_no > 0) {
    a = nullptr;
    for (const auto& x : attempts)
      if (x.number == *attempt_no) a = &x;
    if (!a)
      return error(NotFound("task " + task + " has no attempt " + std::to_string(*attempt_no) +
                            " (it has " + std::to_string(attempts.size()) + ")"));
  }
  std::string path = a->log_path.substr(0, a->log_path.size() - 4) + "." + stream;
  std::ifstream in(path, std::ios::binary);
  std::string data;
  std::int64_t size = 0;
  if (in) {
    in.seekg(0, std::ios::end);
    size = in.tellg();
    if (*offset < size) {
      in.seekg(*offset);
      data.resize(std::min<size_t>(kLogChunk, static_cast<size_t>(size - *offset)));
      in.read(data.data(), static_cast<std::streamsize>(data.size()));
      data.resize(static_cast<size_t>(in.gcount()));
    }
  }
  std::int64_t next = *offset + static_cast<std::int64_t>(data.size());
  out.update({{"attempt", a->number},
              {"attempt_state", a->state},
              {"data", data},
              {"next_offset", next},
              {"size", size},
              {"complete", a->state != "RUNNING" && next >= size}});
  return json_ok(out);
}

Response run_metrics(Ctx& c, const store::RunRecord& run) {
  Json arr = Json::array();
  for (const auto& m : c.store.list_metrics(run.id))
    arr.push_back({{"task", m.task}, {"name", m.name}, {"value", m.value}, {"step", m.step}});
  return json_ok(Json{{"run", run.id}, {"metrics", arr}});
}

Response run_artifacts(Ctx& c, const store::RunRecord& run) {
  Json arr = Json::array();
  for (const auto& a : c.store.list_artifacts(run.id, 10'000))
    arr.push_back({{"id", a.id},
                   {"task", a.task},
                   {"name", a.name},
                   {"type", a.type},
                   {"uri", a.uri},
                   {"sha256", a.sha256},
                   {"size", a.size}});
  return json_ok(Json{{"run", run.id}, {"artifacts", arr}});
}

// Runs side by side: parameters, metrics (final value of each task.name) and states.
Response compare(Ctx& c) {
  std::string ids = c.req.param("runs");
  Json runs = Json::array();
  for (size_t i = 0; i <= ids.size();) {
    size_t j = ids.find(',', i);
    if (j == std::string::npos) j = ids.size();
    std::string id = ids.substr(i, j - i);
    i = j + 1;
    if (id.empty()) continue;
    auto run = visible_run(c, id);
    if (!run.ok()) return error(run.status());
    Json metrics = Json::object();
    for (const auto& m : c.store.list_metrics(run->id)) metrics[m.task + "." + m.name] = m.value;
    Json r = run_summary(*run);
    r["params"] = run->params;
    r["metrics"] = metrics;
    runs.push_back(r);
  }
  if (runs.size() < 2) return error(InvalidInput("compare needs at least two runs: ?runs=ID1,ID2"));
  return json_ok(Json{{"runs", runs}});
}

}  // namespace

Result<store::RunRecord> start_run(store::Store& store, const runs::NewRun& spec) {
  auto run = runs::create_run(store, spec, now_ms());
  if (!run.ok()) return run.status();
  auto pid = runs::spawn_driver(*run, runs::DriveMode::kStart);
  if (!pid.ok()) {
    Status marked = store.set_run_state(run->id, "FAILED", now_ms(),
                                        "the driver could not start: " + pid.status().message());
    if (!marked.ok())
      return Failed("the driver of run " + run->id + " could not start (" + pid.status().message() +
                    ") and the run could not be marked FAILED (" + marked.message() +
                    "); resume it with POST .../resume");
    return pid.status();
  }
  return run;
}

Result<Json> control_run_action(store::Store& store, const store::RunRecord& run,
                                const std::string& verb) {
  if (verb == "cancel") {
    auto state = runs::cancel_run(store, run, 0);
    if (!state.ok()) return state.status();
    return Json{{"id", run.id}, {"state", *state}};
  }
  bool terminal = runs::terminal_run_state(run.state);
  if (verb == "resume" && terminal)
    return Conflict("run " + run.id + " is " + run.state + "; nothing to resume" +
                    (run.state == "SUCCEEDED" ? "" : " (retry runs its failed tasks again)"));
  if (verb == "retry" && !terminal)
    return Conflict("run " + run.id + " is " + run.state +
                    "; retry applies to a finished run (use resume)");
  if (verb == "retry" && run.state == "SUCCEEDED")
    return Json{{"id", run.id}, {"state", run.state}, {"message", "nothing to retry"}};
  bool driven = run.driver_pid > 0 && now_ms() - run.heartbeat_ms < 10'000;
  if (driven)
    return Conflict("run " + run.id + " is being driven by pid " + std::to_string(run.driver_pid) +
                    " on " + run.driver_host);
  if (verb == "retry") {
    // PENDING at once, so a client that polls right after asking sees the retry, not the old
    // failure (kfp's wait_for_run_completion would return at once on FAILED).
    SLIPWAY_RETURN_IF_ERROR(store.set_run_state(run.id, "PENDING", now_ms(), "retrying"));
  }
  auto pid =
      runs::spawn_driver(run, verb == "retry" ? runs::DriveMode::kRetry : runs::DriveMode::kResume);
  if (!pid.ok()) {
    if (verb == "retry")
      (void)store.set_run_state(run.id, run.state, now_ms(),  // safe: the spawn error is reported
                                "the retry's driver could not start: " + pid.status().message());
    return pid.status();
  }
  return Json{{"id", run.id}, {"state", verb == "retry" ? "PENDING" : run.state}};
}

Response runs_route(Ctx& c) {
  const auto& s = c.req.seg;
  const std::string& m = c.req.method;
  if (s[2] == "compare")
    return s.size() == 3 ? (m == "GET" ? compare(c) : method_not_allowed(c.req, "GET"))
                         : not_found(c.req);
  if (s.size() == 3) {
    if (m == "GET") return list_runs(c);
    if (m == "POST") return submit_run(c);
    return method_not_allowed(c.req, "GET or POST");
  }
  auto run = visible_run(c, s[3]);
  if (!run.ok()) return error(run.status());
  if (s.size() == 4) {
    if (m != "GET") return method_not_allowed(c.req, "GET");
    Json doc = runs::run_document(c.store, *run);
    doc["namespace"] = run->ns;
    doc["schedule_id"] = run->schedule_id;
    return json_ok(doc);
  }
  const std::string& sub = s[4];
  if (s.size() == 5 && (sub == "cancel" || sub == "retry" || sub == "resume"))
    return m == "POST" ? control_run(c, *run, sub) : method_not_allowed(c.req, "POST");
  if (m != "GET") return method_not_allowed(c.req, "GET");
  if (s.size() == 5 && sub == "dag") return dag(c, *run);
  if (s.size() == 5 && sub == "metrics") return run_metrics(c, *run);
  if (s.size() == 5 && sub == "artifacts") return run_artifacts(c, *run);
  if (s.size() == 7 && sub == "tasks" && s[6] == "logs") return task_logs(c, *run, s[5]);
  return not_found(c.req);
}

}  // namespace slipway::api
