#include "backends/slurm/slurm_backend.h"

#include <filesystem>

#include "backends/slurm/sbatch_script.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/subprocess.h"

namespace slipway::backends {

SlurmBackend::SlurmBackend(SlurmConfig config) : config_(std::move(config)) {}

Result<CommandResult> SlurmBackend::call(const std::vector<std::string>& argv) {
  ++calls_[argv[0]];
  return run_command(argv, 60'000);
}

Status SlurmBackend::check_fits(const spec::Resources& r) const {
  // The controller is the judge: sbatch refuses what no node can give, at submission.
  if (r.nodes < 1 || r.tasks_per_node < 1) return InvalidInput("asks for no nodes or no tasks");
  return Status::Ok();
}

bool SlurmBackend::has_room(const spec::Resources&) const {
  return static_cast<int>(jobs_.size()) + reserved_ < config_.max_in_flight;
}

bool SlurmBackend::reserve(const spec::Resources& r) {
  if (!has_room(r)) return false;
  ++reserved_;
  return true;
}

Result<std::string> SlurmBackend::submit(const std::string& script_path,
                                         const std::string& script) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(script_path).parent_path(), ec);
  // The script exports the task's environment, secrets among it (use_secret_as_env).
  Status st = write_file_atomic(script_path, script, /*owner_only=*/true);
  if (!st.ok()) return st;
  auto r = call({"sbatch", "--parsable", script_path});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0)
    return Failed("sbatch refused the job: " + trim(r->err.empty() ? r->out : r->err));
  // --parsable prints "jobid" or "jobid;cluster".
  std::string id = split(trim(r->out), ';')[0];
  if (id.empty()) return Failed("sbatch printed no job id: " + r->out + r->err);
  return id;
}

std::vector<Result<LaunchHandle>> SlurmBackend::launch_many(const std::vector<TaskLaunch>& ls) {
  std::vector<Result<LaunchHandle>> out(ls.size(), Result<LaunchHandle>(Failed("not launched")));
  std::map<std::pair<std::string, int>, std::vector<size_t>> arrays;  // (group, attempt) -> items
  for (size_t i = 0; i < ls.size(); ++i)
    if (!ls[i].group.empty()) arrays[{ls[i].group, ls[i].attempt}].push_back(i);
  std::vector<bool> done(ls.size(), false);
  for (const auto& [group, idx] : arrays) {
    if (idx.size() < 2) continue;
    std::vector<TaskLaunch> items;
    for (size_t i : idx) items.push_back(ls[i]);
    std::string script = render_sbatch_array_script(items, config_);
    if (script.empty()) continue;  // not expressible as one array: one job each below
    std::filesystem::path root = std::filesystem::path(items[0].workdir).parent_path();
    std::string path =
        (root / (group.first + ".attempt-" + std::to_string(group.second) + ".sbatch")).string();
    auto id = submit(path, script);
    for (size_t i : idx) {
      if (reserved_ > 0) --reserved_;
      done[i] = true;
      if (!id.ok()) {
        out[i] = id.status();
        continue;
      }
      std::string element = *id + "_" + std::to_string(ls[i].item_index);
      jobs_[element] = ls[i].key;
      by_key_[ls[i].key] = element;
      out[i] = LaunchHandle{0, element};
    }
  }
  for (size_t i = 0; i < ls.size(); ++i)
    if (!done[i]) out[i] = launch(ls[i]);
  return out;
}

Result<LaunchHandle> SlurmBackend::launch(const TaskLaunch& l) {
  if (reserved_ > 0) --reserved_;
  auto id_or = submit(l.workdir + "/attempt-" + std::to_string(l.attempt) + ".sbatch",
                      render_sbatch_script(l, config_));
  if (!id_or.ok()) return id_or.status();
  std::string id = *id_or;
  jobs_[id] = l.key;
  by_key_[l.key] = id;
  return LaunchHandle{0, id};
}

