// A training job as the pipeline `slipway run` runs: one task whose process starts every replica
// together (`slipway job-gang`), so the replicas rendezvous as they would in the operator's pods,
// and a failed replica fails (and retries) the whole job, as a gang.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "core/strings.h"
#include "core/yaml_json.h"
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

std::string shell_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    bool plain = !w.empty() && w.find_first_of(" \t\n'\"$`\\|&;<>()*?[]#~") == std::string::npos;
    out += (out.empty() ? "" : " ") + (plain ? w : "'" + w + "'");
  }
  return out;
}

// What the job's task does, for the scripts `slipway compile` writes: the replicas, the nodes
// they get, the srun steps `slipway job-gang` starts for them and what each replica runs.
std::vector<std::string> job_notes(const TrainingJob& job, const std::string& file) {
  std::vector<std::string> n = {
      job.kind + " " + job.name + " (" + job.api_version + ") from " + file + ".",
      "slipway job-gang starts the replicas, one node each, as one srun step per type, with the "
      "variables the operator would set (docs/jobs.md), and ends the job as the operator would:"};
  int node = 0;
  for (const auto& g : job.groups) {
    if (g.replicas == 0) continue;
    std::string nodes = g.replicas == 1 ? "node " + std::to_string(node)
                                        : "nodes " + std::to_string(node) + "-" +
                                              std::to_string(node + g.replicas - 1);
    if (job.kind == "MPIJob" && g.type == "Worker") {
      n.push_back("  " + g.type + " x" + std::to_string(g.replicas) + " on " + nodes + ": " +
                  std::to_string(job.slots_per_worker) +
                  " slots each in the launcher's hostfile (their own command is not run)");
    } else {
      n.push_back("  " + g.type + " x" + std::to_string(g.replicas) + " on " + nodes +
                  ": srun --nodes=" + std::to_string(g.replicas) +
                  " --ntasks=" + std::to_string(g.replicas) +
                  " --relative=" + std::to_string(node) + " slipway job-gang --replica " + g.type);
      std::vector<std::string> argv = g.container.command;
      argv.insert(argv.end(), g.container.args.begin(), g.container.args.end());
      n.push_back("    runs: " + shell_words(argv));
    }
    node += g.replicas;
  }
  return n;
}

// The file's document of the job's kind, as JSON.
std::string job_document_json(const std::string& text, const std::string& kind) {
  try {
    for (const auto& doc : load_yaml_documents(text))
      if (doc.IsMap() && doc["kind"] && doc["kind"].IsScalar() && doc["kind"].Scalar() == kind)
        return yaml_to_json(doc).dump();
  } catch (const Json::exception&) {
    throw;  // not UTF-8: the caller refuses the file
  } catch (const YAML::Exception&) {
    // Read already without error; nothing to add.
  }
  return "";
}

}  // namespace

ParseOutcome parse_training_job(const std::string& text, const std::string& file,
                                const std::string& base_dir,
                                const std::vector<std::string>& runtime_files) {
  ParseOutcome out;
  std::optional<TrainingJob> job =
      read_training_job(text, file, &out.diagnostics, runtime_files, &out.appended_source);
  if (!job) return out;
  std::string job_document;
  std::string kind = to_lower(job->kind);

  PipelineSpec p;
  p.name = job->name;
  p.description = job->kind + " " + job->name;
  p.format = kind;
  p.source_file = file;
  p.base_dir = base_dir;

  Component c;
  c.name = kind;
  c.command = {"slipway", "job-gang"};
  try {
    c.env["SLIPWAY_TRAINING_JOB"] = training_job_to_json(*job).dump();
    job_document = job_document_json(text, job->kind);
  } catch (const Json::exception&) {  // JSON holds UTF-8 only
    out.diagnostics.error(job->loc, "the job file is not UTF-8 text: save it as UTF-8");
    return out;
  }
  // Replicas without a workingDir start where the job file is, so `python3 train.py` finds the
  // script beside it, as it would in the image's working directory.
  c.env["SLIPWAY_JOB_DIR"] = base_dir;
  // The job's own document, which --backend k8s applies as written (its operator sets the
  // replicas' variables there); the name is the k8s backend's kK8sJobManifestEnv.
  if (!job_document.empty()) c.env["SLIPWAY_JOB_MANIFEST"] = job_document;
  for (const auto& g : job->groups)
    if (c.image.empty()) c.image = g.container.image;
  c.loc = job->loc;
  c.notes = job_notes(*job, file);
  p.components[c.name] = c;

  Task t;
  t.name = kind;
  t.component = kind;
  t.loc = job->loc;
  t.cache = false;  // a job's effects are its files and logs, not outputs a cache could give back
  t.retry.limit = retry_limit(*job);
  t.timeout_ms = job->active_deadline_seconds * 1000;
  t.resources.time_limit_ms = t.timeout_ms;  // Slurm's --time
  // Every replica holds what the largest one asks (one node each on a cluster, all on this machine
  // locally). A job that names no CPUs holds one CPU in all, as any task that names none, shared
  // by its replicas (Slurm rounds each node's share up to a whole CPU).
  t.resources.job_replicas = std::max(1, job->total_replicas());
  // elasticPolicy: between minReplicas and maxReplicas Workers (and the other replicas), as many
  // as the cluster gives (Slurm's --nodes=MIN-MAX).
  if (job->elastic && job->group("Worker")) {
    int others = job->total_replicas() - job->group("Worker")->replicas;
    t.resources.job_min_replicas = others + job->elastic->min_replicas;
    t.resources.job_replicas =
        std::max(t.resources.job_replicas, others + job->elastic->max_replicas);
  }
  t.resources.millicpus = std::max<std::int64_t>(1, 1000 / t.resources.job_replicas);
  bool cpus_named = false;
  for (const auto& g : job->groups) {
    if (g.container.millicpus > 0 && !cpus_named) {
      cpus_named = true;
      t.resources.millicpus = 0;
    }
    t.resources.millicpus = std::max(t.resources.millicpus, g.container.millicpus);
    t.resources.memory_bytes = std::max(t.resources.memory_bytes, g.container.memory_bytes);
    t.resources.gpus = std::max(t.resources.gpus, g.container.gpus);
  }
  p.tasks.push_back(std::move(t));
  out.spec = std::move(p);
  return out;
}

}  // namespace slipway::spec
