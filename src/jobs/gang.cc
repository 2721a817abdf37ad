#include "jobs/gang.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/cstring_array.h"
#include "core/strings.h"
#include "launcher/launch.h"
#include "launcher/rank_env.h"

namespace slipway::jobs {

namespace {

// The replicas whose success is the job's (each operator's status rule): the Master where there
// is one, a TFJob's Chief (else worker 0, or every worker with successPolicy AllWorkers), the MPI
// launcher, and otherwise every worker.
bool watched(const spec::TrainingJob& job, const ReplicaRef& r) {
  if (job.kind == "MPIJob") return r.type == "Launcher";
  if (job.kind == "TrainJob") return true;  // JobSet's success: every trainer node completes
  if (job.kind == "TFJob") {
    if (job.group("Chief")) return r.type == "Chief";
    if (job.group("Master")) return r.type == "Master";
    if (job.success_policy == "AllWorkers") return r.type == "Worker";
    return r.type == "Worker" && r.index == 0;
  }
  if (job.group("Master")) return r.type == "Master";
  return r.type == "Worker";
}

// What a replica runs after `slipway launch --pod ... --`: its command and args, on the host or
// in its image through the container runtime.
std::vector<std::string> replica_command(const spec::JobContainer& c, const EnvMap& env,
                                         const std::string& workdir, const GangOptions& o) {
  std::vector<std::string> out;
  if (!o.container_runtime.empty()) {
    std::string image = c.image.find("://") == std::string::npos ? "docker://" + c.image : c.image;
    if (c.command.empty()) {
      out = {o.container_runtime, "run", image};  // the image's entrypoint, given the args
    } else {
      out = {o.container_runtime, "exec"};
      if (!workdir.empty()) out.insert(out.end(), {"--pwd", workdir});
      out.push_back(image);
    }
  }
  for (const auto& a : c.command) out.push_back(expand_references(a, env));
  for (const auto& a : c.args) out.push_back(expand_references(a, env));
  return out;
}

// Whether a replica still running when the job has succeeded is stopped: with cleanPodPolicy
// Running or All, every one (the operator deletes their pods); with None, the default, the
// operator leaves them be, and slipway lets them finish, but parameter servers and evaluators,
// which never end on their own, are stopped so the run ends.
bool stops_on_success(const spec::TrainingJob& job, const ReplicaRef& r) {
  return job.clean_pod_policy != "None" || r.type == "PS" || r.type == "Evaluator";
}

// The hostfile the MPI Operator mounts at /etc/mpi/hostfile: each worker's host with
// slotsPerWorker slots. Workers sharing a host (all of them on a workstation) add their slots up.
Result<std::string> write_hostfile(const spec::TrainingJob& job, const GangOptions& o,
                                   const std::vector<std::string>& worker_hosts) {
  std::vector<std::pair<std::string, int>> slots;
  for (const auto& h : worker_hosts) {
    auto it = std::find_if(slots.begin(), slots.end(), [&](const auto& e) { return e.first == h; });
    if (it == slots.end())
      slots.emplace_back(h, job.slots_per_worker);
    else
      it->second += job.slots_per_worker;
  }
  std::filesystem::path path = std::filesystem::path(o.scratch_dir) / "hostfile";
  std::error_code ec;
  std::filesystem::create_directories(o.scratch_dir, ec);
  std::ofstream f(path);
  for (const auto& [host, n] : slots) {
    if (job.mpi_implementation == "OpenMPI")
      f << host << " slots=" << n << "\n";
    else  // Intel MPI and MPICH's Hydra: host:slots
      f << host << ":" << n << "\n";
  }
  f.close();
  if (!f) return Failed("cannot write the MPI hostfile " + path.string());
  return path.string();
}

// The launcher's variables (mpi-operator v2beta1 mpi_job_controller.go): where its MPI finds the
// hostfile, per implementation.
void mpi_launcher_env(const spec::TrainingJob& job, const std::string& hostfile, EnvMap* env) {
  if (job.mpi_implementation == "OpenMPI") {
    (*env)["OMPI_MCA_orte_default_hostfile"] = hostfile;
    (*env)["OMPI_MCA_orte_keep_fqdn_hostnames"] = "true";
    (*env)["OMPI_MCA_orte_set_default_slots"] = std::to_string(job.slots_per_worker);
  } else if (job.mpi_implementation == "Intel") {
    (*env)["I_MPI_HYDRA_HOST_FILE"] = hostfile;
  } else {
    (*env)["HYDRA_HOST_FILE"] = hostfile;
  }
  if (job.api_version == "kubeflow.org/v2beta1") (*env)["K_MPI_JOB_ROLE"] = "launcher";
}

// slipway's own copies of the job and its settings, which the replicas do not see.
const char* const kSlipwayOwn[] = {"SLIPWAY_TRAINING_JOB", "SLIPWAY_JOB_MANIFEST",
                                   "SLIPWAY_JOB_DIR", "SLIPWAY_CONTAINER_RUNTIME"};

volatile std::sig_atomic_t g_stop_signal = 0;
void on_stop(int sig) { g_stop_signal = sig; }

struct Child {
  const ReplicaLaunch* launch;
  pid_t pid = 0;
  int out = -1;         // read end of its stdout and stderr
  std::string partial;  // output after the last newline
  bool ended = false;
  int code = 0;
  bool stopped = false;  // sent SIGTERM by the gang: its exit code does not decide the job
  std::chrono::steady_clock::time_point kill_at;
};

// "[worker-1] text": an srun step's line says which of its tasks wrote it ("  1: text").
void print_line(const ReplicaLaunch& l, const std::string& line) {
  ReplicaRef who = l.ref;
  std::string text = line;
  if (l.srun_step) {
    size_t i = text.find_first_not_of(' ');
    size_t colon = i == std::string::npos ? i : text.find(": ", i);
    if (colon != std::string::npos && colon > i &&
        text.find_first_not_of("0123456789", i) == colon) {
      who.index = std::atoi(text.c_str() + i);
      text = text.substr(colon + 2);
    }
  }
  std::printf("[%s] %s\n", who.name().c_str(), text.c_str());
}

void relay(Child& c, bool flush_all) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(c.out, buf, sizeof(buf));
    if (n <= 0) break;
    c.partial.append(buf, static_cast<size_t>(n));
    if (!flush_all) break;
  }
  size_t start = 0;
  for (size_t nl; (nl = c.partial.find('\n', start)) != std::string::npos; start = nl + 1)
    print_line(*c.launch, c.partial.substr(start, nl - start));
  c.partial.erase(0, start);
  if (flush_all && !c.partial.empty()) {
    print_line(*c.launch, c.partial);
    c.partial.clear();
  }
  std::fflush(stdout);
}

