#include "api/api_service.h"

#include <map>
#include <memory>

#include "api/handlers.h"
#include "api/kfp_api.h"
#include "api/kfp_wire.h"
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
  const bool kfp_api = r.seg.size() >= 2 && r.seg[0] == "apis";
  if (r.seg.size() < 2 || (r.seg[0] != "api" && !kfp_api)) return reply(static_route(options_, r));
  // Kubeflow Pipelines' API answers in its own error shape, slipway's in {"error"}.
  auto fail = [kfp_api](const Status& s) { return kfp_api ? kfp::error(s) : error(s); };
  if (kfp_api && r.seg[1] != "v2beta1")
    return reply(
        fail(NotFound("this server speaks Kubeflow Pipelines' API v2beta1 "
                      "(/apis/v2beta1), not " +
                      r.seg[1])));
  if (!kfp_api && r.seg[1] != "v1") return reply(not_found(r));
  if (r.seg.size() == 3 && r.seg[2] == "healthz") {
    if (kfp_api)  // multi_user: whether callers are told apart by their namespaces' tokens
      return reply(
          draining_ ? fail(Unavailable("the server is shutting down"))
                    : kfp::ok(Json{{"multi_user", options_.auth}, {"pipeline_store", "database"}}));
    return reply(json_ok(Json{{"ok", !draining_.load()}, {"version", options_.version}},
                         draining_ ? 503 : 200));
  }
  auto store = thread_store(options_.home);
  if (!store.ok())
    return reply(fail(Unavailable("the store cannot be opened: " + store.status().message())));
  auto who = authenticate(**store, r.authorization, options_.auth);
  if (!who.ok()) {
    Response resp = fail(who.status());
    if (!kfp_api) resp.headers.push_back({"WWW-Authenticate", "Bearer"});
    return reply(resp);
  }
  Ctx c{**store, *who, r, options_};
  if (r.seg.size() < 3) return reply(kfp_api ? fail(NotFound("no such endpoint")) : not_found(r));
  const std::string& family = r.seg[2];
  try {
    if (kfp_api) return reply(kfp::route(c));
    if (family == "runs" || family == "compare") return reply(runs_route(c));
    if (family == "artifacts") return reply(artifacts_route(c));
    if (family == "schedules") return reply(schedules_route(c));
    return reply(catalog_route(c));
  } catch (const Json::exception& e) {  // a body field of the wrong JSON type
    (void)(*store)->rollback();         // safe: nothing of the request was committed either way
    return reply(fail(
        InvalidInput(std::string("a field of the request body has the wrong type: ") + e.what())));
  } catch (const std::exception& e) {  // a defect, not the client's fault: answer, keep serving
    (void)(*store)->rollback();        // safe: nothing of the request was committed either way
    if (kfp_api) return reply(fail(Failed(std::string("internal error: ") + e.what())));
    return reply(json_ok(Json{{"error", std::string("internal error: ") + e.what()}}, 500));
  }
}

}  // namespace slipway::api
