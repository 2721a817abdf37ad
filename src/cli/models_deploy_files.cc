// `slipway models deploy -f FILE... --backend k8s|slurm`: KServe InferenceService files deployed
// as they are. On Kubernetes the files go to kubectl apply unchanged (KServe runs them there).
// On Slurm a job runs `slipway serve -f` over them on a compute node, and the deployment records
// where it listens (job, host, port) under $SLIPWAY_HOME/serve/deployments/.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "backends/k8s/k8s_config.h"
#include "backends/slurm/slurm_config.h"
#include "cli/common.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/json.h"
#include "core/strings.h"
#include "core/subprocess.h"
#include "serve/inference_service.h"

namespace slipway::cli {

namespace fs = std::filesystem;

namespace {

int deploy_k8s(const std::vector<std::string>& files, const po::variables_map& vm) {
  // The files are checked to hold KServe resources (a typo'd path, a Pipeline file, fail here
  // rather than in the cluster), then applied byte for byte.
  for (const auto& f : files) {
    auto text = read_file(f);
    if (!text.ok()) {
      std::fprintf(stderr, "slipway models deploy: %s\n", text.status().message().c_str());
      return 2;
    }
    if (text->find("serving.kserve.io/") == std::string::npos) {
      std::fprintf(stderr,
                   "slipway models deploy: %s holds no serving.kserve.io resource (an "
                   "InferenceService)\n",
                   f.c_str());
      return 2;
    }
  }
  auto config = backends::K8sConfig::load_default();
  if (!config.ok()) {
    std::fprintf(stderr, "slipway: %s\n", config.status().message().c_str());
    return 2;
  }
  std::vector<std::string> args = {"apply"};
  for (const auto& f : files) args.insert(args.end(), {"-f", f});
  if (!vm["apply"].as<bool>()) args.push_back("--dry-run=client");
  auto r = run_command(config->kubectl_argv(args), 120'000);
  if (!r.ok() || r->exit_code != 0) {
    std::fprintf(
        stderr, "slipway models deploy: kubectl apply refused the files: %s\n",
        r.ok() ? trim(r->err.empty() ? r->out : r->err).c_str() : r.status().message().c_str());
    return 1;
  }
  std::fputs(r->out.c_str(), stdout);
  if (!vm["apply"].as<bool>())
    std::fprintf(stderr, "slipway models deploy: a dry run; --apply applies the files\n");
  return 0;
}

int deploy_slurm(const std::vector<std::string>& files, const po::variables_map& vm) {
  // Everything the daemon will refuse is refused now, at the submitting desk.
  std::vector<serve::InferenceService> services;
  double cpus = 0;
  std::int64_t memory = 0;
  for (const auto& f : files) {
    auto read = serve::read_inference_services(f);
    if (!read.ok()) {
      std::fprintf(stderr, "slipway models deploy: %s\n", read.status().message().c_str());
      return 2;
    }
    for (auto& s : *read) {
      for (const auto& w : s.warnings)
        std::fprintf(stderr, "slipway models deploy: warning: %s\n", w.c_str());
      cpus += s.predictor.cpu_limit * std::max(1, s.predictor.max_replicas);
      memory += s.predictor.memory_limit * std::max(1, s.predictor.max_replicas);
      services.push_back(std::move(s));
    }
  }
  auto slurm = backends::SlurmConfig::load_default();
  if (!slurm.ok()) {
    std::fprintf(stderr, "slipway: %s\n", slurm.status().message().c_str());
    return 2;
  }
  const std::string name = services.front().name;
  const fs::path dir =
      slipway_home() / "serve" / "deployments" / (name + "-" + std::to_string(now_ms()));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "slipway models deploy: cannot create %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  std::string script = "#!/bin/bash\n#SBATCH --job-name=slipway-serve-" + name + "\n";
  script += "#SBATCH --output=" + (dir / "serve.log").string() + "\n";
  // The predictors' resources, all replicas at their maximum, as the job's request.
  script +=
      "#SBATCH --cpus-per-task=" + std::to_string(std::max(1, static_cast<int>(std::ceil(cpus)))) +
      "\n";
  if (memory > 0)
    script += "#SBATCH --mem=" + std::to_string((memory + (1 << 20) - 1) >> 20) + "M\n";
  for (const auto& [flag, value] : {std::pair{"partition", slurm->partition},
                                    {"account", slurm->account},
                                    {"qos", slurm->qos},
                                    {"constraint", slurm->constraint}})
    if (!value.empty()) script += std::string("#SBATCH --") + flag + "=" + value + "\n";
  for (const auto& a : slurm->sbatch_args) script += "#SBATCH " + a + "\n";
  script += "hostname > " + shell_quote((dir / "host").string()) + "\n";
  std::string cmd = "exec " + shell_quote(self_executable().string()) + " serve";
  for (const auto& f : files) cmd += " -f " + shell_quote(fs::absolute(f).string());
  cmd += " --host 0.0.0.0 --port 0 --port-file " + shell_quote((dir / "port").string());
  if (vm.count("config"))
    cmd += " --config " + shell_quote(fs::absolute(vm["config"].as<std::string>()).string());
  script += cmd + "\n";
  if (Status w = write_file_atomic(dir / "serve.sbatch", script); !w.ok()) {
    std::fprintf(stderr, "slipway models deploy: %s\n", w.message().c_str());
    return 1;
  }
  auto r = run_command({"sbatch", "--parsable", (dir / "serve.sbatch").string()}, 60'000);
  if (!r.ok() || r->exit_code != 0) {
    std::fprintf(
        stderr, "slipway models deploy: sbatch refused the serving job: %s\n",
        r.ok() ? trim(r->err.empty() ? r->out : r->err).c_str() : r.status().message().c_str());
    return 1;
  }
  const std::string job = trim(r->out.substr(0, r->out.find(';')));
  Json record = {{"job", job},
                 {"dir", dir.string()},
                 {"files", Json::array()},
                 {"services", Json::array()},
                 {"backend", "slurm"}};
  for (const auto& f : files) record["files"].push_back(fs::absolute(f).string());
  for (const auto& s : services) record["services"].push_back(s.name);
  auto save = [&] { return write_file_atomic(dir / "deployment.json", dump_json(record, 2)); };
  if (Status w = save(); !w.ok()) {
    std::fprintf(stderr, "slipway models deploy: %s\n", w.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "slipway models deploy: Slurm job %s serves %s; waiting for it to listen\n",
               job.c_str(), join(record["services"].get<std::vector<std::string>>(), ", ").c_str());
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(vm["wait"].as<int>());
  while (std::chrono::steady_clock::now() < deadline) {
    auto port = read_file(dir / "port");
    auto host = read_file(dir / "host");
    if (port.ok() && host.ok() && !trim(*port).empty()) {
      record["host"] = trim(*host);
      record["port"] = std::stoi(trim(*port));
      record["url"] = "http://" + trim(*host) + ":" + trim(*port);
      if (Status w = save(); !w.ok())
        std::fprintf(stderr, "slipway models deploy: warning: %s\n", w.message().c_str());
      if (vm["output"].as<std::string>() == "json")
        std::printf("%s\n", dump_json(record, 2).c_str());
      else
        for (const auto& s : services)
          std::printf("%s: %s/v1/models/%s (Slurm job %s)\n", s.name.c_str(),
                      record["url"].get<std::string>().c_str(), s.name.c_str(), job.c_str());
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::fprintf(stderr,
               "slipway models deploy: Slurm job %s is not listening after %ds (still queued, "
               "or loading its models: see %s); its port will be in %s\n",
               job.c_str(), vm["wait"].as<int>(), (dir / "serve.log").c_str(),
               (dir / "port").c_str());
  if (vm["output"].as<std::string>() == "json") std::printf("%s\n", dump_json(record, 2).c_str());
  return 0;
}

}  // namespace

int models_deploy_files(const std::vector<std::string>& files, const po::variables_map& vm) {
  const std::string backend = vm["backend"].as<std::string>();
  if (backend == "k8s") return deploy_k8s(files, vm);
  if (backend == "slurm") return deploy_slurm(files, vm);
  std::fprintf(stderr,
               "slipway models deploy -f: --backend is k8s or slurm; on this machine run "
               "`slipway serve -f FILE`\n");
  return 2;
}

}  // namespace slipway::cli
