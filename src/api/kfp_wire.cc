#include "api/kfp_wire.h"

#include <yaml-cpp/yaml.h>

#include <ctime>
#include <map>
#include <sstream>

#include "core/clock.h"
#include "core/yaml_json.h"
#include "runs/run_control.h"

namespace slipway::api::kfp {

namespace {

// google.rpc.Code and the HTTP status grpc-gateway answers it with.
std::pair<int, int> rpc_code(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kInvalidInput:
      return {3, 400};  // INVALID_ARGUMENT
    case ErrorCode::kNotFound:
      return {5, 404};  // NOT_FOUND
    case ErrorCode::kConflict:
      return {6, 409};  // ALREADY_EXISTS (and a state that forbids the change)
    case ErrorCode::kUnavailable:
      return {14, 503};  // UNAVAILABLE
    case ErrorCode::kUnauthenticated:
      return {16, 401};  // UNAUTHENTICATED
    default:
      return {13, 500};  // INTERNAL
  }
}

std::string str64(std::int64_t v) { return std::to_string(v); }

}  // namespace

Response error(const Status& s) {
  auto [code, http] = rpc_code(s);
  Response r = json_ok(Json{{"error", s.message()},
                            {"code", code},
                            {"message", s.message()},
                            {"details", Json::array()}},
                       http);
  if (s.code() == ErrorCode::kUnauthenticated) r.headers.push_back({"WWW-Authenticate", "Bearer"});
  return r;
}

Response ok(const Json& j) { return json_ok(j, 200); }

Response not_allowed(const ApiRequest& r, const std::string& allowed) {
  std::string m = r.method + " is not allowed on " + r.path + "; use " + allowed;
  return json_ok(Json{{"error", m}, {"code", 12}, {"message", m}, {"details", Json::array()}}, 405);
}

std::string timestamp(std::int64_t ms) {
  return ms > 0 ? iso8601_ms(ms) : std::string("1970-01-01T00:00:00Z");
}

Result<std::int64_t> parse_timestamp(const std::string& text, const std::string& field) {
  auto bad = [&] {
    return InvalidInput(field + " '" + text +
                        "' is not an RFC 3339 time such as 2026-12-06T10:00:00Z");
  };
  std::tm tm{};
  int frac_ms = 0;
  const char* p = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p) return bad();
  if (*p == '.') {
    int digits = 0;
    for (++p; *p >= '0' && *p <= '9'; ++p, ++digits)
      if (digits < 3) frac_ms = frac_ms * 10 + (*p - '0');
    if (digits == 0) return bad();
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  std::int64_t offset_s = 0;
  if (*p == 'Z' || *p == 'z') {
    ++p;
  } else if (*p == '+' || *p == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2) return bad();
    offset_s = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
    p += 6;
  } else {
    return bad();
  }
  if (*p != '\0') return bad();
  return (static_cast<std::int64_t>(timegm(&tm)) - offset_s) * 1000 + frac_ms;
}

std::string run_state(const store::RunRecord& r) {
  if (r.state == "CANCELLED") return "CANCELED";
  if (r.cancel_requested && !runs::terminal_run_state(r.state)) return "CANCELING";
  return r.state;  // PENDING RUNNING SUCCEEDED FAILED are KFP's names too
}

std::string task_state(const store::TaskRecord& t) {
  if (t.state == "CANCELLED") return "CANCELED";
  // KFP never starts a task whose upstream failed; it shows as not run.
  if (t.state == "UPSTREAM_FAILED") return "SKIPPED";
  return t.state;
}

Result<std::string> slipway_run_state(const std::string& kfp_state) {
  static const std::map<std::string, std::string> kStates = {
      {"PENDING", "PENDING"}, {"RUNNING", "RUNNING"},    {"SUCCEEDED", "SUCCEEDED"},
      {"FAILED", "FAILED"},   {"CANCELED", "CANCELLED"}, {"SKIPPED", "SKIPPED"},
      {"PAUSED", "PAUSED"}};
  // CANCELING is a RUNNING run with a cancel asked: no state column holds it, so a filter on it
  // would answer wrong either way.
  if (kfp_state == "CANCELING")
    return InvalidInput(
        "runs cannot be filtered on CANCELING here (it is RUNNING with a cancel "
        "asked); filter on RUNNING and read each run's state");
  auto it = kStates.find(kfp_state);
  if (it == kStates.end())
    return InvalidInput("'" + kfp_state +
                        "' is not a run state (PENDING, RUNNING, SUCCEEDED, SKIPPED, FAILED, "
                        "CANCELING, CANCELED, PAUSED)");
  return it->second;
}

