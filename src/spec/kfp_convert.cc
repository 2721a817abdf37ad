// Conversions of KFP IR strings: runtime placeholders and triggerPolicy conditions.
#include <regex>

#include "spec/kfp_importer.h"

namespace slipway::spec {

Result<std::string> convert_kfp_placeholders(const std::string& text) {
  // The compiler writes single quotes inside placeholders; YAML has already undone the doubling.
  static const std::regex kRe(
      R"(\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']+)'\](\.(\w+))?(\['([^']+)'\])?\}\})");
  static const std::regex kJob(
      R"(\{\{\$\.(pipeline_job_name|pipeline_job_resource_name|pipeline_job_uuid|pipeline_task_name|pipeline_task_uuid|pipeline_root)\}\})");
  std::string out;
  std::string whole = text == "{{$}}" ? "{{executor.input}}" : text;
  // Vertex AI's executor input escaped for a JSON string (Google Cloud components' launchers).
  for (size_t at = whole.find("{{$.json_escape[1]}}"); at != std::string::npos;
       at = whole.find("{{$.json_escape[1]}}"))
    whole.replace(at, 20, "{{executor.input_escaped}}");
  auto begin = std::sregex_iterator(whole.begin(), whole.end(), kRe);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out += whole.substr(last, static_cast<size_t>(m.position()) - last);
    last = static_cast<size_t>(m.position() + m.length());
    std::string dir = m[1], kind = m[2], name = m[3], field = m[5], key = m[7];
    std::string side = dir == "inputs" ? "inputs." : "outputs.";
    if (!key.empty() && field != "metadata")
      return InvalidInput("placeholder " + m.str() + " is not supported yet");
    if (kind == "artifacts" && field == "metadata")
      // The whole metadata as JSON, or one key of it.
      out += "{{" + side + name + ".metadata" + (key.empty() ? "" : "." + key) + "}}";
    else if (dir == "inputs" && kind == "parameters" && field.empty())
      out += "{{inputs." + name + "}}";
    else if (dir == "inputs" && kind == "artifacts" && (field == "path" || field == "uri"))
      out += "{{inputs." + name + "." + field + "}}";
    else if (kind == "artifacts" && field.empty())
      // A list of artifacts (Input[List[Dataset]]): a JSON list of their paths.
      out += "{{" + side + name + "}}";
    else if (dir == "outputs" && kind == "parameters" && field == "output_file")
      out += "{{outputs." + name + "}}";
    else if (dir == "outputs" && kind == "artifacts" && (field == "path" || field == "uri"))
      out += "{{outputs." + name + "}}";
    else
      return InvalidInput("placeholder " + m.str() + " is not supported yet");
  }
  out += whole.substr(last);
  // Job and task identity.
  std::string result;
  last = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), kJob); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    result += out.substr(last, static_cast<size_t>(m.position()) - last);
    last = static_cast<size_t>(m.position() + m.length());
    std::string what = m[1];
    if (what == "pipeline_task_name" || what == "pipeline_task_uuid")
      result += "{{task.name}}";
    else if (what == "pipeline_root")
      result += "{{run.root}}";
    else
      result += "{{run.id}}";
  }
  result += out.substr(last);
  if (result.find("{{$") != std::string::npos)
    return InvalidInput("placeholder in '" + text +
                        "' is not supported yet (of the executor input, only the whole {{$}} is)");
  return result;
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
  std::string out;
  size_t last = 0;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kRef); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    out += s.substr(last, static_cast<size_t>(m.position()) - last);
    last = static_cast<size_t>(m.position() + m.length());
    auto b = binding(m[1]);
    if (!b.ok()) return b.status();
    out += *b;
  }
  out += s.substr(last);
  if (out.find("inputs.") != std::string::npos)
    return InvalidInput("condition '" + cel +
                        "' uses inputs other than parameter_values, which is not supported yet");
  return out;
}

}  // namespace slipway::spec
