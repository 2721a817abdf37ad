// The REST API's route handlers, one file per resource family. Each gets the request, the
// caller's identity and a store connection, and returns the whole response.
#pragma once

#include <nlohmann/json.hpp>

#include "api/api_service.h"
#include "api/auth.h"
#include "api/request.h"
#include "runs/run_control.h"
#include "serve/http_types.h"
#include "store/store.h"

namespace slipway::api {

using Json = nlohmann::json;
using Response = serve::HttpResponse;

struct Ctx {
  store::Store& store;
  const Principal& who;
  const ApiRequest& req;
  const ApiOptions& options;
};

Response runs_route(Ctx& c);       // /api/v1/runs[...], /api/v1/compare
Response artifacts_route(Ctx& c);  // /api/v1/artifacts/{id}[/content|/lineage]
Response catalog_route(Ctx& c);    // experiments, sweeps, models, namespaces, whoami, topology
Response schedules_route(Ctx& c);  // /api/v1/schedules[...]
Response static_route(const ApiOptions& o, const ApiRequest& r);  // the dashboard's files

Response json_ok(const Json& j, int status = 200);
Response error(const Status& s);
Response not_found(const ApiRequest& r);
Response method_not_allowed(const ApiRequest& r, const std::string& allowed);
// The request body as a JSON object, or InvalidInput.
Result<Json> body_object(const ApiRequest& r);

// A run that exists and that the caller may see; NotFound otherwise (also for another
// namespace's run, so its existence does not leak).
Result<store::RunRecord> visible_run(Ctx& c, const std::string& id);

// Creates the run and starts its driver in the background; a driver that cannot start leaves
// the run FAILED with the reason.
Result<store::RunRecord> start_run(store::Store& store, const runs::NewRun& spec);
// cancel, retry or resume a run: {"id", "state"} (and "message" when there was nothing to do).
Result<Json> control_run_action(store::Store& store, const store::RunRecord& run,
                                const std::string& verb);

}  // namespace slipway::api
