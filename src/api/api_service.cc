#include "api/api_service.h"

#include <map>
#include <memory>

#include "api/handlers.h"
#include "serve/service.h"

namespace slipway::api {

Response json_ok(const Json& j, int status) { return serve::json_response(j, status); }
Response error(const Status& s) { return serve::error_response(s); }
Response not_found(const ApiRequest& r) {
  return json_ok(Json{{"error", "no such endpoint: " + r.method + " " + r.path +
                                    " (the API is listed in docs/server.md)"}},
                 404);
}
Response method_not_allowed(const ApiRequest& r, const std::string& allowed) {
  return json_ok(Json{{"error", r.method + " is not allowed on " + r.path + "; use " + allowed}},
                 405);
}

Result<Json> body_object(const ApiRequest& r) {
  Json j = r.body.empty() ? Json::object() : Json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return InvalidInput("the request body is not valid JSON");
  if (!j.is_object()) return InvalidInput("the request body must be a JSON object");
  return j;
}

Result<store::RunRecord> visible_run(Ctx& c, const std::string& id) {
  auto run = c.store.get_run(id);
  if (run.ok() && !c.who.can_access(run->ns)) return NotFound("no run '" + id + "'");
  return run;
}

namespace {

// One store connection per I/O thread and store (SQLite connections must not be shared).
Result<store::Store*> thread_store(const std::filesystem::path& home) {
  thread_local std::map<std::string, std::unique_ptr<store::Store>> stores;
  auto& s = stores[home.string()];
  if (!s) {
    auto opened = store::Store::open(home);
    if (!opened.ok()) return opened.status();
    s = std::move(*opened);
  }
  return s.get();
}

}  // namespace

void ApiService::handle(const serve::HttpRequest& http, serve::Reply reply) {
  ApiRequest r = ApiRequest::from(http);
  if (r.seg.size() < 2 || r.seg[0] != "api") return reply(static_route(options_, r));
  if (r.seg[1] != "v1") return reply(not_found(r));
  if (r.seg.size() == 3 && r.seg[2] == "healthz") {
    return reply(json_ok(Json{{"ok", !draining_.load()}, {"version", options_.version}},
                         draining_ ? 503 : 200));
  }
  auto store = thread_store(options_.home);
  if (!store.ok())
    return reply(error(Unavailable("the store cannot be opened: " + store.status().message())));
  auto who = authenticate(**store, r.authorization, options_.auth);
  if (!who.ok()) {
    Response resp = error(who.status());
    resp.headers.push_back({"WWW-Authenticate", "Bearer"});
    return reply(resp);
  }
  Ctx c{**store, *who, r, options_};
  if (r.seg.size() < 3) return reply(not_found(r));
  const std::string& family = r.seg[2];
  try {
    if (family == "runs" || family == "compare") return reply(runs_route(c));
    if (family == "artifacts") return reply(artifacts_route(c));
    if (family == "schedules") return reply(schedules_route(c));
    return reply(catalog_route(c));
  } catch (const Json::exception& e) {  // a body field of the wrong JSON type
    (void)(*store)->rollback();         // safe: nothing of the request was committed either way
    return reply(error(
        InvalidInput(std::string("a field of the request body has the wrong type: ") + e.what())));
  } catch (const std::exception& e) {  // a defect, not the client's fault: answer, keep serving
    (void)(*store)->rollback();        // safe: nothing of the request was committed either way
    return reply(json_ok(Json{{"error", std::string("internal error: ") + e.what()}}, 500));
  }
}

}  // namespace slipway::api