std::map<std::string, SlurmJobState> SlurmBackend::poll_jobs(const std::vector<std::string>& ids) {
  std::map<std::string, SlurmJobState> states;
  if (ids.empty()) return states;
  // -r lists array elements one per line, pending ones included.
  auto sq = call({"squeue", "-h", "-r", "-o", "%i|%T|%r|%j", "-j", join(ids, ",")});
  if (sq.ok()) states = parse_squeue(sq->out);
  bool missing = false;
  for (const auto& id : ids)
    missing = missing || !states.count(id) || slurm_state_is_terminal(states[id].state);
  if (missing) {
    // Jobs that left the queue: one scontrol call answers for all of them (sacct needs slurmdbd).
    auto sc = call({"scontrol", "show", "job", "-o"});
    if (sc.ok()) {
      auto all = parse_scontrol_jobs(sc->out);
      for (const auto& id : ids)
        if (all.count(id) && (!states.count(id) || slurm_state_is_terminal(all[id].state)))
          states[id] = all[id];
    }
  }
  return states;
}

std::vector<Completion> SlurmBackend::wait(std::int64_t timeout_ms) {
  std::vector<Completion> out;
  if (!sleep_until_poll_due(last_poll_ms_, config_.poll_interval_ms, timeout_ms, jobs_.empty()))
    return out;
  last_poll_ms_ = now_ms();
  ++polls_;
  max_in_flight_seen_ = std::max(max_in_flight_seen_, jobs_.size());
  std::vector<std::string> ids;
  for (const auto& [id, _] : jobs_) ids.push_back(id);
  auto states = poll_jobs(ids);
  for (const auto& id : ids) {
    auto it = states.find(id);
    Completion c;
    if (it == states.end()) {
      // Neither squeue nor scontrol knows it: purged after MinJobAge, or lost with the controller.
      c.key = jobs_[id];
      c.finished_ms = now_ms();
      c.message = "Slurm job " + id + " is no longer known to the controller; its outcome is lost";
    } else if (slurm_state_is_terminal(it->second.state)) {
      c = completion_from_slurm(jobs_[id], it->second);
    } else {
      continue;
    }
    by_key_.erase(jobs_[id]);
    jobs_.erase(id);
    out.push_back(std::move(c));
  }
  return out;
}

Json SlurmBackend::stats() const {
  return Json{
      {"client_calls", calls_}, {"polls", polls_}, {"max_jobs_in_flight", max_in_flight_seen_}};
}

void SlurmBackend::terminate(const std::string& key, std::int64_t) {
  // scancel sends SIGTERM and, after the cluster's KillWait, SIGKILL.
  auto it = by_key_.find(key);
  if (it != by_key_.end())
    warn_unless_succeeded(call({"scancel", it->second}), "scancel " + it->second,
                          "the job may still run: cancel it by hand");
}

Result<std::vector<std::string>> SlurmBackend::reattach(const std::string& run_id,
                                                        const std::vector<Adoptable>& running) {
  // Every job of the run the controller still knows, by name: queued and recently finished.
  const std::string prefix = slurm_job_name_prefix(run_id);
  std::map<std::string, SlurmJobState> found;
  auto sc = call({"scontrol", "show", "job", "-o"});
  if (!sc.ok()) return sc.status();
  if (sc->exit_code == 0)
    for (const auto& [id, j] : parse_scontrol_jobs(sc->out))
      if (starts_with(j.name, prefix)) found[id] = j;
  std::vector<std::string> adopted;
  std::vector<std::string> stray;
  std::map<std::string, std::string> wanted;  // key -> recorded job id
  for (const auto& a : running) wanted[a.key] = a.backend_id;
  for (const auto& [id, j] : found) {
    std::string key = launch_key_for_element(run_id, j.name, j.array_index);
    auto w = wanted.find(key);
    bool ours = w != wanted.end() && (w->second.empty() || w->second == id) && !by_key_.count(key);
    if (ours) {
      jobs_[id] = key;
      by_key_[key] = id;
      adopted.push_back(key);
    } else if (!slurm_state_is_terminal(j.state)) {
      stray.push_back(id);
    }
  }
  if (!stray.empty()) {
    std::vector<std::string> argv = {"scancel"};
    argv.insert(argv.end(), stray.begin(), stray.end());
    warn_unless_succeeded(call(argv), "scancel of the run's stray jobs",
                          "they may still run: cancel them by hand");
  }
  return adopted;
}

}  // namespace slipway::backends
