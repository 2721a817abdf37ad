// `slipway compile FILE --backend slurm|k8s -o DIR`: a pipeline as files a scheduler runs by
// itself.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "compile/k8s_compile.h"
#include "compile/slurm_compile.h"
#include "core/files.h"

namespace slipway::cli {

namespace fs = std::filesystem;

int cmd_compile(const Args& args) {
  po::options_description opts("compile options");
  opts.add_options()("file", po::value<std::string>()->required(), "pipeline file")(
      "param,p", po::value<std::vector<std::string>>()->composing(), "NAME=VALUE, repeatable")(
      "runtime", po::value<std::vector<std::string>>()->composing(),
      "file with the ClusterTrainingRuntime a TrainJob names, repeatable")(
      "backend", po::value<std::string>()->default_value("slurm"), "slurm or k8s")(
      "output-dir,o", po::value<std::string>()->required(), "where to write the scripts")(
      "root", po::value<std::string>(),
      "where the jobs write outputs and logs (default: DIR/run); "
      "must be on a filesystem every node sees");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  int rc = 0;
  const char* usage =
      "slipway compile FILE --backend slurm|k8s -o DIR [-p NAME=VALUE]... [--root DIR]";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  const std::string backend = vm["backend"].as<std::string>();
  if (backend != "slurm" && backend != "k8s") {
    std::fprintf(stderr, "slipway compile: --backend %s cannot be compiled; choose slurm or k8s\n",
                 backend.c_str());
    return 2;
  }
  auto p = load_pipeline_with_params(vm);
  if (!p) return 2;
  fs::path dir = fs::absolute(vm["output-dir"].as<std::string>());
  std::string root = vm.count("root") ? fs::absolute(vm["root"].as<std::string>()).string()
                                      : (dir / "run").string();
  Result<dag::CompiledPipeline> compiled = InvalidInput("");
  if (backend == "slurm") {
    auto config = backends::SlurmConfig::load_default();
    if (!config.ok()) {
      std::fprintf(stderr, "slipway: %s\n", config.status().message().c_str());
      return 2;
    }
    compiled =
        compile::compile_for_slurm(p->spec, p->params, root, self_executable().string(), *config);
  } else {
    auto config = backends::K8sConfig::load_default();
    if (!config.ok()) {
      std::fprintf(stderr, "slipway: %s\n", config.status().message().c_str());
      return 2;
    }
    compiled =
        compile::compile_for_k8s(p->spec, p->params, root, self_executable().string(), *config);
  }
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s\n", compiled.status().message().c_str());
    return 2;
  }
  for (const auto& w : compiled->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  for (const auto& [name, text] : compiled->files) {
    Status st = write_file_atomic(dir / name, text);
    if (!st.ok()) {
      std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
      return 1;
    }
  }
  if (backend == "k8s") {
    std::printf("wrote %zu files to %s; apply with: kubectl apply -k %s\n", compiled->files.size(),
                dir.c_str(), dir.c_str());
    return 0;
  }
  ::chmod((dir / "submit.sh").c_str(), 0755);
  std::printf("wrote %zu files to %s; submit with: %s/submit.sh\n", compiled->files.size(),
              dir.c_str(), dir.c_str());
  return 0;
}

}  // namespace slipway::cli
