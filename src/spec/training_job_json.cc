// A TrainingJob as JSON: how the job travels from the file, through the run's stored task, to
// `slipway job-gang` on whichever node starts the replicas.
#include "spec/training_job.h"

namespace slipway::spec {

namespace {

Json pairs_to_json(const std::vector<std::pair<std::string, std::string>>& v) {
  Json out = Json::array();
  for (const auto& [k, val] : v) out.push_back(Json::array({k, val}));
  return out;
}

std::vector<std::pair<std::string, std::string>> pairs_from_json(const Json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : j)
    out.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
  return out;
}

}  // namespace

Json training_job_to_json(const TrainingJob& job) {
  Json groups = Json::array();
  for (const auto& g : job.groups) {
    const JobContainer& c = g.container;
    Json ports = Json::array();
    for (const auto& [name, port] : c.ports) ports.push_back(Json::array({name, port}));
    groups.push_back({{"type", g.type},
                      {"replicas", g.replicas},
                      {"restart_policy", g.restart_policy},
                      {"container",
                       {{"name", c.name},
                        {"image", c.image},
                        {"command", c.command},
                        {"args", c.args},
                        {"env", pairs_to_json(c.env)},
                        {"env_fields", pairs_to_json(c.env_fields)},
                        {"working_dir", c.working_dir},
                        {"ports", ports},
                        {"millicpus", c.millicpus},
                        {"memory_bytes", c.memory_bytes},
                        {"gpus", c.gpus}}}});
  }
  Json j = {{"kind", job.kind},
            {"api_version", job.api_version},
            {"name", job.name},
            {"namespace", job.namespace_},
            {"groups", groups},
            {"enable_dynamic_worker", job.enable_dynamic_worker},
            {"success_policy", job.success_policy},
            {"slots_per_worker", job.slots_per_worker},
            {"mpi_implementation", job.mpi_implementation},
            {"active_deadline_seconds", job.active_deadline_seconds},
            {"clean_pod_policy", job.clean_pod_policy}};
  if (job.nproc_per_node) j["nproc_per_node"] = *job.nproc_per_node;
  if (job.backoff_limit) j["backoff_limit"] = *job.backoff_limit;
  if (job.elastic) {
    const ElasticPolicy& e = *job.elastic;
    Json ej = {{"min_replicas", e.min_replicas}, {"max_replicas", e.max_replicas},
               {"rdzv_backend", e.rdzv_backend}, {"rdzv_host", e.rdzv_host},
               {"rdzv_id", e.rdzv_id},           {"rdzv_conf", e.rdzv_conf},
               {"rdzv_port", e.rdzv_port},       {"standalone", e.standalone}};
    if (e.max_restarts) ej["max_restarts"] = *e.max_restarts;
    if (e.nproc_per_node) ej["nproc_per_node"] = *e.nproc_per_node;
    j["elastic"] = ej;
  }
  return j;
}

Result<TrainingJob> training_job_from_json(const Json& j) {
  try {
    TrainingJob job;
    job.kind = j.at("kind").get<std::string>();
    job.api_version = j.at("api_version").get<std::string>();
    job.name = j.at("name").get<std::string>();
    job.namespace_ = j.at("namespace").get<std::string>();
    job.enable_dynamic_worker = j.at("enable_dynamic_worker").get<bool>();
    job.success_policy = j.at("success_policy").get<std::string>();
    job.slots_per_worker = j.at("slots_per_worker").get<int>();
    job.mpi_implementation = j.at("mpi_implementation").get<std::string>();
    job.active_deadline_seconds = j.at("active_deadline_seconds").get<std::int64_t>();
    job.clean_pod_policy = j.at("clean_pod_policy").get<std::string>();
    if (j.contains("nproc_per_node")) job.nproc_per_node = j["nproc_per_node"].get<std::string>();
    if (j.contains("backoff_limit")) job.backoff_limit = j["backoff_limit"].get<int>();
    if (j.contains("elastic")) {
      const Json& ej = j["elastic"];
      ElasticPolicy e;
      e.min_replicas = ej.at("min_replicas").get<int>();
      e.max_replicas = ej.at("max_replicas").get<int>();
      e.rdzv_backend = ej.at("rdzv_backend").get<std::string>();
      e.rdzv_host = ej.at("rdzv_host").get<std::string>();
      e.rdzv_id = ej.at("rdzv_id").get<std::string>();
      e.rdzv_conf = ej.at("rdzv_conf").get<std::string>();
      e.rdzv_port = ej.at("rdzv_port").get<int>();
      e.standalone = ej.at("standalone").get<bool>();
      if (ej.contains("max_restarts")) e.max_restarts = ej["max_restarts"].get<int>();
      if (ej.contains("nproc_per_node")) e.nproc_per_node = ej["nproc_per_node"].get<int>();
      job.elastic = e;
    }
    for (const Json& gj : j.at("groups")) {
      ReplicaGroup g;
      g.type = gj.at("type").get<std::string>();
      g.replicas = gj.at("replicas").get<int>();
      g.restart_policy = gj.at("restart_policy").get<std::string>();
      const Json& cj = gj.at("container");
      JobContainer& c = g.container;
      c.name = cj.at("name").get<std::string>();
      c.image = cj.at("image").get<std::string>();
      c.command = cj.at("command").get<std::vector<std::string>>();
      c.args = cj.at("args").get<std::vector<std::string>>();
      c.env = pairs_from_json(cj.at("env"));
      c.env_fields = pairs_from_json(cj.at("env_fields"));
      c.working_dir = cj.at("working_dir").get<std::string>();
      for (const Json& p : cj.at("ports"))
        c.ports.emplace_back(p.at(0).get<std::string>(), p.at(1).get<int>());
      c.millicpus = cj.at("millicpus").get<std::int64_t>();
      c.memory_bytes = cj.at("memory_bytes").get<std::int64_t>();
      c.gpus = cj.at("gpus").get<int>();
      job.groups.push_back(std::move(g));
    }
    return job;
  } catch (const Json::exception& e) {
    return InvalidInput(std::string("the training job handed to the replicas is malformed: ") +
                        e.what());
  }
}

}  // namespace slipway::spec