Json pipeline_spec_json(const std::string& source) {
  try {
    std::vector<YAML::Node> docs = load_yaml_documents(source);
    if (docs.empty()) return nullptr;
    Json spec = yaml_to_json(docs[0]);
    if (docs.size() == 1) return spec;
    return Json{{"pipeline_spec", spec}, {"platform_spec", yaml_to_json(docs[1])}};
  } catch (const YAML::Exception&) {
    return nullptr;  // a stored text that is not YAML: shown as no spec, not an error
  }
}

std::string pipeline_spec_text(const Json& spec) {
  // The importer reads an API object's pipeline_spec, {pipeline_spec, platform_spec} included.
  if (spec.contains("pipeline_spec")) return Json{{"pipeline_spec", spec}}.dump(1);
  return spec.dump(1);
}

Json experiment_json(const store::ExperimentRecord& e) {
  return {{"experiment_id", e.id},
          {"display_name", e.name},
          {"description", e.description},
          {"created_at", timestamp(e.created_ms)},
          {"namespace", e.ns},
          {"storage_state", e.archived ? "ARCHIVED" : "AVAILABLE"},
          {"last_run_created_at", timestamp(e.last_run_created_ms)}};
}

namespace {

Json rpc_status(const std::string& message, int code = 2 /* UNKNOWN */) {
  return {{"code", code}, {"message", message}, {"details", Json::array()}};
}

// Why a run failed: its own message, else the tasks that failed and theirs.
std::string failure_message(store::Store& store, const store::RunRecord& r) {
  if (!r.message.empty()) return r.message;
  std::string out;
  for (const auto& t : store.list_tasks(r.id))
    if (t.state == "FAILED")
      out += (out.empty() ? "" : "; ") + std::string("task ") + t.name + " failed" +
             (t.message.empty() ? "" : ": " + t.message);
  return out.empty() ? "the run failed" : out;
}

Json state_history(store::Store& store, const store::RunRecord& r) {
  Json h = Json::array();
  h.push_back({{"update_time", timestamp(r.created_ms)}, {"state", "PENDING"}});
  if (r.started_ms > 0)
    h.push_back({{"update_time", timestamp(r.started_ms)}, {"state", "RUNNING"}});
  if (runs::terminal_run_state(r.state)) {
    Json last = {{"update_time", timestamp(r.finished_ms)}, {"state", run_state(r)}};
    if (r.state == "FAILED") last["error"] = rpc_status(failure_message(store, r));
    h.push_back(last);
  }
  return h;
}

Json task_details(store::Store& store, const store::RunRecord& r) {
  std::map<std::string, Json> outputs;  // task → {output name → {artifact_ids}}
  for (const auto& a : store.list_artifacts(r.id, 100'000))
    outputs[a.task][a.name]["artifact_ids"].push_back(std::to_string(a.id));
  Json tasks = Json::array();
  for (const auto& t : store.list_tasks(r.id)) {
    Json d = {{"run_id", r.id},
              {"task_id", r.id + "/" + t.name},
              {"display_name", t.name},
              {"create_time", timestamp(t.started_ms ? t.started_ms : r.created_ms)},
              {"start_time", timestamp(t.started_ms)},
              {"end_time", timestamp(t.finished_ms)},
              {"state", task_state(t)},
              {"executor_detail", {{"main_job", t.backend_id}}},
              {"pod_name", t.backend_id}};
    if (t.state == "FAILED" || t.state == "UPSTREAM_FAILED")
      d["error"] = rpc_status(t.message.empty() ? t.state : t.message);
    if (auto o = outputs.find(t.name); o != outputs.end()) d["outputs"] = o->second;
    tasks.push_back(d);
  }
  return tasks;
}

}  // namespace

Json run_json(store::Store& store, const store::RunRecord& r, bool details) {
  Json j = {{"run_id", r.id},
            {"display_name", r.display_name.empty() ? r.id : r.display_name},
            {"experiment_id", store.experiment_id(r.experiment)},
            {"storage_state", r.archived ? "ARCHIVED" : "AVAILABLE"},
            {"description", r.description},
            {"runtime_config", {{"parameters", r.params}, {"pipeline_root", r.root}}},
            {"service_account", ""},
            {"created_at", timestamp(r.created_ms)},
            {"scheduled_at", timestamp(r.options.value("scheduled_ms", r.created_ms))},
            {"finished_at", timestamp(r.finished_ms)},
            {"state", run_state(r)},
            {"state_history", state_history(store, r)},
            {"recurring_run_id", r.schedule_id}};
  if (!r.pipeline_version_id.empty()) {
    auto v = store.get_pipeline_version(r.pipeline_version_id);
    j["pipeline_version_id"] = r.pipeline_version_id;
    j["pipeline_version_reference"] = {{"pipeline_id", v.ok() ? v->pipeline_id : ""},
                                       {"pipeline_version_id", r.pipeline_version_id}};
  }
  if (r.state == "FAILED") j["error"] = rpc_status(failure_message(store, r));
  if (details) {
    j["run_details"] = {{"task_details", task_details(store, r)}};
    if (r.pipeline_version_id.empty()) j["pipeline_spec"] = pipeline_spec_json(r.source);
  }
  return j;
}

Json pipeline_json(const store::PipelineRecord& p) {
  return {
      {"pipeline_id", p.id},          {"display_name", p.display_name},        {"name", p.name},
      {"description", p.description}, {"created_at", timestamp(p.created_ms)}, {"namespace", p.ns}};
}

Json pipeline_version_json(const store::PipelineVersionRecord& v, bool with_spec) {
  Json j = {{"pipeline_id", v.pipeline_id},        {"pipeline_version_id", v.id},
            {"display_name", v.display_name},      {"name", v.name},
            {"description", v.description},        {"created_at", timestamp(v.created_ms)},
            {"code_source_url", v.code_source_url}};
  if (with_spec) j["pipeline_spec"] = pipeline_spec_json(v.source);
  return j;
}

Json recurring_run_json(store::Store& store, const store::ScheduleRecord& s) {
  Json window = {{"start_time", timestamp(s.start_ms)}};
  if (s.end_ms > 0) window["end_time"] = timestamp(s.end_ms);
  Json trigger;
  if (!s.cron.empty()) {
    window["cron"] = s.trigger_as_written.empty() ? s.cron : s.trigger_as_written;
    trigger["cron_schedule"] = window;
  } else {
    window["interval_second"] = str64(s.interval_s);
    trigger["periodic_schedule"] = window;
  }
  Json j = {{"recurring_run_id", s.id},
            {"display_name", s.name},
            {"description", s.description},
            {"runtime_config", {{"parameters", s.params}}},
            {"max_concurrency", str64(s.max_concurrency)},
            {"trigger", trigger},
            {"mode", s.enabled ? "ENABLE" : "DISABLE"},
            {"status", s.enabled ? "ENABLED" : "DISABLED"},
            {"created_at", timestamp(s.created_ms)},
            {"updated_at", timestamp(s.updated_ms ? s.updated_ms : s.created_ms)},
            {"no_catchup", !s.catch_up},
            {"namespace", s.ns},
            {"experiment_id", store.experiment_id(s.experiment)}};
  // The last tick's failure (a message that is not the wait for max_concurrency).
  if (!s.message.empty() && s.message.rfind("waiting", 0) != 0) j["error"] = rpc_status(s.message);
  if (!s.pipeline_version_id.empty()) {
    auto v = store.get_pipeline_version(s.pipeline_version_id);
    j["pipeline_version_id"] = s.pipeline_version_id;
    j["pipeline_version_reference"] = {{"pipeline_id", v.ok() ? v->pipeline_id : ""},
                                       {"pipeline_version_id", s.pipeline_version_id}};
  } else {
    j["pipeline_spec"] = pipeline_spec_json(s.source);
  }
  return j;
}

Result<KfpTrigger> kfp_cron(const std::string& text) {
  if (text.rfind("@every ", 0) == 0) return KfpTrigger{"", text.substr(7)};
  if (!text.empty() && text[0] == '@') return KfpTrigger{text, ""};
  std::istringstream in(text);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w == "?" ? "*" : w);
  if (f.size() != 5 && f.size() != 6)
    return InvalidInput("cron '" + text + "' has " + std::to_string(f.size()) +
                        " fields; KFP's cron has six (second minute hour day-of-month month "
                        "day-of-week), the last optional");
  if (f[0] != "0")
    return InvalidInput("cron '" + text + "': the seconds field is '" + f[0] +
                        "'; slipway fires recurring runs at whole minutes, so it must be 0");
  return KfpTrigger{
      f[1] + " " + f[2] + " " + f[3] + " " + f[4] + " " + (f.size() == 6 ? f[5] : "*"), ""};
}

Status check_fields(const Json& body, const std::string& message,
                    std::initializer_list<const char*> known) {
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (ok) continue;
    std::string list;
    for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
    return InvalidInput("unknown field '" + key + "' in " + message + "; this server reads " +
                        list);
  }
  return Status::Ok();
}

}  // namespace slipway::api::kfp
