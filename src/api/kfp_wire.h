// Kubeflow Pipelines' v2beta1 REST API on the wire (../shared/reference/kfp-api): its error shape,
// its timestamps and enums, and slipway's records written as its messages (V2beta1Run,
// V2beta1Experiment, V2beta1Pipeline, V2beta1PipelineVersion, V2beta1RecurringRun). Field names
// are the schema's snake_case; int64 fields are JSON strings, as grpc-gateway writes them.
#pragma once

#include <cstdint>
#include <string>

#include "api/handlers.h"
#include "store/store.h"

namespace slipway::api::kfp {

// grpc-gateway's error body: {"error", "code" (a google.rpc.Code), "message", "details": []},
// with the HTTP status that code maps to.
Response error(const Status& s);
Response ok(const Json& j);
// 405 in the same shape, naming the methods the path takes.
Response not_allowed(const ApiRequest& r, const std::string& allowed);

// RFC 3339 in UTC with milliseconds; KFP writes the epoch for a time not yet reached.
std::string timestamp(std::int64_t ms);
// An RFC 3339 time ("2026-12-06T10:00:00Z", fractions and offsets allowed) as epoch ms.
Result<std::int64_t> parse_timestamp(const std::string& text, const std::string& field);

// slipway's run and task states as V2beta1RuntimeState, and back (for filters).
std::string run_state(const store::RunRecord& r);
std::string task_state(const store::TaskRecord& t);
Result<std::string> slipway_run_state(const std::string& kfp_state);

// A pipeline's stored text as the JSON object KFP shows in pipeline_spec; null if unreadable.
Json pipeline_spec_json(const std::string& source);
// The text slipway's KFP importer reads for a pipeline_spec object sent by a client: the IR
// itself, or {pipeline_spec, platform_spec} as the SDK sends a pipeline with a platform spec.
std::string pipeline_spec_text(const Json& spec);

Json experiment_json(const store::ExperimentRecord& e);
// `details` adds run_details.task_details and the pipeline spec (a get; lists leave them out).
Json run_json(store::Store& store, const store::RunRecord& r, bool details);
Json pipeline_json(const store::PipelineRecord& p);
Json pipeline_version_json(const store::PipelineVersionRecord& v, bool with_spec);
Json recurring_run_json(store::Store& store, const store::ScheduleRecord& s);

// A recurring run's cron as KFP's scheduler reads it (robfig/cron v1's Parse): "second minute
// hour day-of-month month [day-of-week]", the day of week optional, '?' for "any", or a
// descriptor (@hourly ... @yearly, @every DURATION). So "0 2 * * *" fires at minute 2 of every
// hour, not at 02:00, as on KFP. slipway fires at whole minutes: the seconds field must be 0.
struct KfpTrigger {
  std::string cron;   // five fields (minute hour day-of-month month day-of-week), or a descriptor
  std::string every;  // or an interval ("1h")
};
Result<KfpTrigger> kfp_cron(const std::string& text);

// Refuses a body field this server does not know, naming it and the fields it reads.
Status check_fields(const Json& body, const std::string& message,
                    std::initializer_list<const char*> known);

}  // namespace slipway::api::kfp
