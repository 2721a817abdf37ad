// `slipway job-gang`: the process of a training job's task. It reads the job from
// SLIPWAY_TRAINING_JOB (put there when the job file became a pipeline), starts every replica
// through `slipway launch --pod` (on this host, or as one srun step per replica type inside
// slipway's Slurm allocation), relays their output and ends as the job's operator would.
// `--replica TYPE` is one task of such an srun step.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <tuple>

#include "cli/common.h"
#include "core/files.h"
#include "core/strings.h"
#include "jobs/gang.h"
#include "launcher/rank_env.h"

namespace slipway::cli {

namespace {

Result<spec::TrainingJob> job_from_environment() {
  const char* text = std::getenv("SLIPWAY_TRAINING_JOB");
  if (!text)
    return InvalidInput(
        "SLIPWAY_TRAINING_JOB is not set; run the job file with "
        "`slipway run JOB.yaml`");
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return InvalidInput("SLIPWAY_TRAINING_JOB is not JSON");
  return spec::training_job_from_json(j);
}

}  // namespace

int cmd_job_gang(const Args& args) {
  std::string replica;  // --replica TYPE: one task of the srun step of that replica type
  if (args.size() == 2 && args[0] == "--replica") {
    replica = args[1];
  } else if (!args.empty()) {
    std::fprintf(stderr,
                 "slipway job-gang: takes no arguments but --replica TYPE (the job comes "
                 "from SLIPWAY_TRAINING_JOB; `slipway run JOB.yaml` sets it)\n");
    return 2;
  }
  auto job = job_from_environment();
  if (!job.ok()) {
    std::fprintf(stderr, "slipway job-gang: %s\n", job.status().message().c_str());
    return 2;
  }
  jobs::GangOptions o;
  o.self = self_executable().string();
  const char* run = std::getenv("SLIPWAY_RUN_ID");
  const char* task = std::getenv("SLIPWAY_TASK");
  o.job_id = std::string(run ? run : job->name) + "/" + (task ? task : "");
  if (const char* range = std::getenv("SLIPWAY_PORT_RANGE")) {
    auto r = launcher::parse_port_range(range);
    if (!r.ok()) {
      std::fprintf(stderr, "slipway job-gang: SLIPWAY_PORT_RANGE: %s\n",
                   r.status().message().c_str());
      return 2;
    }
    std::tie(o.port_lo, o.port_hi) = *r;
  }
  std::error_code ec;
  o.scratch_dir = (std::filesystem::current_path(ec) / ".slipway-job").string();
  if (const char* dir = std::getenv("SLIPWAY_JOB_DIR")) o.default_workdir = dir;
  if (const char* rt = std::getenv("SLIPWAY_CONTAINER_RUNTIME")) o.container_runtime = rt;
  // In a batch job of slipway's Slurm backend (named "sw:RUN:TASK"), each replica gets a node of
  // the allocation.
  const char* job_name = std::getenv("SLURM_JOB_NAME");
  const char* nodelist = std::getenv("SLURM_JOB_NODELIST");
  if (job_name && std::string(job_name).rfind("sw:", 0) == 0 && nodelist) {
    auto nodes = launcher::expand_hostlist(nodelist);
    if (!nodes.ok()) {
      std::fprintf(stderr, "slipway job-gang: %s\n", nodes.status().message().c_str());
      return 2;
    }
    o.nodes = *nodes;
    // An elastic job runs with as many Workers as Slurm gave it nodes.
    if (Status st = jobs::fit_to_allocation(&*job, static_cast<int>(o.nodes.size())); !st.ok()) {
      std::fprintf(stderr, "slipway job-gang: %s\n", st.message().c_str());
      return 2;
    }
  }
  if (!replica.empty()) {
    const char* procid = std::getenv("SLURM_PROCID");
    if (!procid || o.nodes.empty()) {
      std::fprintf(stderr,
                   "slipway job-gang: --replica runs inside the srun step slipway starts "
                   "for it (SLURM_PROCID and the allocation's nodes are missing)\n");
      return 2;
    }
    Status st = jobs::exec_replica(*job, replica, std::atoi(procid), o);
    std::fprintf(stderr, "slipway job-gang: %s\n", st.message().c_str());
    return 127;
  }
  auto plan = jobs::plan_gang(*job, o);
  if (!plan.ok()) {
    std::fprintf(stderr, "slipway job-gang: %s\n", plan.status().message().c_str());
    return 2;
  }
  if (o.nodes.empty())
    std::printf("[job] %s %s: starting %d replicas on this host\n", job->kind.c_str(),
                job->name.c_str(), static_cast<int>(plan->size()));
  for (const auto& step : *plan)
    if (step.srun_step) std::printf("[job] %s\n", join(step.argv, " ").c_str());
  std::fflush(stdout);
  return jobs::run_gang(*plan, o);
}

}  // namespace slipway::cli
