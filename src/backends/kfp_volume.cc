#include "backends/kfp_volume.h"

#include <algorithm>
#include <cctype>

namespace slipway::backends {

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

Json parameter(const Json& in, const char* name) {
  if (!in.is_object() || !in.contains("inputs") || !in["inputs"].is_object()) return Json();
  const Json& inputs = in["inputs"];
  if (!inputs.contains("parameterValues") || !inputs["parameterValues"].is_object()) return Json();
  const Json& p = inputs["parameterValues"];
  return p.contains(name) ? p[name] : Json();
}

}  // namespace

std::string kfp_volume_param(const KfpVolumeStep& s, const char* name) {
  Json v = parameter(s.executor_input, name);
  return v.is_string() ? v.get<std::string>() : "";
}

Result<std::optional<KfpVolumeStep>> kfp_volume_step(const std::vector<std::string>& argv) {
  auto at = std::find(argv.begin(), argv.end(), "__kfp-volume");
  if (at == argv.end() || at == argv.begin()) return std::optional<KfpVolumeStep>();
  std::vector<std::string> args(at + 1, argv.end());
  if (args.size() != 3 || (args[0] != "create" && args[0] != "delete"))
    return InvalidInput("usage: slipway __kfp-volume create|delete RUN_ID EXECUTOR_INPUT_JSON");
  KfpVolumeStep s;
  s.op = args[0];
  s.run_id = args[1];
  s.executor_input = Json::parse(args[2], nullptr, false);
  if (!s.executor_input.is_object() || !s.executor_input.contains("inputs"))
    return InvalidInput("__kfp-volume: the executor input is not a JSON object");
  s.claim = kfp_volume_param(s, "pvc_name");
  if (s.op == "create" && s.claim.empty()) {
    // KFP names an unnamed claim after the run, with the suffix the pipeline gives.
    s.claim = s.run_id + kfp_volume_param(s, "pvc_name_suffix");
    for (char& c : s.claim)  // a run id may hold characters a claim name may not
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : (c == '.' ? '.' : '-');
  }
  if (!valid_claim_name(s.claim))
    return InvalidInput("volume name '" + s.claim +
                        "' is not a valid claim name (lower-case letters, digits, '-' and '.', "
                        "at most 253); set pvc_name or pvc_name_suffix to one");
  return std::optional<KfpVolumeStep>(std::move(s));
}

std::string kfp_volume_name_output(const KfpVolumeStep& s) {
  const Json& o = s.executor_input.value("outputs", Json::object());
  if (!o.is_object() || !o.contains("parameters") || !o["parameters"].contains("name")) return "";
  return o["parameters"]["name"].value("outputFile", "");
}

Json kfp_pvc_manifest(const KfpVolumeStep& s) {
  Json modes = parameter(s.executor_input, "access_modes");
  if (!modes.is_array() || modes.empty()) modes = Json::array({"ReadWriteOnce"});
  Json spec = {{"accessModes", modes},
               {"resources", {{"requests", {{"storage", kfp_volume_param(s, "size")}}}}}};
  if (std::string sc = kfp_volume_param(s, "storage_class"); !sc.empty())
    spec["storageClassName"] = sc;
  if (std::string v = kfp_volume_param(s, "volume_name"); !v.empty()) spec["volumeName"] = v;
  Json meta = {{"name", s.claim}, {"labels", {{"app.kubernetes.io/managed-by", "slipway"}}}};
  Json annotations = parameter(s.executor_input, "annotations");
  if (annotations.is_object() && !annotations.empty()) meta["annotations"] = annotations;
  return {
      {"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", meta}, {"spec", spec}};
}

}  // namespace slipway::backends
