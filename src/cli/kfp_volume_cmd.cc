// `slipway __kfp-volume create|delete EXECUTOR_INPUT`: the steps kfp-kubernetes' CreatePVC and
// DeletePVC become outside Kubernetes. A PersistentVolumeClaim is a named directory here, under
// $SLIPWAY_VOLUMES (a shared filesystem on a cluster) or else $SLIPWAY_HOME/volumes. Like a
// claim, it outlives the run that created it until a DeletePVC step (or a person) removes it,
// so a later run can mount it by name.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/files.h"
#include "core/json.h"
#include "dag/kubernetes_env.h"

namespace slipway::cli {

namespace fs = std::filesystem;

namespace {

// A claim name as Kubernetes admits it (a DNS subdomain): also a safe single path component.
bool valid_claim_name(const std::string& n) {
  if (n.empty() || n.size() > 253 || n.front() == '-' || n.front() == '.') return false;
  for (char c : n)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      return false;
  return n.find("..") == std::string::npos;
}

std::string param(const Json& in, const char* name) {
  const Json& inputs = in["inputs"];
  if (!inputs.is_object() || !inputs.contains("parameterValues")) return "";
  const Json& p = inputs["parameterValues"];
  return p.is_object() && p.contains(name) && p[name].is_string() ? p[name].get<std::string>() : "";
}

}  // namespace

int cmd_kfp_volume(const Args& args) {
  if (args.size() != 3 || (args[0] != "create" && args[0] != "delete")) {
    std::fprintf(stderr, "usage: slipway __kfp-volume create|delete RUN_ID EXECUTOR_INPUT_JSON\n");
    return 2;
  }
  Json in = Json::parse(args[2], nullptr, false);
  if (!in.is_object() || !in.contains("inputs")) {
    std::fprintf(stderr, "slipway: __kfp-volume: the executor input is not a JSON object\n");
    return 2;
  }
  std::string name = param(in, "pvc_name");
  if (args[0] == "create" && name.empty()) {
    // KFP names an unnamed claim after the run, with the suffix the pipeline gives.
    name = args[1] + param(in, "pvc_name_suffix");
    for (char& c : name)  // a run id may hold characters a claim name may not
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : (c == '.' ? '.' : '-');
  }
  if (!valid_claim_name(name)) {
    std::fprintf(stderr,
                 "slipway: volume name '%s' is not a valid claim name (lower-case letters, digits, "
                 "'-' and '.', at most 253); set pvc_name or pvc_name_suffix to one\n",
                 name.c_str());
    return 2;
  }
  fs::path dir = dag::local_objects_root("SLIPWAY_VOLUMES", "volumes") / name;
  std::error_code ec;
  if (args[0] == "delete") {
    fs::remove_all(dir, ec);
    if (ec) {
      std::fprintf(stderr, "slipway: cannot delete volume %s: %s\n", dir.c_str(),
                   ec.message().c_str());
      return 1;
    }
    std::printf("deleted volume %s (%s)\n", name.c_str(), dir.c_str());
    return 0;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "slipway: cannot create volume %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  std::string out;
  if (const Json& o = in.value("outputs", Json::object());
      o.is_object() && o.contains("parameters") && o["parameters"].contains("name"))
    out = o["parameters"]["name"].value("outputFile", "");
  if (out.empty()) {
    std::fprintf(stderr, "slipway: __kfp-volume create: the step declares no output 'name'\n");
    return 2;
  }
  if (Status s = write_file_atomic(out, name); !s.ok()) {
    std::fprintf(stderr, "slipway: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("volume %s at %s (size %s asked; a directory here has no quota)\n", name.c_str(),
              dir.c_str(), param(in, "size").c_str());
  return 0;
}

}  // namespace slipway::cli
