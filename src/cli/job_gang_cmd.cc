// `slipway job-gang`: the process of a training job's task. It reads the job from
// SLIPWAY_TRAINING_JOB (put there when the job file became a pipeline), starts every replica
// through `slipway launch --pod`, relays their output and ends as the job's operator would.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/common.h"
#include "core/files.h"
#include "jobs/gang.h"

namespace slipway::cli {

int cmd_job_gang(const Args& args) {
  if (!args.empty()) {
    std::fprintf(stderr,
                 "slipway job-gang: takes no arguments (the job comes from "
                 "SLIPWAY_TRAINING_JOB; `slipway run JOB.yaml` sets it)\n");
    return 2;
  }
  const char* text = std::getenv("SLIPWAY_TRAINING_JOB");
  if (!text) {
    std::fprintf(stderr,
                 "slipway job-gang: SLIPWAY_TRAINING_JOB is not set; run the job file "
                 "with `slipway run JOB.yaml`\n");
    return 2;
  }
  Json j = Json::parse(text, nullptr, false);
  auto job = j.is_discarded()
                 ? Result<spec::TrainingJob>(InvalidInput("SLIPWAY_TRAINING_JOB is not JSON"))
                 : spec::training_job_from_json(j);
  if (!job.ok()) {
    std::fprintf(stderr, "slipway job-gang: %s\n", job.status().message().c_str());
    return 2;
  }
  jobs::GangOptions o;
  o.self = self_executable().string();
  const char* run = std::getenv("SLIPWAY_RUN_ID");
  const char* task = std::getenv("SLIPWAY_TASK");
  o.job_id = std::string(run ? run : job->name) + "/" + (task ? task : "");
  if (const char* range = std::getenv("SLIPWAY_PORT_RANGE"))
    std::sscanf(range, "%d-%d", &o.port_lo, &o.port_hi);
  std::error_code ec;
  o.scratch_dir = (std::filesystem::current_path(ec) / ".slipway-job").string();
  if (const char* dir = std::getenv("SLIPWAY_JOB_DIR")) o.default_workdir = dir;
  auto plan = jobs::plan_gang(*job, o);
  if (!plan.ok()) {
    std::fprintf(stderr, "slipway job-gang: %s\n", plan.status().message().c_str());
    return 2;
  }
  std::printf("[job] %s %s: starting %zu replicas\n", job->kind.c_str(), job->name.c_str(),
              plan->size());
  std::fflush(stdout);
  return jobs::run_gang(*plan, o);
}

}  // namespace slipway::cli
