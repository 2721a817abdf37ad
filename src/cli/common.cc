#include "cli/common.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/clock.h"
#include "core/files.h"
#include "core/units.h"
#include "runs/run_control.h"
#include "spec/kfp_importer.h"
#include "spec/native_parser.h"
#include "spec/validate.h"

namespace slipway::cli {

bool parse_args(const Args& args, const std::string& usage, po::options_description& opts,
                const po::positional_options_description& pos, po::variables_map* vm,
                int* exit_code) {
  opts.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), *vm);
    // --help before the required options are checked: `slipway sweep --help` names no file.
    if (vm->count("help")) {
      std::cout << "usage: " << usage << "\n\n" << opts << "\n";
      *exit_code = 0;
      return false;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "slipway: %s\nusage: %s\n", e.what(), usage.c_str());
    *exit_code = 2;
    return false;
  }
  return true;
}

std::optional<OutputMode> output_mode(const po::variables_map& vm, bool allow_dot) {
  std::string o = vm.count("output") ? vm["output"].as<std::string>() : "text";
  if (o == "text") return OutputMode::kText;
  if (o == "json") return OutputMode::kJson;
  if (o == "dot" && allow_dot) return OutputMode::kDot;
  std::fprintf(stderr, "slipway: --output must be text, json%s, not '%s'\n",
               allow_dot ? " or dot" : "", o.c_str());
  return std::nullopt;
}

std::unique_ptr<store::Store> open_store_or_die(int* exit_code) {
  auto s = store::Store::open(slipway_home());
  if (!s.ok()) {
    std::fprintf(stderr, "slipway: %s\n", s.status().message().c_str());
    *exit_code = 1;
    return nullptr;
  }
  return std::move(*s);
}

std::optional<nlohmann::json> param_options_json(const po::variables_map& vm) {
  nlohmann::json params = nlohmann::json::object();
  if (vm.count("param"))
    for (const auto& kv : vm["param"].as<std::vector<std::string>>()) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "slipway: -p %s: write -p NAME=VALUE\n", kv.c_str());
        return std::nullopt;
      }
      params[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  return params;
}

std::optional<std::map<std::string, nlohmann::json>> params_from_options(
    const spec::PipelineSpec& spec, const po::variables_map& vm, const std::string& file) {
  auto given = param_options_json(vm);
  if (!given) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [k, v] : given->items()) overrides.emplace_back(k, v.get<std::string>());
  auto params = spec::resolve_params(spec, overrides);
  if (!params.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", file.c_str(), params.status().message().c_str());
    return std::nullopt;
  }
  return *params;
}

spec::LoadOptions load_options(const po::variables_map& vm) {
  spec::LoadOptions o;
  if (vm.count("runtime")) o.runtime_files = vm["runtime"].as<std::vector<std::string>>();
  return o;
}

std::optional<PipelineWithParams> load_pipeline_with_params(const po::variables_map& vm) {
  std::string file = vm["file"].as<std::string>();
  spec::LoadedPipeline p = spec::load_pipeline_file(file, load_options(vm));
  std::fputs(p.diagnostics.to_string().c_str(), stderr);
  if (!p.spec) return std::nullopt;
  auto params = params_from_options(*p.spec, vm, file);
  if (!params) return std::nullopt;
  return PipelineWithParams{std::move(p.source), std::move(*p.spec), std::move(*params)};
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::puts(line.c_str());
  }
}

std::string format_age(std::int64_t ms) {
  if (ms <= 0) return "-";
  return iso8601_ms(ms).substr(0, 19);
}

bool write_port_file(const po::variables_map& vm, int port, const char* who) {
  if (!vm.count("port-file")) return true;
  Status w = write_file_atomic(vm["port-file"].as<std::string>(), std::to_string(port) + "\n");
  if (!w.ok()) std::fprintf(stderr, "%s: --port-file: %s\n", who, w.message().c_str());
  return w.ok();
}

void print_json(const nlohmann::json& j) { std::cout << dump_json(j, 2) << std::endl; }

// A daemon (double fork, its own session) that outlives the caller, its output appended to
// `log_path`. The caller reaps the short-lived middle process, so a long-lived caller (a sweep's
// controller starting many trials) leaves no zombies.
Status start_daemon(const std::string& log_path, const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid < 0) return Failed(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    return Status::Ok();
  }
  setsid();
  if (fork() > 0) _exit(0);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(log_path).parent_path(), ec);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int devnull = ::open("/dev/null", O_RDONLY);
  dup2(devnull, 0);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  std::string exe = self_executable().string();
  std::vector<char*> argv = {exe.data()};
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
  _exit(127);
}

Status start_detached_driver(const store::RunRecord& run, bool resume) {
  return start_daemon(
      run.root + "/driver.log",
      runs::driver_args(run.id, resume ? runs::DriveMode::kResume : runs::DriveMode::kStart));
}

}  // namespace slipway::cli
