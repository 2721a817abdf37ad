// A training job as the pipeline `slipway run` runs: one task whose process starts every replica
// together (`slipway job-gang`), so the replicas rendezvous as they would in the operator's pods,
// and a failed replica fails (and retries) the whole job, as a gang.
#include <algorithm>
#include <cctype>

#include "spec/native_parser.h"
#include "spec/training_job.h"

namespace slipway::spec {

namespace {

// The retries of the job: runPolicy.backoffLimit when it is set. Without it the operators restart
// an OnFailure, Always or ExitCode replica without end; slipway stops after 3, so a job that
// cannot succeed ends.
int retry_limit(const TrainingJob& job) {
  if (job.backoff_limit) return *job.backoff_limit;
  bool restarts = std::any_of(job.groups.begin(), job.groups.end(),
                              [](const ReplicaGroup& g) { return g.restart_policy != "Never"; });
  return restarts ? 3 : 0;
}

}  // namespace

ParseOutcome parse_training_job(const std::string& text, const std::string& file,
                                const std::string& base_dir) {
  ParseOutcome out;
  std::optional<TrainingJob> job = read_training_job(text, file, &out.diagnostics);
  if (!job) return out;
  std::string kind = job->kind;
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  PipelineSpec p;
  p.name = job->name;
  p.description = job->kind + " " + job->name;
  p.format = kind;
  p.source_file = file;
  p.base_dir = base_dir;

  Component c;
  c.name = kind;
  c.command = {"slipway", "job-gang"};
  c.env["SLIPWAY_TRAINING_JOB"] = training_job_to_json(*job).dump();
  // Replicas without a workingDir start where the job file is, so `python3 train.py` finds the
  // script beside it, as it would in the image's working directory.
  c.env["SLIPWAY_JOB_DIR"] = base_dir;
  for (const auto& g : job->groups)
    if (c.image.empty()) c.image = g.container.image;
  c.loc = job->loc;
  p.components[c.name] = c;

  Task t;
  t.name = kind;
  t.component = kind;
  t.loc = job->loc;
  t.cache = false;  // a job's effects are its files and logs, not outputs a cache could give back
  t.retry.limit = retry_limit(*job);
  t.timeout_ms = job->active_deadline_seconds * 1000;
  // The replicas run at once on this task's node: it holds what they all hold together.
  std::int64_t millicpus = 0, memory = 0;
  int gpus = 0;
  for (const auto& g : job->groups) {
    millicpus += g.replicas * g.container.millicpus;
    memory += g.replicas * g.container.memory_bytes;
    gpus += g.replicas * g.container.gpus;
  }
  if (millicpus > 0) t.resources.millicpus = millicpus;
  t.resources.memory_bytes = memory;
  t.resources.gpus = gpus;
  p.tasks.push_back(std::move(t));
  out.spec = std::move(p);
  return out;
}

}  // namespace slipway::spec
