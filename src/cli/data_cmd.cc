// `slipway data import table|text ...`: training data into HDF5 (see train/data_import.h).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/common.h"
#include "core/files.h"
#include "train/data_import.h"

namespace slipway::cli {

int cmd_data(const Args& args) {
  po::options_description opts("data import options");
  opts.add_options()("verb", po::value<std::string>()->required(), "import")(
      "kind", po::value<std::string>()->required(), "table or text")(
      "input", po::value<std::string>()->required(), "a CSV file (table) or a text file (text)")(
      "out,o", po::value<std::string>()->required(), "the HDF5 file to write")(
      "label", po::value<std::string>()->default_value(""), "table: the label column")(
      "valid-fraction", po::value<double>()->default_value(0.2),
      "the share held out for validation")("seed", po::value<std::uint64_t>()->default_value(1),
                                           "table: the seed of the split")(
      "output", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("verb", 1).add("kind", 1).add("input", 1);
  po::variables_map vm;
  int rc = 0;
  const char* usage =
      "slipway data import table FILE.csv --label COLUMN -o OUT.h5 [--valid-fraction F] [--seed "
      "S]\n"
      "slipway data import text FILE.txt -o OUT.h5 [--valid-fraction F]";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  if (vm["verb"].as<std::string>() != "import") {
    std::fprintf(stderr, "slipway data: unknown verb '%s'\nusage: %s\n",
                 vm["verb"].as<std::string>().c_str(), usage);
    return 2;
  }
  std::string kind = vm["kind"].as<std::string>();
  Result<train::ImportSummary> r = InvalidInput("");
  if (kind == "table") {
    if (vm["label"].as<std::string>().empty()) {
      std::fprintf(stderr, "slipway data import table: --label COLUMN is required\n");
      return 2;
    }
    r = train::import_table(vm["input"].as<std::string>(), vm["label"].as<std::string>(),
                            vm["out"].as<std::string>(), vm["valid-fraction"].as<double>(),
                            vm["seed"].as<std::uint64_t>());
  } else if (kind == "text") {
    r = train::import_text(vm["input"].as<std::string>(), vm["out"].as<std::string>(),
                           vm["valid-fraction"].as<double>());
  } else {
    std::fprintf(stderr, "slipway data import: kind must be table or text, not '%s'\n",
                 kind.c_str());
    return 2;
  }
  if (!r.ok()) {
    std::fprintf(stderr, "slipway data import: %s\n", r.status().message().c_str());
    return 2;
  }
  if (*mode == OutputMode::kJson) {
    print_json({{"file", vm["out"].as<std::string>()},
                {"kind", kind},
                {"train", r->train},
                {"valid", r->valid},
                {"features", r->features},
                {"classes", r->classes}});
  } else {
    std::printf("%s: %s, %llu train and %llu validation %s\n", vm["out"].as<std::string>().c_str(),
                kind.c_str(), static_cast<unsigned long long>(r->train),
                static_cast<unsigned long long>(r->valid), kind == "table" ? "rows" : "tokens");
  }
  return 0;
}

// `slipway train ...` runs slipway-train, installed beside this binary (it links MPI).
int cmd_train(const Args& args) {
  std::string exe = (self_executable().parent_path() / "slipway-train").string();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
  std::fprintf(stderr, "slipway train: cannot run %s: %s (build the slipway-train target)\n",
               exe.c_str(), std::strerror(errno));
  return 2;
}

}  // namespace slipway::cli
