#include "backends/slurm/slurm_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"
#include "core/units.h"

namespace slipway::backends {

Result<SlurmConfig> SlurmConfig::load_default() {
  if (const char* p = std::getenv("SLIPWAY_SLURM_CONFIG"); p && *p) return load(p);
  auto home = slipway_home() / "slurm.yaml";
  if (std::filesystem::exists(home)) return load(home.string());
  return SlurmConfig{};
}

Result<SlurmConfig> SlurmConfig::load(const std::string& path) {
  SlurmConfig c;
  try {
    YAML::Node n = YAML::LoadFile(path);
    if (!n.IsMap()) return InvalidInput(path + ": the Slurm backend config must be a mapping");
    static const std::vector<std::string> kKeys = {"partition",     "account",     "qos",
                                                   "constraint",    "sbatch_args", "poll_interval",
                                                   "max_in_flight", "mpi"};
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end())
        return InvalidInput(path + ":" + std::to_string(it->first.Mark().line + 1) +
                            ": unknown key '" + k + "'" + did_you_mean(k, kKeys) +
                            "; allowed: " + join(kKeys, ", "));
    }
    if (n["partition"]) c.partition = n["partition"].as<std::string>();
    if (n["account"]) c.account = n["account"].as<std::string>();
    if (n["qos"]) c.qos = n["qos"].as<std::string>();
    if (n["constraint"]) c.constraint = n["constraint"].as<std::string>();
    if (n["mpi"]) c.mpi = n["mpi"].as<std::string>();
    if (n["sbatch_args"]) c.sbatch_args = n["sbatch_args"].as<std::vector<std::string>>();
    if (n["max_in_flight"]) c.max_in_flight = n["max_in_flight"].as<int>();
    if (n["poll_interval"]) {
      auto d = parse_duration_ms(n["poll_interval"].as<std::string>());
      if (!d.ok()) return InvalidInput(path + ": poll_interval: " + d.status().message());
      c.poll_interval_ms = std::max<std::int64_t>(50, *d);
    }
  } catch (const YAML::Exception& e) {
    return InvalidInput(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

}  // namespace slipway::backends
