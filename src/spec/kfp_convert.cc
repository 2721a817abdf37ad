// Conversions of KFP IR strings: runtime placeholders and triggerPolicy conditions.
#include <regex>

#include "core/regex_replace.h"
#include "spec/kfp_importer.h"

namespace slipway::spec {

namespace {

// One {{$.inputs|outputs.parameters|artifacts['NAME']...}} placeholder as slipway's, or "" when
// slipway has none for it.
std::string convert_io_placeholder(const std::smatch& m) {
  std::string dir = m[1], kind = m[2], name = m[3], field = m[5], key = m[7];
  std::string side = dir == "inputs" ? "inputs." : "outputs.";
  if (!key.empty() && field != "metadata") return "";
  if (kind == "artifacts" && field == "metadata")
    // The whole metadata as JSON, or one key of it.
    return "{{" + side + name + ".metadata" + (key.empty() ? "" : "." + key) + "}}";
  if (dir == "inputs" && kind == "parameters" && field.empty()) return "{{inputs." + name + "}}";
  if (dir == "inputs" && kind == "artifacts" && (field == "path" || field == "uri"))
    return "{{inputs." + name + "." + field + "}}";
  if (kind == "artifacts" && field.empty())
    // A list of artifacts (Input[List[Dataset]]): a JSON list of their paths.
    return "{{" + side + name + "}}";
  if (dir == "outputs" && kind == "parameters" && field == "output_file")
    return "{{outputs." + name + "}}";
  if (dir == "outputs" && kind == "artifacts" && (field == "path" || field == "uri"))
    return "{{outputs." + name + "}}";
  return "";
}

}  // namespace

Result<std::string> convert_kfp_placeholders(const std::string& text) {
  // The compiler writes single quotes inside placeholders; YAML has already undone the doubling.
  static const std::regex kRe(
      R"(\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']+)'\](\.(\w+))?(\['([^']+)'\])?\}\})");
  static const std::regex kJob(
      R"(\{\{\$\.(pipeline_job_name|pipeline_job_resource_name|pipeline_job_uuid|pipeline_task_name|pipeline_task_uuid|pipeline_root)\}\})");
  std::string whole = text == "{{$}}" ? "{{executor.input}}" : text;
  // Vertex AI's executor input escaped for a JSON string (Google Cloud components' launchers).
  for (size_t at = whole.find("{{$.json_escape[1]}}"); at != std::string::npos;
       at = whole.find("{{$.json_escape[1]}}"))
    whole.replace(at, 20, "{{executor.input_escaped}}");
  std::string unsupported;
  std::string out = replace_matches(whole, kRe, [&](const std::smatch& m) {
    std::string converted = convert_io_placeholder(m);
    if (converted.empty() && unsupported.empty()) unsupported = m.str();
    return converted;
  });
  if (!unsupported.empty())
    return InvalidInput("placeholder " + unsupported + " is not supported yet");
  // Job and task identity.
  out = replace_matches(out, kJob, [](const std::smatch& m) -> std::string {
    std::string what = m[1];
    if (what == "pipeline_task_name" || what == "pipeline_task_uuid") return "{{task.name}}";
    if (what == "pipeline_root") return "{{run.root}}";
    return "{{run.id}}";
  });
  if (out.find("{{$") != std::string::npos)
    return InvalidInput("placeholder in '" + text +
                        "' is not supported yet (of the executor input, only the whole {{$}} is)");
  return out;
}

Result<std::string> convert_kfp_condition(
    const std::string& cel, const std::function<Result<std::string>(const std::string&)>& binding) {
  // The SDK wraps operands in int(), double() or string(); slipway compares numbers as numbers
  // and everything else as text, so the conversions can go.
  static const std::regex kCast(R"(\b(int|double|string)\()");
  std::string s = std::regex_replace(cel, kCast, "(");
  // schemaVersion 2.0.0 wrote inputs.parameters['x'].string_value (or int_value, double_value).
  static const std::regex kOld(
      R"(inputs\.parameters(\[['"][^'"]+['"]\])\.(string|int|double)_value)");
  s = std::regex_replace(s, kOld, "inputs.parameter_values$1");
  static const std::regex kRef(R"(inputs\.parameter_values\[['"]([^'"]+)['"]\])");
  Status failed = Status::Ok();
  std::string out = replace_matches(s, kRef, [&](const std::smatch& m) -> std::string {
    auto b = binding(m[1]);
    if (!b.ok()) {
      if (failed.ok()) failed = b.status();
      return "";
    }
    return *b;
  });
  if (!failed.ok()) return failed;
  if (out.find("inputs.") != std::string::npos)
    return InvalidInput("condition '" + cel +
                        "' uses inputs other than parameter_values, which is not supported yet");
  return out;
}

}  // namespace slipway::spec