Status spawn(Child& c) {
  const ReplicaLaunch& l = *c.launch;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Failed(std::string("pipe: ") + std::strerror(errno));
  EnvMap env_map = launcher::current_environment();
  // A replica sees its container's variables, not slipway's copy of the job; an srun step's
  // tasks still need it to find their replica.
  if (!l.srun_step)
    for (const char* own : kSlipwayOwn) env_map.erase(own);
  for (const auto& [k, v] : l.env) env_map[k] = v;
  CStringArray envp = CStringArray::environment(env_map);
  CStringArray argv(l.argv);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  if (!l.workdir.empty()) posix_spawn_file_actions_addchdir_np(&fa, l.workdir.c_str());
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv.front(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return Failed("cannot start replica " + l.ref.name() + " (" + l.argv[0] +
                  "): " + std::strerror(rc));
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  c.pid = pid;
  c.out = fds[0];
  return Status::Ok();
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// The first of the replicas' ports: the same on every node for one job, different for jobs that
// share hosts.
int base_port(const spec::TrainingJob& job, const GangOptions& o) {
  return launcher::rendezvous_port(o.job_id, o.port_lo, o.port_hi - job.total_replicas());
}

// The srun step that starts the replicas of a type, each on its node of the allocation (a node
// per replica, in the job's order), every task of it a `slipway job-gang --replica TYPE`.
ReplicaLaunch srun_step(const spec::TrainingJob& job, const spec::ReplicaGroup& g, int first_node,
                        const GangOptions& o) {
  ReplicaLaunch l;
  l.ref = {g.type, 0, first_node};
  l.srun_step = true;
  l.watched = watched(job, l.ref);
  l.stop_on_success = stops_on_success(job, l.ref);
  l.argv = {"srun",
            "--nodes=" + std::to_string(g.replicas),
            "--ntasks=" + std::to_string(g.replicas),
            "--ntasks-per-node=1",
            "--relative=" + std::to_string(first_node),
            "--label",
            "--kill-on-bad-exit=0",
            o.self,
            "job-gang",
            "--replica",
            g.type};
  return l;
}

}  // namespace

Status fit_to_allocation(spec::TrainingJob* job, int nodes) {
  if (!job->elastic) return Status::Ok();
  spec::ReplicaGroup* workers = nullptr;
  for (auto& g : job->groups)
    if (g.type == "Worker") workers = &g;
  if (!workers) return Status::Ok();
  int others = job->total_replicas() - workers->replicas;
  int fit = std::min(nodes - others, job->elastic->max_replicas);
  if (fit < job->elastic->min_replicas)
    return InvalidInput("the allocation's " + std::to_string(nodes) + " nodes hold " +
                        std::to_string(std::max(0, nodes - others)) +
                        " Workers, fewer than elasticPolicy.minReplicas " +
                        std::to_string(job->elastic->min_replicas));
  workers->replicas = fit;
  return Status::Ok();
}

Status exec_replica(const spec::TrainingJob& job, const std::string& type, int index,
                    const GangOptions& o) {
  const spec::ReplicaGroup* g = job.group(type);
  if (!g || index < 0 || index >= g->replicas)
    return InvalidInput("the job has no replica " + type + " " + std::to_string(index));
  std::vector<ReplicaRef> refs = replicas_of(job);
  if (o.nodes.size() < refs.size())
    return InvalidInput("the allocation has fewer nodes than the job has replicas");
  // The operator names replicas by Service; here each is its node's address.
  std::vector<std::string> hosts;
  std::map<std::string, std::string> resolved;
  for (size_t i = 0; i < refs.size(); ++i) {
    const std::string& node = o.nodes[i];
    if (!resolved.count(node)) {
      auto addr = launcher::resolve_host(node);
      resolved[node] = addr.ok() ? *addr : node;
    }
    hosts.push_back(resolved[node]);
  }
  AddressBook book(job, hosts, base_port(job, o));
  ReplicaRef r;
  for (const auto& ref : refs)
    if (ref.type == type && ref.index == index) r = ref;
  EnvMap env = container_env(job, r, book);
  std::vector<std::string> argv = {
      o.self, "launch", "--pod", "0/1", "--gpus-per-rank", std::to_string(g->container.gpus), "--"};
  std::string workdir =
      g->container.working_dir.empty() ? o.default_workdir : g->container.working_dir;
  for (auto& a : replica_command(g->container, env, workdir, o)) argv.push_back(a);
  if (!workdir.empty() && chdir(workdir.c_str()) != 0)
    return Failed("replica " + r.name() + ": cannot enter its working directory " + workdir + ": " +
                  std::strerror(errno));
  for (const char* own : kSlipwayOwn) unsetenv(own);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  execv(args[0], args.data());
  return Failed("cannot start slipway launch for replica " + r.name() + ": " +
                std::strerror(errno));
}

Result<std::vector<ReplicaLaunch>> plan_gang(const spec::TrainingJob& job, const GangOptions& o) {
  std::vector<ReplicaRef> refs = replicas_of(job);
  if (o.port_hi - o.port_lo < static_cast<int>(refs.size()))
    return InvalidInput("the port range is smaller than the job's " + std::to_string(refs.size()) +
                        " replicas");
  bool slurm = !o.nodes.empty();
  if (slurm && o.nodes.size() < refs.size())
    return InvalidInput("the allocation has " + std::to_string(o.nodes.size()) +
                        " nodes for the job's " + std::to_string(refs.size()) +
                        " replicas (one node each)");
  std::vector<std::string> hosts(refs.size(), "localhost");
  if (slurm) hosts.assign(o.nodes.begin(), o.nodes.begin() + static_cast<long>(refs.size()));
  AddressBook book(job, hosts, base_port(job, o));
  std::string hostfile;
  if (job.kind == "MPIJob") {
    std::vector<std::string> worker_hosts;
    for (const auto& r : refs)
      if (r.type == "Worker") worker_hosts.push_back(hosts[static_cast<size_t>(r.global)]);
    auto h = write_hostfile(job, o, worker_hosts);
    if (!h.ok()) return h.status();
    hostfile = *h;
  }
  // On this host: every replica locally; on Slurm only an MPI launcher, whose mpirun then starts
  // the ranks on the workers' nodes from the batch step, as an sbatch script's mpirun would.
  auto here = [&](const ReplicaRef& r) {
    if (job.kind == "MPIJob" && r.type == "Worker") return false;
    return !slurm || job.kind == "MPIJob";
  };
  int on_host = static_cast<int>(std::count_if(refs.begin(), refs.end(), here));
  std::vector<ReplicaLaunch> out;
  for (const auto& r : refs) {
    const spec::ReplicaGroup& g = *job.group(r.type);
    if (!here(r)) {
      if (slurm && r.index == 0 && !(job.kind == "MPIJob" && r.type == "Worker"))
        out.push_back(srun_step(job, g, r.global, o));
      continue;
    }
    ReplicaLaunch l;
    l.ref = r;
    l.env = container_env(job, r, book);
    if (job.kind == "MPIJob") mpi_launcher_env(job, hostfile, &l.env);
    l.workdir = g.container.working_dir.empty() ? o.default_workdir : g.container.working_dir;
    l.watched = watched(job, r);
    l.stop_on_success = stops_on_success(job, r);
    l.argv = {o.self,
              "launch",
              "--pod",
              std::to_string(out.size()) + "/" + std::to_string(on_host),
              "--gpus-per-rank",
              std::to_string(g.container.gpus),
              "--"};
    for (auto& a : replica_command(g.container, l.env, l.workdir, o)) l.argv.push_back(a);
    out.push_back(std::move(l));
  }
  return out;
}

int run_gang(const std::vector<ReplicaLaunch>& replicas, const GangOptions& o) {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  using Clock = std::chrono::steady_clock;
  std::vector<Child> children(replicas.size());
  int result = -1;  // -1: undecided; then the job's exit code
  // SIGTERM to the replicas `which` picks that still run, SIGKILL after the grace period.
  auto stop = [&](const char* why, auto which) {
    int n = 0;
    for (auto& c : children)
      if (c.pid > 0 && !c.ended && !c.stopped && which(c)) {
        kill(c.pid, SIGTERM);
        c.stopped = true;
        c.kill_at = Clock::now() + std::chrono::milliseconds(o.grace_ms);
        ++n;
      }
    if (n > 0) std::printf("[job] %s; stopping %d still running\n", why, n);
    std::fflush(stdout);
  };
  auto everyone = [](const Child&) { return true; };
  for (size_t i = 0; i < replicas.size(); ++i) {
    children[i].launch = &replicas[i];
    Status st = spawn(children[i]);
    if (!st.ok()) {
      std::fprintf(stderr, "slipway job-gang: %s\n", st.message().c_str());
      result = 127;
      stop("a replica could not start", everyone);
      break;
    }
  }

  for (;;) {
    std::vector<pollfd> fds;
    for (auto& c : children)
      if (c.out >= 0) fds.push_back({c.out, POLLIN, 0});
    if (!fds.empty()) poll(fds.data(), fds.size(), 100);
    for (auto& c : children)
      if (c.out >= 0) relay(c, false);

    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (auto& c : children) {
        if (c.pid != pid) continue;
        c.ended = true;
        c.code = exit_code(status);
        if (c.out >= 0) {
          relay(c, true);
          close(c.out);
          c.out = -1;
        }
        // Once the job is decided, how the others end does not change it.
        if (result < 0 && c.code != 0 && !c.stopped) {
          std::printf("[job] %s exited with %d: the job failed\n", c.launch->ref.name().c_str(),
                      c.code);
          result = c.code;
          stop("the job failed", everyone);
        }
      }
    }
    if (result < 0 && g_stop_signal) {
      result = 128 + g_stop_signal;
      stop("stopped by a signal", everyone);
    }
    if (result < 0) {
      bool done = true;
      for (auto& c : children)
        if (c.launch->watched && !(c.ended && c.code == 0)) done = false;
      if (done) {
        result = 0;
        std::printf("[job] the job succeeded\n");
        // Servers that never end on their own (parameter servers, evaluators) or, with
        // cleanPodPolicy Running or All, every replica; the others finish their work.
        stop("the job succeeded", [](const Child& c) { return c.launch->stop_on_success; });
      }
    }
    bool all_ended = true;
    for (auto& c : children)
      if (c.pid > 0 && !c.ended) all_ended = false;
    if (all_ended) break;
    for (auto& c : children)
      if (c.stopped && !c.ended && Clock::now() > c.kill_at) kill(c.pid, SIGKILL);
  }
  return result < 0 ? 1 : result;
}

}  // namespace slipway::jobs
