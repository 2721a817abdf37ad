// Kubeflow Pipelines' v2beta1 REST API under /apis/v2beta1, over the same store, runs and
// schedules as slipway's own /api/v1: what `kfp.Client` and the `kfp` CLI speak. One file per
// service (experiments, pipelines, runs, recurring runs); this header is what they share.
#pragma once

#include <string>

#include "api/handlers.h"
#include "store/list_query.h"

namespace slipway::api::kfp {

// The request's resource path after /apis/v2beta1, with a custom method (":archive") split off
// the last segment: /apis/v2beta1/runs/ID:terminate → path {"runs", "ID"}, verb "terminate".
struct KfpPath {
  std::vector<std::string> path;
  std::string verb;
};
KfpPath kfp_path(const ApiRequest& r);

Response route(Ctx& c);  // everything under /apis/v2beta1 but healthz
Response experiments_route(Ctx& c, const KfpPath& p);
Response pipelines_route(Ctx& c, const KfpPath& p);
Response runs_route(Ctx& c, const KfpPath& p);
Response recurring_runs_route(Ctx& c, const KfpPath& p);

// A collection's own path (/experiments, /runs, ...): POST creates, GET lists, nothing else.
Response collection(Ctx& c, Response (*create)(Ctx&), Response (*list)(Ctx&));

// The experiment with this id, if the caller may see it (NotFound otherwise).
Result<store::ExperimentRecord> visible_experiment(Ctx& c, const std::string& id);

// The pipeline a run or recurring run body names: an inline pipeline_spec, or a
// pipeline_version_reference (a pipeline id alone means its newest version), or the deprecated
// pipeline_version_id. Exactly one must be given.
struct PipelineSource {
  std::string text, file, version_id;
};
Result<PipelineSource> pipeline_source(Ctx& c, const Json& body);

// A run or recurring run body's runtime_config.parameters ({} when absent). A pipeline_root is
// refused: a run's artifacts live under its own run root.
Result<Json> runtime_parameters(const Json& body);

// Narrows a list to the request's ?experiment_id (a first page only: a page token carries it).
Status filter_by_experiment(Ctx& c, store::ListQuery* q);

// The experiment a run or recurring run goes to: the body's experiment_id (or the request's
// ?experiment_id), else Default; and the namespace the object then belongs to. A
// service_account is refused: these runs are not Kubernetes pods.
struct Placement {
  std::string experiment, ns;
};
Result<Placement> placement(Ctx& c, const Json& body);

}  // namespace slipway::api::kfp
